package dev.ipam.spi;

import java.time.Duration;
import java.util.List;

/**
 * A store that several {@link dev.ipam.Ipam} instances (usually in separate processes) share. The
 * store is the arbiter: it assigns sequence numbers across all instances and refuses a change that
 * was decided without knowing a conflicting change another instance committed. Each instance
 * learns the others' changes by reading the journal ({@link #readJournal}).
 *
 * <p>One store object serves one {@code Ipam}: the changes committed through it are "this
 * instance's own"; everything else in the journal is another instance's.
 *
 * <p>The rule a shared store enforces in {@link #commitShared}: a change about an address, a hold
 * key, an environment key or a pool is accepted only if the stored state it requires (see
 * {@link AddressState}) holds <em>and</em> the last change to that address or pool was either
 * committed through this store object or has a sequence number of at most {@code seenThrough}.
 * Hold keys and live environment keys stay unique across instances. So an instance never acts on
 * an address whose latest change it has not seen, and it can apply the others' changes in
 * sequence order on top of its own.
 *
 * <p>{@link #commit(ChangeBatch)} keeps its single-writer meaning: it fails unless the batch's
 * first sequence continues the stored last sequence.
 */
public interface SharedStore extends IpamStore {

    /**
     * Makes changes durable atomically, numbering them after the last change any instance
     * committed (gap-free and in commit order across all instances). Blocks until durable.
     *
     * @param changes the changes, in the order they were made, at least one
     * @param seenThrough every change with a sequence number up to this one is known to the caller
     *     (its own and the others'); the changes were decided on that knowledge
     * @return the sequence number given to the first change
     * @throws ConcurrentChangeException if a change conflicts with one another instance committed
     *     after {@code seenThrough}; nothing was applied: catch up with the journal and decide again.
     *     The store should name the first refused change ({@link ConcurrentChangeException#refusedChange()})
     *     when it knows it, so the caller can commit the changes before it on their own
     * @throws dev.ipam.StoreException if the changes could not be made durable; nothing was applied
     * @throws IllegalStateException if the store is closed
     */
    long commitShared(List<Change> changes, long seenThrough);

    /**
     * How often an instance reads the journal for the other instances' changes when it is otherwise
     * idle. Also bounds how stale its reads can be.
     */
    default Duration followInterval() {
        return Duration.ofMillis(200);
    }
}
