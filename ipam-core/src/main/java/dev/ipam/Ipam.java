package dev.ipam;

import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.IpamStore;
import java.time.Clock;
import java.util.Objects;

/**
 * An IP address manager: pools, allocations and their durable store. Build one with
 * {@link #builder()}, act through {@link #as(Caller)}, and {@link #close()} it at shutdown.
 *
 * <p>Thread-safe: any number of threads may call any session at once; no interleaving hands out
 * one address twice. Every change a call reports as done is durable in the store before the call
 * returns; concurrent callers share store commits (group commit).
 */
public interface Ipam extends AutoCloseable {

    /** Starts a builder. */
    static Builder builder() {
        return new Builder();
    }

    /** A view that performs every operation as the given caller, checked by the access policy. */
    IpamSession as(Caller caller);

    /**
     * Stops accepting calls, waits for in-flight commits and closes the store. Idempotent. Calls
     * after close throw {@link IllegalStateException}.
     */
    @Override
    void close();

    /** Wires an {@link Ipam}. Not thread-safe; {@link #build()} once. */
    final class Builder {
        private IpamStore store;
        private AccessPolicy accessPolicy;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The durable store; required. The built {@link Ipam} owns it and closes it. */
        public Builder store(IpamStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** Who may do what; required (there is no silent default: say {@link AccessPolicy#allowAll()}). */
        public Builder accessPolicy(AccessPolicy accessPolicy) {
            this.accessPolicy = Objects.requireNonNull(accessPolicy, "accessPolicy");
            return this;
        }

        /** The clock that stamps changes (default {@link Clock#systemUTC()}). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Loads the store's state and returns a ready {@link Ipam}. Blocks while loading.
         *
         * @throws IllegalStateException if the store or access policy was not set
         * @throws StoreException if the store cannot be read
         */
        public Ipam build() {
            if (store == null) {
                throw new IllegalStateException("No store: call store(...) (e.g. new InMemoryStore())");
            }
            if (accessPolicy == null) {
                throw new IllegalStateException(
                        "No access policy: call accessPolicy(...) (AccessPolicy.allowAll() to allow every caller)");
            }
            return IpamEngine.open(store, accessPolicy, clock);
        }
    }
}
