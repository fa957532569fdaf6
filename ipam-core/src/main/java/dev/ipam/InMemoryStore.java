package dev.ipam;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.StoredState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A store that keeps committed state in memory: for tests, demos and ephemeral use. Nothing
 * survives the JVM, but committed state survives {@link #close()}: {@link #reopen()} returns a new
 * store over the same data, which is how tests simulate a restart.
 *
 * <p>Thread-safe; every method is synchronized. Commits are atomic (validated completely before
 * anything is applied).
 */
public final class InMemoryStore implements IpamStore {

    private final Data data;
    private boolean closed;

    /** An empty store. */
    public InMemoryStore() {
        this(new Data());
    }

    private InMemoryStore(Data data) {
        this.data = data;
    }

    /** The committed data of a store whose JVM "restarted". */
    private static final class Data {
        final Map<String, Pool> pools = new LinkedHashMap<>();
        final Map<String, Map<IpAddress, Allocation>> allocations = new LinkedHashMap<>();
        long lastSequence;
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
        List<Pool> pools = List.copyOf(data.pools.values());
        List<Allocation> allocations = new ArrayList<>();
        data.allocations.values().forEach(m -> allocations.addAll(m.values()));
        long last = data.lastSequence;
        return new StoredState() {
            @Override
            public long lastSequence() {
                return last;
            }

            @Override
            public List<Pool> pools() {
                return pools;
            }

            @Override
            public void forEachAllocation(Consumer<Allocation> action) {
                allocations.forEach(action);
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
        for (Change change : batch.changes()) {
            apply(change);
        }
        data.lastSequence = batch.lastSequence();
    }

    /** Checks the whole batch against the data plus the batch's own earlier changes; changes nothing. */
    private void validate(ChangeBatch batch) {
        Map<String, Boolean> poolExists = new HashMap<>();
        Map<String, Boolean> allocated = new HashMap<>();
        for (Change change : batch.changes()) {
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
                poolExists.put(pool, false);
                continue;
            }
            IpAddress address = change instanceof Change.Allocated a ? a.allocation().address()
                    : ((Change.Released) change).allocation().address();
            String key = pool + ' ' + address;
            boolean isAllocated = allocated.computeIfAbsent(key,
                    k -> data.allocations.getOrDefault(pool, Map.of()).containsKey(address));
            boolean allocating = change instanceof Change.Allocated;
            if (allocating == isAllocated) {
                throw new StoreException("Address " + address + " in pool '" + pool + "' is "
                        + (isAllocated ? "already" : "not") + " allocated");
            }
            allocated.put(key, allocating);
        }
    }

    private void apply(Change change) {
        if (change instanceof Change.PoolCreated c) {
            data.pools.put(c.pool(), new Pool(c.spec(), c.at(), c.caller()));
            data.allocations.put(c.pool(), new HashMap<>());
        } else if (change instanceof Change.PoolDeleted d) {
            data.pools.remove(d.pool());
            data.allocations.remove(d.pool());
        } else if (change instanceof Change.Allocated a) {
            data.allocations.get(a.pool()).put(a.allocation().address(), a.allocation());
        } else if (change instanceof Change.Released r) {
            data.allocations.get(r.pool()).remove(r.allocation().address());
        }
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
