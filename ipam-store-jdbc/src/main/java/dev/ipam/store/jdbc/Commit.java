package dev.ipam.store.jdbc;

import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeCodec;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.store.jdbc.SqlErrors.SqlNull;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One commit transaction: locks the head row, reads what the changes touch, checks every change in
 * order (each sees the ones before it), then writes everything with JDBC batches and advances the
 * head. Used once, by one thread, inside a transaction the caller commits or rolls back.
 */
final class Commit {

    // Address states in ipam_address.state (stable: part of the schema).
    static final short FREE = 0;
    static final short ALLOCATED = 1;
    static final short HELD = 2;
    static final short QUARANTINED = 3;

    /** Values per IN list. */
    private static final int IN_CHUNK = 512;
    private static final int PAIR_CHUNK = 256;
    /**
     * Point lookups per {@code UNION ALL}: planning grows with the branches, and from about a hundred of
     * them PostgreSQL plans a parallel append whose start-up dominates (measured per key: 65 microseconds
     * with 512 branches, 7 with 64).
     */
    private static final int UNION_CHUNK = 64;

    private final Tx tx;
    private final Dialect dialect;
    private final long origin;
    private final boolean shared;
    private final List<Change> changes;
    /** For {@link #single}: the first sequence the batch claims. */
    private final long claimedFirst;
    private long seenThrough;

    // The head row as read under its lock.
    private long lastSeq;
    private long poolsSeq;
    private long poolsOrigin;

    private final Map<String, PoolEntry> pools = new LinkedHashMap<>();
    private final Map<Slot, AddressEntry> addresses = new LinkedHashMap<>();
    private final Map<EnvKey, KeyEntry> envKeys = new LinkedHashMap<>();
    private final Map<HoldKey, KeyEntry> holdKeys = new LinkedHashMap<>();
    private final Map<EnvKey, ReleaseEntry> lastReleases = new LinkedHashMap<>();

    private Commit(Tx tx, Dialect dialect, long origin, boolean shared, List<Change> changes, long seenThrough,
            long claimedFirst) {
        this.tx = tx;
        this.dialect = dialect;
        this.origin = origin;
        this.shared = shared;
        this.changes = changes;
        this.seenThrough = seenThrough;
        this.claimedFirst = claimedFirst;
    }

    /** A {@link dev.ipam.spi.SharedStore#commitShared} of {@code changes} decided on {@code seenThrough}. */
    static Commit shared(Tx tx, Dialect dialect, long origin, List<Change> changes, long seenThrough) {
        return new Commit(tx, dialect, origin, true, changes, seenThrough, 0);
    }

    /** A single-writer {@link dev.ipam.spi.IpamStore#commit} of a batch starting at {@code firstSequence}. */
    static Commit single(Tx tx, Dialect dialect, long origin, List<Change> changes, long firstSequence) {
        return new Commit(tx, dialect, origin, false, changes, 0, firstSequence);
    }

    // ------------------------------------------------------------------ state

    record Slot(String pool, IpAddress address) {
    }

    record EnvKey(String pool, String environment, String name) {
        @Override
        public String toString() {
            return environment + "/" + name + " in pool '" + pool + "'";
        }
    }

    record HoldKey(String pool, String key) {
        @Override
        public String toString() {
            return "'" + key + "' in pool '" + pool + "'";
        }
    }

    /** A pool as stored and as the batch has changed it so far. */
    private static final class PoolEntry {
        final String name;
        boolean stored;
        long storedSeq;
        long storedOrigin;
        /** Bumped by each deletion in the batch: entries of an older epoch belong to a deleted incarnation. */
        int epoch;
        boolean alive;
        /** The stored rows of the pool are deleted first (the batch deletes the stored pool). */
        boolean wipe;
        /** The pool of the live incarnation when the batch created it, else null. */
        Pool created;
        long createdSeq;

        PoolEntry(String name) {
            this.name = name;
        }
    }

    private static final class AddressEntry {
        int epoch;
        boolean rowStored;
        long storedSeq;
        long storedOrigin;
        boolean checked;
        short state = FREE;
        boolean dirty;
        long seq;
        byte[] payload;
    }

    private static final class KeyEntry {
        int epoch;
        IpAddress stored;
        IpAddress current;
    }

    private record ReleaseEntry(int epoch, byte[] payload) {
    }

    // ------------------------------------------------------------------ run

    /** Runs the commit and returns the sequence of the first change. */
    long run() throws SQLException {
        readHead();
        if (!shared) {
            if (claimedFirst != lastSeq + 1) {
                throw new StoreException("Batch starts at sequence " + claimedFirst + " but the store's last sequence is "
                        + lastSeq);
            }
            seenThrough = lastSeq;
        }
        long first = lastSeq + 1;
        collect();
        readPools();
        readAddresses();
        readEnvKeys();
        readHoldKeys();
        byte[][] encoded = check(first);
        write(first, encoded);
        return first;
    }

    private void readHead() throws SQLException {
        boolean[] found = {false};
        tx.query("SELECT last_seq, pools_seq, pools_origin FROM ipam_head WHERE id = 1 FOR UPDATE", rs -> {
            found[0] = true;
            lastSeq = rs.getLong(1);
            poolsSeq = rs.getLong(2);
            poolsOrigin = rs.getLong(3);
        });
        if (!found[0]) {
            throw new StoreException("The ipam schema is damaged: table ipam_head has no row");
        }
    }

    /** Registers every pool, address and key the batch touches (stored values are read next). */
    private void collect() {
        for (Change c : changes) {
            if (c instanceof Change.AccessRefused) {
                continue;
            }
            pools.computeIfAbsent(c.pool(), PoolEntry::new);
            IpAddress a = AddressState.addressOf(c);
            if (a == null) {
                continue;
            }
            addresses.computeIfAbsent(new Slot(c.pool(), a), s -> new AddressEntry());
            EnvKey env = envKeyOf(c);
            if (env != null) {
                envKeys.computeIfAbsent(env, k -> new KeyEntry());
            }
            HoldKey hold = holdKeyOf(c);
            if (hold != null) {
                holdKeys.computeIfAbsent(hold, k -> new KeyEntry());
            }
        }
    }

    private static EnvKey envKeyOf(Change c) {
        Allocation a = c instanceof Change.Allocated al ? al.allocation()
                : c instanceof Change.Released r ? r.allocation() : null;
        if (a == null || a.environment() == null) {
            return null;
        }
        return new EnvKey(a.pool(), a.environment(), a.name() == null ? "" : a.name());
    }

    private static HoldKey holdKeyOf(Change c) {
        Hold h = c instanceof Change.Held held ? held.hold() : c instanceof Change.HoldEnded e ? e.hold() : null;
        return h == null || h.key() == null ? null : new HoldKey(h.pool(), h.key());
    }

    private void readPools() throws SQLException {
        List<String> names = new ArrayList<>(pools.keySet());
        for (int from = 0; from < names.size(); from += IN_CHUNK) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + IN_CHUNK));
            int size = Tx.paddedSize(chunk.size(), IN_CHUNK);
            Object[] params = new Object[size];
            for (int i = 0; i < size; i++) {
                params[i] = chunk.get(Math.min(i, chunk.size() - 1));
            }
            tx.query("SELECT name, created_seq, origin FROM ipam_pool WHERE name IN (" + Tx.markers(size) + ")", rs -> {
                PoolEntry p = pools.get(rs.getString(1));
                if (p != null) {
                    p.stored = true;
                    p.alive = true;
                    p.storedSeq = rs.getLong(2);
                    p.storedOrigin = rs.getLong(3);
                }
            }, params);
        }
    }

    private void readAddresses() throws SQLException {
        Map<String, List<Slot>> groups = new LinkedHashMap<>(); // pool + family -> slots
        for (Slot s : addresses.keySet()) {
            if (pools.get(s.pool()).stored) {
                groups.computeIfAbsent(s.pool() + (s.address().isIpv4() ? "\u00004" : "\u00006"), k -> new ArrayList<>()).add(s);
            }
        }
        for (List<Slot> group : groups.values()) {
            String pool = group.get(0).pool();
            short family = (short) family(group.get(0).address());
            Map<ByteKey, Slot> byBytes = new HashMap<>();
            List<Object[]> values = new ArrayList<>(group.size());
            for (Slot s : group) {
                byte[] bytes = s.address().toBytes();
                byBytes.put(new ByteKey(bytes), s);
                values.add(new Object[] {bytes});
            }
            lookup("a.addr, a.state, a.last_seq, a.origin", "ipam_address", new String[] {"pool", "family"},
                    new Object[] {pool, family}, new String[] {"addr"}, values, rs -> {
                        Slot s = byBytes.get(new ByteKey(rs.getBytes(1)));
                        if (s != null) {
                            AddressEntry e = addresses.get(s);
                            e.rowStored = true;
                            e.state = rs.getShort(2);
                            e.storedSeq = rs.getLong(3);
                            e.storedOrigin = rs.getLong(4);
                        }
                    });
        }
    }

    private void readEnvKeys() throws SQLException {
        Map<String, List<Object[]>> byPool = new LinkedHashMap<>();
        for (EnvKey k : envKeys.keySet()) {
            if (pools.get(k.pool()).stored) {
                byPool.computeIfAbsent(k.pool(), p -> new ArrayList<>()).add(new Object[] {k.environment(), k.name()});
            }
        }
        for (Map.Entry<String, List<Object[]>> e : byPool.entrySet()) {
            String pool = e.getKey();
            lookup("a.environment, a.name, a.family, a.addr", "ipam_env_key", new String[] {"pool"}, new Object[] {pool},
                    new String[] {"environment", "name"}, e.getValue(), rs -> {
                        KeyEntry k = envKeys.get(new EnvKey(pool, rs.getString(1), rs.getString(2)));
                        if (k != null) {
                            k.stored = address(rs.getShort(3), rs.getBytes(4));
                            k.current = k.stored;
                        }
                    });
        }
    }

    private void readHoldKeys() throws SQLException {
        Map<String, List<Object[]>> byPool = new LinkedHashMap<>();
        for (HoldKey k : holdKeys.keySet()) {
            if (pools.get(k.pool()).stored) {
                byPool.computeIfAbsent(k.pool(), p -> new ArrayList<>()).add(new Object[] {k.key()});
            }
        }
        for (Map.Entry<String, List<Object[]>> e : byPool.entrySet()) {
            String pool = e.getKey();
            lookup("a.hold_key, a.family, a.addr", "ipam_hold_key", new String[] {"pool"}, new Object[] {pool},
                    new String[] {"hold_key"}, e.getValue(), rs -> {
                        KeyEntry k = holdKeys.get(new HoldKey(pool, rs.getString(1)));
                        if (k != null) {
                            k.stored = address(rs.getShort(2), rs.getBytes(3));
                            k.current = k.stored;
                        }
                    });
        }
    }

    /**
     * Reads the rows of {@code table} (alias {@code a}) whose prefix columns equal {@code prefix} and whose
     * key columns equal one of the {@code keys}, in chunks padded to a power of two (repeating the last key)
     * so that few distinct statements exist. The query shape is the one each database runs as indexed
     * lookups whatever its statistics say (a table that just grew by a large batch has none yet, and
     * PostgreSQL keeps the generic plan it made for a prepared statement while the table was empty):
     * MariaDB takes a row-value IN list (a range scan of the primary key); PostgreSQL and H2 run a
     * {@code UNION ALL} of point lookups on the whole key. (A {@code VALUES} join or an IN list on
     * PostgreSQL can keep a plan that scans the pool's whole key range: seen at 1 ms per commit with
     * 5,000 rows.) The point lookups go {@value #UNION_CHUNK} to a statement.
     */
    private void lookup(String columns, String table, String[] prefixColumns, Object[] prefix, String[] keyColumns,
            List<Object[]> keys, Tx.RowReader reader) throws SQLException {
        int chunkSize = dialect != Dialect.MARIADB ? UNION_CHUNK : keyColumns.length == 1 ? IN_CHUNK : PAIR_CHUNK;
        StringBuilder where = new StringBuilder();
        for (String c : prefixColumns) {
            where.append(where.length() == 0 ? "" : " AND ").append("a.").append(c).append(" = ?");
        }
        for (int from = 0; from < keys.size(); from += chunkSize) {
            List<Object[]> chunk = keys.subList(from, Math.min(keys.size(), from + chunkSize));
            int size = Tx.paddedSize(chunk.size(), chunkSize);
            List<Object> params = new ArrayList<>(size * (prefix.length + keyColumns.length));
            StringBuilder sql = new StringBuilder(64 + 16 * size);
            String tuple = "(" + Tx.markers(keyColumns.length) + ")";
            switch (dialect) {
                case MARIADB -> {
                    sql.append("SELECT ").append(columns).append(" FROM ").append(table).append(" a WHERE ").append(where)
                            .append(" AND (a.").append(String.join(", a.", keyColumns)).append(") IN (");
                    params.addAll(List.of(prefix));
                    for (int i = 0; i < size; i++) {
                        sql.append(i == 0 ? "" : ", ").append(tuple);
                        params.addAll(List.of(chunk.get(Math.min(i, chunk.size() - 1))));
                    }
                    sql.append(')');
                }
                default -> {
                    String select = "SELECT " + columns + " FROM " + table + " a WHERE " + where + " AND a."
                            + String.join(" = ? AND a.", keyColumns) + " = ?";
                    for (int i = 0; i < size; i++) {
                        sql.append(i == 0 ? "" : " UNION ALL ").append(select);
                        params.addAll(List.of(prefix));
                        params.addAll(List.of(chunk.get(Math.min(i, chunk.size() - 1))));
                    }
                }
            }
            tx.query(sql.toString(), reader, params.toArray());
        }
    }

    // ------------------------------------------------------------------ checks

    /**
     * Checks and applies every change in order, in memory; returns the encoded changes. A refusal
     * names the index of the refused change (the changes before it passed every check).
     */
    private byte[][] check(long first) throws SQLException {
        byte[][] encoded = new byte[changes.size()][];
        ChangeCodec.Out out = new ChangeCodec.Out(256);
        for (int i = 0; i < changes.size(); i++) {
            Change c = changes.get(i);
            out.reset();
            ChangeCodec.writeChange(out, c);
            encoded[i] = out.toBytes();
            try {
                checkOne(c, first + i, encoded[i]);
            } catch (ConcurrentChangeException e) {
                throw new ConcurrentChangeException(e.getMessage(), i);
            }
        }
        return encoded;
    }

    private void checkOne(Change c, long seq, byte[] encodedChange) throws SQLException {
        if (c instanceof Change.AccessRefused) {
            return;
        }
        PoolEntry p = pools.get(c.pool());
        if (c instanceof Change.PoolCreated created) {
            requirePoolsSeen(c);
            if (p.alive) {
                throw violation("Pool '" + p.name + "' already exists", c);
            }
            p.alive = true;
            p.created = new Pool(created.spec(), created.at(), created.caller());
            p.createdSeq = seq;
            return;
        }
        if (c instanceof Change.PoolDeleted) {
            requirePoolsSeen(c);
            if (!p.alive) {
                throw violation("Pool '" + p.name + "' does not exist", c);
            }
            requireEmpty(p, c);
            if (p.created == null) {
                p.wipe = true; // the stored incarnation goes
            }
            p.alive = false;
            p.created = null;
            p.epoch++;
            return;
        }
        applyAddressChange(c, p, seq, encodedChange);
    }

    private void requirePoolsSeen(Change c) {
        if (shared && poolsSeq > seenThrough && poolsOrigin != origin) {
            throw new ConcurrentChangeException("Another instance changed the set of pools at sequence " + poolsSeq
                    + ", after " + seenThrough + "; refused: " + describe(c));
        }
    }

    /** A pool may be deleted only when every address is free and every stored change of it was seen. */
    private void requireEmpty(PoolEntry p, Change c) throws SQLException {
        int touched = 0;
        for (Map.Entry<Slot, AddressEntry> e : addresses.entrySet()) {
            AddressEntry a = e.getValue();
            if (e.getKey().pool().equals(p.name) && a.epoch == p.epoch && a.checked) {
                touched++;
                if (a.state != FREE) {
                    throw violation("Pool '" + p.name + "' is not empty and cannot be deleted: " + e.getKey().address()
                            + " is " + stateName(a.state), c);
                }
            }
        }
        if (p.created != null) {
            return; // created by this batch: nothing of it is stored
        }
        String sql = shared
                ? "SELECT family, addr, state, last_seq, origin FROM ipam_address WHERE pool = ? AND (state <> 0"
                        + " OR (last_seq > ? AND origin <> ?)) ORDER BY family, addr LIMIT ?"
                : "SELECT family, addr, state, last_seq, origin FROM ipam_address WHERE pool = ? AND state <> 0"
                        + " ORDER BY family, addr LIMIT ?";
        Object[] params = shared ? new Object[] {p.name, seenThrough, origin, touched + 1} : new Object[] {p.name, touched + 1};
        List<String> problems = new ArrayList<>();
        boolean[] conflict = {false};
        tx.query(sql, rs -> {
            IpAddress a = address(rs.getShort(1), rs.getBytes(2));
            AddressEntry entry = addresses.get(new Slot(p.name, a));
            if (entry != null && entry.epoch == p.epoch && entry.checked) {
                return; // decided by the batch (and checked when the batch first touched it)
            }
            short state = rs.getShort(3);
            long seq = rs.getLong(4);
            if (state != FREE) {
                problems.add(a + " is " + stateName(state));
            } else {
                conflict[0] = true;
                problems.add(a + " was changed by another instance at sequence " + seq + ", after " + seenThrough);
            }
        }, params);
        if (!problems.isEmpty()) {
            String message = "Pool '" + p.name + "' cannot be deleted: " + problems.get(0);
            throw conflict[0] ? new ConcurrentChangeException(message + "; refused: " + describe(c)) : violation(message, c);
        }
    }

    private void applyAddressChange(Change c, PoolEntry p, long seq, byte[] encodedChange) {
        IpAddress a = AddressState.addressOf(c);
        if (!p.alive) {
            if (shared && poolsSeq > seenThrough && poolsOrigin != origin) {
                throw new ConcurrentChangeException("Pool '" + p.name + "' does not exist: another instance changed the set"
                        + " of pools at sequence " + poolsSeq + ", after " + seenThrough + "; refused: " + describe(c));
            }
            throw violation("Pool '" + p.name + "' does not exist", c);
        }
        if (shared && p.created == null && p.storedSeq > seenThrough && p.storedOrigin != origin) {
            throw new ConcurrentChangeException("Pool '" + p.name + "' was created by another instance at sequence "
                    + p.storedSeq + ", after " + seenThrough + "; refused: " + describe(c));
        }
        AddressEntry e = addresses.get(new Slot(p.name, a));
        if (e.epoch != p.epoch) {
            // The pool was deleted (and maybe re-created) earlier in the batch: its stored rows are gone.
            e.epoch = p.epoch;
            e.rowStored = false;
            e.state = FREE;
            e.checked = true;
            e.dirty = false;
        }
        if (!e.checked) {
            e.checked = true;
            if (shared && e.rowStored && e.storedSeq > seenThrough && e.storedOrigin != origin) {
                throw new ConcurrentChangeException(a + " in pool '" + p.name + "' was changed by another instance at sequence "
                        + e.storedSeq + ", after " + seenThrough + " (it is " + stateName(e.state) + " now); refused: "
                        + describe(c));
            }
        }
        AddressState required = AddressState.requiredBy(c);
        if (e.state != code(required)) {
            throw violation(c.getClass().getSimpleName() + " of " + a + " in pool '" + p.name + "' expects the address "
                    + required + " but it is " + stateName(e.state), c);
        }
        AddressState next = AddressState.resultOf(c);
        e.state = code(next);
        e.seq = seq;
        e.dirty = true;
        if (c instanceof Change.Allocated al) {
            e.payload = ChangeCodec.encodeAllocation(al.allocation());
            EnvKey k = envKeyOf(c);
            if (k != null) {
                KeyEntry key = key(envKeys.get(k), p);
                if (key.current != null) {
                    if (shared) {
                        throw violation("Environment key " + k + " is already allocated (to " + key.current + ")", c);
                    }
                    // Single-writer mode: keys are the library's business; the first holder keeps the row.
                } else {
                    key.current = a;
                }
            }
        } else if (c instanceof Change.Released) {
            e.payload = next == AddressState.QUARANTINED ? encodedChange : null;
            EnvKey k = envKeyOf(c);
            if (k != null) {
                KeyEntry key = key(envKeys.get(k), p);
                if (a.equals(key.current)) {
                    key.current = null;
                }
                lastReleases.put(k, new ReleaseEntry(p.epoch, encodedChange));
            }
        } else if (c instanceof Change.Held h) {
            e.payload = ChangeCodec.encodeHold(h.hold());
            HoldKey k = holdKeyOf(c);
            if (k != null) {
                KeyEntry key = key(holdKeys.get(k), p);
                if (key.current != null) {
                    if (shared) {
                        throw violation("Hold key " + k + " is already held (" + key.current + ")", c);
                    }
                } else {
                    key.current = a;
                }
            }
        } else if (c instanceof Change.HoldEnded) {
            e.payload = null;
            HoldKey k = holdKeyOf(c);
            if (k != null) {
                KeyEntry key = key(holdKeys.get(k), p);
                if (a.equals(key.current)) {
                    key.current = null;
                }
            }
        } else {
            e.payload = null; // QuarantineEnded
        }
    }

    /** A key entry as of the pool's current incarnation. */
    private static KeyEntry key(KeyEntry k, PoolEntry p) {
        if (k.epoch != p.epoch) {
            k.epoch = p.epoch;
            k.stored = null;
            k.current = null;
        }
        return k;
    }

    private StoreException violation(String message, Change c) {
        String text = message + "; refused: " + describe(c);
        return shared ? new ConcurrentChangeException(text) : new StoreException(text);
    }

    private static String describe(Change c) {
        IpAddress a = AddressState.addressOf(c);
        return c.getClass().getSimpleName() + (a == null ? "" : " of " + a) + " in pool '" + c.pool() + "'";
    }

    // ------------------------------------------------------------------ writes

    private void write(long first, byte[][] encoded) throws SQLException {
        List<Object[]> wipes = new ArrayList<>();
        List<Object[]> poolInserts = new ArrayList<>();
        for (PoolEntry p : pools.values()) {
            if (p.wipe) {
                wipes.add(new Object[] {p.name});
            }
            if (p.alive && p.created != null) {
                poolInserts.add(new Object[] {p.name, p.createdSeq, origin, ChangeCodec.encodePool(p.created)});
            }
        }
        if (!wipes.isEmpty()) {
            tx.batch("DELETE FROM ipam_address WHERE pool = ?", wipes);
            tx.batch("DELETE FROM ipam_env_key WHERE pool = ?", wipes);
            tx.batch("DELETE FROM ipam_hold_key WHERE pool = ?", wipes);
            tx.batch("DELETE FROM ipam_last_release WHERE pool = ?", wipes);
            tx.batch("DELETE FROM ipam_pool WHERE name = ?", wipes);
        }
        tx.batch("INSERT INTO ipam_pool (name, created_seq, origin, payload) VALUES (?, ?, ?, ?)", poolInserts);

        writeKeys(envKeys, "DELETE FROM ipam_env_key WHERE pool = ? AND environment = ? AND name = ?",
                "INSERT INTO ipam_env_key (pool, environment, name, family, addr) VALUES (?, ?, ?, ?, ?)",
                k -> new Object[] {k.pool(), k.environment(), k.name()}, EnvKey::pool);
        writeKeys(holdKeys, "DELETE FROM ipam_hold_key WHERE pool = ? AND hold_key = ?",
                "INSERT INTO ipam_hold_key (pool, hold_key, family, addr) VALUES (?, ?, ?, ?)",
                k -> new Object[] {k.pool(), k.key()}, HoldKey::pool);

        List<Object[]> updates = new ArrayList<>();
        List<Object[]> inserts = new ArrayList<>();
        for (Map.Entry<Slot, AddressEntry> en : addresses.entrySet()) {
            AddressEntry e = en.getValue();
            PoolEntry p = pools.get(en.getKey().pool());
            if (!e.dirty || !p.alive || e.epoch != p.epoch) {
                continue;
            }
            IpAddress a = en.getKey().address();
            Object payload = e.payload == null ? SqlNull.BINARY : e.payload;
            if (e.rowStored) {
                updates.add(new Object[] {e.state, e.seq, origin, payload, p.name, (short) family(a), a.toBytes()});
            } else {
                inserts.add(new Object[] {p.name, (short) family(a), a.toBytes(), e.state, e.seq, origin, payload});
            }
        }
        tx.batch("UPDATE ipam_address SET state = ?, last_seq = ?, origin = ?, payload = ? WHERE pool = ? AND family = ?"
                + " AND addr = ?", updates);
        tx.batch("INSERT INTO ipam_address (pool, family, addr, state, last_seq, origin, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                inserts);

        List<Object[]> releaseKeys = new ArrayList<>();
        List<Object[]> releases = new ArrayList<>();
        for (Map.Entry<EnvKey, ReleaseEntry> en : lastReleases.entrySet()) {
            EnvKey k = en.getKey();
            PoolEntry p = pools.get(k.pool());
            if (!p.alive || en.getValue().epoch() != p.epoch) {
                continue;
            }
            releaseKeys.add(new Object[] {k.pool(), k.environment(), k.name()});
            releases.add(new Object[] {k.pool(), k.environment(), k.name(), en.getValue().payload()});
        }
        tx.batch("DELETE FROM ipam_last_release WHERE pool = ? AND environment = ? AND name = ?", releaseKeys);
        tx.batch("INSERT INTO ipam_last_release (pool, environment, name, payload) VALUES (?, ?, ?, ?)", releases);

        List<Object[]> journal = new ArrayList<>(changes.size());
        long lastPoolChange = 0;
        for (int i = 0; i < changes.size(); i++) {
            Change c = changes.get(i);
            long seq = first + i;
            IpAddress a = AddressState.addressOf(c);
            Instant at = c.at();
            boolean refused = c instanceof Change.AccessRefused;
            if (c instanceof Change.PoolCreated || c instanceof Change.PoolDeleted) {
                lastPoolChange = seq;
            }
            journal.add(new Object[] {seq, refused ? SqlNull.TEXT : c.pool(),
                    a == null ? SqlNull.SMALLINT : (Object) (short) family(a), a == null ? SqlNull.BINARY : a.toBytes(),
                    (short) ChangeCodec.tagOf(c), at.getEpochSecond(), at.getNano(), origin, a != null, encoded[i]});
        }
        tx.batch("INSERT INTO ipam_journal (seq, pool, family, addr, kind, at_seconds, at_nanos, origin, in_journal,"
                + " in_history, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?)", journal);

        long last = first + changes.size() - 1;
        if (lastPoolChange > 0) {
            tx.update("UPDATE ipam_head SET last_seq = ?, pools_seq = ?, pools_origin = ? WHERE id = 1", last,
                    lastPoolChange, origin);
        } else {
            tx.update("UPDATE ipam_head SET last_seq = ? WHERE id = 1", last);
        }
    }

    private <K> void writeKeys(Map<K, KeyEntry> keys, String deleteSql, String insertSql,
            java.util.function.Function<K, Object[]> keyParams, java.util.function.Function<K, String> poolOf)
            throws SQLException {
        List<Object[]> deletes = new ArrayList<>();
        List<Object[]> inserts = new ArrayList<>();
        for (Map.Entry<K, KeyEntry> en : keys.entrySet()) {
            KeyEntry k = en.getValue();
            PoolEntry p = pools.get(poolOf.apply(en.getKey()));
            if (!p.alive || k.epoch != p.epoch || Objects.equals(k.stored, k.current)) {
                continue;
            }
            Object[] key = keyParams.apply(en.getKey());
            if (k.stored != null) {
                deletes.add(key);
            }
            if (k.current != null) {
                Object[] row = java.util.Arrays.copyOf(key, key.length + 2);
                row[key.length] = (short) family(k.current);
                row[key.length + 1] = k.current.toBytes();
                inserts.add(row);
            }
        }
        tx.batch(deleteSql, deletes);
        tx.batch(insertSql, inserts);
    }

    // ------------------------------------------------------------------ helpers

    static int family(IpAddress a) {
        return a.isIpv4() ? 4 : 6;
    }

    static IpAddress address(int family, byte[] bytes) {
        if ((family == 4 && bytes.length == 4) || (family == 6 && bytes.length == 16)) {
            return IpAddress.fromBytes(bytes);
        }
        throw new StoreException("The ipam schema holds a bad address: family " + family + " with " + bytes.length + " bytes");
    }

    static short code(AddressState state) {
        return switch (state) {
            case FREE -> FREE;
            case ALLOCATED -> ALLOCATED;
            case HELD -> HELD;
            case QUARANTINED -> QUARANTINED;
        };
    }

    static String stateName(short code) {
        return switch (code) {
            case FREE -> "FREE";
            case ALLOCATED -> "ALLOCATED";
            case HELD -> "HELD";
            case QUARANTINED -> "QUARANTINED";
            default -> "in unknown state " + code;
        };
    }

    /** A byte[] usable as a hash key. */
    record ByteKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && java.util.Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return java.util.HexFormat.of().formatHex(bytes);
        }
    }
}
