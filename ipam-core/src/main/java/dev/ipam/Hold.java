package dev.ipam;

import dev.ipam.address.IpAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * An address offered to a caller and held for it until {@link #expiresAt()}: no other request gets
 * it meanwhile. The same key gets the same hold back while it lives; {@link IpamSession#confirm}
 * turns it into an allocation. Immutable and thread-safe.
 *
 * @param pool the pool's name
 * @param address the held address
 * @param key what the hold is for (a MAC, or any string), or null for an anonymous hold
 * @param heldAt when the hold was placed
 * @param expiresAt when it lapses unless confirmed
 * @param heldBy the caller that placed it
 */
public record Hold(String pool, IpAddress address, String key, Instant heldAt, Instant expiresAt, String heldBy) {

    public Hold {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(heldAt, "heldAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(heldBy, "heldBy");
    }

    /** Whether the hold still holds at {@code now}. */
    public boolean isLiveAt(Instant now) {
        return now.isBefore(expiresAt);
    }
}
