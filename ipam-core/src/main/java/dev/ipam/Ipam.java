package dev.ipam;

import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.EventListener;
import dev.ipam.spi.IpamStore;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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
     * Ends (and journals) every hold and quarantine that is due, and applies the history retention
     * if one is configured. Runs periodically on its own (see {@link Builder#maintenanceInterval});
     * call it directly when driving time with a test clock. Blocks until the changes are durable.
     *
     * @throws StoreException if the store fails
     */
    void runMaintenance();

    /** The sequence number of the last committed change. */
    long lastSequence();

    /**
     * Stops maintenance and listener delivery, stops accepting calls, commits what is queued and
     * closes the store. Idempotent. Calls after close throw {@link IllegalStateException}.
     */
    @Override
    void close();

    /** Wires an {@link Ipam}. Not thread-safe; {@link #build()} once. */
    final class Builder {
        private IpamStore store;
        private AccessPolicy accessPolicy;
        private Clock clock = Clock.systemUTC();
        private Duration maintenanceInterval = Duration.ofSeconds(1);
        private Duration historyRetention;
        private final Map<String, EventListener> listeners = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * How often holds and quarantines that are due are ended in the background (default 1 s);
         * {@link Duration#ZERO} turns the background task off (ends then happen on the pool's next
         * change and on {@link Ipam#runMaintenance()}).
         */
        public Builder maintenanceInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("Maintenance interval must not be negative, was " + interval);
            }
            this.maintenanceInterval = interval;
            return this;
        }

        /**
         * Forget holding periods that ended longer ago than {@code retention} (default: keep history
         * indefinitely). Journal entries are pruned only once every listener has handled them.
         */
        public Builder historyRetention(Duration retention) {
            Objects.requireNonNull(retention, "retention");
            if (retention.isNegative() || retention.isZero()) {
                throw new IllegalArgumentException("History retention must be positive, was " + retention);
            }
            this.historyRetention = retention;
            return this;
        }

        /**
         * Registers a listener under a name that is unique and stable across restarts: its position
         * is stored under that name, and delivery resumes after it.
         *
         * @throws IllegalArgumentException if the name is taken or not 1 to 64 letters, digits, {@code . _ -}
         */
        public Builder listener(String name, EventListener listener) {
            Names.requireIdentifier("listener name", name);
            Objects.requireNonNull(listener, "listener");
            if (listeners.putIfAbsent(name, listener) != null) {
                throw new IllegalArgumentException("Listener name '" + name + "' is already registered");
            }
            return this;
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
         * Loads the store's state and returns a ready {@link Ipam}. Blocks while loading. Loading
         * uses one short-lived helper thread at a time (named {@code ipam-load}) once there are
         * thousands of allocations; none is left running when this method returns.
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
            return IpamEngine.open(new IpamEngine.Settings(store, accessPolicy, clock, maintenanceInterval,
                    historyRetention, new LinkedHashMap<>(listeners)));
        }
    }
}
