package dev.ipam.testkit;

import dev.ipam.InMemoryStore;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.SharedStore;
import dev.ipam.spi.StoredState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference {@link SharedStore}: several store objects ("connections", one per library
 * instance) over one in-memory database, enforcing exactly the rules of {@link SharedStore}.
 * Durable only for the life of the JVM. Thread-safe.
 *
 * <pre>
 * SharedMemoryStore.Database db = new SharedMemoryStore.Database();
 * Ipam first = Ipam.builder().store(db.connect()).accessPolicy(AccessPolicy.allowAll()).build();
 * Ipam second = Ipam.builder().store(db.connect()).accessPolicy(AccessPolicy.allowAll()).build();
 * </pre>
 */
public final class SharedMemoryStore implements SharedStore {

    /** The shared data: journal and state in an {@link InMemoryStore}, plus who changed what last. */
    public static final class Database {
        private final InMemoryStore data = new InMemoryStore();
        private final AtomicLong origins = new AtomicLong();
        private final Map<AddressKey, Stamp> addressStamps = new HashMap<>();
        private final Map<String, Stamp> poolStamps = new HashMap<>();
        private final Map<String, IpAddress> liveEnvironmentKeys = new HashMap<>();
        private final Map<String, IpAddress> liveHoldKeys = new HashMap<>();
        private Stamp poolsStamp = new Stamp(0, 0);
        private long lastSequence;

        /** A new store object (a new instance's view) over this database. */
        public SharedMemoryStore connect() {
            return new SharedMemoryStore(this, origins.incrementAndGet(), Duration.ofMillis(50));
        }

        /** A new store object that reads the journal at the given interval when idle. */
        public SharedMemoryStore connect(Duration followInterval) {
            return new SharedMemoryStore(this, origins.incrementAndGet(), followInterval);
        }
    }

    private record AddressKey(String pool, IpAddress address) {
    }

    /** The sequence and origin of the last change of something. */
    private record Stamp(long sequence, long origin) {
    }

    private final Database db;
    private final long origin;
    private final Duration followInterval;
    private volatile boolean closed;

    private SharedMemoryStore(Database db, long origin, Duration followInterval) {
        this.db = db;
        this.origin = origin;
        this.followInterval = followInterval;
    }

    @Override
    public StoredState load() {
        ensureOpen();
        return db.data.load();
    }

    @Override
    public long commitShared(List<Change> changes, long seenThrough) {
        ensureOpen();
        synchronized (db) {
            long first = db.lastSequence + 1;
            Keys keys = check(changes, seenThrough);
            db.data.commit(new ChangeBatch(first, changes));
            stamp(changes, first, keys);
            return first;
        }
    }

    @Override
    public void commit(ChangeBatch batch) {
        ensureOpen();
        synchronized (db) {
            if (batch.firstSequence() != db.lastSequence + 1) {
                throw new StoreException("Batch starts at " + batch.firstSequence() + " but the last stored sequence is "
                        + db.lastSequence);
            }
            commitShared(batch.changes(), db.lastSequence);
        }
    }

    /** Live environment and hold keys as they would be after a batch. */
    private record Keys(Map<String, IpAddress> environment, Map<String, IpAddress> hold) {
    }

    /** Checks every rule of {@link SharedStore}; the state rules themselves the inner store checks on commit. */
    private Keys check(List<Change> changes, long seenThrough) {
        Map<AddressKey, Boolean> touched = new HashMap<>();
        Map<String, IpAddress> envKeys = new HashMap<>(db.liveEnvironmentKeys);
        Map<String, IpAddress> holdKeys = new HashMap<>(db.liveHoldKeys);
        for (int i = 0; i < changes.size(); i++) {
            try {
                checkOne(changes.get(i), seenThrough, touched, envKeys, holdKeys);
            } catch (ConcurrentChangeException e) {
                throw new ConcurrentChangeException(e.getMessage(), i);
            }
        }
        return new Keys(envKeys, holdKeys);
    }

    private void checkOne(Change c, long seenThrough, Map<AddressKey, Boolean> touched, Map<String, IpAddress> envKeys,
            Map<String, IpAddress> holdKeys) {
        if (c instanceof Change.PoolCreated || c instanceof Change.PoolDeleted) {
            requireSeen(db.poolsStamp, seenThrough, "the pools");
            if (c instanceof Change.PoolDeleted) {
                for (Map.Entry<AddressKey, Stamp> e : db.addressStamps.entrySet()) {
                    if (e.getKey().pool().equals(c.pool())) {
                        requireSeen(e.getValue(), seenThrough, e.getKey().address() + " in pool '" + c.pool() + "'");
                    }
                }
            }
            return;
        }
        IpAddress address = AddressState.addressOf(c);
        if (address == null) {
            return;
        }
        requireSeen(db.poolStamps.get(c.pool()), seenThrough, "pool '" + c.pool() + "'");
        AddressKey key = new AddressKey(c.pool(), address);
        if (touched.putIfAbsent(key, Boolean.TRUE) == null) {
            requireSeen(db.addressStamps.get(key), seenThrough, address + " in pool '" + c.pool() + "'");
        }
        if (c instanceof Change.Allocated a && a.allocation().environment() != null) {
            String k = c.pool() + "\u0000" + a.allocation().environment() + "\u0000" + a.allocation().name();
            if (envKeys.putIfAbsent(k, address) != null) {
                throw new ConcurrentChangeException("Environment key " + a.allocation().environment() + "/"
                        + a.allocation().name() + " in pool '" + c.pool() + "' is already allocated");
            }
        } else if (c instanceof Change.Released r && r.allocation().environment() != null) {
            envKeys.remove(c.pool() + "\u0000" + r.allocation().environment() + "\u0000" + r.allocation().name(), address);
        } else if (c instanceof Change.Held h && h.hold().key() != null) {
            if (holdKeys.putIfAbsent(c.pool() + "\u0000" + h.hold().key(), address) != null) {
                throw new ConcurrentChangeException("Hold key '" + h.hold().key() + "' in pool '" + c.pool()
                        + "' is already held");
            }
        } else if (c instanceof Change.HoldEnded e && e.hold().key() != null) {
            holdKeys.remove(c.pool() + "\u0000" + e.hold().key(), address);
        }
    }

    private void requireSeen(Stamp stamp, long seenThrough, String what) {
        if (stamp != null && stamp.sequence() > seenThrough && stamp.origin() != origin) {
            throw new ConcurrentChangeException("Another instance changed " + what + " at sequence " + stamp.sequence()
                    + ", after " + seenThrough);
        }
    }

    /** Records a committed batch: its keys, and who changed each address and pool last. */
    private void stamp(List<Change> changes, long first, Keys keys) {
        db.lastSequence = first + changes.size() - 1;
        db.liveEnvironmentKeys.clear();
        db.liveEnvironmentKeys.putAll(keys.environment());
        db.liveHoldKeys.clear();
        db.liveHoldKeys.putAll(keys.hold());
        long sequence = first;
        for (Change c : changes) {
            Stamp s = new Stamp(sequence++, origin);
            if (c instanceof Change.PoolCreated) {
                db.poolsStamp = s;
                db.poolStamps.put(c.pool(), s);
            } else if (c instanceof Change.PoolDeleted) {
                db.poolsStamp = s;
                db.poolStamps.put(c.pool(), s); // an allocation decided before the deletion must be refused
                db.addressStamps.keySet().removeIf(k -> k.pool().equals(c.pool()));
            } else if (AddressState.addressOf(c) != null) {
                db.addressStamps.put(new AddressKey(c.pool(), AddressState.addressOf(c)), s);
            }
        }
    }

    @Override
    public Duration followInterval() {
        return followInterval;
    }

    @Override
    public List<JournalEntry> readJournal(long fromSequence, int limit) {
        ensureOpen();
        return db.data.readJournal(fromSequence, limit);
    }

    @Override
    public List<JournalEntry> history(IpAddress address) {
        ensureOpen();
        return db.data.history(address);
    }

    @Override
    public void pruneHistory(Instant cutoff, long deliveredUpTo) {
        ensureOpen();
        db.data.pruneHistory(cutoff, deliveredUpTo);
    }

    @Override
    public long listenerPosition(String listener) {
        ensureOpen();
        return db.data.listenerPosition(listener);
    }

    @Override
    public void saveListenerPosition(String listener, long sequence) {
        ensureOpen();
        db.data.saveListenerPosition(Objects.requireNonNull(listener, "listener"), sequence);
    }

    /** Closes this store object only; the database and other connections stay open. */
    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("SharedMemoryStore is closed");
        }
    }
}
