package dev.ipam;

import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A request for one address: the pool, how to pick ({@link Strategy}), and what to record with
 * the allocation (owner, environment and name, hostname, MAC).
 *
 * <p>Immutable and thread-safe; build one with {@link #in(String)}.
 */
public final class AllocationRequest {

    private final String pool;
    private final Strategy strategy;
    private final IpAddress address;
    private final MacAddress mac;
    private final String owner;
    private final String environment;
    private final String name;
    private final String hostname;
    private final String holdKey;

    private AllocationRequest(Builder b) {
        this.pool = b.pool;
        this.address = b.address;
        this.mac = b.mac;
        this.owner = b.owner;
        this.environment = b.environment;
        this.name = b.name;
        this.hostname = b.hostname;
        this.holdKey = b.holdKey;
        Strategy s = b.strategy;
        if (s == null && address != null) {
            s = Strategy.SPECIFIC;
        }
        this.strategy = s;
        if (owner == null) {
            throw new IllegalArgumentException("Request in pool '" + pool + "' has no owner; every allocation needs one");
        }
        if (strategy == Strategy.SPECIFIC && address == null) {
            throw new IllegalArgumentException("Request in pool '" + pool + "' uses SPECIFIC but names no address");
        }
        if (address != null && strategy != Strategy.SPECIFIC) {
            throw new IllegalArgumentException("Request in pool '" + pool + "' names address " + address
                    + " but uses strategy " + strategy + "; use SPECIFIC (or no strategy)");
        }
        if (strategy == Strategy.EUI64 && mac == null) {
            throw new IllegalArgumentException("Request in pool '" + pool + "' uses EUI64 but names no MAC address");
        }
        if ((environment == null) != (name == null)) {
            throw new IllegalArgumentException("Request in pool '" + pool
                    + "' must give both environment and name, or neither (got environment=" + environment
                    + ", name=" + name + ")");
        }
    }

    /** Starts a request in the named pool. */
    public static Builder in(String pool) {
        return new Builder(pool);
    }

    public String pool() {
        return pool;
    }

    /** The strategy, or empty to use the pool's default. */
    public Optional<Strategy> strategy() {
        return Optional.ofNullable(strategy);
    }

    /** The address asked for ({@link Strategy#SPECIFIC}). */
    public Optional<IpAddress> address() {
        return Optional.ofNullable(address);
    }

    public Optional<MacAddress> mac() {
        return Optional.ofNullable(mac);
    }

    public String owner() {
        return owner;
    }

    public Optional<String> environment() {
        return Optional.ofNullable(environment);
    }

    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    public Optional<String> hostname() {
        return Optional.ofNullable(hostname);
    }

    /** The key of a live hold this request confirms: the allocation takes the held address. */
    public Optional<String> holdKey() {
        return Optional.ofNullable(holdKey);
    }

    /** A builder preset with this request's values. */
    public Builder toBuilder() {
        Builder b = new Builder(pool);
        b.strategy = strategy;
        b.address = address;
        b.mac = mac;
        b.owner = owner;
        b.environment = environment;
        b.name = name;
        b.hostname = hostname;
        b.holdKey = holdKey;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationRequest r && pool.equals(r.pool) && strategy == r.strategy
                && Objects.equals(address, r.address) && Objects.equals(mac, r.mac) && owner.equals(r.owner)
                && Objects.equals(environment, r.environment) && Objects.equals(name, r.name)
                && Objects.equals(hostname, r.hostname) && Objects.equals(holdKey, r.holdKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pool, strategy, address, mac, owner, environment, name, hostname, holdKey);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("pool=").append(pool).append(", owner=").append(owner);
        if (strategy != null) {
            s.append(", strategy=").append(strategy);
        }
        if (address != null) {
            s.append(", address=").append(address);
        }
        if (mac != null) {
            s.append(", mac=").append(mac);
        }
        if (environment != null) {
            s.append(", key=").append(environment).append('/').append(name);
        }
        if (hostname != null) {
            s.append(", hostname=").append(hostname);
        }
        if (holdKey != null) {
            s.append(", holdKey=").append(holdKey);
        }
        return s.toString();
    }

    /** Collects an {@link AllocationRequest}; each setter validates its value at once. Not thread-safe. */
    public static final class Builder {
        private final String pool;
        private Strategy strategy;
        private IpAddress address;
        private MacAddress mac;
        private String owner;
        private String environment;
        private String name;
        private String hostname;
        private String holdKey;

        private Builder(String pool) {
            this.pool = Names.requireIdentifier("pool name", pool);
        }

        public Builder strategy(Strategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /** Asks for this address; implies {@link Strategy#SPECIFIC}. */
        public Builder address(String address) {
            return address(IpAddress.parse(address));
        }

        public Builder address(IpAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The VM's MAC; recorded, and the input of {@link Strategy#EUI64}. */
        public Builder mac(String mac) {
            return mac(MacAddress.parse(mac));
        }

        public Builder mac(MacAddress mac) {
            this.mac = Objects.requireNonNull(mac, "mac");
            return this;
        }

        /** Who the address is bound to (a VM id); required. */
        public Builder owner(String owner) {
            this.owner = Names.requireText("owner", owner);
            return this;
        }

        /** The environment (stack) of the {@code (environment, name)} key. */
        public Builder environment(String environment) {
            this.environment = Names.requireText("environment", environment);
            return this;
        }

        /** The name within the environment of the {@code (environment, name)} key. */
        public Builder name(String name) {
            this.name = Names.requireText("name", name);
            return this;
        }

        /** The DNS host name (RFC 1123; stored lower-case, without a trailing dot). */
        public Builder hostname(String hostname) {
            this.hostname = Names.requireHostname(hostname);
            return this;
        }

        /**
         * Confirms the live hold of this key: the allocation takes the held address (a SPECIFIC
         * address, if given, must be that address).
         */
        public Builder holdKey(String holdKey) {
            this.holdKey = Names.requireText("hold key", holdKey);
            return this;
        }

        /** @throws IllegalArgumentException if the combination is inconsistent (see the strategies) */
        public AllocationRequest build() {
            return new AllocationRequest(this);
        }
    }
}
