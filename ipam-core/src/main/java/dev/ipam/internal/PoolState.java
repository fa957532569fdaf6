package dev.ipam.internal;

import dev.ipam.AddressUnavailableException;
import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Pool;
import dev.ipam.PoolExhaustedException;
import dev.ipam.PoolNotFoundException;
import dev.ipam.PoolUsage;
import dev.ipam.Strategy;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live state of one pool: occupancy, allocations and their indexes.
 *
 * <p>Not thread-safe by itself: every method must be called with {@link #lock} held (the engine
 * takes it; several pools are always locked in {@link #ordinal} order).
 */
final class PoolState {

    final Pool pool;
    /** Creation order; the global order in which several pool locks are taken. */
    final long ordinal;
    final ReentrantLock lock = new ReentrantLock();

    private final Occupancy occupancy;
    private final Map<IpAddress, Allocation> allocations = new HashMap<>();
    private final Map<String, TreeSet<IpAddress>> byOwner = new HashMap<>();
    private final SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());
    private IpAddress nextFitCursor;
    private boolean deleted;

    PoolState(Pool pool, long ordinal) {
        this.pool = pool;
        this.ordinal = ordinal;
        this.occupancy = Occupancy.forRanges(pool.spec().effectiveRanges(), pool.spec().capacity());
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

    boolean isEmpty() {
        return allocations.isEmpty();
    }

    /** Picks the address for a request (does not mark it). */
    IpAddress pick(AllocationRequest request) {
        Strategy strategy = request.strategy().orElse(pool.spec().defaultStrategy());
        IpAddress address;
        switch (strategy) {
            case LOWEST -> address = occupancy.lowestFree();
            case NEXT_FIT -> address = occupancy.nextFreeAfter(nextFitCursor);
            case RANDOM -> address = occupancy.randomFree(random);
            case SPECIFIC -> {
                return requireAvailable(request.address().orElseThrow());
            }
            case EUI64 -> {
                return requireAvailable(eui64Address(request.mac().orElseThrow()));
            }
            default -> throw new IllegalStateException("Unknown strategy " + strategy);
        }
        if (address == null) {
            throw new PoolExhaustedException(name(), pool.spec().capacity(), occupancy.used());
        }
        if (strategy == Strategy.NEXT_FIT) {
            nextFitCursor = address;
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

    private IpAddress requireAvailable(IpAddress address) {
        if (address.isIpv4() != pool.spec().isIpv4() || !pool.spec().contains(address)) {
            throw new AddressUnavailableException(name(), address, "not part of the pool (ranges "
                    + pool.spec().effectiveRanges() + ")");
        }
        Allocation holder = allocations.get(address);
        if (holder != null) {
            throw new AddressUnavailableException(name(), address, holder);
        }
        if (occupancy.isUsed(address)) {
            throw new AddressUnavailableException(name(), address, "in use");
        }
        return address;
    }

    /** Binds an allocation; its address must be free. */
    void add(Allocation allocation) {
        IpAddress address = allocation.address();
        if (!occupancy.markUsed(address)) {
            throw new IllegalStateException("Address " + address + " of pool '" + name() + "' is already used");
        }
        allocations.put(address, allocation);
        byOwner.computeIfAbsent(allocation.owner(), o -> new TreeSet<>()).add(address);
    }

    /** Unbinds an allocation that {@link #add} bound. */
    void remove(Allocation allocation) {
        IpAddress address = allocation.address();
        allocations.remove(address);
        occupancy.markFree(address);
        TreeSet<IpAddress> owned = byOwner.get(allocation.owner());
        if (owned != null) {
            owned.remove(address);
            if (owned.isEmpty()) {
                byOwner.remove(allocation.owner());
            }
        }
    }

    Allocation find(IpAddress address) {
        return allocations.get(address);
    }

    List<Allocation> allocationsOf(String owner) {
        TreeSet<IpAddress> owned = byOwner.get(owner);
        if (owned == null) {
            return List.of();
        }
        List<Allocation> result = new ArrayList<>(owned.size());
        owned.forEach(a -> result.add(allocations.get(a)));
        return result;
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
            result.add(allocations.get(next));
            cursor = next;
        }
        return result;
    }

    boolean belongs(IpAddress address) {
        return address.isIpv4() == pool.spec().isIpv4() && pool.spec().contains(address);
    }

    PoolUsage usage() {
        return new PoolUsage(name(), pool.spec().capacity(), occupancy.used(), occupancy.free());
    }

    long memoryBytesEstimate() {
        return occupancy.memoryBytesEstimate();
    }

    /** Builds the allocation record of a request for a picked address. */
    static Allocation allocationFor(AllocationRequest r, IpAddress address, Instant now, String caller) {
        return new Allocation(r.pool(), address, r.owner(), r.environment().orElse(null), r.name().orElse(null),
                r.hostname().orElse(null), r.mac().orElse(null), now, caller);
    }
}
