package dev.ipam.spi;

import dev.ipam.address.IpAddress;

/**
 * The state of one address of a pool, and the transitions changes make: every store validates a
 * batch with these rules (a change whose address is not in its {@link #requiredBy required} state
 * makes the whole batch fail).
 *
 * <pre>
 * FREE --Allocated--> ALLOCATED --Released--> FREE, or QUARANTINED (with quarantineUntil)
 * FREE --Held-------> HELD      --HoldEnded--> FREE
 * QUARANTINED --QuarantineEnded--> FREE
 * </pre>
 */
public enum AddressState {
    FREE, ALLOCATED, HELD, QUARANTINED;

    /** The address a change concerns, or null for pool and refusal changes. */
    public static IpAddress addressOf(Change change) {
        if (change instanceof Change.Allocated a) {
            return a.allocation().address();
        }
        if (change instanceof Change.Released r) {
            return r.allocation().address();
        }
        if (change instanceof Change.Held h) {
            return h.hold().address();
        }
        if (change instanceof Change.HoldEnded e) {
            return e.hold().address();
        }
        if (change instanceof Change.QuarantineEnded q) {
            return q.address();
        }
        return null;
    }

    /** The state the change requires its address to be in, or null if it concerns no address. */
    public static AddressState requiredBy(Change change) {
        if (change instanceof Change.Allocated || change instanceof Change.Held) {
            return FREE;
        }
        if (change instanceof Change.Released) {
            return ALLOCATED;
        }
        if (change instanceof Change.HoldEnded) {
            return HELD;
        }
        return change instanceof Change.QuarantineEnded ? QUARANTINED : null;
    }

    /** The state the change leaves its address in, or null if it concerns no address. */
    public static AddressState resultOf(Change change) {
        if (change instanceof Change.Allocated) {
            return ALLOCATED;
        }
        if (change instanceof Change.Held) {
            return HELD;
        }
        if (change instanceof Change.Released r) {
            return r.quarantineUntil() == null ? FREE : QUARANTINED;
        }
        return change instanceof Change.HoldEnded || change instanceof Change.QuarantineEnded ? FREE : null;
    }
}
