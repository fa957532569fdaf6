package dev.ipam.internal;

import dev.ipam.AccessDeniedException;
import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.AllocationFailedException;
import dev.ipam.AllocationPage;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.HistoryEntry;
import dev.ipam.Hold;
import dev.ipam.IpamSession;
import dev.ipam.Pool;
import dev.ipam.PoolConflictException;
import dev.ipam.PoolSpec;
import dev.ipam.PoolUsage;
import dev.ipam.Scope;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.AddressUnavailableException;
import dev.ipam.HoldNotFoundException;
import dev.ipam.KeyConflictException;
import dev.ipam.NotAllocatedException;
import dev.ipam.PoolExhaustedException;
import dev.ipam.spi.Change;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@link IpamSession} of one caller. Stateless apart from its caller; thread-safe. Every mutation
 * goes through {@link #mutate}: check access, enter the pipeline, lock the pool(s) in order, end
 * what is due, apply and record the changes, enqueue them, unlock, await durability (see
 * {@link CommitPipeline}).
 */
final class Session implements IpamSession {

    static final int MAX_PAGE = 10_000;

    private final IpamEngine engine;
    private final Caller caller;

    Session(IpamEngine engine, Caller caller) {
        this.engine = engine;
        this.caller = caller;
    }

    @Override
    public Caller caller() {
        return caller;
    }

    // ------------------------------------------------------------------ access

    private void check(Action action, Scope scope, String pool) {
        if (!engine.accessPolicy.permits(caller, action, scope)) {
            AccessDeniedException denied = new AccessDeniedException(caller, action, scope);
            try {
                recordRefusal(new Change.AccessRefused(caller.name(), action, scope, pool, engine.clock.instant()));
            } catch (RuntimeException e) {
                denied.addSuppressed(e);
            }
            throw denied;
        }
    }

    private void recordRefusal(Change.AccessRefused refusal) {
        retrying(() -> recordRefusalOnce(refusal));
    }

    /** Runs an action again after each refusal by a shared store (see {@link #retryAfterConflict}). */
    private static void retrying(Runnable action) {
        for (int attempt = 1; ; attempt++) {
            try {
                action.run();
                return;
            } catch (ConcurrentChangeException e) {
                retryAfterConflict(attempt, e);
            }
        }
    }

    /**
     * {@link #retrying}, and on a shared store also once more after a {@link PoolConflictException}
     * if other instances' changes were applied meanwhile: the pool that seemed to exist, overlap or
     * hold addresses may have been deleted or emptied by another instance.
     */
    private void retryingOnStalePools(Runnable action) {
        boolean caughtUp = false;
        for (int attempt = 1; ; attempt++) {
            long foreignBefore = engine.foreignChangesApplied();
            try {
                action.run();
                return;
            } catch (ConcurrentChangeException e) {
                backOffAndCatchUp(engine, attempt, e);
            } catch (PoolConflictException e) {
                if (caughtUp || !engine.caughtUpSince(foreignBefore)) {
                    throw e;
                }
                caughtUp = true;
            }
        }
    }

    private void recordRefusalOnce(Change.AccessRefused refusal) {
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            ticket = engine.pipeline.enqueue(List.of(refusal), () -> { });
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
    }

    private boolean mayRead(PoolState p) {
        return engine.accessPolicy.permits(caller, Action.READ, p.pool.scope());
    }

    private PoolState checked(String pool, Action action) {
        PoolState p = engine.poolState(pool);
        check(action, p.pool.scope(), p.name());
        return p;
    }

    // ------------------------------------------------------------------ the mutation template

    /**
     * Runs {@code body} on the given pools under their locks and makes its changes durable. Holds
     * and quarantines due in those pools are ended first and committed even when {@code body} fails.
     */
    private <T> T mutate(List<PoolState> pools, Function<Mutation, T> body) {
        return mutate(engine, pools, false, engine.clock.instant(), caller.name(), body);
    }

    /**
     * The template itself. Normally a pool deleted meanwhile fails the call with
     * PoolNotFoundException, and what is due in the pools is ended first. With {@code bulk} the
     * pools are only locked: deleted ones (which are empty) are tolerated, and the body ends what
     * is due in the pools it actually changes.
     */
    static <T> T mutate(IpamEngine engine, List<PoolState> pools, boolean bulk, Instant now, String callerName,
            Function<Mutation, T> body) {
        boolean caughtUp = false;
        for (int attempt = 1; ; attempt++) {
            long foreignBefore = engine.foreignChangesApplied();
            try {
                return mutateOnce(engine, pools, bulk, now, callerName, body,
                        spreadFor(attempt, engine.pipeline.contended()));
            } catch (ConcurrentChangeException e) {
                backOffAndCatchUp(engine, attempt, e);
            } catch (NotAllocatedException | HoldNotFoundException | PoolExhaustedException
                    | AddressUnavailableException | KeyConflictException e) {
                // On a shared store the answer may come from state another instance has just changed.
                if (caughtUp || !engine.caughtUpSince(foreignBefore)) {
                    throw e;
                }
                caughtUp = true;
            }
        }
    }

    /**
     * How often a call decides again after another instance changed what it touched (shared stores).
     * A refused commit sends back every call of its batch from the refused one on, including those
     * whose own changes were fine, so in a small pool that two busy instances share a call may lose
     * many times in a row through no choice of its own: with the back-off below, the attempts span
     * about 0.2 s.
     */
    static final int MAX_ATTEMPTS = 64;

    /** The back-off before the next attempt is random, below 50 µs times 2^min(attempt, this). */
    private static final int MAX_BACKOFF_SHIFT = 7;

    /**
     * Waits a short random back-off (below 6.4 ms) after a refused commit, so that instances racing
     * for the same addresses drift apart, before the caller decides again ({@link #backOffAndCatchUp}).
     *
     * @throws StoreException if the attempts are used up
     */
    static void retryAfterConflict(int attempt, ConcurrentChangeException e) {
        if (attempt >= MAX_ATTEMPTS) {
            throw new StoreException("Gave up after " + attempt + " attempts: other instances sharing the store "
                    + "changed the same addresses, keys or pools first each time. Last refusal: " + e.getMessage(), e);
        }
        long maxMicros = 50L << Math.min(attempt, MAX_BACKOFF_SHIFT);
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros) * 1_000);
    }

    /**
     * {@link #retryAfterConflict}, then reads the changes other instances made during the back-off,
     * so that the next attempt decides on them rather than on the state of before the back-off.
     */
    private static void backOffAndCatchUp(IpamEngine engine, int attempt, ConcurrentChangeException e) {
        retryAfterConflict(attempt, e);
        engine.catchUp();
    }

    /** The widest {@link Mutation#spread}. */
    static final int MAX_SPREAD = 256;

    /**
     * Among how many free addresses an attempt picks (see {@link Mutation#spread}): after a lost
     * race the other instance is likely to take the next lowest addresses too, so widen the choice
     * (16, 64, then 256 addresses). While the instance's commits are being refused ({@code contended}),
     * every attempt picks among {@value #MAX_SPREAD}: a batch is refused from its first conflicting
     * call on, so one caller insisting on the very lowest address would sink the callers after it.
     */
    static int spreadFor(int attempt, boolean contended) {
        if (contended) {
            return MAX_SPREAD;
        }
        if (attempt <= 1) {
            return 1;
        }
        return attempt >= 4 ? MAX_SPREAD : 4 << (2 * (attempt - 1)); // 16, 64, then 256 (no shift overflow)
    }

    private static <T> T mutateOnce(IpamEngine engine, List<PoolState> pools, boolean bulk, Instant now,
            String callerName, Function<Mutation, T> body, int spread) {
        List<PoolState> ordered = pools;
        if (pools.size() > 1) {
            ordered = new ArrayList<>(pools);
            ordered.sort(Comparator.comparingLong(p -> p.ordinal));
        }
        Mutation m = new Mutation(now, callerName, spread);
        T result = null;
        RuntimeException failure = null;
        CommitPipeline.Ticket ticket = null;
        long stamp = engine.pipeline.enterMutation();
        try {
            ordered.forEach(p -> p.lock.lock());
            try {
                if (!bulk) {
                    for (PoolState p : ordered) {
                        p.ensureLive();
                    }
                    for (PoolState p : ordered) {
                        p.expireDue(m);
                    }
                }
                int mark = m.mark();
                try {
                    result = body.apply(m);
                } catch (RuntimeException e) {
                    m.rollbackTo(mark);
                    failure = e;
                }
                if (m.needsTicket()) {
                    ticket = engine.pipeline.enqueue(m.changes(), m.undoAll());
                }
            } finally {
                for (int i = ordered.size() - 1; i >= 0; i--) {
                    ordered.get(i).lock.unlock();
                }
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        if (ticket != null) {
            try {
                engine.pipeline.await(ticket);
            } catch (StoreException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else {
                    throw e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    /** Ends what is due in one pool (maintenance). */
    static void expire(IpamEngine engine, PoolState p, Instant now) {
        boolean due;
        p.lock.lock();
        try {
            due = p.hasDue(now);
        } finally {
            p.lock.unlock();
        }
        if (due) {
            try {
                mutate(engine, List.of(p), false, now, Change.SYSTEM, m -> null);
            } catch (dev.ipam.PoolNotFoundException deleted) {
                // deleted meanwhile: nothing left to end
            }
        }
    }

    // ------------------------------------------------------------------ pools

    @Override
    public Pool createPool(PoolSpec spec) {
        Objects.requireNonNull(spec, "spec");
        check(Action.ADMIN, spec.scope(), spec.name());
        Pool[] created = new Pool[1];
        retryingOnStalePools(() -> created[0] = createPoolOnce(spec));
        return created[0];
    }

    private Pool createPoolOnce(PoolSpec spec) {
        Pool pool = new Pool(spec, engine.clock.instant(), caller.name());
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            engine.adminLock.lock();
            try {
                engine.checkNewPool(pool);
                PoolState state = new PoolState(pool, engine.takeOrdinal());
                // Queue before registering: no change on the pool can be queued ahead of its creation.
                ticket = engine.pipeline.enqueue(List.of(new Change.PoolCreated(spec, pool.createdAt(), caller.name())),
                        () -> withAdminLock(() -> {
                            engine.unregister(state);
                            withPoolLock(state, () -> state.setDeleted(true));
                        }));
                engine.register(state);
            } finally {
                engine.adminLock.unlock();
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
        return pool;
    }

    @Override
    public void deletePool(String name) {
        PoolState p = checked(name, Action.ADMIN);
        retryingOnStalePools(() -> {
            expire(engine, p, engine.clock.instant()); // holds and quarantines that are over do not block deletion
            deletePoolOnce(name, p);
        });
    }

    private void deletePoolOnce(String name, PoolState p) {
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            engine.adminLock.lock();
            try {
                p.lock.lock();
                try {
                    p.ensureLive();
                    if (!p.isEmpty()) {
                        PoolUsage u = p.usage();
                        throw new PoolConflictException("Pool '" + name + "' still has " + u.allocated()
                                + " allocation(s), " + u.held() + " hold(s) and " + u.quarantined()
                                + " quarantined address(es); release them or let them end before deleting it");
                    }
                    p.setDeleted(true);
                    engine.unregister(p);
                    ticket = engine.pipeline.enqueue(
                            List.of(new Change.PoolDeleted(name, engine.clock.instant(), caller.name())),
                            () -> withAdminLock(() -> {
                                engine.register(p);
                                withPoolLock(p, () -> p.setDeleted(false));
                            }));
                } finally {
                    p.lock.unlock();
                }
            } finally {
                engine.adminLock.unlock();
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
    }

    @Override
    public List<Pool> pools() {
        List<Pool> result = new ArrayList<>();
        for (PoolState p : engine.poolStates()) {
            if (mayRead(p)) {
                result.add(p.pool);
            }
        }
        return result;
    }

    @Override
    public Optional<Pool> pool(String name) {
        PoolState p = engine.poolStateOrNull(Objects.requireNonNull(name, "name"));
        if (p == null) {
            return Optional.empty();
        }
        check(Action.READ, p.pool.scope(), name);
        return Optional.of(p.pool);
    }

    // ------------------------------------------------------------------ allocation

    @Override
    public Allocation allocate(AllocationRequest request) {
        Objects.requireNonNull(request, "request");
        PoolState p = checked(request.pool(), Action.ALLOCATE);
        if (request.holdKey().isPresent()) {
            check(Action.HOLD, p.pool.scope(), p.name());
        }
        return mutate(List.of(p), m -> p.allocate(request, m));
    }

    @Override
    public Allocation confirm(String holdKey, AllocationRequest request) {
        Objects.requireNonNull(request, "request");
        return allocate(request.toBuilder().holdKey(holdKey).build());
    }

    @Override
    public List<Allocation> allocateAll(List<AllocationRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        if (requests.isEmpty()) {
            return List.of();
        }
        Map<String, PoolState> involved = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            AllocationRequest r = Objects.requireNonNull(requests.get(i), "request " + i);
            try {
                PoolState p = involved.containsKey(r.pool()) ? involved.get(r.pool()) : engine.poolState(r.pool());
                check(Action.ALLOCATE, p.pool.scope(), p.name());
                if (r.holdKey().isPresent()) {
                    check(Action.HOLD, p.pool.scope(), p.name());
                }
                involved.put(r.pool(), p);
            } catch (RuntimeException e) {
                throw new AllocationFailedException(i, r, e);
            }
        }
        return mutate(new ArrayList<>(involved.values()), m -> {
            List<Allocation> result = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                AllocationRequest r = requests.get(i);
                try {
                    result.add(involved.get(r.pool()).allocate(r, m));
                } catch (RuntimeException e) {
                    throw new AllocationFailedException(i, r, e);
                }
            }
            return List.copyOf(result);
        });
    }

    // ------------------------------------------------------------------ release

    @Override
    public Allocation release(String pool, IpAddress address) {
        Objects.requireNonNull(address, "address");
        PoolState p = checked(pool, Action.RELEASE);
        return mutate(List.of(p), m -> p.release(address, m));
    }

    @Override
    public List<Allocation> releaseOwner(String owner) {
        Objects.requireNonNull(owner, "owner");
        return releaseWhere(p -> p.hasOwner(owner), PoolState::releaseOwner, owner);
    }

    @Override
    public List<Allocation> releaseEnvironment(String environment) {
        Objects.requireNonNull(environment, "environment");
        return releaseWhere(p -> p.hasEnvironment(environment), PoolState::releaseEnvironment, environment);
    }

    private interface BulkRelease {
        List<Allocation> apply(PoolState pool, String what, Mutation m);
    }

    /** Refused by the policy while the pools were locked; reported (and journaled) after unlocking. */
    private static final class RefusedUnderLock extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient PoolState pool;

        RefusedUnderLock(PoolState pool) {
            super(null, null, false, false);
            this.pool = pool;
        }
    }

    /**
     * Releases in every pool that {@code concerned} selects, all in one commit. Every pool is locked
     * while the concerned ones are chosen and released, so a concurrent allocateAll of the same
     * environment is either released completely or not at all.
     */
    private List<Allocation> releaseWhere(Predicate<PoolState> concerned, BulkRelease release, String what) {
        List<PoolState> all = engine.poolStates();
        try {
            return mutate(engine, all, true, engine.clock.instant(), caller.name(), m -> {
                List<PoolState> pools = new ArrayList<>();
                for (PoolState p : all) {
                    if (concerned.test(p)) {
                        if (!engine.accessPolicy.permits(caller, Action.RELEASE, p.pool.scope())) {
                            throw new RefusedUnderLock(p);
                        }
                        pools.add(p);
                    }
                }
                List<Allocation> released = new ArrayList<>();
                for (PoolState p : pools) {
                    p.expireDue(m);
                    released.addAll(release.apply(p, what, m));
                }
                return released;
            });
        } catch (RefusedUnderLock refused) {
            check(Action.RELEASE, refused.pool.pool.scope(), refused.pool.name());
            throw new IllegalStateException("Access policy changed its answer for " + refused.pool.name(), refused);
        }
    }

    // ------------------------------------------------------------------ holds

    @Override
    public Hold offer(String pool, String key, Duration ttl) {
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw new IllegalArgumentException("Invalid hold key '" + key + "': must be 1 to 255 characters, not blank");
        }
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new IllegalArgumentException("Hold TTL must be positive, was " + ttl);
        }
        PoolState p = checked(pool, Action.HOLD);
        Duration effective = ttl != null ? ttl : p.pool.spec().holdTtl();
        return mutate(List.of(p), m -> p.offer(key, effective, m));
    }

    @Override
    public Hold cancelHold(String pool, String holdKey) {
        Objects.requireNonNull(holdKey, "holdKey");
        PoolState p = checked(pool, Action.HOLD);
        return mutate(List.of(p), m -> p.cancelHold(holdKey, m));
    }

    @Override
    public List<Hold> holds(String pool) {
        PoolState p = checked(pool, Action.READ);
        return underLock(p, p::holds);
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Optional<Allocation> find(String pool, IpAddress address) {
        Objects.requireNonNull(address, "address");
        PoolState p = checked(pool, Action.READ);
        return Optional.ofNullable(underLock(p, () -> p.find(address)));
    }

    @Override
    public AllocationPage allocations(String pool, IpAddress after, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("Page limit " + limit + " must be between 1 and " + MAX_PAGE);
        }
        PoolState p = checked(pool, Action.READ);
        List<Allocation> fetched = underLock(p, () -> p.page(after, limit + 1));
        boolean more = fetched.size() > limit;
        List<Allocation> items = more ? fetched.subList(0, limit) : fetched;
        return new AllocationPage(items, more ? Optional.of(items.get(items.size() - 1).address()) : Optional.empty());
    }

    @Override
    public List<Allocation> allocationsOf(String owner) {
        Objects.requireNonNull(owner, "owner");
        List<Allocation> result = new ArrayList<>();
        for (PoolState p : engine.poolStates()) {
            if (mayRead(p)) {
                result.addAll(underLock(p, () -> p.allocationsOf(owner)));
            }
        }
        return result;
    }

    @Override
    public PoolUsage usage(String pool) {
        PoolState p = checked(pool, Action.READ);
        return underLock(p, p::usage);
    }

    @Override
    public List<HistoryEntry> history(String pool, IpAddress address) {
        Objects.requireNonNull(address, "address");
        PoolState p = engine.poolStateOrNull(Objects.requireNonNull(pool, "pool"));
        if (p != null) {
            check(Action.READ, p.pool.scope(), pool);
        }
        // A deleted pool's history is still answered (no scope to check against then).
        return historyOf(pool, engine.store.history(address));
    }

    @Override
    public Optional<HistoryEntry> holderAt(String pool, IpAddress address, Instant instant) {
        Objects.requireNonNull(instant, "instant");
        List<HistoryEntry> entries = history(pool, address);
        for (int i = entries.size() - 1; i >= 0; i--) {
            HistoryEntry e = entries.get(i);
            if (e.heldAt(instant)) {
                return Optional.of(e);
            }
            if (e.from().isBefore(instant) || e.from().equals(instant)) {
                break; // the latest period starting before the instant ended before it
            }
        }
        return Optional.empty();
    }

    /**
     * Pairs allocations with their releases, oldest first. A release whose allocation entry was
     * pruned still yields its period, with allocated sequence 0.
     */
    static List<HistoryEntry> historyOf(String pool, List<JournalEntry> journal) {
        List<HistoryEntry> result = new ArrayList<>();
        JournalEntry open = null;
        for (JournalEntry e : journal) {
            Change c = e.change();
            if (!pool.equals(c.pool())) {
                continue;
            }
            if (c instanceof Change.Allocated) {
                open = e;
            } else if (c instanceof Change.Released r) {
                boolean paired = open != null;
                Allocation a = paired ? ((Change.Allocated) open.change()).allocation() : r.allocation();
                result.add(new HistoryEntry(a, paired ? open.sequence() : 0, r.at(), r.caller()));
                open = null;
            }
        }
        if (open != null) {
            result.add(new HistoryEntry(((Change.Allocated) open.change()).allocation(), open.sequence(), null, null));
        }
        return result;
    }

    // ------------------------------------------------------------------ helpers

    private static <T> T underLock(PoolState p, java.util.function.Supplier<T> read) {
        p.lock.lock();
        try {
            p.ensureLive();
            return read.get();
        } finally {
            p.lock.unlock();
        }
    }

    private void withAdminLock(Runnable action) {
        engine.adminLock.lock();
        try {
            action.run();
        } finally {
            engine.adminLock.unlock();
        }
    }

    private static void withPoolLock(PoolState p, Runnable action) {
        p.lock.lock();
        try {
            action.run();
        } finally {
            p.lock.unlock();
        }
    }
}
