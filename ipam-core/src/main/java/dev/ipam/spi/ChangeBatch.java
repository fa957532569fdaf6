package dev.ipam.spi;

import java.util.List;

/**
 * Changes committed together, in order: change {@code i} has sequence number
 * {@code firstSequence + i}. Immutable and thread-safe.
 *
 * @param firstSequence the sequence number of the first change, 1 or more
 * @param changes the changes in the order they were made, at least one
 */
public record ChangeBatch(long firstSequence, List<Change> changes) {

    public ChangeBatch {
        if (firstSequence < 1) {
            throw new IllegalArgumentException("firstSequence must be at least 1, was " + firstSequence);
        }
        changes = List.copyOf(changes);
        if (changes.isEmpty()) {
            throw new IllegalArgumentException("A batch needs at least one change");
        }
    }

    /** The sequence number of the last change. */
    public long lastSequence() {
        return firstSequence + changes.size() - 1;
    }

    public int size() {
        return changes.size();
    }
}
