package dev.ipam.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.HistoryEntry;
import dev.ipam.Hold;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Caller;
import dev.ipam.Pool;
import dev.ipam.PoolSpec;
import dev.ipam.PoolUsage;
import dev.ipam.Scope;
import dev.ipam.StoreException;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link IpamStore} implementation runs: subclass it, supply
 * {@link #openFresh()} (a new, empty store) and {@link #reopen(IpamStore)} (a new store over the same
 * durable data as a closed one, as a process restart would see it), and every test here runs against the
 * implementation.
 *
 * <p>What it checks: commit/load round trips of every {@link Change} type (IPv4 and IPv6, every optional
 * field null and set, non-ASCII text, nanosecond instants); the atomicity of a batch (an invalid change
 * anywhere makes the whole batch fail with {@link StoreException} and changes nothing, before and after a
 * restart); gap-free, monotonic sequence numbers across restarts; journal reads from any sequence with any
 * limit; {@link IpamStore#history} across pools; the latest release per environment key; listener
 * positions; {@link IpamStore#pruneHistory}; reopening; a batch of {@link #largeBatchSize()} changes;
 * concurrent commits with concurrent readers; what a closed store does; a randomized comparison against a
 * simple model; and an end-to-end run of {@link Ipam} over the store across a restart.
 *
 * <p>Stores opened through {@link #open()} and {@link #restart(IpamStore)} are closed after each test.
 */
public abstract class IpamStoreContract {

    /** A new, empty store. */
    protected abstract IpamStore openFresh();

    /**
     * A new store over the durable data of {@code closed}, which the kit has closed already: what a
     * process restart would open.
     */
    protected abstract IpamStore reopen(IpamStore closed);

    /** The size of the large-batch test (the contract asks for 100 000 changes in one commit). */
    protected int largeBatchSize() {
        return 100_000;
    }

    // ------------------------------------------------------------------ fixtures

    protected static final Instant T0 = Instant.parse("2030-03-01T10:00:00Z");
    protected static final Scope EAST = Scope.of("east", "dmz");
    protected static final Scope WEST = Scope.of("west", "dmz");

    private final List<IpamStore> opened = new CopyOnWriteArrayList<>();

    /** Opens a fresh store that is closed after the test. */
    protected final IpamStore open() {
        IpamStore s = openFresh();
        opened.add(s);
        return s;
    }

    /** Closes {@code store} and reopens its data (a restart); the new store is closed after the test. */
    protected final IpamStore restart(IpamStore store) {
        store.close();
        IpamStore s = reopen(store);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        for (IpamStore s : opened) {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // the test's own failure matters more
            }
        }
        opened.clear();
    }

    protected static Instant t(long seconds) {
        return T0.plusSeconds(seconds);
    }

    protected static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    protected static PoolSpec v4Spec(String name, Scope scope, String cidr) {
        return PoolSpec.builder(name, scope).cidr(cidr).build();
    }

    protected static Change.PoolCreated created(String name, Scope scope, String cidr, long at) {
        return new Change.PoolCreated(v4Spec(name, scope, cidr), t(at), "admin");
    }

    protected static Allocation alloc(String pool, String address, String owner, long at) {
        return new Allocation(pool, ip(address), owner, null, null, null, null, t(at), "heat");
    }

    protected static Allocation allocKey(String pool, String address, String owner, String env, String name, long at) {
        return new Allocation(pool, ip(address), owner, env, name, owner + ".example.com", null, t(at), "heat");
    }

    protected static Change.Allocated allocated(Allocation a) {
        return new Change.Allocated(a);
    }

    protected static Change.Released released(Allocation a, long at) {
        return new Change.Released(a, t(at), "heat");
    }

    protected static Change.Released quarantined(Allocation a, long at, long until) {
        return new Change.Released(a, t(at), "heat", t(until));
    }

    protected static Hold hold(String pool, String address, String key, long at) {
        return new Hold(pool, ip(address), key, t(at), t(at + 180), "foreman");
    }

    /** Commits batches with consecutive sequence numbers. */
    protected static final class Committer {
        private final IpamStore store;
        private long next;

        public Committer(IpamStore store, long lastSequence) {
            this.store = store;
            this.next = lastSequence + 1;
        }

        public Committer(IpamStore store) {
            this(store, 0);
        }

        /** Commits the changes as one batch and returns the sequence of the first. */
        public long commit(Change... changes) {
            return commit(List.of(changes));
        }

        public long commit(List<Change> changes) {
            long first = next;
            store.commit(new ChangeBatch(first, changes));
            next += changes.size();
            return first;
        }

        public long next() {
            return next;
        }
    }

    /** Everything {@link StoredState} gives back, collected for comparisons. */
    protected record Snapshot(long lastSequence, List<Pool> pools, Set<Allocation> allocations, Set<Hold> holds,
            Set<Change.Released> quarantines, Set<Change.Released> lastReleases) {
    }

    protected static Snapshot snapshot(IpamStore store) {
        try (StoredState s = store.load()) {
            Set<Allocation> allocations = new HashSet<>();
            Set<Hold> holds = new HashSet<>();
            Set<Change.Released> quarantines = new HashSet<>();
            Set<Change.Released> lastReleases = new HashSet<>();
            s.forEachAllocation(collectUnique(allocations, "allocation"));
            s.forEachHold(collectUnique(holds, "hold"));
            s.forEachQuarantine(collectUnique(quarantines, "quarantine"));
            s.forEachLastRelease(collectUnique(lastReleases, "last release"));
            return new Snapshot(s.lastSequence(), List.copyOf(s.pools()), allocations, holds, quarantines, lastReleases);
        }
    }

    /** The number of allocations the store would load. */
    protected static long storedAllocations(IpamStore store) {
        long[] count = {0};
        try (StoredState s = store.load()) {
            s.forEachAllocation(a -> count[0]++);
        }
        return count[0];
    }

    private static <T> Consumer<T> collectUnique(Set<T> into, String what) {
        return x -> assertThat(into.add(x)).as("%s visited twice: %s", what, x).isTrue();
    }

    protected static List<JournalEntry> wholeJournal(IpamStore store) {
        return store.readJournal(1, Integer.MAX_VALUE);
    }

    protected static List<JournalEntry> entries(long firstSequence, Change... changes) {
        List<JournalEntry> list = new ArrayList<>();
        for (int i = 0; i < changes.length; i++) {
            list.add(new JournalEntry(firstSequence + i, changes[i]));
        }
        return list;
    }

    // ------------------------------------------------------------------ empty store

    @Test
    void aNewStoreIsEmpty() {
        IpamStore store = open();
        Snapshot s = snapshot(store);
        assertThat(s.lastSequence()).isZero();
        assertThat(s.pools()).isEmpty();
        assertThat(s.allocations()).isEmpty();
        assertThat(s.holds()).isEmpty();
        assertThat(s.quarantines()).isEmpty();
        assertThat(s.lastReleases()).isEmpty();
        assertThat(store.readJournal(1, 10)).isEmpty();
        assertThat(store.history(ip("10.0.0.1"))).isEmpty();
        assertThat(store.listenerPosition("audit")).isZero();
        assertThat(snapshot(restart(store)).lastSequence()).isZero();
    }

    // ------------------------------------------------------------------ round trips

    /** One change of every type and variant, valid in this order from an empty store. */
    protected static List<Change> everyChangeType() {
        PoolSpec v4 = PoolSpec.builder("v4-pool", EAST).cidr("10.0.0.0/24").range("10.0.1.10-10.0.1.20")
                .exclude("10.0.0.5").exclude("10.0.0.64/28").reserveNetworkAndBroadcast(false)
                .defaultStrategy(Strategy.NEXT_FIT).quarantine(Duration.ofMinutes(30))
                .stickiness(Duration.ofHours(2)).holdTtl(Duration.ofSeconds(90)).build();
        PoolSpec v6 = PoolSpec.builder("v6-pool", WEST).cidr("2001:db8::/64").cidr("2001:db8:0:1::/120")
                .defaultStrategy(Strategy.RANDOM).build();
        PoolSpec doomed = PoolSpec.builder("doomed", Scope.of("north", "mgmt")).range("192.168.7.1").build();
        Instant nanos = Instant.parse("2030-03-01T10:00:01.123456789Z");
        Allocation full = new Allocation("v4-pool", ip("10.0.0.7"), "vm-7f3a \u00e9\u00e8 \u6f22\u5b57 \ud83d\ude80",
                "prod-\u00fc", "web_\u00df", "w\u00e9b1.example.com", MacAddress.parse("00:11:22:33:44:55"), nanos,
                "heat-\u00e5");
        Allocation bare = new Allocation("v6-pool", ip("2001:db8::211:22ff:fe33:4455"), "vm-6", null, null, null, null,
                t(2), "heat");
        Allocation top = new Allocation("v6-pool", ip("2001:db8::ffff:ffff:ffff:ffff"), "vm-top", "env", "n", null,
                MacAddress.parse("ff:ff:ff:ff:ff:ff"), t(3), "heat");
        Allocation q = allocKey("v4-pool", "10.0.0.8", "vm-q", "prod", "db_1", 4);
        Hold held = new Hold("v4-pool", ip("10.0.0.9"), "00:aa:bb:cc:dd:ee", t(5), t(185), "foreman");
        Hold anonymous = new Hold("v6-pool", ip("2001:db8::9"), null, nanos, nanos.plusNanos(1), "foreman");
        Hold cancelled = new Hold("v4-pool", ip("10.0.1.10"), "k\u00e9y", t(6), t(7), "foreman");
        Allocation confirmed = allocKey("v4-pool", "10.0.0.9", "vm-held", "prod", "app_1", 8);
        Allocation reuse = allocKey("v4-pool", "10.0.0.8", "vm-q2", "prod", "db_1", 12);
        return List.of(
                new Change.PoolCreated(v4, t(0), "admin"),
                new Change.PoolCreated(v6, nanos, "\u7ba1\u7406\u8005"),
                new Change.PoolCreated(doomed, t(1), "admin"),
                new Change.PoolDeleted("doomed", t(1), "admin"),
                allocated(full),
                allocated(bare),
                allocated(top),
                allocated(q),
                new Change.Held(held),
                new Change.Held(anonymous),
                new Change.Held(cancelled),
                new Change.HoldEnded(held, Change.HoldEndReason.CONFIRMED, t(8), "foreman"),
                allocated(confirmed),
                new Change.HoldEnded(anonymous, Change.HoldEndReason.EXPIRED, t(9), Change.SYSTEM),
                new Change.HoldEnded(cancelled, Change.HoldEndReason.CANCELLED, t(9), "foreman"),
                released(bare, 10),
                quarantined(q, 10, 1800),
                new Change.QuarantineEnded("v4-pool", ip("10.0.0.8"), true, t(12), Change.SYSTEM),
                allocated(reuse),
                quarantined(top, 13, 100),
                new Change.QuarantineEnded("v6-pool", top.address(), false, t(14), Change.SYSTEM),
                new Change.AccessRefused("mallory", Action.ALLOCATE, EAST, "v4-pool", t(15)),
                new Change.AccessRefused("mallory \u00f8", Action.ADMIN, Scope.of("x", "y"), null, nanos));
    }

    @Test
    void everyChangeTypeRoundTripsThroughTheJournal() {
        IpamStore store = open();
        List<Change> changes = everyChangeType();
        Committer c = new Committer(store);
        for (Change change : changes) {
            c.commit(change);
        }
        List<JournalEntry> expected = entries(1, changes.toArray(new Change[0]));
        assertThat(wholeJournal(store)).containsExactlyElementsOf(expected);
        store = restart(store);
        assertThat(wholeJournal(store)).containsExactlyElementsOf(expected);
    }

    @Test
    void everyChangeTypeRoundTripsInOneBatch() {
        IpamStore store = open();
        List<Change> changes = everyChangeType();
        new Committer(store).commit(changes);
        List<JournalEntry> expected = entries(1, changes.toArray(new Change[0]));
        assertThat(wholeJournal(store)).containsExactlyElementsOf(expected);
        Snapshot before = snapshot(store);
        store = restart(store);
        assertThat(wholeJournal(store)).containsExactlyElementsOf(expected);
        assertThat(snapshot(store)).isEqualTo(before);
    }

    @Test
    void loadGivesBackTheLiveState() {
        IpamStore store = open();
        List<Change> changes = everyChangeType();
        new Committer(store).commit(changes);
        Snapshot s = snapshot(store);
        assertThat(s.lastSequence()).isEqualTo(changes.size());
        assertThat(s.pools()).extracting(Pool::name).containsExactly("v4-pool", "v6-pool");
        assertThat(s.pools().get(0).spec()).isEqualTo(((Change.PoolCreated) changes.get(0)).spec());
        assertThat(s.pools().get(0).spec().effectiveRanges())
                .isEqualTo(((Change.PoolCreated) changes.get(0)).spec().effectiveRanges());
        assertThat(s.pools().get(1).spec()).isEqualTo(((Change.PoolCreated) changes.get(1)).spec());
        assertThat(s.pools().get(1).createdAt()).isEqualTo(Instant.parse("2030-03-01T10:00:01.123456789Z"));
        assertThat(s.pools().get(1).createdBy()).isEqualTo("\u7ba1\u7406\u8005");
        Set<Allocation> expectedAllocations = new HashSet<>();
        for (int i : new int[] {4, 12, 18}) {
            expectedAllocations.add(((Change.Allocated) changes.get(i)).allocation());
        }
        assertThat(s.allocations()).isEqualTo(expectedAllocations);
        assertThat(s.holds()).isEmpty();
        assertThat(s.quarantines()).isEmpty();
        // The quarantined release of db_1 and the one of the top address with key (env, n).
        assertThat(s.lastReleases()).containsExactlyInAnyOrder((Change.Released) changes.get(16),
                (Change.Released) changes.get(19));
        assertThat(snapshot(restart(store))).isEqualTo(s);
    }

    @Test
    void liveHoldsAndQuarantinesAreLoaded() {
        IpamStore store = open();
        Committer c = new Committer(store);
        Allocation a = allocKey("p", "10.1.0.5", "vm-1", "env", "web", 1);
        Allocation b = alloc("p6", "2001:db8::5", "vm-2", 1);
        Hold h4 = hold("p", "10.1.0.6", "00:11:22:33:44:55", 2);
        Hold h6 = hold("p6", "2001:db8::6", null, 2);
        c.commit(created("p", EAST, "10.1.0.0/24", 0),
                new Change.PoolCreated(PoolSpec.builder("p6", EAST).cidr("2001:db8::/64").build(), t(0), "admin"));
        c.commit(allocated(a), allocated(b), new Change.Held(h4), new Change.Held(h6));
        c.commit(quarantined(a, 3, 3600), quarantined(b, 3, 60));
        Snapshot s = snapshot(store);
        assertThat(s.allocations()).isEmpty();
        assertThat(s.holds()).containsExactlyInAnyOrder(h4, h6);
        assertThat(s.quarantines()).containsExactlyInAnyOrder(quarantined(a, 3, 3600), quarantined(b, 3, 60));
        assertThat(s.lastReleases()).containsExactly(quarantined(a, 3, 3600));
        assertThat(snapshot(restart(store))).isEqualTo(s);
    }

    @Test
    void poolsComeBackInCreationOrderAndDeletedPoolsCanBeRecreated() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("b", EAST, "10.2.0.0/24", 0), created("a", EAST, "10.3.0.0/24", 0));
        c.commit(created("c", WEST, "10.2.0.0/24", 1));
        c.commit(new Change.PoolDeleted("b", t(2), "admin"));
        Allocation x = alloc("a", "10.3.0.1", "vm", 3);
        c.commit(allocated(x), released(x, 4));
        c.commit(new Change.PoolDeleted("a", t(5), "admin"));
        c.commit(created("a", EAST, "10.4.0.0/24", 6));
        assertThat(snapshot(store).pools()).extracting(Pool::name).containsExactly("c", "a");
        assertThat(snapshot(store).pools().get(1).spec().cidrs().get(0).toString()).isEqualTo("10.4.0.0/24");
        store = restart(store);
        assertThat(snapshot(store).pools()).extracting(Pool::name).containsExactly("c", "a");
        // The re-created pool starts empty: the address allocated in its predecessor is free.
        new Committer(store, 8).commit(allocated(alloc("a", "10.4.0.1", "vm", 7)));
        assertThat(snapshot(store).allocations()).extracting(Allocation::owner).containsExactly("vm");
    }

    // ------------------------------------------------------------------ atomicity

    /** Valid setup: pool p with 10.9.0.1 allocated, .2 held, .3 quarantined; pool q in another cloud. */
    private Committer atomicitySetup(IpamStore store) {
        Committer c = new Committer(store);
        Allocation a3 = alloc("p", "10.9.0.3", "vm-3", 1);
        c.commit(created("p", EAST, "10.9.0.0/24", 0), created("q", WEST, "10.9.0.0/24", 0));
        c.commit(allocated(alloc("p", "10.9.0.1", "vm-1", 1)), new Change.Held(hold("p", "10.9.0.2", "k", 1)),
                allocated(a3));
        c.commit(quarantined(a3, 2, 3600));
        return c;
    }

    /** Invalid changes, each of which must make its whole batch fail. */
    private static Map<String, Change> invalidChanges() {
        Map<String, Change> m = new LinkedHashMap<>();
        m.put("allocate an allocated address", allocated(alloc("p", "10.9.0.1", "vm-x", 5)));
        m.put("allocate a held address", allocated(alloc("p", "10.9.0.2", "vm-x", 5)));
        m.put("allocate a quarantined address", allocated(alloc("p", "10.9.0.3", "vm-x", 5)));
        m.put("release a free address", released(alloc("p", "10.9.0.50", "vm-x", 5), 5));
        m.put("release a held address", released(alloc("p", "10.9.0.2", "vm-x", 5), 5));
        m.put("hold an allocated address", new Change.Held(hold("p", "10.9.0.1", null, 5)));
        m.put("end a hold of a free address", new Change.HoldEnded(hold("p", "10.9.0.51", null, 5),
                Change.HoldEndReason.EXPIRED, t(5), Change.SYSTEM));
        m.put("end the quarantine of a free address", new Change.QuarantineEnded("p", ip("10.9.0.52"), false, t(5),
                Change.SYSTEM));
        m.put("end the quarantine of an allocated address", new Change.QuarantineEnded("p", ip("10.9.0.1"), false,
                t(5), Change.SYSTEM));
        m.put("allocate in an unknown pool", allocated(alloc("nope", "10.9.0.60", "vm-x", 5)));
        m.put("release in an unknown pool", released(alloc("nope", "10.9.0.1", "vm-x", 5), 5));
        m.put("create an existing pool", created("q", WEST, "10.10.0.0/24", 5));
        m.put("delete an unknown pool", new Change.PoolDeleted("nope", t(5), "admin"));
        m.put("delete a pool that is not empty", new Change.PoolDeleted("p", t(5), "admin"));
        m.put("release in the wrong pool", released(alloc("q", "10.9.0.1", "vm-1", 1), 5));
        return m;
    }

    @Test
    void anInvalidChangeAnywhereInABatchChangesNothing() {
        IpamStore store = open();
        Committer c = atomicitySetup(store);
        Snapshot before = snapshot(store);
        List<JournalEntry> journalBefore = wholeJournal(store);
        List<IpAddress> watched = List.of(ip("10.9.0.1"), ip("10.9.0.2"), ip("10.9.0.3"), ip("10.9.0.10"),
                ip("10.9.0.11"), ip("10.9.0.50"));
        Map<IpAddress, List<JournalEntry>> historyBefore = new HashMap<>();
        watched.forEach(a -> historyBefore.put(a, store.history(a)));
        for (Map.Entry<String, Change> bad : invalidChanges().entrySet()) {
            List<Change> batch = new ArrayList<>();
            batch.add(allocated(alloc("p", "10.9.0.10", "vm-before", 5)));
            batch.add(created("fresh", Scope.of("south", "z"), "10.11.0.0/24", 5));
            batch.add(new Change.Held(hold("q", "10.9.0.11", null, 5)));
            batch.add(bad.getValue());
            batch.add(allocated(alloc("p", "10.9.0.11", "vm-after", 5)));
            assertThatThrownBy(() -> store.commit(new ChangeBatch(c.next(), batch)))
                    .as(bad.getKey()).isInstanceOf(StoreException.class);
            // The invalid change alone, and as the first and last change, fails too.
            assertThatThrownBy(() -> store.commit(new ChangeBatch(c.next(), List.of(bad.getValue()))))
                    .as(bad.getKey()).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.commit(new ChangeBatch(c.next(), List.of(bad.getValue(),
                    allocated(alloc("p", "10.9.0.12", "vm", 5)))))).as(bad.getKey()).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.commit(new ChangeBatch(c.next(), List.of(
                    allocated(alloc("p", "10.9.0.12", "vm", 5)), bad.getValue())))).as(bad.getKey())
                    .isInstanceOf(StoreException.class);
            assertThat(snapshot(store)).as(bad.getKey()).isEqualTo(before);
            assertThat(wholeJournal(store)).as(bad.getKey()).isEqualTo(journalBefore);
        }
        watched.forEach(a -> assertThat(store.history(a)).isEqualTo(historyBefore.get(a)));
        IpamStore reopened = restart(store);
        assertThat(snapshot(reopened)).isEqualTo(before);
        assertThat(wholeJournal(reopened)).isEqualTo(journalBefore);
        watched.forEach(a -> assertThat(reopened.history(a)).isEqualTo(historyBefore.get(a)));
        // The sequence the failed batches wanted is still the next one.
        Committer after = new Committer(reopened, before.lastSequence());
        after.commit(allocated(alloc("p", "10.9.0.10", "vm-ok", 6)));
        assertThat(snapshot(reopened).lastSequence()).isEqualTo(before.lastSequence() + 1);
    }

    @Test
    void aBatchIsCheckedAgainstItsOwnEarlierChanges() {
        IpamStore store = open();
        Committer c = atomicitySetup(store);
        Snapshot before = snapshot(store);
        Allocation x = alloc("p", "10.9.0.20", "vm-x", 5);
        // Allocating twice in one batch, releasing what the batch never allocated, ending a hold twice.
        List<List<Change>> bad = List.of(
                List.of(allocated(x), allocated(alloc("p", "10.9.0.20", "vm-y", 5))),
                List.of(allocated(x), released(x, 6), released(x, 7)),
                List.of(new Change.Held(hold("p", "10.9.0.21", null, 5)), allocated(alloc("p", "10.9.0.21", "vm", 5))),
                List.of(new Change.PoolDeleted("q", t(5), "admin"), allocated(alloc("q", "10.9.0.1", "vm", 5))),
                List.of(created("r", Scope.of("r", "r"), "10.12.0.0/24", 5), allocated(alloc("r", "10.12.0.1", "vm", 5)),
                        new Change.PoolDeleted("r", t(5), "admin")));
        for (List<Change> batch : bad) {
            assertThatThrownBy(() -> store.commit(new ChangeBatch(c.next(), batch))).as(batch.toString())
                    .isInstanceOf(StoreException.class);
            assertThat(snapshot(store)).isEqualTo(before);
        }
        // Valid chains within one batch.
        Hold h = hold("p", "10.9.0.22", "k2", 5);
        Allocation y = alloc("p", "10.9.0.22", "vm-y", 5);
        c.commit(allocated(x), released(x, 6), allocated(alloc("p", "10.9.0.20", "vm-x2", 7)), new Change.Held(h),
                new Change.HoldEnded(h, Change.HoldEndReason.CONFIRMED, t(8), "foreman"), allocated(y),
                new Change.QuarantineEnded("p", ip("10.9.0.3"), false, t(9), Change.SYSTEM),
                allocated(alloc("p", "10.9.0.3", "vm-3b", 9)));
        assertThat(snapshot(store).allocations()).extracting(Allocation::owner)
                .containsExactlyInAnyOrder("vm-1", "vm-x2", "vm-y", "vm-3b");
    }

    /**
     * Group commit may put the release of a pool's last address and the deletion of that pool (by another
     * caller) into one batch: the pool is empty at the point of its deletion, so the batch is valid.
     */
    @Test
    public void aPoolMayBeDeletedInTheBatchThatEmptiesIt() {
        IpamStore store = open();
        Committer c = new Committer(store);
        Allocation a = alloc("p", "10.9.0.1", "vm", 1);
        Hold h = hold("p", "10.9.0.2", null, 1);
        c.commit(created("p", EAST, "10.9.0.0/24", 0));
        c.commit(allocated(a), new Change.Held(h));
        c.commit(released(a, 2), new Change.HoldEnded(h, Change.HoldEndReason.CANCELLED, t(2), "x"),
                new Change.PoolDeleted("p", t(2), "admin"));
        assertThat(snapshot(store).pools()).isEmpty();
        assertThat(snapshot(restart(store)).pools()).isEmpty();
    }

    // ------------------------------------------------------------------ sequences

    @Test
    void sequencesAreGapFreeAndContinueAcrossRestarts() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.20.0.0/16", 0));
        for (int i = 1; i <= 20; i++) {
            List<Change> batch = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                batch.add(allocated(alloc("p", "10.20." + i + "." + (j + 1), "vm", i)));
            }
            c.commit(batch);
        }
        long last = c.next() - 1;
        assertThat(snapshot(store).lastSequence()).isEqualTo(last);
        store = restart(store);
        assertThat(snapshot(store).lastSequence()).isEqualTo(last);
        IpamStore s = store;
        // A batch that does not continue the last sequence is refused: a gap, a repeat, an overlap.
        for (long first : new long[] {last + 2, last, 1, last - 5, last + 100}) {
            assertThatThrownBy(() -> s.commit(new ChangeBatch(first, List.of(allocated(alloc("p", "10.20.99.1", "vm", 30))))))
                    .as("first sequence %d", first).isInstanceOf(StoreException.class);
        }
        assertThat(snapshot(store).lastSequence()).isEqualTo(last);
        Committer c2 = new Committer(store, last);
        assertThat(c2.commit(allocated(alloc("p", "10.20.99.1", "vm", 30)))).isEqualTo(last + 1);
        store = restart(store);
        List<JournalEntry> journal = wholeJournal(store);
        assertThat(journal).extracting(JournalEntry::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last + 1).boxed().toList());
        assertThat(snapshot(store).lastSequence()).isEqualTo(last + 1);
    }

    @Test
    void theJournalReadsFromAnySequenceWithAnyLimit() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.30.0.0/16", 0));
        Random random = new Random(7);
        int n = 1;
        while (n < 400) {
            int size = 1 + random.nextInt(90);
            List<Change> batch = new ArrayList<>();
            for (int j = 0; j < size; j++, n++) {
                batch.add(allocated(alloc("p", IpAddress.parse("10.30.0.0").plus(n).toString(), "vm-" + n, n)));
            }
            c.commit(batch);
        }
        List<JournalEntry> all = wholeJournal(store);
        assertThat(all).hasSize(n);
        for (int pass = 0; pass < 2; pass++) {
            for (long from : new long[] {1, 2, 63, 64, 65, 127, 128, 129, 200, n - 1, n, n + 1, n + 50}) {
                for (int limit : new int[] {1, 2, 7, 63, 64, 65, 1000, 100_000}) {
                    int lo = (int) Math.min(from - 1, n);
                    int hi = (int) Math.min((long) lo + limit, n);
                    assertThat(store.readJournal(from, limit)).as("from %d limit %d", from, limit)
                            .isEqualTo(all.subList(lo, hi));
                }
            }
            store = restart(store);
        }
        IpamStore s = store;
        assertThatThrownBy(() -> s.readJournal(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.readJournal(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.readJournal(-3, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    public void theJournalAcceptsTheLargestLimitFromAnySequence() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.31.0.0/24", 0));
        c.commit(allocated(alloc("p", "10.31.0.1", "vm", 1)), allocated(alloc("p", "10.31.0.2", "vm", 1)));
        List<JournalEntry> all = wholeJournal(store);
        assertThat(all).hasSize(3);
        assertThat(store.readJournal(2, Integer.MAX_VALUE)).isEqualTo(all.subList(1, 3));
        assertThat(store.readJournal(4, Integer.MAX_VALUE)).isEmpty();
        assertThat(store.readJournal(Long.MAX_VALUE, Integer.MAX_VALUE)).isEmpty();
    }

    // ------------------------------------------------------------------ history

    @Test
    void historyListsEveryChangeOfAnAddressAcrossPoolsInSequenceOrder() {
        IpamStore store = open();
        Committer c = new Committer(store);
        // Two clouds reuse 10.40.0.0/24; v6 too.
        c.commit(created("east", EAST, "10.40.0.0/24", 0), created("west", WEST, "10.40.0.0/24", 0),
                new Change.PoolCreated(PoolSpec.builder("v6", EAST).cidr("2001:db8:40::/64").build(), t(0), "admin"));
        IpAddress x = ip("10.40.0.7");
        Allocation e1 = alloc("east", "10.40.0.7", "vm-e1", 1);
        Allocation w1 = alloc("west", "10.40.0.7", "vm-w1", 2);
        Allocation e2 = allocKey("east", "10.40.0.7", "vm-e2", "env", "n", 5);
        Hold hw = hold("west", "10.40.0.7", "k", 4);
        Allocation other = alloc("east", "10.40.0.8", "vm-other", 1);
        Allocation v6 = alloc("v6", "2001:db8:40::7", "vm-6", 1);
        List<JournalEntry> expected = new ArrayList<>();
        long s1 = c.commit(allocated(e1), allocated(other), allocated(v6));
        expected.add(new JournalEntry(s1, allocated(e1)));
        long s2 = c.commit(new Change.AccessRefused("m", Action.READ, EAST, "east", t(2)), allocated(w1));
        expected.add(new JournalEntry(s2 + 1, allocated(w1)));
        long s3 = c.commit(released(e1, 3), quarantined(w1, 3, 4));
        expected.add(new JournalEntry(s3, released(e1, 3)));
        expected.add(new JournalEntry(s3 + 1, quarantined(w1, 3, 4)));
        Change qe = new Change.QuarantineEnded("west", x, false, t(4), Change.SYSTEM);
        long s4 = c.commit(qe, new Change.Held(hw), allocated(e2));
        expected.add(new JournalEntry(s4, qe));
        expected.add(new JournalEntry(s4 + 1, new Change.Held(hw)));
        expected.add(new JournalEntry(s4 + 2, allocated(e2)));
        Change he = new Change.HoldEnded(hw, Change.HoldEndReason.EXPIRED, t(6), Change.SYSTEM);
        long s5 = c.commit(he);
        expected.add(new JournalEntry(s5, he));
        assertThat(store.history(x)).containsExactlyElementsOf(expected);
        assertThat(store.history(ip("10.40.0.8"))).containsExactly(new JournalEntry(s1 + 1, allocated(other)));
        assertThat(store.history(ip("2001:db8:40::7"))).containsExactly(new JournalEntry(s1 + 2, allocated(v6)));
        assertThat(store.history(ip("10.40.0.9"))).isEmpty();
        // An IPv4-mapped IPv6 address is another address than its IPv4 twin.
        assertThat(store.history(ip("::ffff:10.40.0.7"))).isEmpty();
        store = restart(store);
        assertThat(store.history(x)).containsExactlyElementsOf(expected);
    }

    @Test
    void lastReleasesKeepTheLatestReleasePerPoolAndKey() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.50.0.0/24", 0), created("q", WEST, "10.50.0.0/24", 0));
        Allocation a1 = allocKey("p", "10.50.0.1", "vm-1", "prod", "web_1", 1);
        Allocation a2 = allocKey("p", "10.50.0.2", "vm-2", "prod", "web_1", 3);
        Allocation b = allocKey("p", "10.50.0.3", "vm-3", "prod", "web_2", 1);
        Allocation qa = allocKey("q", "10.50.0.1", "vm-4", "prod", "web_1", 1);
        Allocation noKey = alloc("p", "10.50.0.4", "vm-5", 1);
        c.commit(allocated(a1), allocated(b), allocated(qa), allocated(noKey));
        c.commit(released(a1, 2), released(noKey, 2));
        c.commit(allocated(a2));
        c.commit(released(a2, 4), quarantined(b, 4, 100), released(qa, 5));
        Set<Change.Released> expected = Set.of(released(a2, 4), quarantined(b, 4, 100), released(qa, 5));
        assertThat(snapshot(store).lastReleases()).isEqualTo(expected);
        assertThat(snapshot(restart(store)).lastReleases()).isEqualTo(expected);
    }

    // ------------------------------------------------------------------ listeners

    @Test
    void listenerPositionsRoundTripAndSurviveRestarts() {
        IpamStore store = open();
        assertThat(store.listenerPosition("audit")).isZero();
        store.saveListenerPosition("audit", 5);
        store.saveListenerPosition("replica", 3);
        store.saveListenerPosition("audit", 9);
        store.saveListenerPosition("l\u00e9ger", Long.MAX_VALUE);
        assertThat(store.listenerPosition("audit")).isEqualTo(9);
        assertThat(store.listenerPosition("replica")).isEqualTo(3);
        store = restart(store);
        assertThat(store.listenerPosition("audit")).isEqualTo(9);
        assertThat(store.listenerPosition("replica")).isEqualTo(3);
        assertThat(store.listenerPosition("l\u00e9ger")).isEqualTo(Long.MAX_VALUE);
        assertThat(store.listenerPosition("other")).isZero();
        // Positions and commits interleave without disturbing each other.
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.60.0.0/24", 0));
        store.saveListenerPosition("audit", 1);
        c.commit(allocated(alloc("p", "10.60.0.1", "vm", 1)));
        store = restart(store);
        assertThat(store.listenerPosition("audit")).isEqualTo(1);
        assertThat(snapshot(store).lastSequence()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ pruning

    @Test
    void pruneHistoryForgetsEndedPeriodsAndDeliveredJournalEntries() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.70.0.0/24", 0));                                   // 1 @0
        Allocation x1 = alloc("p", "10.70.0.1", "vm-x1", 10);
        Allocation y = alloc("p", "10.70.0.2", "vm-y", 10);
        c.commit(allocated(x1), allocated(y));                                               // 2, 3 @10
        c.commit(released(x1, 20));                                                          // 4 @20
        Allocation x2 = alloc("p", "10.70.0.1", "vm-x2", 30);
        c.commit(allocated(x2));                                                             // 5 @30
        Hold hz = hold("p", "10.70.0.3", null, 35);
        c.commit(new Change.Held(hz));                                                       // 6 @35
        c.commit(new Change.HoldEnded(hz, Change.HoldEndReason.EXPIRED, t(40), Change.SYSTEM)); // 7 @40
        c.commit(quarantined(x2, 50, 60));                                                   // 8 @50
        c.commit(new Change.QuarantineEnded("p", ip("10.70.0.1"), false, t(60), Change.SYSTEM)); // 9 @60
        Allocation x3 = alloc("p", "10.70.0.1", "vm-x3", 70);
        c.commit(allocated(x3));                                                             // 10 @70
        List<JournalEntry> all = wholeJournal(store);

        // Cutoff 45, journal delivered up to 3: the last ending of x before 45 is its release at 20 (seq 4),
        // so seqs 2 and 4 go; z's period ended at 40 (seq 7), so all of z goes; y never ended, it stays.
        store.pruneHistory(t(45), 3);
        assertThat(store.history(ip("10.70.0.1"))).extracting(JournalEntry::sequence).containsExactly(5L, 8L, 9L, 10L);
        assertThat(store.history(ip("10.70.0.2"))).extracting(JournalEntry::sequence).containsExactly(3L);
        assertThat(store.history(ip("10.70.0.3"))).isEmpty();
        // Journal entries before the cutoff up to the delivered sequence are gone; the rest stays.
        assertThat(store.readJournal(1, 100)).isEqualTo(all.subList(3, all.size()));
        // y's allocation (seq 3) left the journal but is still in its history, unchanged.
        assertThat(store.history(ip("10.70.0.2"))).containsExactly(all.get(2));

        store = restart(store);
        assertThat(store.history(ip("10.70.0.1"))).extracting(JournalEntry::sequence).containsExactly(5L, 8L, 9L, 10L);
        assertThat(store.history(ip("10.70.0.2"))).containsExactly(all.get(2));
        assertThat(store.readJournal(1, 100)).isEqualTo(all.subList(3, all.size()));
        assertThat(store.readJournal(2, 2)).isEqualTo(all.subList(3, 5));

        // Later cutoff: the quarantine end at 60 (seq 9) is now the last ending of x before it.
        store.pruneHistory(t(65), 100);
        assertThat(store.history(ip("10.70.0.1"))).containsExactly(all.get(9));
        assertThat(store.history(ip("10.70.0.2"))).containsExactly(all.get(2));
        assertThat(store.readJournal(1, 100)).isEqualTo(all.subList(9, 10));
        // Pruning changes no live state and sequences continue.
        Snapshot s = snapshot(store);
        assertThat(s.allocations()).containsExactlyInAnyOrder(x3, y);
        assertThat(s.lastSequence()).isEqualTo(10);
        store = restart(store);
        new Committer(store, 10).commit(released(y, 80));
        assertThat(store.history(ip("10.70.0.2"))).extracting(JournalEntry::sequence).containsExactly(3L, 11L);
        assertThat(store.readJournal(1, 100)).extracting(JournalEntry::sequence).containsExactly(10L, 11L);
        store.pruneHistory(t(90), 11);
        assertThat(store.history(ip("10.70.0.2"))).isEmpty();
        assertThat(store.readJournal(1, 100)).isEmpty();
        assertThat(restart(store).readJournal(1, 100)).isEmpty();
    }

    @Test
    void pruneHistoryKeepsUndeliveredJournalEntries() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.71.0.0/24", 0));
        Allocation a = alloc("p", "10.71.0.1", "vm", 1);
        c.commit(allocated(a));
        c.commit(released(a, 2));
        List<JournalEntry> all = wholeJournal(store);
        store.pruneHistory(t(100), 0);
        assertThat(store.readJournal(1, 10)).isEqualTo(all);
        assertThat(store.history(ip("10.71.0.1"))).isEmpty();
        store.pruneHistory(t(100), 2);
        assertThat(store.readJournal(1, 10)).isEqualTo(all.subList(2, 3));
        assertThat(restart(store).readJournal(1, 10)).isEqualTo(all.subList(2, 3));
    }

    /**
     * Pools of two clouds may hold the same address; a period that ended in one says nothing about
     * the other, whose live allocation keeps its history.
     */
    @Test
    void pruneHistoryIsPerPool() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("east", EAST, "10.72.0.0/24", 0), created("west", WEST, "10.72.0.0/24", 0)); // 1, 2
        Allocation east = alloc("east", "10.72.0.1", "vm-east", 10);
        c.commit(allocated(east));                                                            // 3 @10
        Allocation west = alloc("west", "10.72.0.1", "vm-west", 20);
        c.commit(allocated(west));                                                            // 4 @20
        c.commit(released(west, 30));                                                         // 5 @30
        List<JournalEntry> all = wholeJournal(store);

        store.pruneHistory(t(40), 100);
        assertThat(store.history(ip("10.72.0.1"))).containsExactly(all.get(2));
        assertThat(restart(store).history(ip("10.72.0.1"))).containsExactly(all.get(2));
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void aClosedStoreRefusesEverythingButClose() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.80.0.0/24", 0));
        store.close();
        store.close(); // idempotent
        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.commit(new ChangeBatch(2, List.of(allocated(alloc("p", "10.80.0.1", "vm", 1))))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.readJournal(1, 10)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.history(ip("10.80.0.1"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.pruneHistory(t(10), 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.listenerPosition("a")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.saveListenerPosition("a", 1)).isInstanceOf(IllegalStateException.class);
        assertThatCode(store::close).doesNotThrowAnyException();
        // The data is still there for the next opener.
        IpamStore reopened = reopen(store);
        opened.add(reopened);
        assertThat(snapshot(reopened).pools()).extracting(Pool::name).containsExactly("p");
    }

    @Test
    void aStoreCanBeReopenedManyTimes() {
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("p", EAST, "10.81.0.0/24", 0));
        for (int i = 1; i <= 5; i++) {
            store = restart(store);
            c = new Committer(store, snapshot(store).lastSequence());
            c.commit(allocated(alloc("p", "10.81.0." + i, "vm-" + i, i)));
            store.saveListenerPosition("l", i);
        }
        store = restart(store);
        Snapshot s = snapshot(store);
        assertThat(s.lastSequence()).isEqualTo(6);
        assertThat(s.allocations()).hasSize(5);
        assertThat(store.listenerPosition("l")).isEqualTo(5);
    }

    // ------------------------------------------------------------------ scale and concurrency

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aLargeBatchCommitsAtomicallyAndReloads() {
        int n = largeBatchSize();
        IpamStore store = open();
        Committer c = new Committer(store);
        c.commit(created("big", EAST, "10.128.0.0/12", 0),
                new Change.PoolCreated(PoolSpec.builder("big6", EAST).cidr("2001:db8:100::/64").build(), t(0), "admin"));
        IpAddress base4 = ip("10.128.0.1");
        IpAddress base6 = ip("2001:db8:100::1");
        List<Change> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean v6 = i % 10 == 9;
            IpAddress a = v6 ? base6.plus(i * 7919L) : base4.plus(i);
            batch.add(allocated(new Allocation(v6 ? "big6" : "big", a, "vm-" + i, "env-" + (i / 20), "host_" + (i % 20),
                    "h" + i + ".example.com", null, t(1), "bulk")));
        }
        long first = c.commit(batch);
        batch = null; // let it go
        assertThat(first).isEqualTo(3);
        assertThat(storedAllocations(store)).isEqualTo(n);
        store = restart(store);
        Set<String> owners = new HashSet<>();
        try (StoredState state = store.load()) {
            assertThat(state.lastSequence()).isEqualTo(n + 2L);
            state.forEachAllocation(a -> owners.add(a.owner()));
        }
        assertThat(owners).hasSize(n).contains("vm-0", "vm-" + (n - 1));
        assertThat(store.readJournal(n + 2L, 10)).hasSize(1);
        assertThat(store.history(base4.plus(n / 2 / 10 * 10))).hasSize(1);
        // A large batch that fails at its very end leaves nothing behind.
        List<Change> failing = new ArrayList<>();
        for (int i = 0; i < n / 10; i++) {
            if (i % 10 == 9) {
                continue; // an IPv6 one
            }
            failing.add(released(new Allocation("big", base4.plus(i), "vm-" + i, "env-" + (i / 20), "host_" + (i % 20),
                    "h" + i + ".example.com", null, t(1), "bulk"), 2));
        }
        failing.add(allocated(alloc("big", "10.128.0.1", "vm-dup", 2))); // 10.128.0.1 was released above: valid!
        failing.add(allocated(alloc("big", "10.128.0.1", "vm-dup2", 2))); // allocated twice: invalid
        IpamStore s = store;
        assertThatThrownBy(() -> s.commit(new ChangeBatch(n + 3L, failing))).isInstanceOf(StoreException.class);
        assertThat(storedAllocations(store)).isEqualTo(n);
        assertThat(store.readJournal(n + 3L, 10)).isEmpty();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void concurrentCommitsAndReadsStayConsistent() throws Exception {
        IpamStore store = open();
        new Committer(store).commit(created("p", EAST, "10.90.0.0/16", 0));
        ReentrantLock commitLock = new ReentrantLock(); // the SPI's one committer at a time
        AtomicLong last = new AtomicLong(1);
        Set<Long> batchEnds = ConcurrentHashMap.newKeySet();
        batchEnds.add(1L);
        int writers = 4;
        int batchesPerWriter = 40;
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int b = 0; b < batchesPerWriter; b++) {
                        List<Change> batch = new ArrayList<>();
                        int size = 1 + (b % 5);
                        for (int k = 0; k < size; k++) {
                            int n = writer * 10_000 + b * 10 + k;
                            batch.add(allocated(alloc("p", IpAddress.parse("10.90.0.0").plus(n).toString(),
                                    "w" + writer + "-b" + b, n)));
                        }
                        commitLock.lock();
                        try {
                            batchEnds.add(last.get() + size); // before the commit: readers may see it at once
                            store.commit(new ChangeBatch(last.get() + 1, batch));
                            last.addAndGet(size);
                        } finally {
                            commitLock.unlock();
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "writer-" + w));
        }
        for (int r = 0; r < 2; r++) {
            int reader = r;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    while (!done.get()) {
                        List<JournalEntry> j = store.readJournal(1, Integer.MAX_VALUE);
                        for (int i = 0; i < j.size(); i++) {
                            assertThat(j.get(i).sequence()).isEqualTo(i + 1L);
                        }
                        // Whole batches only: a reader never sees part of a batch.
                        assertThat(batchEnds).contains((long) j.size());
                        if (!j.isEmpty()) {
                            JournalEntry e = j.get(j.size() - 1);
                            if (e.change() instanceof Change.Allocated a) {
                                assertThat(store.history(a.allocation().address())).contains(e);
                            }
                        }
                        assertThat(store.listenerPosition("reader-" + reader)).isGreaterThanOrEqualTo(0);
                        store.saveListenerPosition("reader-" + reader, j.size());
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "reader-" + r));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (int i = 0; i < writers; i++) {
            threads.get(i).join();
        }
        done.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        long expected = 1 + writers * (long) java.util.stream.IntStream.range(0, batchesPerWriter).map(b -> 1 + b % 5).sum();
        assertThat(last.get()).isEqualTo(expected);
        IpamStore reopened = restart(store);
        assertThat(snapshot(reopened).lastSequence()).isEqualTo(expected);
        assertThat(snapshot(reopened).allocations()).hasSize((int) expected - 1);
        assertThat(wholeJournal(reopened)).extracting(JournalEntry::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, expected).boxed().toList());
    }

    // ------------------------------------------------------------------ randomized model comparison

    /** A simple model of what a store must hold. */
    private static final class Model {
        final Map<String, PoolSpec> pools = new LinkedHashMap<>();
        final Map<String, Pool> poolRecords = new LinkedHashMap<>();
        final Map<List<Object>, Allocation> allocations = new HashMap<>();
        final Map<List<Object>, Hold> holds = new HashMap<>();
        final Map<List<Object>, Change.Released> quarantines = new HashMap<>();
        final Map<List<Object>, Change.Released> lastReleases = new HashMap<>();
        final List<JournalEntry> journal = new ArrayList<>();

        Model copy() {
            Model m = new Model();
            m.pools.putAll(pools);
            m.poolRecords.putAll(poolRecords);
            m.allocations.putAll(allocations);
            m.holds.putAll(holds);
            m.quarantines.putAll(quarantines);
            m.lastReleases.putAll(lastReleases);
            m.journal.addAll(journal);
            return m;
        }

        String state(String pool, IpAddress a) {
            List<Object> k = List.of(pool, a);
            return allocations.containsKey(k) ? "A" : holds.containsKey(k) ? "H" : quarantines.containsKey(k) ? "Q" : "F";
        }

        boolean empty(String pool) {
            return allocations.keySet().stream().noneMatch(k -> k.get(0).equals(pool))
                    && holds.keySet().stream().noneMatch(k -> k.get(0).equals(pool))
                    && quarantines.keySet().stream().noneMatch(k -> k.get(0).equals(pool));
        }

        /** Applies a change if valid; returns false (and leaves a partial mess) if not. */
        boolean apply(long seq, Change change) {
            journal.add(new JournalEntry(seq, change));
            if (change instanceof Change.AccessRefused) {
                return true;
            }
            String pool = change.pool();
            if (change instanceof Change.PoolCreated pc) {
                if (pools.containsKey(pool)) {
                    return false;
                }
                pools.put(pool, pc.spec());
                poolRecords.put(pool, new Pool(pc.spec(), pc.at(), pc.caller()));
                return true;
            }
            if (!pools.containsKey(pool)) {
                return false;
            }
            if (change instanceof Change.PoolDeleted) {
                if (!empty(pool)) {
                    return false;
                }
                pools.remove(pool);
                poolRecords.remove(pool);
                lastReleases.keySet().removeIf(k -> k.get(0).equals(pool));
                return true;
            }
            if (change instanceof Change.Allocated a) {
                IpAddress ad = a.allocation().address();
                if (!state(pool, ad).equals("F")) {
                    return false;
                }
                allocations.put(List.of(pool, ad), a.allocation());
            } else if (change instanceof Change.Released r) {
                IpAddress ad = r.allocation().address();
                if (!state(pool, ad).equals("A")) {
                    return false;
                }
                allocations.remove(List.of(pool, ad));
                if (r.quarantineUntil() != null) {
                    quarantines.put(List.of(pool, ad), r);
                }
                if (r.allocation().environment() != null) {
                    lastReleases.put(Arrays.asList(pool, r.allocation().environment(), r.allocation().name()), r);
                }
            } else if (change instanceof Change.Held h) {
                if (!state(pool, h.hold().address()).equals("F")) {
                    return false;
                }
                holds.put(List.of(pool, h.hold().address()), h.hold());
            } else if (change instanceof Change.HoldEnded e) {
                if (!state(pool, e.hold().address()).equals("H")) {
                    return false;
                }
                holds.remove(List.of(pool, e.hold().address()));
            } else if (change instanceof Change.QuarantineEnded q) {
                if (!state(pool, q.address()).equals("Q")) {
                    return false;
                }
                quarantines.remove(List.of(pool, q.address()));
            }
            return true;
        }
    }

    private static Change randomChange(Random r, Model m, long at) {
        String[] poolNames = {"m4", "m6", "mx"};
        String pool = poolNames[r.nextInt(poolNames.length)];
        int roll = r.nextInt(100);
        if (roll < 3) {
            return created(pool, Scope.of("c" + pool, "z"), "10.99.0.0/26", at);
        }
        if (roll < 5) {
            return new Change.PoolDeleted(pool, t(at), "admin");
        }
        if (roll < 7) {
            return new Change.AccessRefused("x", Action.HOLD, EAST, r.nextBoolean() ? pool : null, t(at));
        }
        IpAddress address = pool.equals("m6") ? ip("2001:db8:99::").plus(r.nextInt(80) * 0x1_0000_0001L)
                : ip("10.99.0.0").plus(r.nextInt(70));
        String env = r.nextInt(3) == 0 ? null : "env" + r.nextInt(3);
        String owner = "vm-" + r.nextInt(1000) + (r.nextInt(10) == 0 ? "-\u00e4\u00f6" : "");
        Allocation fresh = new Allocation(pool, address, owner, env, env == null ? null : "n" + r.nextInt(3),
                r.nextBoolean() ? owner + ".example" : null, r.nextBoolean() ? MacAddress.of(r.nextLong() & 0xFFFF_FFFF_FFFFL) : null,
                t(at), "c" + r.nextInt(3));
        List<Object> key = List.of(pool, address);
        String state = m.state(pool, address);
        boolean valid = r.nextInt(10) != 0;
        switch (valid ? state : "F".equals(state) ? "A" : "F") {
            case "A": {
                Allocation current = m.allocations.getOrDefault(key, fresh);
                return r.nextBoolean() ? released(current, at) : quarantined(current, at, at + 60);
            }
            case "H": {
                Hold h = m.holds.getOrDefault(key, hold(pool, address.toString(), null, at));
                return new Change.HoldEnded(h, Change.HoldEndReason.values()[r.nextInt(3)], t(at), "x");
            }
            case "Q":
                return new Change.QuarantineEnded(pool, address, r.nextBoolean(), t(at), Change.SYSTEM);
            default:
                return r.nextInt(4) == 0 ? new Change.Held(new Hold(pool, address, r.nextBoolean() ? "k" : null, t(at),
                        t(at + 30), "foreman")) : allocated(fresh);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void randomBatchesAgreeWithASimpleModel() {
        Random r = new Random(20300301);
        IpamStore store = open();
        Model model = new Model();
        model.apply(1, created("m4", Scope.of("cm4", "z"), "10.99.0.0/26", 0));
        model.apply(2, new Change.PoolCreated(PoolSpec.builder("m6", Scope.of("cm6", "z")).cidr("2001:db8:99::/48").build(),
                t(0), "admin"));
        new Committer(store).commit(model.journal.get(0).change(), model.journal.get(1).change());
        long at = 1;
        int accepted = 0;
        int refused = 0;
        for (int round = 0; round < 400; round++) {
            int size = 1 + r.nextInt(r.nextInt(10) == 0 ? 60 : 6);
            Model trial = model.copy();
            long first = model.journal.size() + 1L;
            List<Change> batch = new ArrayList<>();
            boolean valid = true;
            for (int i = 0; i < size; i++) {
                Change c = randomChange(r, trial, at++);
                batch.add(c);
                valid &= trial.apply(first + i, c);
                if (!valid) {
                    // keep building on the (now partial) trial model; the batch fails as a whole anyway
                    trial = trial.copy();
                }
            }
            if (valid) {
                store.commit(new ChangeBatch(first, batch));
                model = trial;
                accepted++;
            } else {
                List<Change> b = batch;
                IpamStore target = store;
                assertThatThrownBy(() -> target.commit(new ChangeBatch(first, b))).as("batch %s", batch)
                        .isInstanceOf(StoreException.class);
                refused++;
            }
            if (round % 50 == 49) {
                assertAgrees(store, model);
                store = restart(store);
                assertAgrees(store, model);
            }
        }
        assertThat(accepted).isGreaterThan(50);
        assertThat(refused).isGreaterThan(20);
        assertAgrees(store, model);
    }

    private void assertAgrees(IpamStore store, Model model) {
        Snapshot s = snapshot(store);
        assertThat(s.lastSequence()).isEqualTo(model.journal.size());
        assertThat(s.pools()).containsExactlyElementsOf(model.poolRecords.values());
        assertThat(s.allocations()).isEqualTo(new HashSet<>(model.allocations.values()));
        assertThat(s.holds()).isEqualTo(new HashSet<>(model.holds.values()));
        assertThat(s.quarantines()).isEqualTo(new HashSet<>(model.quarantines.values()));
        assertThat(s.lastReleases()).isEqualTo(new HashSet<>(model.lastReleases.values()));
        assertThat(wholeJournal(store)).isEqualTo(model.journal);
        Map<IpAddress, List<JournalEntry>> expectedHistory = new HashMap<>();
        for (JournalEntry e : model.journal) {
            IpAddress a = addressOf(e.change());
            if (a != null) {
                expectedHistory.computeIfAbsent(a, k -> new ArrayList<>()).add(e);
            }
        }
        expectedHistory.forEach((a, list) -> assertThat(store.history(a)).as("history of %s", a).isEqualTo(list));
    }

    private static IpAddress addressOf(Change change) {
        return AddressState.addressOf(change);
    }

    // ------------------------------------------------------------------ end to end

    /** What an {@link Ipam} shows about its state, for comparison across restarts. */
    private record Observed(long lastSequence, List<Pool> pools, Map<String, PoolUsage> usage,
            Map<String, List<Allocation>> allocations, Map<String, List<Hold>> holds,
            Map<String, List<HistoryEntry>> history, Map<String, Optional<HistoryEntry>> holders) {
    }

    private static Observed observe(Ipam ipam, IpamSession s, List<String[]> addresses, List<Instant> instants) {
        Map<String, PoolUsage> usage = new LinkedHashMap<>();
        Map<String, List<Allocation>> allocations = new LinkedHashMap<>();
        Map<String, List<Hold>> holds = new LinkedHashMap<>();
        for (Pool p : s.pools()) {
            usage.put(p.name(), s.usage(p.name()));
            allocations.put(p.name(), s.allocations(p.name(), null, 10_000).items());
            holds.put(p.name(), new ArrayList<>(s.holds(p.name())));
            holds.get(p.name()).sort((a, b) -> a.address().compareTo(b.address()));
        }
        Map<String, List<HistoryEntry>> history = new LinkedHashMap<>();
        Map<String, Optional<HistoryEntry>> holders = new LinkedHashMap<>();
        for (String[] pa : addresses) {
            history.put(pa[0] + " " + pa[1], s.history(pa[0], ip(pa[1])));
            for (Instant i : instants) {
                holders.put(pa[0] + " " + pa[1] + " @" + i, s.holderAt(pa[0], ip(pa[1]), i));
            }
        }
        return new Observed(ipam.lastSequence(), s.pools(), usage, allocations, holds, history, holders);
    }

    private static Ipam ipamOn(IpamStore store, TestClock clock) {
        return Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
    }

    @Test
    void anIpamOnTheStoreComesBackIdenticalAfterARestart() {
        TestClock clock = new TestClock(T0);
        IpamStore store = open();
        Ipam ipam = ipamOn(store, clock);
        IpamSession s = ipam.as(Caller.of("heat-provisioner"));
        s.createPool(PoolSpec.builder("dmz-east", EAST).cidr("10.20.0.0/24").exclude("10.20.0.1")
                .quarantine(Duration.ofHours(1)).build());
        s.createPool(PoolSpec.builder("v6-east", Scope.of("east", "app")).cidr("2001:db8:20::/64").build());
        Allocation web1 = s.allocate(AllocationRequest.in("dmz-east").owner("vm-1").environment("prod-42").name("web_1")
                .hostname("web1.prod42.example.com").build());
        clock.advance(Duration.ofMinutes(1));
        List<Allocation> env = s.allocateAll(List.of(
                AllocationRequest.in("dmz-east").owner("vm-2").environment("prod-43").name("web_1").build(),
                AllocationRequest.in("dmz-east").owner("vm-2").environment("prod-43").name("db_1").build(),
                AllocationRequest.in("v6-east").owner("vm-2").environment("prod-43").name("web_1")
                        .strategy(Strategy.EUI64).mac("00:11:22:33:44:55").build()));
        clock.advance(Duration.ofMinutes(1));
        Hold offered = s.offer("dmz-east", "00:aa:bb:cc:dd:ee", Duration.ofMinutes(10));
        Hold other = s.offer("dmz-east", "00:aa:bb:cc:dd:ef", Duration.ofMinutes(10));
        s.offer("v6-east", null, Duration.ofMinutes(10));
        clock.advance(Duration.ofMinutes(1));
        Allocation confirmed = s.confirm("00:aa:bb:cc:dd:ee", AllocationRequest.in("dmz-east").owner("vm-3")
                .hostname("vm3.example.com").build());
        s.cancelHold("dmz-east", other.key());
        clock.advance(Duration.ofMinutes(1));
        s.release("dmz-east", web1.address()); // quarantined for an hour
        clock.advance(Duration.ofMinutes(1));
        Allocation again = s.allocate(AllocationRequest.in("dmz-east").owner("vm-4").environment("prod-44")
                .name("app_1").build());
        clock.advance(Duration.ofMinutes(1));
        s.releaseEnvironment("prod-43");
        clock.advance(Duration.ofMinutes(1));
        assertThat(confirmed.address()).isEqualTo(offered.address());

        List<String[]> addresses = new ArrayList<>();
        for (Allocation a : List.of(web1, env.get(0), env.get(1), env.get(2), confirmed, again)) {
            addresses.add(new String[] {a.pool(), a.address().toString()});
        }
        addresses.add(new String[] {"dmz-east", other.address().toString()});
        List<Instant> instants = new ArrayList<>();
        for (int m = -1; m <= 8; m++) {
            instants.add(T0.plus(Duration.ofMinutes(m)).plusSeconds(30));
        }
        Observed before = observe(ipam, s, addresses, instants);
        assertThat(before.usage().get("dmz-east").quarantined()).isEqualTo(3);
        assertThat(before.usage().get("dmz-east").allocated()).isEqualTo(2);
        assertThat(before.usage().get("v6-east").held()).isEqualTo(1);
        assertThat(before.history().get("dmz-east " + web1.address())).hasSize(1);
        ipam.close();

        IpamStore reopened = reopen(store);
        opened.add(reopened);
        Ipam ipam2 = ipamOn(reopened, clock);
        IpamSession s2 = ipam2.as(Caller.of("heat-provisioner"));
        Observed after = observe(ipam2, s2, addresses, instants);
        assertThat(after).isEqualTo(before);
        // And it goes on: the next change continues the sequence, stickiness works from the stored release.
        Allocation back = s2.allocate(AllocationRequest.in("dmz-east").owner("vm-1b").environment("prod-42")
                .name("web_1").build());
        assertThat(back.address()).isEqualTo(web1.address());
        assertThat(ipam2.lastSequence()).isGreaterThan(before.lastSequence());
        ipam2.close();
    }
}
