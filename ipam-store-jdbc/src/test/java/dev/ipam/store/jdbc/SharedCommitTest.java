package dev.ipam.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import dev.ipam.store.jdbc.TestDatabases.Vendor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rules of {@link JdbcStore#commitShared}, one at a time: two (or more) store objects on one
 * database stand for two library instances. Every refused commit is checked to have applied nothing.
 */
abstract class SharedCommitTest {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    private static final Instant T0 = Instant.parse("2030-03-01T10:00:00Z");
    private static final Scope EAST = Scope.of("east", "dmz");

    private final List<JdbcStore> stores = new CopyOnWriteArrayList<>();
    private DataSource ds;
    private JdbcStore a;
    private JdbcStore b;

    abstract Vendor vendor();

    @BeforeEach
    void twoInstancesOnOneDatabase() {
        ds = DATABASES.freshDatabase(vendor());
        a = open();
        b = open();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(JdbcStore::close);
    }

    private JdbcStore open() {
        JdbcStore s = JdbcStore.open(ds);
        stores.add(s);
        return s;
    }

    // ------------------------------------------------------------------ fixtures

    private static Instant t(long seconds) {
        return T0.plusSeconds(seconds);
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static Change.PoolCreated created(String name, String cidr) {
        return new Change.PoolCreated(PoolSpec.builder(name, EAST).cidr(cidr).build(), t(0), "admin");
    }

    private static Allocation alloc(String address, String owner) {
        return new Allocation("p", ip(address), owner, null, null, null, null, t(1), "heat");
    }

    private static Allocation allocKey(String address, String owner, String environment, String name) {
        return new Allocation("p", ip(address), owner, environment, name, null, null, t(1), "heat");
    }

    private static Change.Allocated allocated(Allocation a) {
        return new Change.Allocated(a);
    }

    private static Change.Released released(Allocation a) {
        return new Change.Released(a, t(2), "heat");
    }

    private static Hold hold(String address, String key) {
        return new Hold("p", ip(address), key, t(1), t(181), "foreman");
    }

    /** What must stay the same when a commit is refused. */
    private record Observed(long lastSequence, Set<Allocation> allocations, Set<Hold> holds, List<JournalEntry> journal,
            long addressRows, long keyRows) {
    }

    private Observed observe() {
        Set<Allocation> allocations = new HashSet<>();
        Set<Hold> holds = new HashSet<>();
        long last;
        try (StoredState s = a.load()) {
            last = s.lastSequence();
            s.forEachAllocation(allocations::add);
            s.forEachHold(holds::add);
        }
        return new Observed(last, allocations, holds, a.readJournal(1, Integer.MAX_VALUE), count("ipam_address"),
                count("ipam_env_key") + count("ipam_hold_key"));
    }

    private long count(String table) {
        return queryLong("SELECT COUNT(*) FROM " + table);
    }

    private long queryLong(String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }

    private List<Long> queryLongs(String sql) {
        List<Long> result = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                result.add(rs.getLong(1));
            }
            return result;
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }

    /** Asserts that {@code store} refuses the changes with a conflict whose message names {@code what}. */
    private void assertRefused(JdbcStore store, long seenThrough, List<Change> changes, String... what) {
        Observed before = observe();
        assertThatThrownBy(() -> store.commitShared(changes, seenThrough)).isInstanceOf(ConcurrentChangeException.class)
                .hasMessageContainingAll(what);
        assertThat(observe()).as("nothing of the refused commit is applied").isEqualTo(before);
    }

    // ------------------------------------------------------------------ addresses

    @Test
    void anAddressChangedByAnotherInstanceAfterSeenThroughIsRefused() {
        assertThat(a.commitShared(List.of(created("p", "10.0.0.0/24")), 0)).isEqualTo(1);
        // b has not seen the pool's creation.
        assertRefused(b, 0, List.of(allocated(alloc("10.0.0.5", "vm-b"))), "Pool 'p'", "sequence 1", "after 0");
        Allocation x = alloc("10.0.0.5", "vm-a");
        assertThat(a.commitShared(List.of(allocated(x)), 1)).isEqualTo(2);
        // b knows the pool but not a's allocation of .5.
        assertRefused(b, 1, List.of(allocated(alloc("10.0.0.5", "vm-b"))), "10.0.0.5", "pool 'p'", "sequence 2", "after 1");
        // b has seen it: the state rule refuses it.
        assertRefused(b, 2, List.of(allocated(alloc("10.0.0.5", "vm-b"))), "10.0.0.5", "expects the address FREE",
                "ALLOCATED");
        // Once caught up, b's valid change goes through and continues the sequence.
        assertThat(b.commitShared(List.of(allocated(alloc("10.0.0.6", "vm-b"))), 2)).isEqualTo(3);
        try (StoredState s = b.load()) {
            Set<Allocation> all = new HashSet<>();
            s.forEachAllocation(all::add);
            assertThat(all).containsExactlyInAnyOrder(x, alloc("10.0.0.6", "vm-b"));
            assertThat(s.lastSequence()).isEqualTo(3);
        }
    }

    @Test
    void releasingAnotherInstancesAllocationNeedsToHaveSeenIt() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = alloc("10.0.0.7", "vm-a");
        long seq = a.commitShared(List.of(allocated(x)), 1);
        assertRefused(b, seq - 1, List.of(released(x)), "10.0.0.7", "sequence " + seq, "after " + (seq - 1));
        assertThat(b.commitShared(List.of(released(x)), seq)).isEqualTo(seq + 1);
        assertThat(observe().allocations()).isEmpty();
    }

    @Test
    void aFreeAddressWhoseLastChangeWasNotSeenIsRefused() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation z = alloc("10.0.0.9", "vm-a");
        a.commitShared(List.of(allocated(z)), 1);
        long released = a.commitShared(List.of(released(z)), 1);
        // .9 is free again, but b decided without knowing of its allocation and release.
        assertRefused(b, 1, List.of(allocated(alloc("10.0.0.9", "vm-b"))), "10.0.0.9", "sequence " + released,
                "it is FREE now");
        assertThat(b.commitShared(List.of(allocated(alloc("10.0.0.9", "vm-b"))), released)).isEqualTo(released + 1);
    }

    @Test
    void anInstanceNeverConflictsWithItsOwnChanges() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = alloc("10.0.0.10", "vm-a");
        // a never reads the journal (seenThrough 0), but every change of .10 and of the pool is its own.
        a.commitShared(List.of(allocated(x)), 0);
        b.commitShared(List.of(allocated(alloc("10.0.0.11", "vm-b"))), 2); // another address: no matter
        a.commitShared(List.of(released(x)), 0);
        a.commitShared(List.of(allocated(x), released(x), allocated(alloc("10.0.0.10", "vm-a2"))), 0);
        assertThat(observe().allocations()).extracting(Allocation::owner).containsExactlyInAnyOrder("vm-a2", "vm-b");
        // But a new store object on the same database is another instance.
        JdbcStore c = open();
        assertRefused(c, 0, List.of(released(alloc("10.0.0.10", "vm-a2"))), "10.0.0.10");
    }

    @Test
    void aRefusedBatchAppliesNothingOfItsEarlierChanges() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        a.commitShared(List.of(allocated(alloc("10.0.0.20", "vm-a"))), 1);
        assertRefused(b, 1, List.of(allocated(allocKey("10.0.0.21", "vm-b", "prod", "web_1")),
                new Change.Held(hold("10.0.0.22", "00:11:22:33:44:55")),
                new Change.AccessRefused("mallory", Action.ALLOCATE, EAST, "p", t(3)),
                allocated(alloc("10.0.0.20", "vm-b"))), "10.0.0.20");
        assertThat(count("ipam_journal")).isEqualTo(2);
        assertThat(queryLong("SELECT last_seq FROM ipam_head")).isEqualTo(2);
    }

    @Test
    void changesWithinABatchSeeTheEarlierOnes() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = alloc("10.0.0.30", "vm-b");
        Hold h = hold("10.0.0.31", "k");
        long first = b.commitShared(List.of(allocated(x), released(x), allocated(alloc("10.0.0.30", "vm-b2")),
                new Change.Held(h), new Change.HoldEnded(h, Change.HoldEndReason.CONFIRMED, t(3), "foreman"),
                allocated(allocKey("10.0.0.31", "vm-b3", "prod", "db_1"))), 1);
        assertThat(first).isEqualTo(2);
        assertThat(observe().allocations()).extracting(Allocation::owner).containsExactlyInAnyOrder("vm-b2", "vm-b3");
        assertRefused(b, 7, List.of(allocated(alloc("10.0.0.32", "x")), allocated(alloc("10.0.0.32", "y"))), "10.0.0.32",
                "expects the address FREE");
    }

    // ------------------------------------------------------------------ keys

    @Test
    void environmentKeysStayUniqueAcrossInstances() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = allocKey("10.0.0.40", "vm-a", "prod", "web_1");
        long seq = a.commitShared(List.of(allocated(x)), 1);
        assertRefused(b, seq, List.of(allocated(allocKey("10.0.0.41", "vm-b", "prod", "web_1"))), "prod/web_1",
                "pool 'p'", "already allocated", "10.0.0.40");
        // Two allocations of one key in one batch.
        assertRefused(b, seq, List.of(allocated(allocKey("10.0.0.42", "vm-b", "prod", "web_2")),
                allocated(allocKey("10.0.0.43", "vm-b", "prod", "web_2"))), "prod/web_2", "10.0.0.42");
        // Keys are case-sensitive and exact: these are other keys.
        long other = b.commitShared(List.of(allocated(allocKey("10.0.0.44", "vm-b", "prod", "WEB_1")),
                allocated(allocKey("10.0.0.45", "vm-b", "prod", "web_1 "))), seq);
        long released = a.commitShared(List.of(released(x)), 1);
        assertThat(b.commitShared(List.of(allocated(allocKey("10.0.0.41", "vm-b", "prod", "web_1"))), released))
                .isEqualTo(released + 1);
        assertThat(other).isEqualTo(seq + 1);
        assertThat(count("ipam_env_key")).isEqualTo(3);
        assertThat(count("ipam_last_release")).isEqualTo(1);
    }

    @Test
    void holdKeysStayUniqueAcrossInstances() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Hold h = hold("10.0.0.50", "00:11:22:33:44:55");
        long seq = a.commitShared(List.of(new Change.Held(h)), 1);
        assertRefused(b, seq, List.of(new Change.Held(hold("10.0.0.51", "00:11:22:33:44:55"))), "Hold key",
                "'00:11:22:33:44:55'", "already held", "10.0.0.50");
        // Anonymous holds have no key.
        b.commitShared(List.of(new Change.Held(hold("10.0.0.52", null)), new Change.Held(hold("10.0.0.53", null))), seq);
        long ended = a.commitShared(List.of(new Change.HoldEnded(h, Change.HoldEndReason.EXPIRED, t(200), Change.SYSTEM)), 1);
        assertThat(b.commitShared(List.of(new Change.Held(hold("10.0.0.51", "00:11:22:33:44:55"))), ended))
                .isEqualTo(ended + 1);
        assertThat(count("ipam_hold_key")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ pools

    @Test
    void poolChangesNeedTheLatestPoolChangeSeen() {
        assertThat(a.commitShared(List.of(created("p", "10.0.0.0/24")), 0)).isEqualTo(1);
        assertRefused(b, 0, List.of(created("q", "10.1.0.0/24")), "set of pools", "sequence 1", "after 0");
        assertThat(b.commitShared(List.of(created("q", "10.1.0.0/24")), 1)).isEqualTo(2);
        assertRefused(a, 2, List.of(created("p", "10.2.0.0/24")), "Pool 'p' already exists");
        assertRefused(a, 2, List.of(new Change.PoolDeleted("nope", t(3), "admin")), "Pool 'nope' does not exist");
        // A pool deleted by another instance: an allocation decided before is refused as a conflict.
        assertThat(b.commitShared(List.of(new Change.PoolDeleted("q", t(3), "admin")), 2)).isEqualTo(3);
        assertRefused(a, 2, List.of(new Change.Allocated(new Allocation("q", ip("10.1.0.1"), "vm", null, null, null, null,
                t(4), "heat"))), "Pool 'q' does not exist", "sequence 3");
    }

    @Test
    void aPoolIsDeletedOnlyWhenEmptyAndEveryChangeOfItWasSeen() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = allocKey("10.0.0.60", "vm-b", "prod", "web_1");
        b.commitShared(List.of(allocated(x), new Change.Held(hold("10.0.0.61", "k"))), 1);
        long freed = b.commitShared(List.of(released(x), new Change.HoldEnded(hold("10.0.0.61", "k"),
                Change.HoldEndReason.CANCELLED, t(3), "foreman")), 3);
        Change delete = new Change.PoolDeleted("p", t(4), "admin");
        assertRefused(a, 1, List.of(delete), "Pool 'p' cannot be deleted", "was changed by another instance", "after 1");
        Allocation y = alloc("10.0.0.62", "vm-b");
        long live = b.commitShared(List.of(allocated(y)), freed + 1);
        assertRefused(a, live, List.of(delete), "Pool 'p' cannot be deleted", "10.0.0.62 is ALLOCATED");
        long last = b.commitShared(List.of(released(y)), live);
        assertThat(a.commitShared(List.of(delete), last)).isEqualTo(last + 1);
        // The tombstones, keys and last releases of the pool went with it.
        assertThat(count("ipam_address") + count("ipam_env_key") + count("ipam_hold_key") + count("ipam_last_release")
                + count("ipam_pool")).isZero();
        // A new pool of the same name starts empty and its addresses carry no stale stamps.
        a.commitShared(List.of(created("p", "10.0.0.0/24")), last + 1);
        assertThat(a.commitShared(List.of(allocated(alloc("10.0.0.62", "vm-a"))), last + 2)).isEqualTo(last + 3);
    }

    @Test
    void aPoolMayBeDeletedAndRecreatedInOneBatch() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        Allocation x = alloc("10.0.0.70", "vm-a");
        a.commitShared(List.of(allocated(x)), 1);
        a.commitShared(List.of(released(x), new Change.PoolDeleted("p", t(3), "admin"), created("p", "10.0.0.0/24"),
                allocated(alloc("10.0.0.70", "vm-again")), allocated(alloc("10.0.0.71", "vm-2"))), 2);
        assertThat(observe().allocations()).extracting(Allocation::owner).containsExactlyInAnyOrder("vm-again", "vm-2");
        assertThat(count("ipam_address")).isEqualTo(2);
        assertThat(count("ipam_pool")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ sequences

    @Test
    void sequencesInterleaveGapFreeAcrossInstances() {
        assertThat(a.commitShared(List.of(created("p", "10.0.0.0/24")), 0)).isEqualTo(1);
        long expected = 2;
        for (int i = 0; i < 10; i++) {
            JdbcStore s = i % 2 == 0 ? b : a;
            List<Change> batch = new ArrayList<>();
            for (int k = 0; k <= i % 3; k++) {
                batch.add(allocated(alloc("10.0.0." + (100 + 3 * i + k), "vm-" + i)));
            }
            assertThat(s.commitShared(batch, 1)).isEqualTo(expected);
            expected += batch.size();
        }
        assertThat(b.readJournal(1, 1000)).extracting(JournalEntry::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(1, expected).boxed().toList());
        List<Long> origins = queryLongs("SELECT origin FROM ipam_journal ORDER BY seq");
        assertThat(origins.get(0)).isEqualTo(a.origin());
        assertThat(origins.get(1)).isEqualTo(b.origin());
        assertThat(new HashSet<>(origins)).containsExactlyInAnyOrder(a.origin(), b.origin());
        // The single-writer commit must continue the sequence that every instance shares.
        long next = expected;
        assertThatThrownBy(() -> a.commit(new ChangeBatch(next - 1, List.of(allocated(alloc("10.0.0.200", "x"))))))
                .isInstanceOf(StoreException.class).isNotInstanceOf(ConcurrentChangeException.class)
                .hasMessageContaining("last sequence is " + (next - 1));
        a.commit(new ChangeBatch(next, List.of(allocated(alloc("10.0.0.200", "x")))));
        assertThat(b.readJournal(next, 10)).hasSize(1);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void concurrentInstancesCommitWithoutGapsOrOverlaps() throws Exception {
        a.commitShared(List.of(created("p", "10.8.0.0/16")), 0);
        int instances = 3;
        int threads = 3;
        int commits = 30;
        List<JdbcStore> all = new ArrayList<>(List.of(a, b));
        while (all.size() < instances) {
            all.add(open());
        }
        ExecutorService pool = Executors.newFixedThreadPool(instances * threads);
        List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            for (int t = 0; t < threads; t++) {
                JdbcStore store = all.get(i);
                int base = (i * threads + t) * 1000;
                futures.add(pool.submit(() -> {
                    for (int c = 0; c < commits; c++) {
                        List<Change> batch = new ArrayList<>();
                        for (int k = 0; k <= c % 4; k++) {
                            int n = base + c * 5 + k;
                            batch.add(new Change.Allocated(new Allocation("p", ip("10.8.0.0").plus(n), "vm-" + n, null, null,
                                    null, null, t(1), "w")));
                        }
                        long first = store.commitShared(batch, 1);
                        ranges.add(new long[] {first, batch.size()});
                    }
                    return null;
                }));
            }
        }
        for (Future<?> f : futures) {
            f.get(150, TimeUnit.SECONDS);
        }
        pool.shutdown();
        TreeMap<Long, Long> byFirst = new TreeMap<>();
        for (long[] r : ranges) {
            assertThat(byFirst.put(r[0], r[1])).as("first sequence %d handed out twice", r[0]).isNull();
        }
        long next = 2;
        for (var e : byFirst.entrySet()) {
            assertThat(e.getKey()).as("batches are numbered without gaps or overlaps").isEqualTo(next);
            next += e.getValue();
        }
        assertThat(a.readJournal(1, Integer.MAX_VALUE)).hasSize((int) next - 1);
        assertThat(observe().allocations()).hasSize((int) next - 2);
    }

    // ------------------------------------------------------------------ other changes

    @Test
    void accessRefusalsTouchNothingButTheJournal() {
        long seq = b.commitShared(List.of(new Change.AccessRefused("mallory", Action.ADMIN, EAST, "no-such-pool", t(1)),
                new Change.AccessRefused("mallory", Action.READ, EAST, null, t(2))), 0);
        assertThat(seq).isEqualTo(1);
        assertThat(count("ipam_journal")).isEqualTo(2);
        assertThat(count("ipam_pool") + count("ipam_address")).isZero();
        assertThat(queryLong("SELECT pools_seq FROM ipam_head")).isZero();
    }

    @Test
    void badArgumentsAreRefusedWithClearErrors() {
        assertThatThrownBy(() -> a.commitShared(List.of(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one change");
        assertThatThrownBy(() -> a.commitShared(List.of(created("p", "10.0.0.0/24")), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> a.commitShared(null, 0)).isInstanceOf(NullPointerException.class);
    }

    // ------------------------------------------------------------------ IPv6

    @Test
    void ipv6AddressesAreStoredAsSixteenBytesInAddressOrder() {
        a.commitShared(List.of(new Change.PoolCreated(PoolSpec.builder("p", EAST).cidr("2001:db8::/32").build(), t(0),
                "admin"), created("v4", "10.0.0.0/8")), 0);
        List<String> texts = List.of("2001:db8::", "2001:db8::1", "2001:db8::ff", "2001:db8::100", "2001:db8:0:1::",
                "2001:db8:8000::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:10.0.0.1");
        List<Change> batch = new ArrayList<>();
        for (String text : texts) {
            batch.add(allocated(alloc(text, "vm-" + text)));
        }
        a.commitShared(batch, 2);
        // The IPv4 twin of an IPv4-mapped address (stored in the IPv6 pool: the store does not check ranges) is
        // another address.
        long v4 = b.commitShared(List.of(new Change.Allocated(new Allocation("v4", ip("10.0.0.1"), "vm-4", null, null, null,
                null, t(1), "heat"))), 1 + texts.size() + 1);
        assertThat(a.history(ip("10.0.0.1"))).extracting(JournalEntry::sequence).containsExactly(v4);
        assertThat(a.history(ip("::ffff:10.0.0.1"))).hasSize(1);
        assertRefused(b, v4, List.of(allocated(alloc("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "vm-b"))),
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "expects the address FREE");
        // Byte order is address order (unsigned, big-endian), so range scans of the index see address ranges.
        List<IpAddress> stored = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT addr FROM ipam_address WHERE pool = 'p' AND family = 6 ORDER BY addr")) {
            while (rs.next()) {
                stored.add(IpAddress.fromBytes(rs.getBytes(1)));
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        List<IpAddress> sorted = texts.stream().map(IpAddress::parse).sorted().toList();
        assertThat(stored).containsExactlyElementsOf(sorted);
        try (Connection c = ds.getConnection(); var ps = c.prepareStatement(
                "SELECT COUNT(*) FROM ipam_address WHERE pool = 'p' AND family = 6 AND addr >= ? AND addr <= ?")) {
            ps.setBytes(1, ip("2001:db8::1").toBytes());
            ps.setBytes(2, ip("2001:db8:0:1::").toBytes());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(4); // ::1, ::ff, ::100 and 0:1::
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        // And everything round-trips through load.
        Set<Allocation> loaded = new HashSet<>();
        try (StoredState s = b.load()) {
            s.forEachAllocation(loaded::add);
        }
        assertThat(loaded).hasSize(texts.size() + 1).contains(alloc("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                "vm-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    }

    // ------------------------------------------------------------------ load

    @Test
    void loadIsOneSnapshotWhileOthersCommit() {
        a.commitShared(List.of(created("p", "10.0.0.0/24")), 0);
        a.commitShared(List.of(allocated(alloc("10.0.0.1", "vm-1"))), 1);
        StoredState snapshot = b.load();
        assertThat(snapshot.lastSequence()).isEqualTo(2);
        // Another instance commits while the snapshot is open: the commit does not wait for it.
        a.commitShared(List.of(allocated(alloc("10.0.0.2", "vm-2")), created("q", "10.1.0.0/24")), 2);
        List<String> owners = new ArrayList<>();
        snapshot.forEachAllocation(x -> owners.add(x.owner()));
        assertThat(owners).containsExactly("vm-1");
        assertThat(snapshot.pools()).hasSize(1);
        assertThat(snapshot.lastSequence()).isEqualTo(2);
        // A second load through the same store closes the first one.
        StoredState fresh = b.load();
        assertThatThrownBy(() -> snapshot.forEachHold(h -> { })).isInstanceOf(IllegalStateException.class);
        owners.clear();
        fresh.forEachAllocation(x -> owners.add(x.owner()));
        assertThat(owners).containsExactlyInAnyOrder("vm-1", "vm-2");
        assertThat(fresh.lastSequence()).isEqualTo(4);
        fresh.close();
        fresh.close();
        b.close();
        assertThatThrownBy(fresh::lastSequence).isInstanceOf(IllegalStateException.class);
    }
}
