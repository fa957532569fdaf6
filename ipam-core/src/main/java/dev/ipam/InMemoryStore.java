package dev.ipam;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A store that keeps committed state in memory: for tests, demos and ephemeral use. Nothing
 * survives the JVM, but committed state survives {@link #close()}: {@link #reopen()} returns a new
 * store over the same data, which is how tests simulate a restart.
 *
 * <p>Thread-safe; every method is synchronized. Commits are atomic: a batch is checked completely
 * against the stored state (every address moves between free, allocated, held and quarantined by
 * the allowed transitions only) before anything is applied.
 *
 * <p>Implementation notes: everything the store knows about one address (its state in each pool
 * that holds it, and its history) sits in one record, found by one hash lookup per change in an
 * {@link AddressTable}, whose chains run through the records themselves; the check, the update and
 * the history append all use that record. Each journal slot points at its
 * address's record, so dropping old entries past the journal limit needs no lookup at all. A
 * change therefore costs one lookup in a table of all known addresses, however many there are;
 * in a store of millions that lookup misses the processor's caches, the rest of the work does not
 * grow with the fill.
 */
public final class InMemoryStore implements IpamStore {

    private final Data data;
    private boolean closed;

    /** An empty store that keeps its whole journal (history is kept indefinitely). */
    public InMemoryStore() {
        this(new Data(Integer.MAX_VALUE));
    }

    /**
     * An empty store that keeps only the latest {@code journalLimit} journal entries, dropping the
     * oldest from the journal and from history: for long benchmarks and soak tests whose memory
     * must stay flat. Listeners that fall further behind than the limit miss entries.
     *
     * @throws IllegalArgumentException if {@code journalLimit < 1}
     */
    public InMemoryStore(int journalLimit) {
        this(new Data(journalLimit));
        if (journalLimit < 1) {
            throw new IllegalArgumentException("journalLimit must be at least 1, was " + journalLimit);
        }
    }

    private InMemoryStore(Data data) {
        this.data = data;
    }

    /** A pool and its live count (allocated, held and quarantined addresses). */
    private static final class PoolData {
        final String name;
        final Pool pool;
        final Map<String, Change.Released> lastReleaseByKey = new HashMap<>();
        long live;

        PoolData(String name, Pool pool) {
            this.name = name;
            this.pool = pool;
        }
    }

    /** A journal entry and the record of the address it concerns (null for pool and refusal changes). */
    private record Slot(JournalEntry entry, StoredAddress address) {
    }

    /** The committed data of a store whose JVM "restarted". */
    private static final class Data {
        final Map<String, PoolData> pools = new LinkedHashMap<>();
        final AddressTable addresses = new AddressTable();
        final ArrayList<Slot> journal = new ArrayList<>();
        final Map<String, Long> listenerPositions = new HashMap<>();
        final int journalLimit;
        long lastSequence;

        Data(int journalLimit) {
            this.journalLimit = journalLimit;
        }

        AddressState stateOf(String pool, IpAddress address) {
            StoredAddress stored = addresses.get(address);
            return stored == null ? AddressState.FREE : stored.state(pool);
        }

        /** Forgets an address's record once it holds neither a state nor history. */
        void forgetIfEmpty(StoredAddress stored) {
            if (stored.isEmpty()) {
                addresses.remove(stored);
            }
        }
    }

    /**
     * A new open store over this store's committed data, as a process restart would see it. This
     * store should be closed first; using both at once is not supported.
     */
    public synchronized InMemoryStore reopen() {
        return new InMemoryStore(data);
    }

    /** {@inheritDoc} Allocations, holds and quarantines come in address order, then pool order. */
    @Override
    public synchronized StoredState load() {
        ensureOpen();
        List<Pool> pools = new ArrayList<>();
        List<Allocation> allocations = new ArrayList<>();
        List<Hold> holds = new ArrayList<>();
        List<Change.Released> quarantines = new ArrayList<>();
        List<Change.Released> lastReleases = new ArrayList<>();
        for (PoolData p : data.pools.values()) {
            pools.add(p.pool);
            lastReleases.addAll(p.lastReleaseByKey.values());
        }
        data.addresses.forEach(stored -> stored.forEachState(value -> {
            if (value instanceof Allocation a) {
                allocations.add(a);
            } else if (value instanceof Hold h) {
                holds.add(h);
            } else {
                quarantines.add((Change.Released) value);
            }
        }));
        // Address order: the record table's order depends on its per-table key, and a load should
        // not differ from run to run (of two allocations with one key, the last loaded holds it).
        allocations.sort(java.util.Comparator.comparing(Allocation::address).thenComparing(Allocation::pool));
        holds.sort(java.util.Comparator.comparing(Hold::address).thenComparing(Hold::pool));
        quarantines.sort(java.util.Comparator.comparing((Change.Released r) -> r.allocation().address())
                .thenComparing(Change.Released::pool));
        long last = data.lastSequence;
        return new StoredState() {
            @Override
            public long lastSequence() {
                return last;
            }

            @Override
            public List<Pool> pools() {
                return List.copyOf(pools);
            }

            @Override
            public void forEachAllocation(Consumer<Allocation> action) {
                allocations.forEach(action);
            }

            @Override
            public void forEachHold(Consumer<Hold> action) {
                holds.forEach(action);
            }

            @Override
            public void forEachQuarantine(Consumer<Change.Released> action) {
                quarantines.forEach(action);
            }

            @Override
            public void forEachLastRelease(Consumer<Change.Released> action) {
                lastReleases.forEach(action);
            }
        };
    }

    @Override
    public synchronized void commit(ChangeBatch batch) {
        ensureOpen();
        if (batch.firstSequence() != data.lastSequence + 1) {
            throw new StoreException("Batch starts at sequence " + batch.firstSequence()
                    + " but the store's last sequence is " + data.lastSequence);
        }
        validate(batch);
        long sequence = batch.firstSequence();
        for (Change change : batch.changes()) {
            JournalEntry entry = new JournalEntry(sequence++, change);
            StoredAddress stored = apply(change);
            if (stored != null) {
                stored.addHistory(entry);
            }
            data.journal.add(new Slot(entry, stored));
        }
        data.lastSequence = batch.lastSequence();
        if (data.journal.size() > data.journalLimit) {
            dropOldest(data.journal.size() - data.journalLimit / 2);
        }
    }

    /**
     * Drops the oldest entries of the journal and the same entries from history (amortised: half
     * the limit at a time). An entry that {@link #pruneHistory} already removed from history is
     * simply gone there; the address's other history entries stay.
     */
    private void dropOldest(int count) {
        List<Slot> dropped = data.journal.subList(0, count);
        for (Slot slot : dropped) {
            StoredAddress stored = slot.address();
            if (stored != null && stored.removeHistory(slot.entry())) {
                data.forgetIfEmpty(stored);
            }
        }
        dropped.clear();
    }

    /**
     * Checks the whole batch against the data plus the batch's own earlier changes; changes nothing.
     * A batch of one change (the common case) needs no overlay of pending states.
     */
    private void validate(ChangeBatch batch) {
        List<Change> changes = batch.changes();
        PendingStates pending = changes.size() == 1 ? null : new PendingStates();
        for (Change change : changes) {
            if (change instanceof Change.AccessRefused) {
                continue;
            }
            String pool = change.pool();
            boolean exists = pending == null ? data.pools.containsKey(pool) : pending.poolExists(pool);
            if (change instanceof Change.PoolCreated) {
                if (exists) {
                    throw new StoreException("Pool '" + pool + "' already exists");
                }
                if (pending != null) {
                    pending.poolExists.put(pool, true);
                }
                continue;
            }
            if (!exists) {
                throw new StoreException("Pool '" + pool + "' does not exist");
            }
            if (change instanceof Change.PoolDeleted) {
                if (pending == null ? data.pools.get(pool).live > 0 : pending.liveAfter(pool) > 0) {
                    throw new StoreException("Pool '" + pool + "' is not empty and cannot be deleted");
                }
                if (pending != null) {
                    pending.poolExists.put(pool, false);
                }
                continue;
            }
            IpAddress address = addressOf(change);
            AddressState current = pending == null ? data.stateOf(pool, address) : pending.state(pool, address);
            AddressState expected = AddressState.requiredBy(change);
            if (current != expected) {
                throw new StoreException("Change " + change.getClass().getSimpleName() + " of " + address + " in pool '"
                        + pool + "' expects the address " + expected + " but it is " + current);
            }
            if (pending != null) {
                pending.states.put(new PoolAddress(pool, address), AddressState.resultOf(change));
            }
        }
    }

    private record PoolAddress(String pool, IpAddress address) {
    }

    /** The states a multi-change batch has produced so far, over the stored data. */
    private final class PendingStates {
        final Map<String, Boolean> poolExists = new HashMap<>();
        final Map<PoolAddress, AddressState> states = new HashMap<>();

        boolean poolExists(String pool) {
            return poolExists.computeIfAbsent(pool, data.pools::containsKey);
        }

        AddressState state(String pool, IpAddress address) {
            AddressState state = states.get(new PoolAddress(pool, address));
            return state != null ? state : data.stateOf(pool, address);
        }

        /** Live (non-free) addresses of a pool: the stored ones, adjusted by the batch's changes so far. */
        long liveAfter(String pool) {
            PoolData p = data.pools.get(pool);
            long live = p == null ? 0 : p.live;
            for (Map.Entry<PoolAddress, AddressState> e : states.entrySet()) {
                if (e.getKey().pool().equals(pool)) {
                    boolean wasLive = p != null && data.stateOf(pool, e.getKey().address()) != AddressState.FREE;
                    boolean isLive = e.getValue() != AddressState.FREE;
                    live += (isLive ? 1 : 0) - (wasLive ? 1 : 0);
                }
            }
            return live;
        }
    }

    /** Applies one validated change; returns the record of the change's address, or null if it has none. */
    private StoredAddress apply(Change change) {
        if (change instanceof Change.PoolCreated c) {
            data.pools.put(c.pool(), new PoolData(c.pool(), new Pool(c.spec(), c.at(), c.caller())));
            return null;
        }
        if (change instanceof Change.PoolDeleted d) {
            data.pools.remove(d.pool());
            return null;
        }
        if (change instanceof Change.AccessRefused) {
            return null;
        }
        PoolData p = data.pools.get(change.pool());
        StoredAddress stored = data.addresses.getOrCreate(addressOf(change));
        String pool = p.name; // stored states all use the pool's own instance, so equals mostly stops at ==
        if (change instanceof Change.Allocated a) {
            stored.put(pool, a.allocation());
            p.live++;
        } else if (change instanceof Change.Released r) {
            Allocation released = r.allocation();
            if (r.quarantineUntil() != null) {
                stored.put(pool, r);
            } else {
                stored.remove(pool);
                p.live--;
            }
            if (released.environment() != null) {
                p.lastReleaseByKey.put(released.environment() + '\u0000' + released.name(), r);
            }
        } else if (change instanceof Change.Held h) {
            stored.put(pool, h.hold());
            p.live++;
        } else if (change instanceof Change.HoldEnded || change instanceof Change.QuarantineEnded) {
            stored.remove(pool);
            p.live--;
        }
        return stored;
    }

    private static IpAddress addressOf(Change change) {
        return AddressState.addressOf(change);
    }

    @Override
    public synchronized List<JournalEntry> readJournal(long fromSequence, int limit) {
        ensureOpen();
        if (fromSequence < 1 || limit < 1) {
            throw new IllegalArgumentException("fromSequence " + fromSequence + " and limit " + limit + " must be at least 1");
        }
        List<Slot> journal = data.journal;
        int lo = 0;
        int hi = journal.size();
        while (lo < hi) { // first index with sequence >= fromSequence (sequences ascend, a pruned prefix is gone)
            int mid = (lo + hi) >>> 1;
            if (journal.get(mid).entry().sequence() < fromSequence) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int to = (int) Math.min(journal.size(), (long) lo + limit);
        List<JournalEntry> entries = new ArrayList<>(to - lo);
        for (int i = lo; i < to; i++) {
            entries.add(journal.get(i).entry());
        }
        return Collections.unmodifiableList(entries);
    }

    @Override
    public synchronized List<JournalEntry> history(IpAddress address) {
        ensureOpen();
        StoredAddress stored = data.addresses.get(Objects.requireNonNull(address, "address"));
        return stored == null ? List.of() : stored.history();
    }

    @Override
    public synchronized void pruneHistory(Instant cutoff, long deliveredUpTo) {
        ensureOpen();
        data.addresses.removeIf(stored -> {
            stored.pruneHistory(cutoff);
            return stored.isEmpty();
        });
        data.journal.removeIf(slot -> slot.entry().sequence() <= deliveredUpTo
                && slot.entry().change().at().isBefore(cutoff));
    }

    @Override
    public synchronized long listenerPosition(String listener) {
        ensureOpen();
        return data.listenerPositions.getOrDefault(Objects.requireNonNull(listener, "listener"), 0L);
    }

    @Override
    public synchronized void saveListenerPosition(String listener, long sequence) {
        ensureOpen();
        data.listenerPositions.put(Objects.requireNonNull(listener, "listener"), sequence);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("InMemoryStore is closed");
        }
    }
}
