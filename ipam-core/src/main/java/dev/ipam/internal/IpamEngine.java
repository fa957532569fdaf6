package dev.ipam.internal;

import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Pool;
import dev.ipam.PoolConflictException;
import dev.ipam.PoolNotFoundException;
import dev.ipam.StoreException;
import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.StoredState;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Ipam} implementation: the pool registry, the overlap index and the commit pipeline.
 * Operations live in {@link Session}. Thread-safe; see {@link CommitPipeline} for how changes,
 * locks and commits interact.
 */
public final class IpamEngine implements Ipam {

    final IpamStore store;
    final AccessPolicy accessPolicy;
    final Clock clock;
    final CommitPipeline pipeline;

    private final ConcurrentHashMap<String, PoolState> pools = new ConcurrentHashMap<>();
    /** Guards pool creation and deletion, the ordered pool list and the overlap index. */
    final ReentrantLock adminLock = new ReentrantLock();
    private final LinkedHashMap<String, PoolState> poolsInOrder = new LinkedHashMap<>();
    private final Map<String, TreeMap<IpAddress, RangeOwner>> rangesByCloud = new HashMap<>();
    private long nextOrdinal;

    private record RangeOwner(AddressRange range, String pool) {
    }

    private IpamEngine(IpamStore store, AccessPolicy accessPolicy, Clock clock, long lastSequence) {
        this.store = store;
        this.accessPolicy = accessPolicy;
        this.clock = clock;
        this.pipeline = new CommitPipeline(store, lastSequence);
    }

    /**
     * Loads the store's state into a new engine (blocking).
     *
     * @throws StoreException if the state cannot be loaded or is inconsistent
     */
    public static Ipam open(IpamStore store, AccessPolicy accessPolicy, Clock clock) {
        StoredState state = store.load();
        IpamEngine engine = new IpamEngine(store, accessPolicy, clock, state.lastSequence());
        for (Pool pool : state.pools()) {
            engine.adminLock.lock();
            try {
                engine.checkNewPool(pool);
                engine.register(new PoolState(pool, engine.nextOrdinal++));
            } catch (PoolConflictException e) {
                throw new StoreException("Stored pools are inconsistent: " + e.getMessage(), e);
            } finally {
                engine.adminLock.unlock();
            }
        }
        state.forEachAllocation(a -> {
            PoolState pool = engine.pools.get(a.pool());
            if (pool == null) {
                throw new StoreException("Stored allocation of " + a.address() + " names unknown pool '" + a.pool() + "'");
            }
            if (!pool.belongs(a.address()) || pool.find(a.address()) != null) {
                throw new StoreException("Stored allocation of " + a.address() + " in pool '" + a.pool()
                        + "' is outside the pool or a duplicate");
            }
            pool.add(a);
        });
        return engine;
    }

    @Override
    public IpamSession as(Caller caller) {
        return new Session(this, Objects.requireNonNull(caller, "caller"));
    }

    @Override
    public void close() {
        pipeline.close();
    }

    /** The sequence number of the last committed change. */
    public long lastSequence() {
        return pipeline.lastSequence();
    }

    PoolState poolState(String name) {
        PoolState p = pools.get(Objects.requireNonNull(name, "pool"));
        if (p == null) {
            throw new PoolNotFoundException(name);
        }
        return p;
    }

    PoolState poolStateOrNull(String name) {
        return pools.get(name);
    }

    List<PoolState> poolStates() {
        adminLock.lock();
        try {
            return new ArrayList<>(poolsInOrder.values());
        } finally {
            adminLock.unlock();
        }
    }

    long takeOrdinal() {
        return nextOrdinal++;
    }

    /** Checks name and overlap. Caller holds adminLock. */
    void checkNewPool(Pool pool) {
        String name = pool.name();
        if (pools.containsKey(name)) {
            throw new PoolConflictException("Pool '" + name + "' already exists");
        }
        TreeMap<IpAddress, RangeOwner> index = rangesByCloud.get(pool.scope().cloud());
        if (index == null) {
            return;
        }
        for (AddressRange r : pool.spec().effectiveRanges()) {
            Map.Entry<IpAddress, RangeOwner> below = index.floorEntry(r.first());
            Map.Entry<IpAddress, RangeOwner> above = index.ceilingEntry(r.first());
            for (Map.Entry<IpAddress, RangeOwner> e : java.util.Arrays.asList(below, above)) {
                if (e != null && e.getValue().range().overlaps(r)) {
                    throw new PoolConflictException("Pool '" + name + "' (" + r + ") overlaps pool '"
                            + e.getValue().pool() + "' (" + e.getValue().range() + ") in cloud '"
                            + pool.scope().cloud() + "'");
                }
            }
        }
    }

    /** Makes a pool visible. Caller holds adminLock. */
    void register(PoolState state) {
        pools.put(state.name(), state);
        poolsInOrder.put(state.name(), state);
        TreeMap<IpAddress, RangeOwner> index = rangesByCloud.computeIfAbsent(state.pool.scope().cloud(), c -> new TreeMap<>());
        for (AddressRange r : state.pool.spec().effectiveRanges()) {
            index.put(r.first(), new RangeOwner(r, state.name()));
        }
    }

    /** Removes a pool. Caller holds adminLock. */
    void unregister(PoolState state) {
        pools.remove(state.name(), state);
        poolsInOrder.remove(state.name());
        TreeMap<IpAddress, RangeOwner> index = rangesByCloud.get(state.pool.scope().cloud());
        for (AddressRange r : state.pool.spec().effectiveRanges()) {
            index.remove(r.first());
        }
    }
}
