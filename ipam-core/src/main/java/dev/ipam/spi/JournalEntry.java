package dev.ipam.spi;

import java.util.Objects;

/**
 * A committed change with its sequence number. Immutable and thread-safe.
 *
 * @param sequence gap-free, starting at 1
 * @param change what changed
 */
public record JournalEntry(long sequence, Change change) {

    public JournalEntry {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be at least 1, was " + sequence);
        }
        Objects.requireNonNull(change, "change");
    }
}
