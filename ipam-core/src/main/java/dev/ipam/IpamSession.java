package dev.ipam;

import dev.ipam.address.IpAddress;
import java.time.Duration;
import java.time.Instant;
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
 * block on the store; they see every change that completed before they started. A refused call
 * throws {@link AccessDeniedException} after its refusal has been journaled (a
 * {@link dev.ipam.spi.Change.AccessRefused} event for security tools).
 *
 * <p>Holds and quarantines that are due to end are ended (and journaled) by the next change to
 * their pool and by {@link Ipam#runMaintenance()}, which an {@link Ipam} runs periodically.
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
     * <p>Idempotent by key: when the request's {@code (environment, name)} key already holds an
     * allocation in the pool, that allocation is returned and nothing changes. A key released within
     * the pool's {@link PoolSpec#stickiness() stickiness window} gets its previous address back if it
     * is still free or in quarantine (unless the request names an address). A request with a
     * {@link AllocationRequest#holdKey() hold key} confirms that live hold.
     *
     * @throws PoolNotFoundException if the pool does not exist
     * @throws PoolExhaustedException if no address is free
     * @throws AddressUnavailableException if a specific or EUI-64 address is taken or not in the pool
     * @throws IllegalArgumentException if the strategy does not fit the pool (EUI-64 in IPv4)
     * @throws KeyConflictException if the key holds a different address than the one named
     * @throws HoldNotFoundException if the hold key has no live hold
     */
    Allocation allocate(AllocationRequest request);

    /**
     * Allocates every request, all or nothing, in one commit. The result is in request order.
     * Requests with environment keys make the call idempotent: retrying the same list returns the
     * same allocations.
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

    /**
     * Releases every allocation of an owner (a VM) in every pool, in one commit
     * ({@link Action#RELEASE} in each pool concerned). Returns what was released; an empty list
     * (and no change) if the owner holds nothing.
     */
    List<Allocation> releaseOwner(String owner);

    /**
     * Releases every allocation of an environment in every pool, in one commit
     * ({@link Action#RELEASE} in each pool concerned). Returns what was released; an empty list
     * (and no change) if the environment holds nothing.
     */
    List<Allocation> releaseEnvironment(String environment);

    /** A consistent snapshot of the pool's counts ({@link Action#READ}). */
    PoolUsage usage(String pool);

    /**
     * Holds a free address of the pool for {@code ttl} (null: the pool's {@link PoolSpec#holdTtl()})
     * ({@link Action#HOLD}). While the hold lives, the same key gets the same hold back and no other
     * request gets the address; without a key every offer holds a new address.
     *
     * @param key a MAC, or any string identifying the requester; null for an anonymous hold
     * @throws PoolExhaustedException if no address is free
     */
    Hold offer(String pool, String key, Duration ttl);

    /**
     * Turns the live hold of {@code holdKey} into an allocation with the request's metadata
     * ({@link Action#HOLD} and {@link Action#ALLOCATE}). Same as {@link #allocate} with
     * {@link AllocationRequest.Builder#holdKey(String)}.
     *
     * @throws HoldNotFoundException if there is no live hold for the key (unknown, ended or expired)
     */
    Allocation confirm(String holdKey, AllocationRequest request);

    /**
     * Gives up the live hold of a key, freeing its address ({@link Action#HOLD}).
     *
     * @throws HoldNotFoundException if there is no live hold for the key
     */
    Hold cancelHold(String pool, String holdKey);

    /** The pool's holds, live or due to expire ({@link Action#READ}). */
    List<Hold> holds(String pool);

    /**
     * Every holder of an address in a pool, oldest first, across releases and restarts, as far as
     * history retention reaches ({@link Action#READ}). Answered from the store's per-address index.
     */
    List<HistoryEntry> history(String pool, IpAddress address);

    /** The holder of an address in a pool at an instant, if any ({@link Action#READ}). */
    Optional<HistoryEntry> holderAt(String pool, IpAddress address, Instant instant);
}
