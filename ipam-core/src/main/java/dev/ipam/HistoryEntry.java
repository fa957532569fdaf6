package dev.ipam;

import dev.ipam.address.IpAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One holder of an address over a period: from its allocation to its release (or still holding).
 * Immutable and thread-safe.
 *
 * @param allocation the allocation as it was made
 * @param allocatedSequence the journal sequence number of the allocation
 * @param releasedAt when it was released, or null while it is live
 * @param releasedBy the caller that released it, or null while it is live
 */
public record HistoryEntry(Allocation allocation, long allocatedSequence, Instant releasedAt, String releasedBy) {

    public HistoryEntry {
        Objects.requireNonNull(allocation, "allocation");
    }

    public String pool() {
        return allocation.pool();
    }

    public IpAddress address() {
        return allocation.address();
    }

    public String owner() {
        return allocation.owner();
    }

    public Instant from() {
        return allocation.allocatedAt();
    }

    /** The end of the holding period, empty while it lasts. */
    public Optional<Instant> to() {
        return Optional.ofNullable(releasedAt);
    }

    /** Whether the holder held the address at {@code instant} (from inclusive, to exclusive). */
    public boolean heldAt(Instant instant) {
        return !instant.isBefore(from()) && (releasedAt == null || instant.isBefore(releasedAt));
    }
}
