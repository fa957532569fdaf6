package dev.ipam.internal;

import dev.ipam.AddressUnavailableException;
import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Hold;
import dev.ipam.HoldNotFoundException;
import dev.ipam.KeyConflictException;
import dev.ipam.NotAllocatedException;
import dev.ipam.Pool;
import dev.ipam.PoolExhaustedException;
import dev.ipam.PoolNotFoundException;
import dev.ipam.PoolUsage;
import dev.ipam.Strategy;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.spi.Change;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live state of one pool. Every address of the pool is in exactly one of four states: free,
 * allocated, held or quarantined; the occupancy marks all but the free ones.
 *
 * <p>Not thread-safe by itself: every method must be called with {@link #lock} held (the engine
 * takes it; several pools are always locked in {@link #ordinal} order). Mutating methods record
 * each change with its exact undo in a {@link Mutation}.
 */
final class PoolState {

    /** An environment key. */
    record Key(String environment, String name) {
        static Key of(Allocation a) {
            return a.environment() == null ? null : new Key(a.environment(), a.name());
        }

        static Key of(AllocationRequest r) {
            return r.environment().isEmpty() ? null : new Key(r.environment().get(), r.name().get());
        }
    }

    /** When a hold or quarantine of an address is due to end; stale entries are skipped. */
    private record Deadline(Instant at, IpAddress address) {
    }

    final Pool pool;
    /** Creation order; the global order in which several pool locks are taken. */
    final long ordinal;
    final ReentrantLock lock = new ReentrantLock();

    private final Occupancy occupancy;
    private final AllocationTable allocations;
    private final Map<IpAddress, Hold> holds = new HashMap<>();
    private final Map<String, Hold> holdsByKey = new HashMap<>();
    /** The latest expired hold of recent keys, to explain a late confirmation; bounded. */
    private final Map<String, Hold> expiredByKey = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Hold> eldest) {
            return size() > EXPIRED_KEYS_REMEMBERED;
        }
    };
    private static final int EXPIRED_KEYS_REMEMBERED = 10_000;
    private final Map<IpAddress, Change.Released> quarantined = new HashMap<>();
    private final Map<Key, Change.Released> lastRelease = new HashMap<>();
    private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>((a, b) -> a.at().compareTo(b.at()));
    private final SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());
    private IpAddress nextFitCursor;
    private boolean deleted;

    PoolState(Pool pool, long ordinal) {
        this.pool = pool;
        this.ordinal = ordinal;
        this.occupancy = Occupancy.forRanges(pool.spec().effectiveRanges(), pool.spec().capacity());
        this.allocations = new AllocationTable(pool.name(), pool.spec().isIpv4(),
                occupancy instanceof DenseOccupancy dense ? dense : null);
    }

    String name() {
        return pool.name();
    }

    void ensureLive() {
        if (deleted) {
            throw new PoolNotFoundException(name());
        }
    }

    void setDeleted(boolean deleted) {
        this.deleted = deleted;
    }

    /** No allocation, hold or quarantine. */
    boolean isEmpty() {
        return occupancy.used() == 0;
    }

    boolean belongs(IpAddress address) {
        return address.isIpv4() == pool.spec().isIpv4() && pool.spec().contains(address);
    }

    // ------------------------------------------------------------------ loading

    /** Restores a stored allocation. */
    void load(Allocation a, CanonicalStrings strings) {
        requireLoadable(a.address());
        occupancy.markUsed(a.address());
        allocations.load(a, strings);
    }

    /** Live allocations, also while loading (before {@link #finishLoading}). */
    long allocatedCount() {
        return allocations.size();
    }

    /**
     * Builds the lookup structures of the loaded allocations; called once all are loaded. Touches
     * this pool's state only, so different pools may finish on different threads.
     */
    void finishLoading() {
        allocations.indexLoaded();
    }

    void load(Hold h) {
        requireLoadable(h.address());
        bindHold(h);
    }

    void loadQuarantine(Change.Released r) {
        requireLoadable(r.allocation().address());
        bindQuarantine(r);
    }

    void loadLastRelease(Change.Released r) {
        Key key = Key.of(r.allocation());
        Change.Released known = lastRelease.get(key);
        if (key != null && (known == null || known.at().isBefore(r.at()))) {
            lastRelease.put(key, r);
        }
    }

    private void requireLoadable(IpAddress address) {
        if (!belongs(address) || occupancy.isUsed(address)) {
            throw new IllegalStateException("Stored entry for " + address + " in pool '" + name()
                    + "' is outside the pool or duplicates another");
        }
    }

    // ------------------------------------------------------------------ expiry

    /** Whether a hold or quarantine is due to end at {@code now}. */
    boolean hasDue(Instant now) {
        Deadline d = deadlines.peek();
        return d != null && !d.at().isAfter(now);
    }

    /** Ends every hold and quarantine due at {@code m.now}. */
    void expireDue(Mutation m) {
        while (hasDue(m.now)) {
            Deadline d = deadlines.poll();
            Hold h = holds.get(d.address());
            if (h != null && !h.expiresAt().isAfter(m.now)) {
                endHold(h, Change.HoldEndReason.EXPIRED, m, Change.SYSTEM);
                continue;
            }
            Change.Released q = quarantined.get(d.address());
            if (q != null && !q.quarantineUntil().isAfter(m.now)) {
                endQuarantine(q, false, m, Change.SYSTEM);
            }
        }
    }

    // ------------------------------------------------------------------ allocation

    /**
     * Allocates for a request, or returns the live allocation of the request's environment key
     * (an idempotent repeat, which records no change but asks for a barrier).
     */
    Allocation allocate(AllocationRequest request, Mutation m) {
        Key key = Key.of(request);
        if (key != null) {
            Allocation existing = allocations.getByKey(key.environment(), key.name());
            if (existing != null) {
                if (request.address().isPresent() && !request.address().get().equals(existing.address())) {
                    throw new KeyConflictException("Key " + key.environment() + "/" + key.name() + " already holds "
                            + existing.address() + " in pool '" + name() + "', not " + request.address().get(), existing);
                }
                m.needBarrier();
                return existing;
            }
        }
        IpAddress address = chooseAddress(request, key, m);
        Allocation allocation = new Allocation(request.pool(), address, request.owner(), request.environment().orElse(null),
                request.name().orElse(null), request.hostname().orElse(null), request.mac().orElse(null), m.now, m.caller);
        bindAllocation(allocation, true);
        m.record(new Change.Allocated(allocation), this, () -> unbindAllocation(allocation.address()));
        return allocation;
    }

    private IpAddress chooseAddress(AllocationRequest request, Key key, Mutation m) {
        Strategy strategy = request.strategy().orElse(pool.spec().defaultStrategy());
        if (request.holdKey().isPresent()) {
            Hold hold = liveHold(request.holdKey().get(), m.now);
            if (request.address().isPresent() && !request.address().get().equals(hold.address())) {
                throw new AddressUnavailableException(name(), request.address().get(),
                        "hold '" + hold.key() + "' holds " + hold.address() + ", not this address");
            }
            endHold(hold, Change.HoldEndReason.CONFIRMED, m, m.caller);
            return hold.address();
        }
        switch (strategy) {
            case SPECIFIC:
                return claimNamed(request.address().orElseThrow(), key, m);
            case EUI64:
                return claimNamed(eui64Address(request.mac().orElseThrow()), key, m);
            default:
                IpAddress sticky = stickyAddress(key, m);
                return sticky != null ? sticky : pickFree(strategy, m.spread);
        }
    }

    /** The previous address of a re-provisioned key, if still free or in its quarantine and within the window. */
    private IpAddress stickyAddress(Key key, Mutation m) {
        if (key == null) {
            return null;
        }
        Change.Released last = lastRelease.get(key);
        Duration window = pool.spec().stickiness();
        if (last == null || window.isZero() || !m.now.isBefore(last.at().plus(window))) {
            return null;
        }
        IpAddress address = last.allocation().address();
        if (!occupancy.isUsed(address)) {
            return address;
        }
        Change.Released q = quarantined.get(address);
        if (q != null && key.equals(Key.of(q.allocation()))) {
            endQuarantine(q, true, m, m.caller);
            return address;
        }
        return null;
    }

    private IpAddress pickFree(Strategy strategy, int spread) {
        IpAddress address = switch (strategy) {
            case NEXT_FIT -> occupancy.nextFreeAfter(nextFitCursor);
            case RANDOM -> occupancy.randomFree(random);
            default -> occupancy.lowestFree();
        };
        if (address == null) {
            throw new PoolExhaustedException(name(), pool.spec().capacity(), occupancy.used());
        }
        if (spread > 1 && strategy != Strategy.RANDOM) {
            // Lost a race on a shared store: skip a few free addresses (see Mutation.spread).
            for (int skip = random.nextInt(spread); skip > 0; skip--) {
                IpAddress next = occupancy.nextFreeAfter(address);
                if (next == null || next.compareTo(address) <= 0) {
                    break; // wrapped around: keep the last one before the end
                }
                address = next;
            }
        }
        if (strategy == Strategy.NEXT_FIT) {
            nextFitCursor = address;
        }
        return address;
    }

    /** Makes a named address available to the request or explains why it is not. */
    private IpAddress claimNamed(IpAddress address, Key key, Mutation m) {
        if (!belongs(address)) {
            throw new AddressUnavailableException(name(), address, "not part of the pool (ranges "
                    + pool.spec().effectiveRanges() + ")");
        }
        Allocation holder = allocations.get(address);
        if (holder != null) {
            throw new AddressUnavailableException(name(), address, holder);
        }
        Hold hold = holds.get(address);
        if (hold != null) {
            throw new AddressUnavailableException(name(), address, "held" + (hold.key() == null ? "" : " for '"
                    + hold.key() + "'") + " until " + hold.expiresAt() + "; confirm it with its hold key");
        }
        Change.Released q = quarantined.get(address);
        if (q != null) {
            if (key != null && key.equals(Key.of(q.allocation()))) {
                endQuarantine(q, true, m, m.caller);
                return address;
            }
            throw new AddressUnavailableException(name(), address, "in quarantine until " + q.quarantineUntil()
                    + " after release by '" + q.allocation().owner() + "'");
        }
        return address;
    }

    private IpAddress eui64Address(MacAddress mac) {
        if (pool.spec().isIpv4()) {
            throw new IllegalArgumentException("EUI64 needs an IPv6 pool; pool '" + name() + "' is IPv4");
        }
        for (Cidr cidr : pool.spec().cidrs()) {
            if (cidr.prefixLength() <= 64) {
                return IpAddress.ofIpv6(cidr.network().high(), mac.eui64InterfaceId());
            }
        }
        throw new IllegalArgumentException("EUI64 needs a /64 or shorter prefix; pool '" + name()
                + "' has none among " + pool.spec().cidrs());
    }

    // ------------------------------------------------------------------ release

    /** Releases an allocated address, into quarantine if the pool has one. */
    Allocation release(IpAddress address, Mutation m) {
        Allocation a = allocations.get(address);
        if (a == null) {
            throw new NotAllocatedException(name(), address);
        }
        Duration q = pool.spec().quarantine();
        Change.Released released = new Change.Released(a, m.now, m.caller, q.isZero() ? null : m.now.plus(q));
        Key key = Key.of(a);
        Change.Released previousLast = key == null ? null : lastRelease.get(key);
        unbindAllocation(address);
        if (released.quarantineUntil() != null) {
            bindQuarantine(released);
        }
        if (key != null) {
            lastRelease.put(key, released);
        }
        m.record(released, this, () -> {
            if (key != null) {
                if (previousLast == null) {
                    lastRelease.remove(key);
                } else {
                    lastRelease.put(key, previousLast);
                }
            }
            if (released.quarantineUntil() != null) {
                unbindQuarantine(released);
            }
            bindAllocation(a, true);
        });
        return a;
    }

    /** Releases every allocation of an owner, in address order. */
    List<Allocation> releaseOwner(String owner, Mutation m) {
        return releaseAll(allocations.addressesOfOwner(owner), m);
    }

    /** Releases every allocation of an environment, in address order. */
    List<Allocation> releaseEnvironment(String environment, Mutation m) {
        return releaseAll(allocations.addressesOfEnvironment(environment), m);
    }

    private List<Allocation> releaseAll(List<IpAddress> sorted, Mutation m) {
        List<Allocation> released = new ArrayList<>(sorted.size());
        for (IpAddress address : sorted) {
            released.add(release(address, m));
        }
        return released;
    }

    // ------------------------------------------------------------------ holds

    /** Holds a free address for {@code ttl}; the same key gets its live hold back. */
    Hold offer(String key, Duration ttl, Mutation m) {
        if (key != null) {
            Hold live = holdsByKey.get(key);
            if (live != null && live.isLiveAt(m.now)) {
                m.needBarrier();
                return live;
            }
        }
        Strategy strategy = pool.spec().defaultStrategy();
        Hold hold = new Hold(name(), pickFree(strategy, m.spread), key, m.now, m.now.plus(ttl), m.caller);
        bindHold(hold);
        m.record(new Change.Held(hold), this, () -> unbindHold(hold));
        return hold;
    }

    /** Gives up the live hold of a key. */
    Hold cancelHold(String key, Mutation m) {
        Hold hold = liveHold(key, m.now);
        endHold(hold, Change.HoldEndReason.CANCELLED, m, m.caller);
        return hold;
    }

    private Hold liveHold(String key, Instant now) {
        Hold hold = holdsByKey.get(key);
        if (hold == null) {
            Hold expired = expiredByKey.get(key);
            if (expired != null) {
                throw new HoldNotFoundException("The hold of " + expired.address() + " for key '" + key + "' in pool '"
                        + name() + "' expired at " + expired.expiresAt());
            }
            throw new HoldNotFoundException("No hold for key '" + key + "' in pool '" + name() + "'");
        }
        if (!hold.isLiveAt(now)) {
            throw new HoldNotFoundException("The hold of " + hold.address() + " for key '" + key + "' in pool '"
                    + name() + "' expired at " + hold.expiresAt());
        }
        return hold;
    }

    private void endHold(Hold hold, Change.HoldEndReason reason, Mutation m, String caller) {
        unbindHold(hold);
        boolean remember = reason == Change.HoldEndReason.EXPIRED && hold.key() != null;
        if (remember) {
            expiredByKey.put(hold.key(), hold);
        }
        m.record(new Change.HoldEnded(hold, reason, m.now, caller), this, () -> {
            if (remember) {
                expiredByKey.remove(hold.key(), hold);
            }
            bindHold(hold);
        });
    }

    private void endQuarantine(Change.Released q, boolean reused, Mutation m, String caller) {
        unbindQuarantine(q);
        m.record(new Change.QuarantineEnded(name(), q.allocation().address(), reused, m.now, caller), this,
                () -> bindQuarantine(q));
    }

    // ------------------------------------------------------------------ changes of other instances

    /**
     * Applies a change another instance committed to a shared store. The store accepted it against
     * the state this instance has seen, so it fits; an environment or hold key that this instance's
     * own later change bound stays bound to that (the other binding has ended by then).
     *
     * @throws IllegalStateException if the change does not fit (the instance missed changes)
     */
    void applyForeign(Change change) {
        if (change instanceof Change.Allocated allocated) {
            bindAllocation(allocated.allocation(), false);
        } else if (change instanceof Change.Released released) {
            Allocation live = allocations.get(released.allocation().address());
            if (live == null) {
                throw new IllegalStateException("Released " + released.allocation().address() + " is not allocated");
            }
            unbindAllocation(live.address());
            if (released.quarantineUntil() != null) {
                bindQuarantine(released);
            }
            loadLastRelease(released);
        } else if (change instanceof Change.Held held) {
            Hold h = held.hold();
            Hold keyHolder = h.key() == null ? null : holdsByKey.get(h.key());
            bindHold(h);
            if (keyHolder != null) {
                holdsByKey.put(h.key(), keyHolder);
            }
        } else if (change instanceof Change.HoldEnded ended) {
            Hold live = holds.get(ended.hold().address());
            if (live == null) {
                throw new IllegalStateException("Ended hold of " + ended.hold().address() + " is not held");
            }
            unbindHold(live);
            if (ended.reason() == Change.HoldEndReason.EXPIRED && live.key() != null) {
                expiredByKey.put(live.key(), live);
            }
        } else if (change instanceof Change.QuarantineEnded ended) {
            Change.Released live = quarantined.get(ended.address());
            if (live == null) {
                throw new IllegalStateException("Quarantine of " + ended.address() + " has already ended");
            }
            unbindQuarantine(live);
        }
    }

    // ------------------------------------------------------------------ bind / unbind (exact inverses)

    /** Binds an allocation; {@code replaceKey}: see {@link AllocationTable#add}. */
    private void bindAllocation(Allocation a, boolean replaceKey) {
        IpAddress address = a.address();
        if (!occupancy.markUsed(address)) {
            throw new IllegalStateException("Address " + address + " of pool '" + name() + "' is already used");
        }
        allocations.add(a, replaceKey);
    }

    private void unbindAllocation(IpAddress address) {
        allocations.remove(address);
        occupancy.markFree(address);
    }

    private void bindHold(Hold h) {
        if (!occupancy.markUsed(h.address())) {
            throw new IllegalStateException("Address " + h.address() + " of pool '" + name() + "' is already used");
        }
        holds.put(h.address(), h);
        if (h.key() != null) {
            holdsByKey.put(h.key(), h);
        }
        deadlines.add(new Deadline(h.expiresAt(), h.address()));
    }

    private void unbindHold(Hold h) {
        holds.remove(h.address());
        if (h.key() != null) {
            holdsByKey.remove(h.key(), h);
        }
        occupancy.markFree(h.address());
    }

    private void bindQuarantine(Change.Released r) {
        IpAddress address = r.allocation().address();
        occupancy.markUsed(address);
        quarantined.put(address, r);
        deadlines.add(new Deadline(r.quarantineUntil(), address));
    }

    private void unbindQuarantine(Change.Released r) {
        IpAddress address = r.allocation().address();
        quarantined.remove(address);
        occupancy.markFree(address);
    }

    // ------------------------------------------------------------------ reads

    Allocation find(IpAddress address) {
        return allocations.get(address);
    }

    List<Allocation> allocationsOf(String owner) {
        return allocations.allocationsOfOwner(owner);
    }

    boolean hasOwner(String owner) {
        return allocations.hasOwner(owner);
    }

    boolean hasEnvironment(String environment) {
        return allocations.hasEnvironment(environment);
    }

    /** Up to {@code limit} allocations after {@code after} (null: from the start) in address order. */
    List<Allocation> page(IpAddress after, int limit) {
        if (after != null && !belongs(after)) {
            throw new IllegalArgumentException("Page start " + after + " is not an address of pool '" + name()
                    + "' (ranges " + pool.spec().effectiveRanges() + ")");
        }
        List<Allocation> result = new ArrayList<>(Math.min(limit, 1024));
        IpAddress cursor = after;
        while (result.size() < limit) {
            IpAddress next = occupancy.nextUsedAfter(cursor);
            if (next == null) {
                break;
            }
            Allocation a = allocations.get(next);
            if (a != null) {
                result.add(a);
            }
            cursor = next;
        }
        return result;
    }

    List<Hold> holds() {
        return new ArrayList<>(holds.values());
    }

    PoolUsage usage() {
        return new PoolUsage(name(), pool.spec().capacity(), allocations.size(), holds.size(), quarantined.size(),
                occupancy.free());
    }
}
