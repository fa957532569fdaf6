package dev.ipam.spi;

import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * One committed change of state. Changes reach stores in {@link ChangeBatch}es, which give them
 * gap-free sequence numbers. Every change names its pool, when it happened and which caller made it.
 * Immutable and thread-safe.
 */
public sealed interface Change permits Change.PoolCreated, Change.PoolDeleted, Change.Allocated, Change.Released,
        Change.Held, Change.HoldEnded, Change.QuarantineEnded, Change.AccessRefused {

    /** The caller name recorded for changes the library makes by itself (expiry of holds and quarantines). */
    String SYSTEM = "ipam";

    /** The name of the pool the change belongs to (for {@link AccessRefused}, the pool named by the refused call, if any). */
    String pool();

    /** When the change was made (the library's clock). */
    Instant at();

    /** The caller that made it. */
    String caller();

    /** A pool was created. */
    record PoolCreated(PoolSpec spec, Instant at, String caller) implements Change {
        public PoolCreated {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }

        @Override
        public String pool() {
            return spec.name();
        }
    }

    /** An empty pool was deleted. */
    record PoolDeleted(String pool, Instant at, String caller) implements Change {
        public PoolDeleted {
            Objects.requireNonNull(pool, "pool");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }
    }

    /** An address was allocated; the allocation carries time and caller. */
    record Allocated(Allocation allocation) implements Change {
        public Allocated {
            Objects.requireNonNull(allocation, "allocation");
        }

        @Override
        public String pool() {
            return allocation.pool();
        }

        @Override
        public Instant at() {
            return allocation.allocatedAt();
        }

        @Override
        public String caller() {
            return allocation.allocatedBy();
        }
    }

    /**
     * An allocation ended; {@code allocation} is what was released. With a {@code quarantineUntil}
     * the address stays unavailable until then (except to the same environment key); without it,
     * the address is free at once.
     */
    record Released(Allocation allocation, Instant at, String caller, Instant quarantineUntil) implements Change {
        public Released {
            Objects.requireNonNull(allocation, "allocation");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }

        /** A release without quarantine. */
        public Released(Allocation allocation, Instant at, String caller) {
            this(allocation, at, caller, null);
        }

        @Override
        public String pool() {
            return allocation.pool();
        }
    }

    /** An address was held (offered) until the hold's expiry. */
    record Held(Hold hold) implements Change {
        public Held {
            Objects.requireNonNull(hold, "hold");
        }

        @Override
        public String pool() {
            return hold.pool();
        }

        @Override
        public Instant at() {
            return hold.heldAt();
        }

        @Override
        public String caller() {
            return hold.heldBy();
        }
    }

    /** Why a hold ended. */
    enum HoldEndReason {
        /** Turned into an allocation (an {@link Allocated} of the same address follows in the same batch). */
        CONFIRMED,
        /** Its time ran out; the address is free again. */
        EXPIRED,
        /** Given up by a caller; the address is free again. */
        CANCELLED
    }

    /** A hold ended. */
    record HoldEnded(Hold hold, HoldEndReason reason, Instant at, String caller) implements Change {
        public HoldEnded {
            Objects.requireNonNull(hold, "hold");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }

        @Override
        public String pool() {
            return hold.pool();
        }
    }

    /**
     * The quarantine of a released address ended: it is free again, or (when {@code reused}) it is
     * being handed back to its previous environment key by the {@link Allocated} that follows.
     */
    record QuarantineEnded(String pool, IpAddress address, boolean reused, Instant at, String caller) implements Change {
        public QuarantineEnded {
            Objects.requireNonNull(pool, "pool");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }
    }

    /**
     * A call was refused by the access policy. It changed no state; it is journaled so that
     * security tools see failed attempts too.
     *
     * @param pool the pool the call named, or null
     */
    record AccessRefused(String caller, Action action, Scope scope, String pool, Instant at) implements Change {
        public AccessRefused {
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(at, "at");
        }
    }
}
