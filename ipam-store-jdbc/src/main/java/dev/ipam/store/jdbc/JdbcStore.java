package dev.ipam.store.jdbc;

import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ChangeCodec;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.SharedStore;
import dev.ipam.spi.StoredState;
import dev.ipam.store.jdbc.SqlErrors.Kind;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SharedStore} in a relational database: PostgreSQL 15 or later and MariaDB 10.11 or later
 * (first-class), H2 2.3 in PostgreSQL mode (for tests and demos). Many library instances, in one or many
 * processes, may share one database: each opens its own {@code JdbcStore} on it.
 *
 * <pre>
 * HikariConfig config = new HikariConfig();
 * config.setJdbcUrl("jdbc:postgresql://db.example.com:5432/ipam");
 * config.setUsername("ipam");
 * config.setPassword(secret);
 * config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
 * try (HikariDataSource dataSource = new HikariDataSource(config);
 *      Ipam ipam = Ipam.builder().store(JdbcStore.open(dataSource)).accessPolicy(policy).build()) {
 *     ...
 * }
 * </pre>
 *
 * <p><b>Connections.</b> The store never creates a connection pool of its own: every operation borrows a
 * connection from the given {@link DataSource} and returns it before the call ends (a {@link StoredState}
 * returned by {@link #load()} keeps one until it is closed). Use a pool such as HikariCP with a default
 * isolation of READ COMMITTED; the store works with any default but then sets READ COMMITTED around each
 * commit, which costs round trips. {@link #close()} does not close the data source: its owner does, after
 * closing the store.
 *
 * <p><b>Schema.</b> The store's tables are created and upgraded by Flyway migrations shipped in this jar
 * (history table {@code ipam_schema_history}). {@link Builder#migrateOnOpen(boolean) migrateOnOpen(false)}
 * leaves the schema to the operator: the store then only checks its version.
 *
 * <p><b>Contract.</b> Thread-safe: every method may be called from any thread; each runs on its own
 * connection. Every method blocks while it talks to the database. Failures of the database surface as
 * {@link StoreException} (with the {@link SQLException} as cause and the failing statement with its
 * parameters in the message), conflicts with other instances as {@link ConcurrentChangeException};
 * either way nothing of the failed call was applied. Every method except {@link #close()} throws
 * {@link IllegalStateException} once the store is closed.
 *
 * <p><b>Implementation notes.</b> The transaction protocol of a commit ({@link #commitShared} and
 * {@link #commit}, one database transaction per batch, autocommit off, READ COMMITTED):
 * <ol>
 *   <li>{@code SELECT ... FROM ipam_head WHERE id = 1 FOR UPDATE} locks the single head row. Every commit
 *       of every instance takes this lock first, so commits are serialized: the next sequence is
 *       {@code last_seq + 1}, sequence order is commit order and the journal is gap-free across instances
 *       (a reader's statement sees a prefix of it). Statements after the lock see every earlier commit.</li>
 *   <li>The rows the batch touches are read in a few round trips, each statement looking up many primary
 *       keys in a shape that uses the primary key index whatever the table statistics say (a
 *       {@code UNION ALL} of point lookups on PostgreSQL and H2, a row-value IN list on MariaDB): its
 *       pools ({@code ipam_pool}), addresses ({@code ipam_address}: state, last sequence and origin),
 *       environment keys and hold keys.</li>
 *   <li>Every change is checked in Java, in order (a change sees the batch's earlier changes): the
 *       address is in the state {@link dev.ipam.spi.AddressState#requiredBy} asks for (no row = free);
 *       the pool exists; a created pool does not; a deleted pool has no address that is not free. For
 *       {@link #commitShared} also: the last change to the address (or the creation of its pool, or the
 *       last creation or deletion of any pool for pool changes, or any change to an address of a pool
 *       being deleted) has a sequence of at most {@code seenThrough} or was made through this store
 *       object (its random origin); and the environment keys of live allocations and the keys of live
 *       holds are unique per pool (also enforced by the primary keys of {@code ipam_env_key} and
 *       {@code ipam_hold_key}). The single-writer {@link #commit} leaves key uniqueness to its writer: a
 *       key that is taken stays with its first address. A violation rolls back and throws (a refusal of
 *       {@link #commitShared} names the index of the refused change, see
 *       {@link ConcurrentChangeException#refusedChange()}).</li>
 *   <li>The results are written with JDBC batches: address rows (free addresses stay as tombstones
 *       that keep the sequence and origin of their last change), key rows, last releases, one journal
 *       row per change with the encoded change ({@link ChangeCodec}), and the head. Then the transaction
 *       commits. If the connection fails during the commit itself, the store looks up the journal on a
 *       new connection to learn whether the commit took effect.</li>
 * </ol>
 * Deadlocks, serialization failures and lock timeouts retry the whole transaction (at most
 * {@value #MAX_ATTEMPTS} attempts, with jittered back-off). {@link #load()} reads in one REPEATABLE READ
 * transaction (SERIALIZABLE on H2), so its collections and {@code lastSequence} are one snapshot; rows
 * are streamed and decoded straight from their payload column.
 */
public final class JdbcStore implements SharedStore {

    /** At most this many tries of one transaction that fails with a deadlock or serialization failure. */
    static final int MAX_ATTEMPTS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcStore.class);
    private static final int FETCH_SIZE = 10_000;

    private final DataSource dataSource;
    private final Dialect dialect;
    private final Duration followInterval;
    private final long origin;
    /** Whether commits must set READ COMMITTED themselves (the data source's default is another level). */
    private final boolean setReadCommitted;
    private volatile boolean closed;
    private Snapshot snapshot; // guarded by this

    private JdbcStore(DataSource dataSource, Dialect dialect, Duration followInterval, boolean setReadCommitted) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.followInterval = followInterval;
        this.setReadCommitted = setReadCommitted;
        long o;
        SecureRandom random = new SecureRandom();
        do {
            o = random.nextLong();
        } while (o == 0);
        this.origin = o;
    }

    /**
     * A builder for a store on {@code dataSource}.
     *
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * Opens a store on {@code dataSource} with the defaults: {@code builder(dataSource).build()}. Blocks
     * while it migrates and checks the schema.
     *
     * @throws StoreException if the database is unreachable, is not a supported database, or its schema
     *     cannot be migrated or is not the version this store expects
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static JdbcStore open(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /** Configures and opens a {@link JdbcStore}. Not thread-safe; use one builder per thread. */
    public static final class Builder {
        private final DataSource dataSource;
        private boolean migrate = true;
        private Duration followInterval = Duration.ofMillis(200);

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * Whether {@link #build()} applies the migrations shipped in this jar (default true). With
         * {@code false} the schema is left untouched and only its version is checked: opening fails
         * unless the database is at exactly the version this jar expects.
         */
        public Builder migrateOnOpen(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * How often an instance on this store reads the journal for other instances' changes when idle
         * (default 200 ms); see {@link SharedStore#followInterval()}.
         *
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if it is zero or negative
         */
        public Builder followInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("followInterval must be positive, was " + interval);
            }
            this.followInterval = interval;
            return this;
        }

        /**
         * Opens the store: connects once, migrates the schema (or checks its version), checks that the
         * stored values use this store's encoding, and returns the ready store. Blocks meanwhile.
         *
         * @throws StoreException (with the cause) if the database is unreachable, is none of the supported
         *     databases, or its schema cannot be migrated or is not the expected version
         */
        public JdbcStore build() {
            Dialect dialect;
            int isolation;
            try (Connection c = dataSource.getConnection()) {
                dialect = Dialect.of(c);
                isolation = c.getTransactionIsolation();
            } catch (SQLException e) {
                throw new StoreException("Cannot open the JDBC store: cannot connect to the database (SQLSTATE "
                        + e.getSQLState() + "): " + e.getMessage(), e);
            }
            if (migrate) {
                Schema.migrate(dataSource, dialect);
            } else {
                Schema.check(dataSource, dialect);
            }
            JdbcStore store = new JdbcStore(dataSource, dialect, followInterval,
                    isolation != Connection.TRANSACTION_READ_COMMITTED);
            store.checkHead();
            LOG.debug("Opened {}", store);
            return store;
        }
    }

    private void checkHead() {
        int[] codec = {-1};
        read("Reading the ipam schema's head", tx -> {
            tx.query("SELECT codec_version FROM ipam_head WHERE id = 1", rs -> codec[0] = rs.getInt(1));
            return null;
        });
        if (codec[0] < 0) {
            throw new StoreException("Cannot open the JDBC store: the ipam schema is damaged: table ipam_head has no row");
        }
        if (codec[0] != ChangeCodec.VERSION) {
            throw new StoreException("Cannot open the JDBC store: the stored values are encoded with version " + codec[0]
                    + " of the change encoding but this ipam-store-jdbc uses version " + ChangeCodec.VERSION);
        }
    }

    // ------------------------------------------------------------------ load

    /**
     * Opens a consistent snapshot of the committed state (one REPEATABLE READ transaction, SERIALIZABLE on
     * H2, on a connection it keeps until {@link StoredState#close()}). Pools and the last sequence are read
     * now; the {@code forEach} methods stream their rows when called and may be called more than once.
     * A store has at most one open snapshot: calling {@code load()} again closes the previous one, and so
     * does {@link #close()}. Blocks while reading.
     *
     * @throws StoreException if the state cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public StoredState load() {
        ensureOpen();
        synchronized (this) {
            ensureOpen();
            if (snapshot != null) {
                snapshot.close();
            }
            Snapshot s = new Snapshot();
            snapshot = s;
            return s;
        }
    }

    private synchronized void snapshotClosed(Snapshot s) {
        if (snapshot == s) {
            snapshot = null;
        }
    }

    /** The committed state in one read transaction. Thread-safe (its methods are synchronized). */
    private final class Snapshot implements StoredState {
        private final Connection connection;
        private final Tx tx;
        private final boolean autoCommit;
        private final int isolation;
        private final long last;
        private final List<Pool> pools = new ArrayList<>();
        private boolean open = true;

        Snapshot() {
            Connection c = null;
            boolean auto = true;
            int iso = Connection.TRANSACTION_READ_COMMITTED;
            try {
                c = dataSource.getConnection();
                auto = c.getAutoCommit();
                iso = c.getTransactionIsolation();
                if (auto) {
                    c.setAutoCommit(false);
                } else {
                    c.rollback();
                }
                c.setTransactionIsolation(dialect.snapshotIsolation);
            } catch (SQLException e) {
                closeQuietly(c, auto, iso);
                throw SqlErrors.translate("Loading the ipam state", e, null, 1);
            }
            this.connection = c;
            this.autoCommit = auto;
            this.isolation = iso;
            this.tx = new Tx(c);
            long[] seq = {-1};
            try {
                tx.query("SELECT last_seq FROM ipam_head WHERE id = 1", rs -> seq[0] = rs.getLong(1));
                tx.query("SELECT payload FROM ipam_pool ORDER BY created_seq", rs ->
                        pools.add(decode("pool", rs.getBytes(1), ChangeCodec::decodePool)));
            } catch (SQLException e) {
                closeQuietly(c, auto, iso);
                throw SqlErrors.translate("Loading the ipam state", e, tx.current(), 1);
            } catch (RuntimeException e) {
                closeQuietly(c, auto, iso);
                throw e;
            }
            if (seq[0] < 0) {
                closeQuietly(c, auto, iso);
                throw new StoreException("Loading the ipam state failed: the ipam schema is damaged: table ipam_head has no row");
            }
            this.last = seq[0];
        }

        @Override
        public synchronized long lastSequence() {
            ensureSnapshotOpen();
            return last;
        }

        @Override
        public synchronized List<Pool> pools() {
            ensureSnapshotOpen();
            return List.copyOf(pools);
        }

        @Override
        public synchronized void forEachAllocation(Consumer<Allocation> action) {
            stream("allocation", "SELECT payload FROM ipam_address WHERE state = " + Commit.ALLOCATED,
                    ChangeCodec::decodeAllocation, action);
        }

        @Override
        public synchronized void forEachHold(Consumer<Hold> action) {
            stream("hold", "SELECT payload FROM ipam_address WHERE state = " + Commit.HELD, ChangeCodec::decodeHold, action);
        }

        @Override
        public synchronized void forEachQuarantine(Consumer<Change.Released> action) {
            stream("quarantine", "SELECT payload FROM ipam_address WHERE state = " + Commit.QUARANTINED,
                    ChangeCodec::decodeReleased, action);
        }

        @Override
        public synchronized void forEachLastRelease(Consumer<Change.Released> action) {
            stream("last release", "SELECT payload FROM ipam_last_release", ChangeCodec::decodeReleased, action);
        }

        private <T> void stream(String what, String sql, Function<byte[], T> decoder, Consumer<? super T> action) {
            Objects.requireNonNull(action, "action");
            ensureSnapshotOpen();
            try {
                tx.query(sql, FETCH_SIZE, rs -> action.accept(decode(what, rs.getBytes(1), decoder)));
            } catch (SQLException e) {
                throw SqlErrors.translate("Loading the stored " + what + "s", e, tx.current(), 1);
            }
        }

        private void ensureSnapshotOpen() {
            ensureOpen();
            if (!open) {
                throw new IllegalStateException("This StoredState is closed (closed by the caller, by a later load(),"
                        + " or with its store)");
            }
        }

        /** Ends the read transaction and returns the connection. Idempotent. */
        @Override
        public synchronized void close() {
            if (!open) {
                return;
            }
            open = false;
            closeQuietly(connection, autoCommit, isolation);
            snapshotClosed(this);
        }
    }

    private static <T> T decode(String what, byte[] bytes, Function<byte[], T> decoder) {
        try {
            return decoder.apply(bytes);
        } catch (IllegalArgumentException e) {
            throw new StoreException("The database holds a stored " + what + " that cannot be decoded: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Connection c, boolean autoCommit, int isolation) {
        if (c == null) {
            return;
        }
        try {
            try {
                c.rollback();
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(autoCommit);
            } finally {
                c.close();
            }
        } catch (SQLException e) {
            LOG.debug("Returning a connection after a read failed", e);
        }
    }

    // ------------------------------------------------------------------ commit

    /**
     * Commits a batch as the only writer: the batch must continue the stored last sequence exactly. Checks
     * the whole batch against the stored state and its own earlier changes (the address states and pools,
     * not the uniqueness of environment and hold keys, which a single writer keeps itself); one database
     * transaction. Blocks until the transaction has committed.
     *
     * @throws StoreException if the batch does not continue the last sequence, is inconsistent with the
     *     stored state (an address change from a state that does not allow it, an unknown or existing pool,
     *     deleting a pool that is not empty), or cannot be written; nothing of it was applied
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void commit(ChangeBatch batch) {
        Objects.requireNonNull(batch, "batch");
        ensureOpen();
        String operation = "Commit of sequences " + batch.firstSequence() + ".." + batch.lastSequence();
        runCommit(operation, batch.firstSequence(), tx -> Commit.single(tx, dialect, origin, batch.changes(), batch.firstSequence()).run());
    }

    /**
     * Commits changes decided on {@code seenThrough}, numbering them after the last change any instance
     * committed; see {@link SharedStore#commitShared} and the implementation notes for the rules. One
     * database transaction; blocks until it has committed.
     *
     * @throws ConcurrentChangeException naming the address, key or pool and what was found, if a change
     *     conflicts with the stored state or with a change another instance committed after
     *     {@code seenThrough}; nothing was applied
     * @throws StoreException if the changes could not be written; nothing was applied
     * @throws IllegalArgumentException if {@code changes} is empty or {@code seenThrough} is negative
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public long commitShared(List<Change> changes, long seenThrough) {
        List<Change> list = List.copyOf(Objects.requireNonNull(changes, "changes"));
        if (list.isEmpty()) {
            throw new IllegalArgumentException("commitShared needs at least one change");
        }
        if (seenThrough < 0) {
            throw new IllegalArgumentException("seenThrough must not be negative, was " + seenThrough);
        }
        ensureOpen();
        String operation = "Commit of " + list.size() + (list.size() == 1 ? " change" : " changes") + " seen through "
                + seenThrough;
        return runCommit(operation, -1, tx -> Commit.shared(tx, dialect, origin, list, seenThrough).run());
    }

    /** Runs a commit transaction; if the connection fails during COMMIT, finds out whether it took effect. */
    private long runCommit(String operation, long knownFirst, Work<Long> work) {
        long[] first = {knownFirst};
        try {
            return transaction(operation, false, setReadCommitted, true, tx -> {
                long f = work.run(tx);
                first[0] = f;
                return f;
            });
        } catch (OutcomeUnknown e) {
            if (first[0] > 0 && committedByMe(first[0], e.failure)) {
                LOG.warn("{}: the connection failed during COMMIT, but the journal shows that the commit took effect"
                        + " (sequence {})", operation, first[0]);
                return first[0];
            }
            throw e.failure;
        }
    }

    /** Whether the journal holds {@code sequence} committed through this store object. */
    private boolean committedByMe(long sequence, StoreException failure) {
        try {
            long[] found = {0};
            read("Checking the outcome of a failed commit", tx -> {
                tx.query("SELECT origin FROM ipam_journal WHERE seq = ?", rs -> found[0] = rs.getLong(1), sequence);
                return null;
            });
            return found[0] == origin;
        } catch (StoreException e) {
            throw new StoreException(failure.getMessage() + "; whether the commit took effect is unknown: checking the"
                    + " journal failed too: " + e.getMessage(), failure);
        }
    }

    // ------------------------------------------------------------------ journal and history

    /**
     * Committed changes of all instances from {@code fromSequence} on, at most {@code limit}, skipping
     * entries removed by {@link #pruneHistory}. One query; sees only committed transactions.
     *
     * @throws IllegalArgumentException if {@code fromSequence < 1} or {@code limit < 1}
     * @throws StoreException if the journal cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public List<JournalEntry> readJournal(long fromSequence, int limit) {
        ensureOpen();
        if (fromSequence < 1 || limit < 1) {
            throw new IllegalArgumentException("fromSequence " + fromSequence + " and limit " + limit + " must be at least 1");
        }
        return read("Reading the journal from sequence " + fromSequence, tx -> {
            List<JournalEntry> result = new ArrayList<>(Math.min(limit, 1024));
            tx.query("SELECT seq, payload FROM ipam_journal WHERE seq >= ? AND in_journal = TRUE ORDER BY seq LIMIT ?",
                    rs -> result.add(new JournalEntry(rs.getLong(1), decode("change", rs.getBytes(2), ChangeCodec::decodeChange))),
                    fromSequence, limit);
            return result;
        });
    }

    /**
     * Every committed change about {@code address} in any pool, in sequence order, from the journal's
     * (family, address, sequence) index.
     *
     * @throws StoreException if the journal cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public List<JournalEntry> history(IpAddress address) {
        Objects.requireNonNull(address, "address");
        ensureOpen();
        return read("Reading the history of " + address, tx -> {
            List<JournalEntry> result = new ArrayList<>();
            tx.query("SELECT seq, payload FROM ipam_journal WHERE family = ? AND addr = ? AND in_history = TRUE ORDER BY seq",
                    rs -> result.add(new JournalEntry(rs.getLong(1), decode("change", rs.getBytes(2), ChangeCodec::decodeChange))),
                    (short) Commit.family(address), address.toBytes());
            return result;
        });
    }

    /**
     * Forgets history and journal entries as {@link dev.ipam.spi.IpamStore#pruneHistory} documents, in one
     * transaction: per address and pool, every history entry up to the last release, hold end or quarantine
     * end before {@code cutoff}; and journal entries before the cutoff up to {@code deliveredUpTo}. A
     * journal row is deleted once it is in neither. Scans the journal's ending changes once per call, so
     * call it periodically rather than often. Durable when it returns.
     *
     * @throws StoreException if the journal cannot be read or written
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void pruneHistory(Instant cutoff, long deliveredUpTo) {
        Objects.requireNonNull(cutoff, "cutoff");
        ensureOpen();
        long s = cutoff.getEpochSecond();
        int n = cutoff.getNano();
        transaction("Pruning history before " + cutoff, false, false, false, tx -> {
            List<Object[]> ended = new ArrayList<>();
            tx.query("SELECT family, addr, pool, MAX(seq) FROM ipam_journal WHERE in_history = TRUE AND kind IN ("
                    + ChangeCodec.RELEASED + ", " + ChangeCodec.HOLD_ENDED + ", " + ChangeCodec.QUARANTINE_ENDED
                    + ") AND (at_seconds < ? OR (at_seconds = ? AND at_nanos < ?)) GROUP BY family, addr, pool",
                    rs -> ended.add(new Object[] {rs.getShort(1), rs.getBytes(2), rs.getString(3), rs.getLong(4)}), s, s, n);
            tx.batch("UPDATE ipam_journal SET in_history = FALSE WHERE family = ? AND addr = ? AND pool = ? AND seq <= ?"
                    + " AND in_history = TRUE", ended);
            List<Object[]> gone = new ArrayList<>(ended.size());
            for (Object[] e : ended) {
                gone.add(new Object[] {e[0], e[1], e[3]});
            }
            tx.batch("DELETE FROM ipam_journal WHERE family = ? AND addr = ? AND seq <= ? AND in_history = FALSE"
                    + " AND in_journal = FALSE", gone);
            tx.update("UPDATE ipam_journal SET in_journal = FALSE WHERE seq <= ? AND in_journal = TRUE"
                    + " AND (at_seconds < ? OR (at_seconds = ? AND at_nanos < ?))", deliveredUpTo, s, s, n);
            tx.update("DELETE FROM ipam_journal WHERE seq <= ? AND in_journal = FALSE AND in_history = FALSE", deliveredUpTo);
            return null;
        });
    }

    // ------------------------------------------------------------------ listeners

    /**
     * The last sequence the named listener acknowledged, 0 if none.
     *
     * @throws StoreException if it cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public long listenerPosition(String listener) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        return read("Reading the position of listener '" + listener + "'", tx -> {
            long[] position = {0};
            tx.query("SELECT position FROM ipam_listener WHERE name = ?", rs -> position[0] = rs.getLong(1), listener);
            return position[0];
        });
    }

    /**
     * Durably records a listener's position (one transaction; shared by all instances on the database).
     *
     * @throws StoreException if it cannot be written
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void saveListenerPosition(String listener, long sequence) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        transaction("Saving the position of listener '" + listener + "'", true, false, false, tx -> {
            if (tx.update("UPDATE ipam_listener SET position = ? WHERE name = ?", sequence, listener) == 0) {
                tx.update("INSERT INTO ipam_listener (name, position) VALUES (?, ?)", listener, sequence);
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ lifecycle

    /** The interval given to {@link Builder#followInterval}, 200 ms by default. */
    @Override
    public Duration followInterval() {
        return followInterval;
    }

    /** The random origin that marks the changes committed through this store object. */
    long origin() {
        return origin;
    }

    /**
     * Closes the store object: ends its open {@link StoredState}, if any. Does not close the data source.
     * Idempotent; calls already running finish normally; later calls of every other method throw
     * {@link IllegalStateException}.
     */
    @Override
    public void close() {
        Snapshot s;
        synchronized (this) {
            closed = true;
            s = snapshot;
            snapshot = null;
        }
        if (s != null) {
            s.close();
        }
    }

    @Override
    public String toString() {
        return "JdbcStore[" + dialect + ", origin " + Long.toHexString(origin) + (closed ? ", closed" : "") + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("JdbcStore is closed");
        }
    }

    // ------------------------------------------------------------------ transactions

    /** The body of a transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    /** A failure after COMMIT was sent: the transaction may or may not have taken effect. */
    private static final class OutcomeUnknown extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient StoreException failure;

        OutcomeUnknown(StoreException failure) {
            super(failure.getMessage(), failure, false, false);
            this.failure = failure;
        }
    }

    /**
     * Runs {@code work} in one transaction (autocommit off) and commits it; rolls back on any failure.
     * Retries deadlocks, serialization failures and lock timeouts (and integrity violations when
     * {@code retryConflicts}), at most {@link #MAX_ATTEMPTS} times. A failure after COMMIT was sent is
     * never retried: with {@code reportUnknownOutcome} it is thrown as {@link OutcomeUnknown}.
     */
    private <T> T transaction(String operation, boolean retryConflicts, boolean readCommitted,
            boolean reportUnknownOutcome, Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            Connection c;
            try {
                c = dataSource.getConnection();
            } catch (SQLException e) {
                if (SqlErrors.classify(e) == Kind.RETRY && attempt < MAX_ATTEMPTS) {
                    backOff(attempt, operation);
                    continue;
                }
                throw SqlErrors.translate(operation, e, null, attempt);
            }
            Tx tx = new Tx(c);
            boolean autoCommit = true;
            int isolation = -1;
            try {
                autoCommit = c.getAutoCommit();
                if (autoCommit) {
                    c.setAutoCommit(false);
                }
                if (readCommitted) {
                    isolation = c.getTransactionIsolation();
                    if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                    }
                }
                T result = work.run(tx);
                tx.commit();
                return result;
            } catch (SQLException e) {
                if (!tx.commitIssued()) {
                    rollbackQuietly(c, e);
                }
                Kind kind = SqlErrors.classify(e);
                boolean again = !tx.commitIssued() && (kind == Kind.RETRY || (retryConflicts && kind == Kind.CONFLICT));
                if (again && attempt < MAX_ATTEMPTS) {
                    SqlErrors.Statement statement = tx.current();
                    LOG.warn("{} failed (attempt {} of {}), retrying: SQLSTATE {}: {}; statement: {}", operation, attempt,
                            MAX_ATTEMPTS, e.getSQLState(), e.getMessage(), statement == null ? "-" : statement.describe(-1));
                    backOff(attempt, operation);
                    continue;
                }
                StoreException failure = SqlErrors.translate(operation, e, tx.current(), attempt);
                if (tx.commitIssued() && reportUnknownOutcome) {
                    throw new OutcomeUnknown(failure);
                }
                throw failure;
            } catch (RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            } finally {
                restoreQuietly(c, autoCommit, isolation);
                try {
                    c.close();
                } catch (SQLException e) {
                    LOG.debug("Closing a connection failed", e);
                }
            }
        }
    }

    /** Runs reads: one transaction only if the connection is not in autocommit mode. */
    private <T> T read(String operation, Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            Tx tx = null;
            try (Connection c = dataSource.getConnection()) {
                tx = new Tx(c);
                try {
                    T result = work.run(tx);
                    if (!c.getAutoCommit()) {
                        c.rollback();
                    }
                    return result;
                } catch (SQLException | RuntimeException | Error e) {
                    if (!c.getAutoCommit()) {
                        rollbackQuietly(c, e);
                    }
                    throw e;
                }
            } catch (SQLException e) {
                if (SqlErrors.classify(e) == Kind.RETRY && attempt < MAX_ATTEMPTS) {
                    backOff(attempt, operation);
                    continue;
                }
                throw SqlErrors.translate(operation, e, tx == null ? null : tx.current(), attempt);
            }
        }
    }

    private static void backOff(int attempt, String operation) {
        long base = ThreadLocalRandom.current().nextLong(5, 25);
        try {
            Thread.sleep(base << Math.min(attempt - 1, 4));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new StoreException(operation + " was interrupted while waiting to retry");
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException r) {
            cause.addSuppressed(r);
        }
    }

    private static void restoreQuietly(Connection c, boolean autoCommit, int isolation) {
        try {
            if (isolation >= 0 && isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(isolation);
            }
            if (autoCommit) {
                c.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Restoring the settings of a connection failed", e);
        }
    }
}
