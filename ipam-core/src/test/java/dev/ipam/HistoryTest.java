package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Who held an address when: holderAt at and between the period boundaries, history, retention. */
class HistoryTest {

    private static final IpAddress X = IpAddress.parse("10.0.0.5");

    private final MutableClock clock = new MutableClock();
    private InMemoryStore store = new InMemoryStore();
    private Ipam ipam;
    private IpamSession s;

    private void open(Duration retention) {
        Ipam.Builder b = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO);
        if (retention != null) {
            b.historyRetention(retention);
        }
        ipam = b.build();
        s = ipam.as(Caller.of("heat"));
    }

    private void restart(Duration retention) {
        ipam.close();
        store = store.reopen();
        open(retention);
    }

    @AfterEach
    void tearDown() {
        if (ipam != null) {
            ipam.close();
        }
    }

    private static AllocationRequest at(String pool, String owner, IpAddress address) {
        return AllocationRequest.in(pool).owner(owner).address(address).build();
    }

    private String holder(String pool, Instant instant) {
        return s.holderAt(pool, X, instant).map(HistoryEntry::owner).orElse(null);
    }

    @Test
    void holderAtAnswersAtEveryInstantAcrossReleasesAndRestarts() {
        open(null);
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        Instant t1 = clock.advance(Duration.ofMinutes(1));
        s.allocate(at("p", "vm-a", X));
        Instant t2 = clock.advance(Duration.ofMinutes(10));
        s.release("p", X);
        Instant t3 = clock.advance(Duration.ofMinutes(5));
        s.allocate(at("p", "vm-b", X));
        Instant t4 = clock.advance(Duration.ofMinutes(20));
        // Released and re-allocated at the same instant: the new holder holds from then on.
        ipam.as(Caller.of("ops")).release("p", X);
        s.allocate(at("p", "vm-c", X));
        clock.advance(Duration.ofMinutes(3));
        restart(null);

        assertThat(holder("p", t1.minusNanos(1))).isNull();
        assertThat(holder("p", t1)).as("from is inclusive").isEqualTo("vm-a");
        assertThat(holder("p", t1.plusSeconds(30))).isEqualTo("vm-a");
        assertThat(holder("p", t2.minusNanos(1))).isEqualTo("vm-a");
        assertThat(holder("p", t2)).as("to is exclusive").isNull();
        assertThat(holder("p", t2.plusSeconds(60))).isNull();
        assertThat(holder("p", t3.minusNanos(1))).isNull();
        assertThat(holder("p", t3)).isEqualTo("vm-b");
        assertThat(holder("p", t4.minusNanos(1))).isEqualTo("vm-b");
        assertThat(holder("p", t4)).isEqualTo("vm-c");
        assertThat(holder("p", clock.instant())).isEqualTo("vm-c");
        assertThat(holder("p", clock.instant().plus(Duration.ofDays(365)))).isEqualTo("vm-c");
        assertThat(s.holderAt("p", IpAddress.parse("10.0.0.6"), t3)).isEmpty();

        List<HistoryEntry> history = s.history("p", X);
        assertThat(history).extracting(HistoryEntry::owner).containsExactly("vm-a", "vm-b", "vm-c");
        assertThat(history).extracting(HistoryEntry::from).containsExactly(t1, t3, t4);
        assertThat(history).extracting(e -> e.to().orElse(null)).containsExactly(t2, t4, null);
        assertThat(history).extracting(HistoryEntry::releasedBy).containsExactly("heat", "ops", null);
        assertThat(history).extracting(HistoryEntry::allocatedSequence).isSorted().allMatch(n -> n > 0);
        assertThat(history.get(2).allocation()).isEqualTo(s.find("p", X).orElseThrow());
        assertThat(history).allMatch(e -> e.pool().equals("p") && e.address().equals(X));
    }

    @Test
    void historyCoversHoldsConfirmedIntoAllocationsAndQuarantineReuse() {
        open(null);
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.4/30").reserveNetworkAndBroadcast(false)
                .quarantine(Duration.ofMinutes(5)).build()); // .4 - .7
        s.allocate(at("p", "filler", IpAddress.parse("10.0.0.4")));
        Hold h = s.offer("p", "mac", null);
        assertThat(h.address()).isEqualTo(X);
        Instant t1 = clock.advance(Duration.ofSeconds(10));
        s.confirm("mac", AllocationRequest.in("p").owner("vm-a").environment("e").name("n").build());
        Instant t2 = clock.advance(Duration.ofMinutes(1));
        s.release("p", X);
        Instant t3 = clock.advance(Duration.ofMinutes(1));
        s.allocate(AllocationRequest.in("p").owner("vm-a2").environment("e").name("n").build()); // back from quarantine
        assertThat(s.history("p", X)).extracting(HistoryEntry::owner).containsExactly("vm-a", "vm-a2");
        assertThat(holder("p", h.heldAt())).as("a hold is not a holder").isNull();
        assertThat(holder("p", t1)).isEqualTo("vm-a");
        assertThat(holder("p", t2)).isNull();
        assertThat(holder("p", t3)).isEqualTo("vm-a2");
    }

    @Test
    void historyIsPerPoolWhenCloudsReuseTheSameRange() {
        open(null);
        s.createPool(PoolSpec.builder("east", Scope.of("east", "z")).cidr("10.0.0.0/24").build());
        s.createPool(PoolSpec.builder("west", Scope.of("west", "z")).cidr("10.0.0.0/24").build());
        Instant t1 = clock.advance(Duration.ofMinutes(1));
        s.allocate(at("east", "vm-east", X));
        clock.advance(Duration.ofMinutes(1));
        s.allocate(at("west", "vm-west", X));
        clock.advance(Duration.ofMinutes(1));
        s.release("west", X);
        assertThat(s.history("east", X)).extracting(HistoryEntry::owner).containsExactly("vm-east");
        assertThat(s.history("west", X)).extracting(HistoryEntry::owner).containsExactly("vm-west");
        assertThat(holder("east", clock.instant())).isEqualTo("vm-east");
        assertThat(holder("west", clock.instant())).isNull();
        assertThat(holder("west", t1)).isNull();
    }

    @Test
    void retentionPrunesPeriodsThatEndedBeforeTheCutoffWhenMaintenanceRuns() {
        Duration retention = Duration.ofDays(30);
        open(retention);
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        IpAddress y = IpAddress.parse("10.0.0.6");
        Instant t1 = clock.advance(Duration.ofDays(1));
        s.allocate(at("p", "old", X));
        s.allocate(at("p", "long-lived", y));
        Instant t2 = clock.advance(Duration.ofDays(1));
        s.release("p", X); // ends on day 2
        Instant t3 = clock.advance(Duration.ofDays(10));
        s.allocate(at("p", "newer", X));
        Instant t4 = clock.advance(Duration.ofDays(10));
        s.release("p", X); // ends on day 22
        s.allocate(at("p", "current", X));

        // Day 40: the period that ended on day 2 is older than 30 days, but only maintenance prunes.
        clock.advance(Duration.ofDays(18));
        assertThat(s.history("p", X)).extracting(HistoryEntry::owner).containsExactly("old", "newer", "current");
        ipam.runMaintenance();
        assertThat(s.history("p", X)).extracting(HistoryEntry::owner).containsExactly("newer", "current");
        assertThat(holder("p", t1)).isNull();
        assertThat(holder("p", t3)).isEqualTo("newer");
        assertThat(holder("p", t4)).isEqualTo("current");
        assertThat(s.holderAt("p", y, t1)).as("a live holder is never pruned").map(HistoryEntry::owner).contains("long-lived");

        // Day 60: the period that ended on day 22 goes too; the live ones stay, also across a restart.
        clock.advance(Duration.ofDays(20));
        ipam.runMaintenance();
        restart(retention);
        assertThat(s.history("p", X)).extracting(HistoryEntry::owner).containsExactly("current");
        assertThat(s.history("p", y)).extracting(HistoryEntry::owner).containsExactly("long-lived");
        assertThat(holder("p", t2.minusSeconds(1))).isNull();
        assertThat(holder("p", clock.instant())).isEqualTo("current");
    }

    @Test
    void retentionInOnePoolDoesNotForgetALiveHolderOfTheSameAddressInAnotherCloud() {
        Duration retention = Duration.ofDays(1);
        open(retention);
        s.createPool(PoolSpec.builder("east", Scope.of("east", "z")).cidr("10.0.0.0/24").build());
        s.createPool(PoolSpec.builder("west", Scope.of("west", "z")).cidr("10.0.0.0/24").build());
        Instant t1 = clock.advance(Duration.ofHours(1));
        Allocation east = s.allocate(at("east", "vm-east", X)); // live throughout
        clock.advance(Duration.ofHours(1));
        s.allocate(at("west", "vm-west", X));
        clock.advance(Duration.ofHours(1));
        s.release("west", X);
        clock.advance(Duration.ofDays(2));
        ipam.runMaintenance();
        assertThat(s.history("west", X)).isEmpty();
        assertThat(s.history("east", X)).as("east's live holder of the same address")
                .extracting(HistoryEntry::allocation).containsExactly(east);
        assertThat(s.holderAt("east", X, clock.instant())).map(HistoryEntry::owner).isEqualTo(Optional.of("vm-east"));
        assertThat(holder("east", t1)).isEqualTo("vm-east");
    }
}
