package dev.ipam.spi;

import dev.ipam.Allocation;
import dev.ipam.Pool;
import java.util.List;
import java.util.function.Consumer;

/**
 * The committed state a store gives back at start-up: pools, live allocations and the sequence
 * number of the last committed change. Allocations are streamed so that millions of them need not
 * be collected into one list.
 */
public interface StoredState {

    /** The sequence number of the last committed change; 0 for an empty store. */
    long lastSequence();

    /** The pools, in creation order. */
    List<Pool> pools();

    /** Calls {@code action} once per live allocation, in any order. May be called more than once. */
    void forEachAllocation(Consumer<Allocation> action);
}
