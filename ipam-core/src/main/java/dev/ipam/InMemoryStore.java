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

    private record PoolAddress(String pool, IpAddress address) {
    }

    /** Live state of one pool. */
    private static final class PoolData {
        final Pool pool;
        final Map<IpAddress, Allocation> allocations = new HashMap<>();
        final Map<IpAddress, Hold> holds = new HashMap<>();
        final Map<IpAddress, Change.Released> quarantines = new HashMap<>();
        final Map<String, Change.Released> lastReleaseByKey = new HashMap<>();

        PoolData(Pool pool) {
            this.pool = pool;
        }

        AddressState state(IpAddress address) {
            if (allocations.containsKey(address)) {
                return AddressState.ALLOCATED;
            }
            if (holds.containsKey(address)) {
                return AddressState.HELD;
            }
            return quarantines.containsKey(address) ? AddressState.QUARANTINED : AddressState.FREE;
        }

        boolean isEmpty() {
            return allocations.isEmpty() && holds.isEmpty() && quarantines.isEmpty();
        }
    }

    /** The committed data of a store whose JVM "restarted". */
    private static final class Data {
        final Map<String, PoolData> pools = new LinkedHashMap<>();
        final ArrayList<JournalEntry> journal = new ArrayList<>();
        final Map<IpAddress, List<JournalEntry>> historyByAddress = new HashMap<>();
        final Map<String, Long> listenerPositions = new HashMap<>();
        final int journalLimit;
        long lastSequence;

        Data(int journalLimit) {
            this.journalLimit = journalLimit;
        }
    }

    /**
     * A new open store over this store's committed data, as a process restart would see it. This
     * store should be closed first; using both at once is not supported.
     */
    public synchronized InMemoryStore reopen() {
        return new InMemoryStore(data);
    }

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
            allocations.addAll(p.allocations.values());
            holds.addAll(p.holds.values());
            quarantines.addAll(p.quarantines.values());
            lastReleases.addAll(p.lastReleaseByKey.values());
        }
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
            apply(change);
            data.journal.add(entry);
            IpAddress address = addressOf(change);
            if (address != null) {
                data.historyByAddress.computeIfAbsent(address, a -> new ArrayList<>(2)).add(entry);
            }
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
        List<JournalEntry> dropped = data.journal.subList(0, count);
        for (JournalEntry e : dropped) {
            IpAddress address = addressOf(e.change());
            List<JournalEntry> entries = address == null ? null : data.historyByAddress.get(address);
            if (entries != null && entries.remove(e) && entries.isEmpty()) {
                data.historyByAddress.remove(address);
            }
        }
        dropped.clear();
    }

    /** Checks the whole batch against the data plus the batch's own earlier changes; changes nothing. */
    private void validate(ChangeBatch batch) {
        Map<String, Boolean> poolExists = new HashMap<>();
        Map<PoolAddress, AddressState> states = new HashMap<>();
        for (Change change : batch.changes()) {
            if (change instanceof Change.AccessRefused) {
                continue;
            }
            String pool = change.pool();
            boolean exists = poolExists.computeIfAbsent(pool, data.pools::containsKey);
            if (change instanceof Change.PoolCreated) {
                if (exists) {
                    throw new StoreException("Pool '" + pool + "' already exists");
                }
                poolExists.put(pool, true);
                continue;
            }
            if (!exists) {
                throw new StoreException("Pool '" + pool + "' does not exist");
            }
            if (change instanceof Change.PoolDeleted) {
                if (liveAfter(pool, states) > 0) {
                    throw new StoreException("Pool '" + pool + "' is not empty and cannot be deleted");
                }
                poolExists.put(pool, false);
                continue;
            }
            IpAddress address = addressOf(change);
            PoolAddress key = new PoolAddress(pool, address);
            AddressState current = states.computeIfAbsent(key, k -> {
                PoolData p = data.pools.get(pool);
                return p == null ? AddressState.FREE : p.state(address);
            });
            AddressState expected = AddressState.requiredBy(change);
            AddressState next = AddressState.resultOf(change);
            if (current != expected) {
                throw new StoreException("Change " + change.getClass().getSimpleName() + " of " + address + " in pool '"
                        + pool + "' expects the address " + expected + " but it is " + current);
            }
            states.put(key, next);
        }
    }

    /** Live (non-free) addresses of a pool: the stored ones, adjusted by the batch's changes so far. */
    private long liveAfter(String pool, Map<PoolAddress, AddressState> states) {
        PoolData p = data.pools.get(pool);
        long live = p == null ? 0 : p.allocations.size() + p.holds.size() + p.quarantines.size();
        for (Map.Entry<PoolAddress, AddressState> e : states.entrySet()) {
            if (e.getKey().pool().equals(pool)) {
                boolean wasLive = p != null && p.state(e.getKey().address()) != AddressState.FREE;
                boolean isLive = e.getValue() != AddressState.FREE;
                live += (isLive ? 1 : 0) - (wasLive ? 1 : 0);
            }
        }
        return live;
    }

    private void apply(Change change) {
        if (change instanceof Change.PoolCreated c) {
            data.pools.put(c.pool(), new PoolData(new Pool(c.spec(), c.at(), c.caller())));
            return;
        }
        if (change instanceof Change.PoolDeleted d) {
            data.pools.remove(d.pool());
            return;
        }
        if (change instanceof Change.AccessRefused) {
            return;
        }
        PoolData p = data.pools.get(change.pool());
        if (change instanceof Change.Allocated a) {
            p.allocations.put(a.allocation().address(), a.allocation());
        } else if (change instanceof Change.Released r) {
            Allocation released = r.allocation();
            p.allocations.remove(released.address());
            if (r.quarantineUntil() != null) {
                p.quarantines.put(released.address(), r);
            }
            if (released.environment() != null) {
                p.lastReleaseByKey.put(released.environment() + '\u0000' + released.name(), r);
            }
        } else if (change instanceof Change.Held h) {
            p.holds.put(h.hold().address(), h.hold());
        } else if (change instanceof Change.HoldEnded e) {
            p.holds.remove(e.hold().address());
        } else if (change instanceof Change.QuarantineEnded q) {
            p.quarantines.remove(q.address());
        }
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
        List<JournalEntry> journal = data.journal;
        int lo = 0;
        int hi = journal.size();
        while (lo < hi) { // first index with sequence >= fromSequence (sequences ascend, a pruned prefix is gone)
            int mid = (lo + hi) >>> 1;
            if (journal.get(mid).sequence() < fromSequence) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return List.copyOf(journal.subList(lo, (int) Math.min(journal.size(), (long) lo + limit)));
    }

    @Override
    public synchronized List<JournalEntry> history(IpAddress address) {
        ensureOpen();
        return List.copyOf(data.historyByAddress.getOrDefault(Objects.requireNonNull(address, "address"), List.of()));
    }

    @Override
    public synchronized void pruneHistory(Instant cutoff, long deliveredUpTo) {
        ensureOpen();
        data.historyByAddress.values().removeIf(entries -> {
            // Per pool (two clouds may share an address): forget up to its last ending before the cutoff.
            Map<String, Integer> lastEnding = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                Change c = entries.get(i).change();
                boolean ending = c instanceof Change.Released || c instanceof Change.HoldEnded
                        || c instanceof Change.QuarantineEnded;
                if (ending && c.at().isBefore(cutoff)) {
                    lastEnding.put(c.pool(), i);
                }
            }
            List<JournalEntry> kept = new ArrayList<>(entries.size());
            for (int i = 0; i < entries.size(); i++) {
                Integer last = lastEnding.get(entries.get(i).change().pool());
                if (last == null || i > last) {
                    kept.add(entries.get(i));
                }
            }
            entries.clear();
            entries.addAll(kept);
            return entries.isEmpty();
        });
        data.journal.removeIf(e -> e.sequence() <= deliveredUpTo && e.change().at().isBefore(cutoff));
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
