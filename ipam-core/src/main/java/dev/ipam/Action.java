package dev.ipam;

/** What a caller wants to do; the unit an {@link dev.ipam.spi.AccessPolicy} decides on. */
public enum Action {
    /** Find, list and count allocations and pools. */
    READ,
    /** Allocate addresses. */
    ALLOCATE,
    /** Release addresses. */
    RELEASE,
    /** Hold (offer) addresses for a while and confirm holds. */
    HOLD,
    /** Create and delete pools. */
    ADMIN
}
