package dev.ipam.spi;

import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import java.util.List;
import java.util.function.Consumer;

/**
 * The committed state a store gives back at start-up: pools, live allocations, holds, quarantined
 * addresses, the last release of each environment key, and the sequence number of the last
 * committed change. Collections are streamed so that millions of entries need not be collected
 * into one list. Each {@code forEach} may be called more than once and visits entries in any order.
 *
 * <p>Everything it gives is one consistent snapshot: {@link #lastSequence()} is the sequence of the
 * last change reflected in the collections, even while other writers commit (a shared store reads
 * it in one repeatable-read transaction, for instance). The library calls {@link #close()} when it
 * has read what it needs; no method is called after that.
 */
public interface StoredState extends AutoCloseable {

    /** The sequence number of the last committed change; 0 for an empty store. */
    long lastSequence();

    /** The pools, in creation order. */
    List<Pool> pools();

    /** Calls {@code action} once per live allocation. */
    void forEachAllocation(Consumer<Allocation> action);

    /** Calls {@code action} once per hold that has not ended (expired holds included until their end is committed). */
    void forEachHold(Consumer<Hold> action);

    /** Calls {@code action} once per address in quarantine: the release that put it there. */
    void forEachQuarantine(Consumer<Change.Released> action);

    /**
     * Calls {@code action} with the latest release of each {@code (pool, environment, name)} key,
     * which lets a re-provisioned key get its previous address back. A store may drop entries older
     * than any stickiness window in use.
     */
    void forEachLastRelease(Consumer<Change.Released> action);

    /** Releases what the snapshot holds (a database transaction, say). Idempotent; the default does nothing. */
    @Override
    default void close() {
    }
}
