package dev.ipam.internal;

import dev.ipam.AccessDeniedException;
import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.AllocationFailedException;
import dev.ipam.AllocationPage;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.IpamSession;
import dev.ipam.NotAllocatedException;
import dev.ipam.Pool;
import dev.ipam.PoolConflictException;
import dev.ipam.PoolSpec;
import dev.ipam.PoolUsage;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link IpamSession} of one caller. Stateless apart from its caller; thread-safe. Every mutation
 * follows the same steps: validate, check access, enter the pipeline, lock the pool(s), apply and
 * enqueue, unlock, await durability (see {@link CommitPipeline}).
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

    private void check(Action action, Scope scope) {
        if (!engine.accessPolicy.permits(caller, action, scope)) {
            throw new AccessDeniedException(caller, action, scope);
        }
    }

    private PoolState readable(String pool) {
        PoolState p = engine.poolState(pool);
        check(Action.READ, p.pool.scope());
        return p;
    }

    @Override
    public Pool createPool(PoolSpec spec) {
        Objects.requireNonNull(spec, "spec");
        check(Action.ADMIN, spec.scope());
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
        PoolState p = engine.poolState(name);
        check(Action.ADMIN, p.pool.scope());
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            engine.adminLock.lock();
            try {
                p.lock.lock();
                try {
                    p.ensureLive();
                    if (!p.isEmpty()) {
                        throw new PoolConflictException("Pool '" + name + "' still has " + p.usage().allocated()
                                + " allocation(s); release them before deleting it");
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
            if (engine.accessPolicy.permits(caller, Action.READ, p.pool.scope())) {
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
        check(Action.READ, p.pool.scope());
        return Optional.of(p.pool);
    }

    @Override
    public Allocation allocate(AllocationRequest request) {
        Objects.requireNonNull(request, "request");
        PoolState p = engine.poolState(request.pool());
        check(Action.ALLOCATE, p.pool.scope());
        Instant now = engine.clock.instant();
        Allocation allocation;
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            p.lock.lock();
            try {
                p.ensureLive();
                allocation = PoolState.allocationFor(request, p.pick(request), now, caller.name());
                p.add(allocation);
                Allocation added = allocation;
                ticket = engine.pipeline.enqueue(List.of(new Change.Allocated(allocation)),
                        () -> withPoolLock(p, () -> p.remove(added)));
            } finally {
                p.lock.unlock();
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
        return allocation;
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
                check(Action.ALLOCATE, p.pool.scope());
                involved.put(r.pool(), p);
            } catch (RuntimeException e) {
                throw new AllocationFailedException(i, r, e);
            }
        }
        List<PoolState> lockOrder = new ArrayList<>(involved.values());
        lockOrder.sort(Comparator.comparingLong(p -> p.ordinal));
        Instant now = engine.clock.instant();
        List<Allocation> result = new ArrayList<>(requests.size());
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            lockOrder.forEach(p -> p.lock.lock());
            try {
                for (int i = 0; i < requests.size(); i++) {
                    AllocationRequest r = requests.get(i);
                    PoolState p = involved.get(r.pool());
                    try {
                        p.ensureLive();
                        Allocation a = PoolState.allocationFor(r, p.pick(r), now, caller.name());
                        p.add(a);
                        result.add(a);
                    } catch (RuntimeException e) {
                        for (int j = result.size() - 1; j >= 0; j--) {
                            involved.get(result.get(j).pool()).remove(result.get(j));
                        }
                        throw new AllocationFailedException(i, r, e);
                    }
                }
                List<Change> changes = new ArrayList<>(result.size());
                result.forEach(a -> changes.add(new Change.Allocated(a)));
                List<Allocation> added = List.copyOf(result);
                ticket = engine.pipeline.enqueue(changes, () -> {
                    for (int j = added.size() - 1; j >= 0; j--) {
                        Allocation a = added.get(j);
                        PoolState p = involved.get(a.pool());
                        withPoolLock(p, () -> p.remove(a));
                    }
                });
            } finally {
                for (int i = lockOrder.size() - 1; i >= 0; i--) {
                    lockOrder.get(i).lock.unlock();
                }
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
        return List.copyOf(result);
    }

    @Override
    public Optional<Allocation> find(String pool, IpAddress address) {
        Objects.requireNonNull(address, "address");
        PoolState p = readable(pool);
        p.lock.lock();
        try {
            p.ensureLive();
            return Optional.ofNullable(p.find(address));
        } finally {
            p.lock.unlock();
        }
    }

    @Override
    public AllocationPage allocations(String pool, IpAddress after, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("Page limit " + limit + " must be between 1 and " + MAX_PAGE);
        }
        PoolState p = readable(pool);
        List<Allocation> items;
        boolean more;
        p.lock.lock();
        try {
            p.ensureLive();
            List<Allocation> fetched = p.page(after, limit + 1);
            more = fetched.size() > limit;
            items = more ? fetched.subList(0, limit) : fetched;
        } finally {
            p.lock.unlock();
        }
        return new AllocationPage(items, more ? Optional.of(items.get(items.size() - 1).address()) : Optional.empty());
    }

    @Override
    public List<Allocation> allocationsOf(String owner) {
        Objects.requireNonNull(owner, "owner");
        List<Allocation> result = new ArrayList<>();
        for (PoolState p : engine.poolStates()) {
            if (!engine.accessPolicy.permits(caller, Action.READ, p.pool.scope())) {
                continue;
            }
            p.lock.lock();
            try {
                result.addAll(p.allocationsOf(owner));
            } finally {
                p.lock.unlock();
            }
        }
        return result;
    }

    @Override
    public Allocation release(String pool, IpAddress address) {
        Objects.requireNonNull(address, "address");
        PoolState p = engine.poolState(pool);
        check(Action.RELEASE, p.pool.scope());
        Instant now = engine.clock.instant();
        Allocation released;
        CommitPipeline.Ticket ticket;
        long stamp = engine.pipeline.enterMutation();
        try {
            p.lock.lock();
            try {
                p.ensureLive();
                released = p.find(address);
                if (released == null) {
                    throw new NotAllocatedException(pool, address);
                }
                p.remove(released);
                Allocation removed = released;
                ticket = engine.pipeline.enqueue(List.of(new Change.Released(released, now, caller.name())),
                        () -> withPoolLock(p, () -> p.add(removed)));
            } finally {
                p.lock.unlock();
            }
        } finally {
            engine.pipeline.exitMutation(stamp);
        }
        engine.pipeline.await(ticket);
        return released;
    }

    @Override
    public PoolUsage usage(String pool) {
        PoolState p = readable(pool);
        p.lock.lock();
        try {
            p.ensureLive();
            return p.usage();
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
