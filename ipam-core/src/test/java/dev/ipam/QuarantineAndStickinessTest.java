package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Release into quarantine, its end, and re-provisioning of a key to its previous address. */
class QuarantineAndStickinessTest {

    private static final Duration QUARANTINE = Duration.ofMinutes(10);
    private static final Duration STICKINESS = Duration.ofHours(1);

    private final MutableClock clock = new MutableClock();
    private InMemoryStore memory = new InMemoryStore();
    private TestStores.Wrapped wrapped;
    private Ipam ipam;
    private IpamSession s;

    @BeforeEach
    void setUp() {
        open();
        // q: 10.0.0.1 - 10.0.0.6 with quarantine; f: no quarantine (free at once)
        s.createPool(PoolSpec.builder("q", Scope.of("c", "z")).cidr("10.0.0.0/29").quarantine(QUARANTINE)
                .stickiness(STICKINESS).build());
        s.createPool(PoolSpec.builder("f", Scope.of("c", "y")).cidr("10.0.1.0/29").stickiness(STICKINESS).build());
    }

    private void open() {
        wrapped = new TestStores.Wrapped(memory);
        ipam = Ipam.builder().store(wrapped.store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
        s = ipam.as(Caller.of("heat"));
    }

    private void restart() {
        ipam.close();
        memory = memory.reopen();
        open();
    }

    @AfterEach
    void tearDown() {
        ipam.close();
    }

    private List<JournalEntry> journalAfter(long sequence) {
        return TestStores.journal(memory, sequence + 1);
    }

    private static AllocationRequest.Builder req(String pool, String owner) {
        return AllocationRequest.in(pool).owner(owner);
    }

    private static AllocationRequest.Builder keyed(String pool, String owner, String env, String name) {
        return AllocationRequest.in(pool).owner(owner).environment(env).name(name);
    }

    /** Allocates .1 - .3 in q and releases .2 into quarantine; returns the released allocation. */
    private Allocation quarantineDotTwo() {
        s.allocate(req("q", "vm-1").build());
        Allocation a = s.allocate(keyed("q", "vm-2", "prod", "web_1").build());
        s.allocate(req("q", "vm-3").build());
        assertThat(a.address()).hasToString("10.0.0.2");
        s.release("q", a.address());
        return a;
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"LOWEST", "RANDOM", "NEXT_FIT"})
    void quarantinedAddressIsNotPickedForOthers(Strategy strategy) {
        Allocation a = quarantineDotTwo();
        assertThat(s.usage("q")).isEqualTo(new PoolUsage("q", BigInteger.valueOf(6), 2, 0, 1, BigInteger.valueOf(3)));
        // The three free addresses go to other callers; the quarantined one does not.
        Set<IpAddress> got = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            got.add(s.allocate(req("q", "other-" + i).strategy(strategy).build()).address());
        }
        assertThat(got).doesNotContain(a.address()).hasSize(3);
        assertThatThrownBy(() -> s.allocate(req("q", "other").strategy(strategy).build()))
                .isInstanceOf(PoolExhaustedException.class);
        assertThatThrownBy(() -> s.offer("q", "k", null)).isInstanceOf(PoolExhaustedException.class);
        assertThat(s.usage("q").quarantined()).isEqualTo(1);
    }

    @Test
    void quarantinedAddressIsRefusedToASpecificRequestOfAnotherKey() {
        Allocation a = quarantineDotTwo();
        long seq = ipam.lastSequence();
        assertThatThrownBy(() -> s.allocate(req("q", "vm-9").address(a.address()).build()))
                .isInstanceOf(AddressUnavailableException.class)
                .hasMessageContaining(a.address().toString()).hasMessageContaining("quarantine");
        assertThatThrownBy(() -> s.allocate(keyed("q", "vm-9", "prod", "web_2").address(a.address()).build()))
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining("quarantine");
        assertThatThrownBy(() -> s.allocate(keyed("q", "vm-9", "test", "web_1").address(a.address()).build()))
                .as("same name in another environment is another key")
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining("quarantine");
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(s.usage("q").quarantined()).isEqualTo(1);
    }

    @Test
    void quarantineEndsByMaintenanceWhenDue() {
        Allocation a = quarantineDotTwo();
        Instant releasedAt = clock.instant();
        long seq = ipam.lastSequence();
        List<JournalEntry> release = journalAfter(seq - 1);
        assertThat(release).extracting(JournalEntry::change).containsExactly(
                new Change.Released(a, releasedAt, "heat", releasedAt.plus(QUARANTINE)));

        clock.advance(QUARANTINE.minusSeconds(1));
        ipam.runMaintenance();
        assertThat(s.usage("q").quarantined()).isEqualTo(1);
        assertThat(ipam.lastSequence()).isEqualTo(seq);

        Instant end = clock.advance(Duration.ofSeconds(1));
        ipam.runMaintenance();
        assertThat(s.usage("q")).isEqualTo(new PoolUsage("q", BigInteger.valueOf(6), 2, 0, 0, BigInteger.valueOf(4)));
        assertThat(journalAfter(seq)).extracting(JournalEntry::change)
                .containsExactly(new Change.QuarantineEnded("q", a.address(), false, end, Change.SYSTEM));
        // Free again for anyone: LOWEST picks it.
        assertThat(s.allocate(req("q", "vm-9").build()).address()).isEqualTo(a.address());
    }

    @Test
    void quarantineEndsLazilyOnThePoolsNextChange() {
        Allocation a = quarantineDotTwo();
        long seq = ipam.lastSequence();
        clock.advance(QUARANTINE.plusMinutes(1));
        assertThat(s.usage("q").quarantined()).as("reads do not end it").isEqualTo(1);
        Allocation b = s.allocate(req("q", "vm-9").address(a.address()).build());
        assertThat(journalAfter(seq)).extracting(JournalEntry::change).containsExactly(
                new Change.QuarantineEnded("q", a.address(), false, clock.instant(), Change.SYSTEM),
                new Change.Allocated(b));
        assertThat(s.usage("q").quarantined()).isZero();
    }

    @Test
    void sameKeyGetsItsAddressBackWhileQuarantined() {
        Allocation a = quarantineDotTwo();
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofMinutes(2));
        Allocation again = s.allocate(keyed("q", "vm-2b", "prod", "web_1").build());
        assertThat(again.address()).isEqualTo(a.address());
        assertThat(again.owner()).isEqualTo("vm-2b");
        assertThat(journalAfter(seq)).extracting(JournalEntry::change).containsExactly(
                new Change.QuarantineEnded("q", a.address(), true, clock.instant(), "heat"),
                new Change.Allocated(again));
        assertThat(s.usage("q")).isEqualTo(new PoolUsage("q", BigInteger.valueOf(6), 3, 0, 0, BigInteger.valueOf(3)));
        // The stale quarantine deadline ends nothing later.
        clock.advance(QUARANTINE);
        ipam.runMaintenance();
        assertThat(ipam.lastSequence()).isEqualTo(seq + 2);
        assertThat(s.find("q", a.address())).contains(again);
    }

    @Test
    void sameKeyNamingItsQuarantinedAddressGetsIt() {
        Allocation a = quarantineDotTwo();
        Allocation again = s.allocate(keyed("q", "vm-2", "prod", "web_1").address(a.address()).build());
        assertThat(again.address()).isEqualTo(a.address());
        assertThat(s.usage("q").quarantined()).isZero();
    }

    @Test
    void sameKeyGetsItsFreeAddressBackWithinTheStickinessWindow() {
        s.allocate(req("f", "vm-1").build()); // .1
        Allocation a = s.allocate(keyed("f", "vm-2", "prod", "db").build()); // .2
        s.release("f", a.address());
        clock.advance(STICKINESS.minusSeconds(1));
        long seq = ipam.lastSequence();
        Allocation again = s.allocate(keyed("f", "vm-2b", "prod", "db").strategy(Strategy.LOWEST).build());
        assertThat(again.address()).isEqualTo(a.address());
        assertThat(journalAfter(seq)).extracting(JournalEntry::change).containsExactly(new Change.Allocated(again));
    }

    @Test
    void stickinessAppliesToRandomAndNextFitToo() {
        Allocation a = s.allocate(keyed("f", "vm", "prod", "x").address("10.0.1.5").build());
        s.release("f", a.address());
        Allocation r = s.allocate(keyed("f", "vm", "prod", "x").strategy(Strategy.RANDOM).build());
        assertThat(r.address()).isEqualTo(a.address());
        s.release("f", r.address());
        Allocation n = s.allocate(keyed("f", "vm", "prod", "x").strategy(Strategy.NEXT_FIT).build());
        assertThat(n.address()).isEqualTo(a.address());
    }

    @Test
    void afterTheWindowTheKeyGetsAFreshLowestPick() {
        s.allocate(req("f", "vm-1").build()); // .1
        s.allocate(req("f", "vm-2").build()); // .2
        Allocation a = s.allocate(keyed("f", "vm-3", "prod", "db").build()); // .3
        s.release("f", "10.0.1.1");
        s.release("f", a.address());
        clock.advance(STICKINESS); // the window is [release, release + stickiness)
        Allocation again = s.allocate(keyed("f", "vm-3", "prod", "db").build());
        assertThat(again.address()).hasToString("10.0.1.1");
    }

    @Test
    void stickyAddressTakenBySomeoneElseGivesAFreshPick() {
        Allocation a = s.allocate(keyed("f", "vm-3", "prod", "db").build()); // .1
        s.release("f", a.address());
        s.allocate(req("f", "intruder").address(a.address()).build());
        Allocation again = s.allocate(keyed("f", "vm-3", "prod", "db").build());
        assertThat(again.address()).hasToString("10.0.1.2");
    }

    @Test
    void stickinessDefaultsTo24HoursAndZeroTurnsItOff() {
        assertThat(PoolSpec.Builder.DEFAULT_STICKINESS).isEqualTo(Duration.ofHours(24));
        PoolSpec d = PoolSpec.builder("d", Scope.of("c", "d")).cidr("10.0.2.0/29").build();
        assertThat(d.stickiness()).isEqualTo(Duration.ofHours(24));
        assertThat(d.quarantine()).isEqualTo(Duration.ZERO);
        s.createPool(d);
        s.createPool(PoolSpec.builder("off", Scope.of("c", "o")).cidr("10.0.3.0/29").stickiness(Duration.ZERO).build());

        for (String pool : List.of("d", "off")) {
            s.allocate(req(pool, "vm-1").build()); // .1
            Allocation a = s.allocate(keyed(pool, "vm-2", "prod", "db").build()); // .2
            s.release(pool, a.address());
            s.release(pool, pool.equals("d") ? "10.0.2.1" : "10.0.3.1");
        }
        clock.advance(Duration.ofHours(24).minusSeconds(1));
        assertThat(s.allocate(keyed("d", "vm-2", "prod", "db").build()).address()).hasToString("10.0.2.2");
        assertThat(s.allocate(keyed("off", "vm-2", "prod", "db").build()).address()).hasToString("10.0.3.1");
    }

    @Test
    void stickinessAndQuarantineSurviveRestart() {
        Allocation a = quarantineDotTwo(); // q .2 in quarantine for prod/web_1
        s.allocate(req("f", "vm-1").build()); // f .1
        Allocation b = s.allocate(keyed("f", "vm-2", "prod", "db").build()); // f .2
        s.release("f", b.address());
        s.release("f", "10.0.1.1");
        restart();
        assertThat(s.usage("q").quarantined()).isEqualTo(1);
        assertThatThrownBy(() -> s.allocate(req("q", "x").address(a.address()).build()))
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining("quarantine");
        assertThat(s.allocate(keyed("f", "vm-2", "prod", "db").build()).address()).isEqualTo(b.address());
        assertThat(s.allocate(keyed("q", "vm-2", "prod", "web_1").build()).address()).isEqualTo(a.address());
    }

    @Test
    void quarantineStillEndsAfterRestart() {
        Allocation a = quarantineDotTwo();
        restart();
        long seq = ipam.lastSequence();
        clock.advance(QUARANTINE);
        ipam.runMaintenance();
        assertThat(s.usage("q").quarantined()).isZero();
        assertThat(journalAfter(seq)).extracting(JournalEntry::change)
                .containsExactly(new Change.QuarantineEnded("q", a.address(), false, clock.instant(), Change.SYSTEM));
    }

    @Test
    void releaseOwnerMakesOneCommit() {
        s.allocate(req("q", "vm-a").build());
        s.allocate(req("f", "vm-a").build());
        s.allocate(req("q", "vm-b").build());
        s.allocate(req("q", "vm-a").build());
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        List<Allocation> released = s.releaseOwner("vm-a");
        assertThat(released).extracting(a -> a.pool() + " " + a.address())
                .containsExactly("q 10.0.0.1", "q 10.0.0.3", "f 10.0.1.1");
        assertThat(wrapped.commits.get()).as("one store commit").isEqualTo(commits + 1);
        assertThat(ipam.lastSequence()).isEqualTo(seq + 3);
        assertThat(journalAfter(seq)).extracting(e -> e.change().getClass().getSimpleName())
                .containsOnly("Released").hasSize(3);
        assertThat(s.allocationsOf("vm-a")).isEmpty();
        assertThat(s.allocationsOf("vm-b")).hasSize(1);
        assertThat(s.usage("q").quarantined()).isEqualTo(2);
        assertThat(s.usage("f").quarantined()).isZero();
    }

    @Test
    void releaseEnvironmentMakesOneCommit() {
        s.allocateAll(List.of(keyed("q", "vm-1", "prod", "a").build(), keyed("f", "vm-2", "prod", "b").build(),
                keyed("q", "vm-3", "test", "a").build(), keyed("f", "vm-4", "prod", "c").build()));
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        List<Allocation> released = s.releaseEnvironment("prod");
        assertThat(released).extracting(Allocation::environment).containsOnly("prod").hasSize(3);
        assertThat(wrapped.commits.get()).isEqualTo(commits + 1);
        assertThat(ipam.lastSequence()).isEqualTo(seq + 3);
        assertThat(s.usage("q").allocated()).isEqualTo(1);
        assertThat(s.usage("f").allocated()).isZero();
    }

    @Test
    void bulkReleaseOfNothingReturnsEmptyAndCommitsNothing() {
        s.allocate(keyed("q", "vm-1", "prod", "a").build());
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        assertThat(s.releaseOwner("nobody")).isEmpty();
        assertThat(s.releaseEnvironment("nowhere")).isEmpty();
        assertThat(wrapped.commits.get()).isEqualTo(commits);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(s.usage("q").allocated()).isEqualTo(1);
    }

    @Test
    void aPoolCanBeDeletedOnceItsQuarantinesAndHoldsAreOver() {
        Allocation a = s.allocate(req("q", "vm-1").build());
        s.release("q", a.address());
        s.offer("q", "k", Duration.ofSeconds(30));
        assertThatThrownBy(() -> s.deletePool("q")).isInstanceOf(PoolConflictException.class)
                .hasMessageContaining("1 hold(s)").hasMessageContaining("1 quarantined");
        clock.advance(QUARANTINE);
        // Both are due: deleting is a change of the pool, which ends what is due first (no maintenance needed).
        s.deletePool("q");
        assertThat(s.pool("q")).isEmpty();
    }

    @Test
    void aPoolCanBeDeletedAfterMaintenanceEndedItsQuarantine() {
        Allocation a = s.allocate(req("q", "vm-1").build());
        s.release("q", a.address());
        clock.advance(QUARANTINE);
        ipam.runMaintenance();
        s.deletePool("q");
        assertThat(s.pool("q")).isEmpty();
    }

    @Test
    void releaseOfAnAddressThatIsNotAllocatedFails() {
        Allocation a = quarantineDotTwo();
        s.offer("q", "k", null);
        PoolUsage before = s.usage("q");
        long seq = ipam.lastSequence();
        int commits = wrapped.commits.get();
        for (String address : List.of("10.0.0.6", a.address().toString(), "10.0.0.4")) { // free, quarantined, held
            assertThatThrownBy(() -> s.release("q", address)).isInstanceOf(NotAllocatedException.class)
                    .hasMessageContaining(address).hasMessageContaining("'q'");
        }
        assertThat(s.usage("q")).isEqualTo(before);
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(wrapped.commits.get()).isEqualTo(commits);
    }
}
