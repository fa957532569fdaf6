package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Holds (offers): same key same hold, no one else gets the address, confirm, cancel, expiry, restart. */
class HoldsTest {

    private final MutableClock clock = new MutableClock();
    private InMemoryStore store = new InMemoryStore();
    private Ipam ipam;
    private IpamSession s;

    @BeforeEach
    void setUp() {
        open();
        // 10.0.0.1 - 10.0.0.14, default hold TTL 60 s
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/28").holdTtl(Duration.ofSeconds(60)).build());
    }

    private void open() {
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
        s = ipam.as(Caller.of("foreman"));
    }

    private void restart() {
        ipam.close();
        store = store.reopen();
        open();
    }

    @AfterEach
    void tearDown() {
        ipam.close();
    }

    private List<JournalEntry> journalAfter(long sequence) {
        return TestStores.journal(store, sequence + 1);
    }

    private static AllocationRequest.Builder req(String owner) {
        return AllocationRequest.in("p").owner(owner);
    }

    @Test
    void sameKeyGetsTheSameHoldWhileItLivesWithoutANewJournalEntry() {
        Hold first = s.offer("p", "00:11:22:33:44:55", null);
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofSeconds(59));
        Hold again = s.offer("p", "00:11:22:33:44:55", null);
        assertThat(again).isEqualTo(first);
        assertThat(ipam.lastSequence()).as("a repeated offer journals nothing").isEqualTo(seq);
        assertThat(journalAfter(seq)).isEmpty();
        assertThat(s.holds("p")).containsExactly(first);
        // Another caller with the same key gets the same hold too.
        assertThat(ipam.as(Caller.of("other")).offer("p", "00:11:22:33:44:55", Duration.ofSeconds(5))).isEqualTo(first);
    }

    @Test
    void differentKeysNeverGetAHeldOrAllocatedAddress() {
        Allocation a1 = s.allocate(req("vm-1").build()); // .1
        Hold h1 = s.offer("p", "k1", null);
        Hold h2 = s.offer("p", "k2", null);
        Allocation a2 = s.allocate(req("vm-2").build());
        Hold h3 = s.offer("p", "k3", null);
        Set<IpAddress> seen = new HashSet<>();
        for (IpAddress a : List.of(a1.address(), h1.address(), h2.address(), a2.address(), h3.address())) {
            assertThat(seen.add(a)).as("address %s handed out twice", a).isTrue();
        }
        assertThat(h1.address()).hasToString("10.0.0.2");
        assertThat(h2.address()).hasToString("10.0.0.3");
        assertThat(a2.address()).as("LOWEST skips held addresses").hasToString("10.0.0.4");
        assertThat(h3.address()).hasToString("10.0.0.5");
        // RANDOM and NEXT_FIT skip held addresses too: fill the pool, none lands on a hold.
        for (int i = 0; i < 9; i++) {
            Allocation a = s.allocate(req("vm-x").strategy(i % 2 == 0 ? Strategy.RANDOM : Strategy.NEXT_FIT).build());
            assertThat(seen.add(a.address())).as("address %s handed out twice", a.address()).isTrue();
        }
        assertThatThrownBy(() -> s.allocate(req("vm-y").build())).isInstanceOf(PoolExhaustedException.class);
        assertThatThrownBy(() -> s.offer("p", "k4", null)).isInstanceOf(PoolExhaustedException.class);
    }

    @Test
    void withoutAKeyEveryOfferHoldsANewAddress() {
        Hold a = s.offer("p", null, null);
        Hold b = s.offer("p", null, null);
        assertThat(a.key()).isNull();
        assertThat(a.address()).isNotEqualTo(b.address());
        assertThat(s.usage("p").held()).isEqualTo(2);
        assertThat(ipam.lastSequence()).isEqualTo(3);
    }

    @Test
    void ttlDefaultsToThePoolsHoldTtlOrIsExplicit() {
        Instant now = clock.instant();
        Hold byDefault = s.offer("p", "a", null);
        Hold explicit = s.offer("p", "b", Duration.ofSeconds(7));
        assertThat(byDefault.heldAt()).isEqualTo(now);
        assertThat(byDefault.expiresAt()).isEqualTo(now.plusSeconds(60));
        assertThat(explicit.expiresAt()).isEqualTo(now.plusSeconds(7));
        assertThat(byDefault.heldBy()).isEqualTo("foreman");
        assertThat(byDefault.pool()).isEqualTo("p");

        s.createPool(PoolSpec.builder("d", Scope.of("c", "y")).cidr("10.0.1.0/28").build());
        Hold poolDefault = s.offer("d", "a", null);
        assertThat(poolDefault.expiresAt()).isEqualTo(now.plus(PoolSpec.Builder.DEFAULT_HOLD_TTL));
        assertThat(PoolSpec.Builder.DEFAULT_HOLD_TTL).isEqualTo(Duration.ofSeconds(180));
    }

    @Test
    void confirmTurnsTheHoldIntoAnAllocationWithTheRequestsMetadata() {
        Hold hold = s.offer("p", "00:11:22:33:44:55", null);
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofSeconds(10));
        Allocation a = s.confirm("00:11:22:33:44:55", req("vm-7").environment("prod").name("web_1")
                .hostname("web1.example.com").mac("00:11:22:33:44:55").build());
        assertThat(a.address()).isEqualTo(hold.address());
        assertThat(a.owner()).isEqualTo("vm-7");
        assertThat(a.environment()).isEqualTo("prod");
        assertThat(a.name()).isEqualTo("web_1");
        assertThat(a.hostname()).isEqualTo("web1.example.com");
        assertThat(a.mac()).isEqualTo(MacAddress.parse("00:11:22:33:44:55"));
        assertThat(a.allocatedAt()).isEqualTo(clock.instant());
        assertThat(a.allocatedBy()).isEqualTo("foreman");
        assertThat(s.find("p", hold.address())).contains(a);
        assertThat(s.holds("p")).isEmpty();
        assertThat(s.usage("p")).isEqualTo(new PoolUsage("p", BigInteger.valueOf(14), 1, 0, 0, BigInteger.valueOf(13)));

        List<JournalEntry> entries = journalAfter(seq);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).sequence()).isEqualTo(seq + 1);
        assertThat(entries.get(1).sequence()).isEqualTo(seq + 2);
        assertThat(entries.get(0).change()).isEqualTo(
                new Change.HoldEnded(hold, Change.HoldEndReason.CONFIRMED, clock.instant(), "foreman"));
        assertThat(entries.get(1).change()).isEqualTo(new Change.Allocated(a));

        // The hold is gone: a second confirm finds nothing.
        assertThatThrownBy(() -> s.confirm("00:11:22:33:44:55", req("vm-8").build()))
                .isInstanceOf(HoldNotFoundException.class).hasMessageContaining("00:11:22:33:44:55");
    }

    @Test
    void allocateWithHoldKeyIsTheSameAsConfirm() {
        Hold hold = s.offer("p", "k", null);
        Allocation a = s.allocate(req("vm-1").holdKey("k").build());
        assertThat(a.address()).isEqualTo(hold.address());
        assertThat(s.usage("p").held()).isZero();
    }

    @Test
    void confirmAfterExpiryFailsNamingKeyAndExpiry() {
        Hold hold = s.offer("p", "mac-1", Duration.ofSeconds(30));
        clock.advance(Duration.ofSeconds(30)); // expiresAt is exclusive: the hold is over now
        long allocatedBefore = s.usage("p").allocated();
        assertThatThrownBy(() -> s.confirm("mac-1", req("vm-1").build()))
                .isInstanceOf(HoldNotFoundException.class)
                .hasMessageContaining("mac-1")
                .hasMessageContaining("expired")
                .hasMessageContaining(hold.expiresAt().toString());
        assertThat(s.usage("p").allocated()).isEqualTo(allocatedBefore);
        assertThat(s.find("p", hold.address())).isEmpty();
    }

    @Test
    void confirmOfAnUnknownKeyFails() {
        s.offer("p", "known", null);
        long seq = ipam.lastSequence();
        assertThatThrownBy(() -> s.confirm("unknown", req("vm-1").build()))
                .isInstanceOf(HoldNotFoundException.class).hasMessageContaining("unknown").hasMessageContaining("'p'");
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(s.usage("p").allocated()).isZero();
        assertThat(s.usage("p").held()).isEqualTo(1);
    }

    @Test
    void maintenanceExpiresHoldsAndJournalsThemAsTheLibrary() {
        Hold hold = s.offer("p", "k", Duration.ofSeconds(30));
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofSeconds(29));
        ipam.runMaintenance();
        assertThat(ipam.lastSequence()).as("not due yet").isEqualTo(seq);
        assertThat(s.usage("p").held()).isEqualTo(1);

        Instant due = clock.advance(Duration.ofSeconds(1));
        ipam.runMaintenance();
        assertThat(s.usage("p").held()).isZero();
        assertThat(s.usage("p").free()).isEqualTo(BigInteger.valueOf(14));
        assertThat(s.holds("p")).isEmpty();
        List<JournalEntry> entries = journalAfter(seq);
        assertThat(entries).extracting(JournalEntry::change).containsExactly(
                new Change.HoldEnded(hold, Change.HoldEndReason.EXPIRED, due, Change.SYSTEM));
        assertThat(Change.SYSTEM).isEqualTo("ipam");
        // The address is free again: LOWEST picks it.
        assertThat(s.allocate(req("vm-1").build()).address()).isEqualTo(hold.address());
        // Maintenance again: nothing more to do.
        ipam.runMaintenance();
        assertThat(ipam.lastSequence()).isEqualTo(seq + 2);
    }

    @Test
    void expiryAlsoHappensOnThePoolsNextChange() {
        Hold hold = s.offer("p", "k", Duration.ofSeconds(30));
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofMinutes(5));
        // A read does not end it (holds() lists holds that are due too) ...
        assertThat(s.holds("p")).containsExactly(hold);
        // ... the next change of the pool does, and then proceeds on the freed address.
        Allocation a = s.allocate(req("vm-1").build());
        assertThat(a.address()).isEqualTo(hold.address());
        List<JournalEntry> entries = journalAfter(seq);
        assertThat(entries).extracting(JournalEntry::change).containsExactly(
                new Change.HoldEnded(hold, Change.HoldEndReason.EXPIRED, clock.instant(), Change.SYSTEM),
                new Change.Allocated(a));
        assertThat(s.holds("p")).isEmpty();
    }

    @Test
    void expiryOnTheNextChangeIsKeptEvenWhenThatChangeFails() {
        Hold hold = s.offer("p", "k", Duration.ofSeconds(30));
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofMinutes(1));
        assertThatThrownBy(() -> s.release("p", "10.0.0.9")).isInstanceOf(NotAllocatedException.class);
        assertThat(s.usage("p").held()).isZero();
        assertThat(journalAfter(seq)).extracting(JournalEntry::change)
                .containsExactly(new Change.HoldEnded(hold, Change.HoldEndReason.EXPIRED, clock.instant(), Change.SYSTEM));
    }

    @Test
    void anExpiredKeyGetsAFreshHold() {
        Hold first = s.offer("p", "k", Duration.ofSeconds(30));
        clock.advance(Duration.ofSeconds(31));
        Hold second = s.offer("p", "k", Duration.ofSeconds(30));
        assertThat(second).isNotEqualTo(first);
        assertThat(second.heldAt()).isEqualTo(clock.instant());
        assertThat(s.holds("p")).containsExactly(second);
        assertThat(s.usage("p").held()).isEqualTo(1);
    }

    @Test
    void cancelHoldFreesTheAddress() {
        Hold hold = s.offer("p", "k", null);
        long seq = ipam.lastSequence();
        clock.advance(Duration.ofSeconds(3));
        Hold cancelled = s.cancelHold("p", "k");
        assertThat(cancelled).isEqualTo(hold);
        assertThat(s.usage("p").held()).isZero();
        assertThat(journalAfter(seq)).extracting(JournalEntry::change).containsExactly(
                new Change.HoldEnded(hold, Change.HoldEndReason.CANCELLED, clock.instant(), "foreman"));
        assertThatThrownBy(() -> s.cancelHold("p", "k")).isInstanceOf(HoldNotFoundException.class);
        assertThatThrownBy(() -> s.confirm("k", req("vm").build())).isInstanceOf(HoldNotFoundException.class);
        assertThat(s.allocate(req("vm").build()).address()).isEqualTo(hold.address());
    }

    @Test
    void specificAllocationOfAHeldAddressIsRefused() {
        Hold hold = s.offer("p", "mac-1", null);
        long seq = ipam.lastSequence();
        assertThatThrownBy(() -> s.allocate(req("vm-2").address(hold.address()).build()))
                .isInstanceOf(AddressUnavailableException.class)
                .hasMessageContaining(hold.address().toString())
                .hasMessageContaining("held");
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(s.find("p", hold.address())).isEmpty();
        assertThat(s.holds("p")).containsExactly(hold);
        // The hold's own key may name its address when confirming.
        Allocation a = s.confirm("mac-1", req("vm-1").address(hold.address()).build());
        assertThat(a.address()).isEqualTo(hold.address());
    }

    @Test
    void confirmNamingAnotherAddressThanTheHoldIsRefused() {
        Hold hold = s.offer("p", "mac-1", null);
        assertThatThrownBy(() -> s.confirm("mac-1", req("vm-1").address("10.0.0.9").build()))
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining(hold.address().toString());
        assertThat(s.holds("p")).containsExactly(hold);
        assertThat(s.usage("p").allocated()).isZero();
    }

    @Test
    void usageCountsHolds() {
        s.allocate(req("vm").build());
        s.offer("p", "a", null);
        s.offer("p", "b", null);
        s.offer("p", null, null);
        assertThat(s.usage("p")).isEqualTo(new PoolUsage("p", BigInteger.valueOf(14), 1, 3, 0, BigInteger.valueOf(10)));
        s.cancelHold("p", "a");
        assertThat(s.usage("p")).isEqualTo(new PoolUsage("p", BigInteger.valueOf(14), 1, 2, 0, BigInteger.valueOf(11)));
    }

    @Test
    void holdsSurviveRestartAndStillExpireAfterwards() {
        Hold keep = s.offer("p", "keep", Duration.ofSeconds(100));
        Hold lapse = s.offer("p", "lapse", Duration.ofSeconds(30));
        long seq = ipam.lastSequence();
        restart();
        assertThat(ipam.lastSequence()).isEqualTo(seq);
        assertThat(s.holds("p")).containsExactlyInAnyOrder(keep, lapse);
        assertThat(s.usage("p").held()).isEqualTo(2);
        assertThat(s.offer("p", "keep", null)).isEqualTo(keep);
        assertThatThrownBy(() -> s.allocate(req("vm").address(lapse.address()).build()))
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining("held");

        clock.advance(Duration.ofSeconds(40));
        ipam.runMaintenance();
        assertThat(s.holds("p")).containsExactly(keep);
        assertThat(journalAfter(seq)).extracting(JournalEntry::change).containsExactly(
                new Change.HoldEnded(lapse, Change.HoldEndReason.EXPIRED, clock.instant(), Change.SYSTEM));

        // A hold that lapsed while the library was down ends at the first maintenance after the restart.
        clock.advance(Duration.ofSeconds(100));
        restart();
        assertThat(s.holds("p")).containsExactly(keep);
        ipam.runMaintenance();
        assertThat(s.holds("p")).isEmpty();
        assertThat(s.usage("p").free()).isEqualTo(BigInteger.valueOf(14));

        // And a confirmed hold survives as the allocation.
        Hold h = s.offer("p", "c", null);
        Allocation a = s.confirm("c", req("vm-c").build());
        restart();
        assertThat(s.find("p", h.address())).contains(a);
        assertThat(s.holds("p")).isEmpty();
    }

    @Test
    void concurrentOffersWithDifferentKeysNeverShareAnAddress() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                String name = "r" + round;
                s.createPool(PoolSpec.builder(name, Scope.of("c" + round, "z")).cidr("10.9.0.0/28").build());
                // 14 addresses: allocate 11, leaving 3 free; two offers compete for them.
                for (int i = 0; i < 11; i++) {
                    s.allocate(AllocationRequest.in(name).owner("filler").build());
                }
                CyclicBarrier start = new CyclicBarrier(2);
                String macA = MacAddress.of(0x0200_0000_0000L + 2L * round).toString();
                String macB = MacAddress.of(0x0200_0000_0000L + 2L * round + 1).toString();
                Future<Hold> fa = pool.submit(() -> {
                    start.await();
                    return ipam.as(Caller.of("t1")).offer(name, macA, null);
                });
                Future<Hold> fb = pool.submit(() -> {
                    start.await();
                    return ipam.as(Caller.of("t2")).offer(name, macB, null);
                });
                Hold a = fa.get(60, TimeUnit.SECONDS);
                Hold b = fb.get(60, TimeUnit.SECONDS);
                assertThat(a.address()).as("round %d", round).isNotEqualTo(b.address());
                assertThat(s.find(name, a.address())).isEmpty();
                assertThat(s.find(name, b.address())).isEmpty();
                assertThat(s.usage(name).held()).isEqualTo(2);
                assertThat(s.usage(name).free()).isEqualTo(BigInteger.ONE);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentOffersWithTheSameKeyGetTheSameHold() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                String mac = MacAddress.of(0x0200_0000_0000L + round).toString();
                long seq = ipam.lastSequence();
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Hold>> futures = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    String caller = "t" + t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        return ipam.as(Caller.of(caller)).offer("p", mac, null);
                    }));
                }
                Hold a = futures.get(0).get(60, TimeUnit.SECONDS);
                Hold b = futures.get(1).get(60, TimeUnit.SECONDS);
                assertThat(a).as("round %d", round).isEqualTo(b);
                assertThat(ipam.lastSequence()).as("one Held per round").isEqualTo(seq + 1);
                s.cancelHold("p", mac);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
