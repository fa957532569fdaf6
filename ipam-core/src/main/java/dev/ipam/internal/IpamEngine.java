package dev.ipam.internal;

import dev.ipam.Allocation;
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
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.SharedStore;
import dev.ipam.spi.EventListener;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.StoredState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Ipam} implementation: the pool registry, the overlap index, the commit pipeline,
 * listener dispatchers, the maintenance task and, on a {@link SharedStore}, the follower that
 * applies other instances' changes. Operations live in {@link Session}. Thread-safe; see
 * {@link CommitPipeline} for how changes, locks and commits interact.
 */
public final class IpamEngine implements Ipam {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IpamEngine.class);
    /** Distinct owner, environment and caller strings shared while loading (see {@link CanonicalStrings}). */
    private static final int LOAD_STRING_LIMIT = 1 << 16;

    /** What {@link Ipam.Builder} collected. */
    public record Settings(IpamStore store, AccessPolicy accessPolicy, Clock clock, Duration maintenanceInterval,
            Duration historyRetention, Map<String, EventListener> listeners) {
    }

    final IpamStore store;
    final AccessPolicy accessPolicy;
    final Clock clock;
    final CommitPipeline pipeline;
    private final Duration historyRetention;
    private final List<ListenerDispatcher> dispatchers = new ArrayList<>();
    private ScheduledExecutorService maintenance;
    private ScheduledExecutorService follower;

    private final ConcurrentHashMap<String, PoolState> pools = new ConcurrentHashMap<>();
    /** Guards pool creation and deletion, the ordered pool list and the overlap index. */
    final ReentrantLock adminLock = new ReentrantLock();
    private final LinkedHashMap<String, PoolState> poolsInOrder = new LinkedHashMap<>();
    private final Map<String, TreeMap<IpAddress, RangeOwner>> rangesByCloud = new HashMap<>();
    private long nextOrdinal;

    private record RangeOwner(AddressRange range, String pool) {
    }

    private IpamEngine(Settings settings, long lastSequence) {
        this.store = settings.store();
        this.accessPolicy = settings.accessPolicy();
        this.clock = settings.clock();
        this.historyRetention = settings.historyRetention();
        this.pipeline = new CommitPipeline(store, lastSequence, this::wakeListeners, this::applyForeign);
        settings.listeners().forEach((name, listener) -> dispatchers.add(new ListenerDispatcher(name, listener, store)));
    }

    /**
     * Loads the store's state into a new engine (blocking), then starts listener delivery and
     * maintenance.
     *
     * @throws StoreException if the state cannot be loaded or is inconsistent
     */
    public static Ipam open(Settings settings) {
        IpamEngine engine = load(settings);
        engine.dispatchers.forEach(ListenerDispatcher::start);
        Duration interval = settings.maintenanceInterval();
        if (!interval.isZero()) {
            engine.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ipam-maintenance");
                t.setDaemon(true);
                return t;
            });
            long nanos = interval.toNanos();
            engine.maintenance.scheduleWithFixedDelay(engine::maintenanceTick, nanos, nanos, TimeUnit.NANOSECONDS);
        }
        if (settings.store() instanceof SharedStore shared) {
            engine.follower = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ipam-follower");
                t.setDaemon(true);
                return t;
            });
            long nanos = Math.max(1, shared.followInterval().toNanos());
            engine.follower.scheduleWithFixedDelay(engine::followTick, nanos, nanos, TimeUnit.NANOSECONDS);
        }
        return engine;
    }

    private void followTick() {
        try {
            pipeline.follow();
        } catch (IllegalStateException closed) {
            // closing
        } catch (RuntimeException e) {
            LOG.warn("Reading other instances' changes failed; retrying at the next interval", e);
        }
    }

    /** Reads and applies other instances' changes now (shared stores; otherwise does nothing). */
    void catchUp() {
        pipeline.follow();
    }

    /**
     * Catches up, then tells whether any change of another instance was applied since
     * {@link #foreignChangesApplied()} returned {@code foreignBefore}, by this catch-up, another
     * caller's or the follower's: if so, a decision made before may rest on outdated state.
     */
    boolean caughtUpSince(long foreignBefore) {
        catchUp();
        return foreignChangesApplied() != foreignBefore;
    }

    /** How many changes of other instances were applied so far (0 unless the store is shared). */
    long foreignChangesApplied() {
        return pipeline.foreignApplied();
    }

    /**
     * Applies a change another instance committed to a shared store. Runs on the commit leader
     * with the pipeline's gate held in write mode (see {@link CommitPipeline}).
     */
    private void applyForeign(Change change) {
        if (change instanceof Change.PoolCreated created) {
            Pool pool = new Pool(created.spec(), created.at(), created.caller());
            adminLock.lock();
            try {
                checkNewPool(pool);
                register(new PoolState(pool, nextOrdinal++));
            } finally {
                adminLock.unlock();
            }
        } else if (change instanceof Change.PoolDeleted deleted) {
            adminLock.lock();
            try {
                PoolState p = pools.get(deleted.pool());
                if (p != null) {
                    p.lock.lock();
                    try {
                        p.setDeleted(true);
                    } finally {
                        p.lock.unlock();
                    }
                    unregister(p);
                }
            } finally {
                adminLock.unlock();
            }
        } else if (AddressState.addressOf(change) != null) {
            PoolState p = pools.get(change.pool());
            if (p == null) {
                throw new IllegalStateException("Change of another instance names unknown pool '" + change.pool() + "'");
            }
            p.lock.lock();
            try {
                p.applyForeign(change);
            } finally {
                p.lock.unlock();
            }
        }
    }

    private void maintenanceTick() {
        try {
            runMaintenance();
        } catch (IllegalStateException closed) {
            // closing
        } catch (RuntimeException e) {
            LOG.warn("Maintenance failed; retrying at the next interval", e);
        }
    }

    private static IpamEngine load(Settings settings) {
        IpamStore store = settings.store();
        try (StoredState state = store.load()) {
            return load(settings, state);
        }
    }

    private static IpamEngine load(Settings settings, StoredState state) {
        IpamEngine engine = new IpamEngine(settings, state.lastSequence());
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
        try {
            // The store reads and decodes on this thread while a second one builds the pools' state
            // (the sink runs on one thread at a time, so the shared strings need no lock).
            CanonicalStrings strings = new CanonicalStrings(LOAD_STRING_LIMIT);
            try (PipelinedLoader<Allocation> loader = new PipelinedLoader<>(
                    a -> engine.loadedPool(a.pool(), a.address()).load(a, strings), "ipam-load")) {
                state.forEachAllocation(loader);
                loader.finish();
            }
            finishLoading(engine.pools.values());
            state.forEachHold(h -> engine.loadedPool(h.pool(), h.address()).load(h));
            state.forEachQuarantine(r -> engine.loadedPool(r.pool(), r.allocation().address()).loadQuarantine(r));
            state.forEachLastRelease(r -> {
                PoolState p = engine.pools.get(r.pool());
                if (p != null) {
                    p.loadLastRelease(r);
                }
            });
        } catch (IllegalStateException e) {
            throw new StoreException("Stored state is inconsistent: " + e.getMessage(), e);
        }
        return engine;
    }

    /**
     * Builds the loaded pools' lookup structures, largest pools first, on this thread and (once
     * there are several pools and at least {@value PipelinedLoader#CHUNK} allocations, below which a
     * thread costs more than it saves) one helper thread: pools are independent. Waits for the
     * helper without regard to interrupts (an interrupt that arrives meanwhile is set again
     * afterwards). A failure of this thread is
     * thrown, with the helper's added as suppressed; otherwise the helper's failure is thrown.
     */
    private static void finishLoading(Collection<PoolState> loaded) {
        List<PoolState> pools = new ArrayList<>(loaded);
        long allocations = pools.stream().mapToLong(PoolState::allocatedCount).sum();
        if (pools.size() < 2 || allocations < PipelinedLoader.CHUNK) {
            pools.forEach(PoolState::finishLoading);
            return;
        }
        pools.sort(Comparator.comparingLong(PoolState::allocatedCount).reversed());
        ConcurrentLinkedQueue<PoolState> work = new ConcurrentLinkedQueue<>(pools);
        AtomicReference<Throwable> helperFailure = new AtomicReference<>();
        Thread helper = new Thread(() -> {
            try {
                finishEach(work);
            } catch (RuntimeException | Error e) {
                helperFailure.set(e);
            }
        }, "ipam-load");
        helper.setDaemon(true);
        helper.start();
        Throwable failure = null;
        try {
            finishEach(work);
        } catch (RuntimeException | Error e) {
            failure = e;
            work.clear(); // let the helper stop after its current pool
        }
        Uninterruptibly.await(helper::join);
        Throwable other = helperFailure.get();
        if (failure == null) {
            failure = other;
        } else if (other != null) {
            failure.addSuppressed(other);
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure != null) {
            throw (Error) failure;
        }
    }

    private static void finishEach(ConcurrentLinkedQueue<PoolState> work) {
        for (PoolState p = work.poll(); p != null; p = work.poll()) {
            p.finishLoading();
        }
    }

    private PoolState loadedPool(String pool, IpAddress address) {
        PoolState p = pools.get(pool);
        if (p == null) {
            throw new StoreException("Stored entry for " + address + " names unknown pool '" + pool + "'");
        }
        return p;
    }

    private void wakeListeners() {
        for (ListenerDispatcher d : dispatchers) {
            d.wakeUp();
        }
    }

    @Override
    public void runMaintenance() {
        Instant now = clock.instant();
        for (PoolState p : poolStates()) {
            Session.expire(this, p, now);
        }
        if (historyRetention != null) {
            long delivered = lastSequence();
            for (ListenerDispatcher d : dispatchers) {
                delivered = Math.min(delivered, d.position());
            }
            store.pruneHistory(now.minus(historyRetention), delivered);
        }
    }

    @Override
    public IpamSession as(Caller caller) {
        return new Session(this, Objects.requireNonNull(caller, "caller"));
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.shutdownNow();
            try {
                follower.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (maintenance != null) {
            maintenance.shutdownNow();
            try {
                maintenance.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ListenerDispatcher d : dispatchers) {
            d.stop(Duration.ofSeconds(10));
        }
        pipeline.close();
    }

    /** The last sequence a named listener acknowledged (for tests and monitoring). */
    public long listenerPosition(String name) {
        for (ListenerDispatcher d : dispatchers) {
            if (d.name().equals(name)) {
                return d.position();
            }
        }
        throw new IllegalArgumentException("No listener named '" + name + "'");
    }

    @Override
    public long lastSequence() {
        return pipeline.lastSequence();
    }

    PoolState poolState(String name) {
        PoolState p = pools.get(Objects.requireNonNull(name, "pool"));
        if (p == null) {
            catchUp(); // another instance may have just created it (applied here or by another thread)
            p = pools.get(name);
        }
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
