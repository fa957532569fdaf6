package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Keyed requests are idempotent; a failing allocateAll allocates nothing and names the failing request. */
class IdempotencyTest {

    private final MutableClock clock = new MutableClock();
    private final InMemoryStore memory = new InMemoryStore();
    private final TestStores.Wrapped wrapped = new TestStores.Wrapped(memory);
    private Ipam ipam;
    private IpamSession s;

    private void open(AccessPolicy policy) {
        ipam = Ipam.builder().store(wrapped.store).accessPolicy(policy).clock(clock).maintenanceInterval(Duration.ZERO)
                .build();
        s = ipam.as(Caller.of("heat"));
        IpamSession admin = ipam.as(Caller.of("admin"));
        admin.createPool(PoolSpec.builder("web", Scope.of("east", "web")).cidr("10.0.0.0/28").build()); // 14
        admin.createPool(PoolSpec.builder("db", Scope.of("east", "db")).cidr("10.0.1.0/29").build()); // 6
        admin.createPool(PoolSpec.builder("mgmt", Scope.of("east", "mgmt")).cidr("10.0.2.0/30").build()); // 2
    }

    private void open() {
        open(AccessPolicy.allowAll());
    }

    @AfterEach
    void tearDown() {
        if (ipam != null) {
            ipam.close();
        }
    }

    private static AllocationRequest.Builder keyed(String pool, String env, String name) {
        return AllocationRequest.in(pool).owner("vm-" + name).environment(env).name(name);
    }

    /** Everything a caller can see. */
    private Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        for (Pool p : s.pools()) {
            state.put(p.name() + " usage", s.usage(p.name()));
            state.put(p.name() + " allocations", s.allocations(p.name(), null, 10_000).items());
            state.put(p.name() + " holds", s.holds(p.name()));
        }
        return state;
    }

    @Test
    void allocateWithTheSameKeyTwiceReturnsTheSameAllocation() {
        open();
        Allocation first = s.allocate(keyed("web", "prod", "web_1").hostname("web1.example.com").build());
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        clock.advance(Duration.ofMinutes(5));
        Allocation again = s.allocate(keyed("web", "prod", "web_1").hostname("web1.example.com").build());
        assertThat(again).isEqualTo(first);
        // Even a repeat with other metadata or another strategy returns what the key holds.
        assertThat(s.allocate(keyed("web", "prod", "web_1").strategy(Strategy.RANDOM).build())).isEqualTo(first);
        assertThat(s.allocate(keyed("web", "prod", "web_1").address(first.address()).build())).isEqualTo(first);
        assertThat(ipam.lastSequence()).as("no new change").isEqualTo(seq);
        assertThat(wrapped.commits.get()).as("no store commit").isEqualTo(commits);
        assertThat(s.usage("web").allocated()).isEqualTo(1);
        // The key is per pool: the same key in another pool is another allocation.
        Allocation other = s.allocate(keyed("db", "prod", "web_1").build());
        assertThat(other.pool()).isEqualTo("db");
        assertThat(ipam.lastSequence()).isEqualTo(seq + 1);
    }

    @Test
    void allocateAllRetriedWithTheSameListReturnsTheSameAddresses() {
        open();
        List<AllocationRequest> env = List.of(keyed("web", "prod", "web_1").build(), keyed("web", "prod", "web_2").build(),
                keyed("db", "prod", "db_1").strategy(Strategy.RANDOM).build(), keyed("mgmt", "prod", "jump").build());
        List<Allocation> first = s.allocateAll(env);
        assertThat(first).extracting(Allocation::pool).containsExactly("web", "web", "db", "mgmt");
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        clock.advance(Duration.ofMinutes(1));
        assertThat(s.allocateAll(env)).isEqualTo(first);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(wrapped.commits.get()).isEqualTo(commits);
        // A retry that adds a request gets the old ones back and only the new one allocated.
        List<AllocationRequest> grown = new java.util.ArrayList<>(env);
        grown.add(keyed("web", "prod", "web_3").build());
        List<Allocation> second = s.allocateAll(grown);
        assertThat(second.subList(0, 4)).isEqualTo(first);
        assertThat(ipam.lastSequence()).isEqualTo(seq + 1);
        // After a restart the retry still returns the same.
        ipam.close();
        ipam = Ipam.builder().store(memory.reopen()).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
        s = ipam.as(Caller.of("heat"));
        assertThat(s.allocateAll(grown)).isEqualTo(second);
        assertThat(ipam.lastSequence()).isEqualTo(seq + 1);
    }

    @Test
    void exhaustionInOnePoolAllocatesNothingAndNamesTheRequest() {
        open();
        s.allocate(AllocationRequest.in("mgmt").owner("x").build()); // 1 of 2 left
        Map<String, Object> before = state();
        long seq = ipam.lastSequence();
        List<AllocationRequest> env = List.of(keyed("web", "e", "a").build(), keyed("mgmt", "e", "b").build(),
                keyed("db", "e", "c").build(), keyed("mgmt", "e", "d").build(), keyed("web", "e", "f").build());
        AllocationFailedException e = catchThrowableOfType(AllocationFailedException.class, () -> s.allocateAll(env));
        assertThat(e).isNotNull();
        assertThat(e.requestIndex()).isEqualTo(3);
        assertThat(e).hasMessageContaining("Request 3").hasMessageContaining("mgmt")
                .hasCauseInstanceOf(PoolExhaustedException.class);
        assertThat(state()).isEqualTo(before);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        // Nothing of the environment is left behind: a retry of a fitting list starts from scratch.
        List<Allocation> ok = s.allocateAll(env.subList(0, 3));
        assertThat(ok).extracting(a -> a.address().toString()).containsExactly("10.0.0.1", "10.0.2.2", "10.0.1.1");
    }

    @Test
    void takenSpecificAddressAllocatesNothingAndNamesTheRequest() {
        open();
        s.allocate(AllocationRequest.in("db").owner("x").address("10.0.1.4").build());
        Map<String, Object> before = state();
        long seq = ipam.lastSequence();
        List<AllocationRequest> env = List.of(keyed("web", "e", "a").build(), keyed("db", "e", "b").address("10.0.1.4").build());
        AllocationFailedException e = catchThrowableOfType(AllocationFailedException.class, () -> s.allocateAll(env));
        assertThat(e.requestIndex()).isEqualTo(1);
        assertThat(e).hasMessageContaining("Request 1").hasCauseInstanceOf(AddressUnavailableException.class)
                .hasMessageContaining("10.0.1.4");
        assertThat(state()).isEqualTo(before);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
    }

    @Test
    void accessDeniedInOnePoolAllocatesNothingAndNamesTheRequest() {
        open(RuleBasedAccessPolicy.builder()
                .allow("admin", EnumSet.allOf(Action.class), "*/*")
                .allow("heat", EnumSet.of(Action.READ, Action.ALLOCATE, Action.RELEASE, Action.HOLD), "east/web")
                .allow("heat", EnumSet.of(Action.READ, Action.ALLOCATE), "east/mgmt")
                .allow("heat", EnumSet.of(Action.READ), "east/db")
                .build());
        s.allocate(keyed("web", "other", "z").build());
        Map<String, Object> before = state();
        long seq = ipam.lastSequence();
        List<AllocationRequest> env = List.of(keyed("web", "e", "a").build(), keyed("mgmt", "e", "b").build(),
                keyed("db", "e", "c").build());
        AllocationFailedException e = catchThrowableOfType(AllocationFailedException.class, () -> s.allocateAll(env));
        assertThat(e.requestIndex()).isEqualTo(2);
        assertThat(e).hasCauseInstanceOf(AccessDeniedException.class).hasMessageContaining("Request 2");
        assertThat(state()).isEqualTo(before);
        // The refusal is journaled, and is the only change.
        assertThat(ipam.lastSequence()).isEqualTo(seq + 1);
        assertThat(TestStores.journal(memory, seq + 1)).extracting(JournalEntry::change).singleElement()
                .isInstanceOfSatisfying(Change.AccessRefused.class, r -> {
                    assertThat(r.caller()).isEqualTo("heat");
                    assertThat(r.action()).isEqualTo(Action.ALLOCATE);
                    assertThat(r.scope()).isEqualTo(Scope.of("east", "db"));
                    assertThat(r.pool()).isEqualTo("db");
                });
    }

    @Test
    void storeFailureAllocatesNothing() {
        open();
        s.allocate(keyed("web", "other", "z").build());
        Map<String, Object> before = state();
        long seq = ipam.lastSequence();
        List<AllocationRequest> env = List.of(keyed("web", "e", "a").build(), keyed("db", "e", "b").build(),
                keyed("mgmt", "e", "c").build());
        wrapped.failure.set(() -> new StoreException("disk full"));
        // A store failure is not any one request's fault: it is reported as a StoreException.
        assertThatThrownBy(() -> s.allocateAll(env)).isInstanceOf(StoreException.class).hasMessageContaining("disk full");
        wrapped.failure.set(null);
        assertThat(state()).isEqualTo(before);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(TestStores.journal(memory, seq + 1)).isEmpty();
        // The retry succeeds with the addresses a first attempt would have had.
        assertThat(s.allocateAll(env)).extracting(a -> a.address().toString())
                .containsExactly("10.0.0.2", "10.0.1.1", "10.0.2.1");
    }

    @Test
    void keyConflictWhenTheKeyHoldsAnotherAddressThanTheOneNamed() {
        open();
        Allocation a = s.allocate(keyed("web", "prod", "web_1").build()); // 10.0.0.1
        long seq = ipam.lastSequence();
        KeyConflictException e = catchThrowableOfType(KeyConflictException.class,
                () -> s.allocate(keyed("web", "prod", "web_1").address("10.0.0.9").build()));
        assertThat(e).hasMessageContaining("prod").hasMessageContaining("web_1").hasMessageContaining("10.0.0.1")
                .hasMessageContaining("10.0.0.9");
        assertThat(e.existing()).isEqualTo(a);
        assertThat(s.find("web", "10.0.0.9")).isEmpty();
        assertThat(ipam.lastSequence()).isEqualTo(seq);

        // In allocateAll it names the request and leaves nothing.
        AllocationFailedException f = catchThrowableOfType(AllocationFailedException.class, () -> s.allocateAll(List.of(
                keyed("db", "prod", "db_1").build(), keyed("web", "prod", "web_1").address("10.0.0.9").build())));
        assertThat(f.requestIndex()).isEqualTo(1);
        assertThat(f).hasCauseInstanceOf(KeyConflictException.class);
        assertThat(s.usage("db").allocated()).isZero();
        assertThat(ipam.lastSequence()).isEqualTo(seq);
    }
}
