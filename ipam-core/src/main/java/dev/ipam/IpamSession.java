package dev.ipam;

import dev.ipam.address.IpAddress;
import java.util.List;
import java.util.Optional;

/**
 * The operations of an {@link Ipam}, performed as one {@link Caller}. Obtain with
 * {@link Ipam#as(Caller)}; cheap to create, safe to share between threads.
 *
 * <p>Contract of every method: input is validated first (malformed values throw
 * {@link IllegalArgumentException} or {@link NullPointerException} naming the value); then the
 * access policy is asked ({@link AccessDeniedException}); a failure leaves everything unchanged.
 * Methods that change state block until the change is durable in the store and throw
 * {@link StoreException} if it could not be made durable (the change is then undone). Reads do not
 * block on the store; they see every change that completed before they started.
 */
public interface IpamSession {

    /** The caller this session acts as. */
    Caller caller();

    /**
     * Creates a pool ({@link Action#ADMIN}).
     *
     * @throws PoolConflictException if the name is taken or a range overlaps a pool of the same cloud
     */
    Pool createPool(PoolSpec spec);

    /**
     * Deletes an empty pool ({@link Action#ADMIN}).
     *
     * @throws PoolConflictException if it still has allocations
     * @throws PoolNotFoundException if there is no such pool
     */
    void deletePool(String pool);

    /** The pools this caller may read, in creation order. */
    List<Pool> pools();

    /** The named pool, if it exists ({@link Action#READ}). */
    Optional<Pool> pool(String name);

    /**
     * Allocates one address ({@link Action#ALLOCATE}).
     *
     * @throws PoolNotFoundException if the pool does not exist
     * @throws PoolExhaustedException if no address is free
     * @throws AddressUnavailableException if a specific or EUI-64 address is taken or not in the pool
     * @throws IllegalArgumentException if the strategy does not fit the pool (EUI-64 in IPv4)
     */
    Allocation allocate(AllocationRequest request);

    /**
     * Allocates every request, all or nothing, in one commit. The result is in request order.
     *
     * @throws AllocationFailedException naming the first request that failed and why; nothing was
     *     allocated
     */
    List<Allocation> allocateAll(List<AllocationRequest> requests);

    /** The allocation of an address in a pool ({@link Action#READ}). */
    Optional<Allocation> find(String pool, IpAddress address);

    /** Same as {@link #find(String, IpAddress)}; the text is parsed with {@link IpAddress#parse}. */
    default Optional<Allocation> find(String pool, String address) {
        return find(pool, IpAddress.parse(address));
    }

    /**
     * A page of the pool's allocations in address order, starting after {@code after} (null for
     * the first page).
     *
     * @param limit page size, 1 to 10 000
     */
    AllocationPage allocations(String pool, IpAddress after, int limit);

    /** Every allocation of an owner across the pools this caller may read, by pool then address. */
    List<Allocation> allocationsOf(String owner);

    /**
     * Releases an allocated address ({@link Action#RELEASE}) and returns what was released.
     *
     * @throws NotAllocatedException if the address is not allocated in that pool
     */
    Allocation release(String pool, IpAddress address);

    /** Same as {@link #release(String, IpAddress)} with the address parsed from text. */
    default Allocation release(String pool, String address) {
        return release(pool, IpAddress.parse(address));
    }

    /** A consistent snapshot of the pool's counts ({@link Action#READ}). */
    PoolUsage usage(String pool);
}
