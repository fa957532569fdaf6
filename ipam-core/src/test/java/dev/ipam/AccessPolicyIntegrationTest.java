package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A RuleBasedAccessPolicy wired into an Ipam: what it allows works, what it refuses changes nothing and is journaled once. */
class AccessPolicyIntegrationTest {

    private static final String RULES = """
            # caller   actions                 scope
            admin      *                       */*
            heat-*     read,allocate,release   east/*
            foreman    read,hold,allocate      */dmz
            secops     read                    */*
            """;

    private final MutableClock clock = new MutableClock();
    private final InMemoryStore memory = new InMemoryStore();
    private Ipam ipam;
    private IpamSession admin;

    @BeforeEach
    void setUp() {
        AccessPolicy policy = RuleBasedAccessPolicy.parse(RULES);
        ipam = Ipam.builder().store(memory).accessPolicy(policy).clock(clock).maintenanceInterval(Duration.ZERO).build();
        admin = ipam.as(Caller.of("admin"));
        admin.createPool(PoolSpec.builder("east-dmz", Scope.of("east", "dmz")).cidr("10.1.0.0/28").build());
        admin.createPool(PoolSpec.builder("east-web", Scope.of("east", "web")).cidr("10.1.1.0/28").build());
        admin.createPool(PoolSpec.builder("west-dmz", Scope.of("west", "dmz")).cidr("10.1.0.0/28").build());
        admin.createPool(PoolSpec.builder("west-web", Scope.of("west", "web")).cidr("10.1.1.0/28").build());
    }

    @AfterEach
    void tearDown() {
        ipam.close();
    }

    private IpamSession as(String caller) {
        return ipam.as(Caller.of(caller));
    }

    private static AllocationRequest req(String pool) {
        return AllocationRequest.in(pool).owner("vm-1").build();
    }

    /** Everything, as the admin sees it. */
    private Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("pools", admin.pools());
        for (Pool p : admin.pools()) {
            state.put(p.name() + " usage", admin.usage(p.name()));
            state.put(p.name() + " allocations", admin.allocations(p.name(), null, 10_000).items());
            state.put(p.name() + " holds", admin.holds(p.name()));
        }
        return state;
    }

    interface Call {
        void run();
    }

    /** Runs a call that must be refused: one AccessRefused journaled, nothing else changed. */
    private void assertRefused(Call call, String caller, Action action, Scope scope, String pool) {
        Map<String, Object> before = state();
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofSeconds(1));
        Instant at = clock.instant();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call::run);
        if (thrown instanceof AllocationFailedException failed) { // allocateAll names the refused request
            thrown = failed.getCause();
        }
        assertThat(thrown).isInstanceOf(AccessDeniedException.class);
        AccessDeniedException e = (AccessDeniedException) thrown;
        assertThat(e).as("%s %s in %s should be refused", caller, action, scope).isNotNull();
        assertThat(e.caller()).isEqualTo(Caller.of(caller));
        assertThat(e.action()).isEqualTo(action);
        assertThat(e.scope()).isEqualTo(scope);
        assertThat(e).hasMessageContaining(caller).hasMessageContaining(action.toString()).hasMessageContaining(scope.toString());
        assertThat(state()).as("state after refusing %s %s", caller, action).isEqualTo(before);
        assertThat(ipam.lastSequence()).as("one journal entry").isEqualTo(seq + 1);
        List<JournalEntry> entries = TestStores.journal(memory, seq + 1);
        assertThat(entries).extracting(JournalEntry::change)
                .containsExactly(new Change.AccessRefused(caller, action, scope, pool, at));
    }

    @Test
    void allowedActionsWork() {
        IpamSession heat = as("heat-east");
        Allocation a = heat.allocate(req("east-web"));
        heat.allocate(req("east-dmz"));
        assertThat(heat.find("east-web", a.address())).contains(a);
        assertThat(heat.release("east-web", a.address())).isEqualTo(a);
        assertThat(heat.usage("east-dmz").allocated()).isEqualTo(1);

        IpamSession foreman = as("foreman");
        Hold h = foreman.offer("west-dmz", "00:11:22:33:44:55", null);
        Allocation confirmed = foreman.confirm("00:11:22:33:44:55", req("west-dmz"));
        assertThat(confirmed.address()).isEqualTo(h.address());
        foreman.offer("east-dmz", "k", null);
        foreman.cancelHold("east-dmz", "k");

        IpamSession secops = as("secops");
        assertThat(secops.pools()).hasSize(4);
        assertThat(secops.usage("west-dmz").allocated()).isEqualTo(1);
        assertThat(secops.history("west-dmz", h.address())).hasSize(1);

        // No refusal was journaled for any of that.
        assertThat(TestStores.journal(memory, 1)).extracting(JournalEntry::change)
                .noneMatch(c -> c instanceof Change.AccessRefused);
    }

    @Test
    void poolsListsOnlyReadablePoolsWithoutJournalingRefusals() {
        long seq = ipam.lastSequence();
        assertThat(as("heat-east").pools()).extracting(Pool::name).containsExactly("east-dmz", "east-web");
        assertThat(as("foreman").pools()).extracting(Pool::name).containsExactly("east-dmz", "west-dmz");
        assertThat(as("stranger").pools()).isEmpty();
        assertThat(ipam.lastSequence()).isEqualTo(seq);
    }

    @Test
    void allocateOutsideTheCallersScopeIsRefused() {
        assertRefused(() -> as("heat-east").allocate(req("west-web")), "heat-east", Action.ALLOCATE,
                Scope.of("west", "web"), "west-web");
        assertRefused(() -> as("foreman").allocate(req("east-web")), "foreman", Action.ALLOCATE,
                Scope.of("east", "web"), "east-web");
        assertRefused(() -> as("secops").allocate(req("east-dmz")), "secops", Action.ALLOCATE,
                Scope.of("east", "dmz"), "east-dmz");
        assertRefused(() -> as("heat-east").allocateAll(List.of(req("east-web"), req("west-dmz"))), "heat-east",
                Action.ALLOCATE, Scope.of("west", "dmz"), "west-dmz");
    }

    @Test
    void releaseWithoutTheRightIsRefused() {
        Allocation a = admin.allocate(req("west-web"));
        Allocation d = admin.allocate(req("east-dmz"));
        assertRefused(() -> as("heat-east").release("west-web", a.address()), "heat-east", Action.RELEASE,
                Scope.of("west", "web"), "west-web");
        assertRefused(() -> as("foreman").release("east-dmz", d.address()), "foreman", Action.RELEASE,
                Scope.of("east", "dmz"), "east-dmz");
        // A bulk release touching one forbidden pool releases nothing at all.
        admin.allocate(req("east-web"));
        assertRefused(() -> as("heat-east").releaseOwner("vm-1"), "heat-east", Action.RELEASE, Scope.of("west", "web"),
                "west-web");
        assertThat(admin.allocationsOf("vm-1")).hasSize(3);
    }

    @Test
    void holdsNeedTheHoldRight() {
        assertRefused(() -> as("heat-east").offer("east-dmz", "k", null), "heat-east", Action.HOLD, Scope.of("east", "dmz"),
                "east-dmz");
        Hold h = admin.offer("east-web", "k", null);
        assertRefused(() -> as("heat-east").cancelHold("east-web", "k"), "heat-east", Action.HOLD,
                Scope.of("east", "web"), "east-web");
        // Confirm needs ALLOCATE and HOLD: heat may allocate in east-web but not hold.
        assertRefused(() -> as("heat-east").confirm("k", req("east-web")), "heat-east", Action.HOLD,
                Scope.of("east", "web"), "east-web");
        assertThat(admin.holds("east-web")).containsExactly(h);
    }

    @Test
    void adminActionsAreRefusedToOthers() {
        assertRefused(() -> as("heat-east").createPool(PoolSpec.builder("new", Scope.of("east", "x")).cidr("10.9.0.0/28").build()),
                "heat-east", Action.ADMIN, Scope.of("east", "x"), "new");
        assertRefused(() -> as("secops").deletePool("east-web"), "secops", Action.ADMIN, Scope.of("east", "web"), "east-web");
        assertThat(admin.pool("new")).isEmpty();
    }

    @Test
    void readsOutsideTheScopeAreRefusedAndJournaled() {
        IpAddress x = IpAddress.parse("10.1.1.1");
        assertRefused(() -> as("heat-east").usage("west-web"), "heat-east", Action.READ, Scope.of("west", "web"), "west-web");
        assertRefused(() -> as("heat-east").find("west-web", x), "heat-east", Action.READ, Scope.of("west", "web"), "west-web");
        assertRefused(() -> as("stranger").pool("east-dmz"), "stranger", Action.READ, Scope.of("east", "dmz"), "east-dmz");
        assertRefused(() -> as("stranger").history("east-dmz", x), "stranger", Action.READ, Scope.of("east", "dmz"), "east-dmz");
        assertRefused(() -> as("foreman").holds("east-web"), "foreman", Action.READ, Scope.of("east", "web"), "east-web");
    }

    @Test
    void refusalsSurviveRestartInTheJournal() {
        assertRefused(() -> as("stranger").allocate(req("east-dmz")), "stranger", Action.ALLOCATE, Scope.of("east", "dmz"),
                "east-dmz");
        long seq = ipam.lastSequence();
        ipam.close();
        InMemoryStore reopened = memory.reopen();
        ipam = Ipam.builder().store(reopened).accessPolicy(RuleBasedAccessPolicy.parse(RULES)).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
        admin = ipam.as(Caller.of("admin"));
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(TestStores.journal(reopened, seq)).extracting(JournalEntry::change).singleElement()
                .isInstanceOf(Change.AccessRefused.class);
    }
}
