package dev.ipam.spi;

import dev.ipam.Allocation;
import dev.ipam.PoolSpec;
import java.time.Instant;
import java.util.Objects;

/**
 * One committed change of state. Changes reach stores in {@link ChangeBatch}es, which give them
 * gap-free sequence numbers. Every change names its pool, when it happened and which caller made it.
 * Immutable and thread-safe.
 */
public sealed interface Change permits Change.PoolCreated, Change.PoolDeleted, Change.Allocated, Change.Released {

    /** The name of the pool the change belongs to. */
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

    /** An allocation ended; {@code allocation} is what was released. */
    record Released(Allocation allocation, Instant at, String caller) implements Change {
        public Released {
            Objects.requireNonNull(allocation, "allocation");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(caller, "caller");
        }

        @Override
        public String pool() {
            return allocation.pool();
        }
    }
}
