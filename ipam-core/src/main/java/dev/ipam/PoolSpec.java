package dev.ipam;

import dev.ipam.address.AddressRange;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a pool is made of: a name, a {@link Scope}, one or more CIDRs or address ranges of one
 * address family, and exclusions. For IPv4 CIDRs the network and broadcast addresses are left out
 * by default (except for /31 and /32, which have neither, per RFC 3021).
 *
 * <p>Immutable and thread-safe; build one with {@link #builder(String, Scope)}.
 */
public final class PoolSpec {

    private final String name;
    private final Scope scope;
    private final List<Cidr> cidrs;
    private final List<AddressRange> ranges;
    private final List<AddressRange> exclusions;
    private final boolean reserveNetworkAndBroadcast;
    private final Strategy defaultStrategy;
    private final Duration quarantine;
    private final Duration stickiness;
    private final Duration holdTtl;
    private final List<AddressRange> effectiveRanges;
    private final BigInteger capacity;

    private PoolSpec(Builder b) {
        this.name = b.name;
        this.scope = b.scope;
        this.cidrs = List.copyOf(b.cidrs);
        this.ranges = List.copyOf(b.ranges);
        this.exclusions = List.copyOf(b.exclusions);
        this.reserveNetworkAndBroadcast = b.reserveNetworkAndBroadcast;
        this.defaultStrategy = b.defaultStrategy;
        this.quarantine = b.quarantine;
        this.stickiness = b.stickiness;
        this.holdTtl = b.holdTtl;
        if (cidrs.isEmpty() && ranges.isEmpty()) {
            throw new IllegalArgumentException("Pool '" + name + "' needs at least one CIDR or address range");
        }
        List<AddressRange> declared = new ArrayList<>();
        cidrs.forEach(c -> declared.add(c.toRange()));
        declared.addAll(ranges);
        boolean ipv4 = declared.get(0).isIpv4();
        for (AddressRange r : declared) {
            if (r.isIpv4() != ipv4) {
                throw new IllegalArgumentException("Pool '" + name + "' mixes IPv4 and IPv6: " + declared.get(0)
                        + " and " + r + "; a pool holds one address family");
            }
        }
        List<AddressRange> normalizedDeclared = AddressRange.normalize(declared);
        for (AddressRange ex : exclusions) {
            if (normalizedDeclared.stream().noneMatch(ex::overlaps)) {
                throw new IllegalArgumentException("Exclusion " + ex + " of pool '" + name
                        + "' lies outside the pool's ranges " + normalizedDeclared);
            }
        }
        List<AddressRange> removed = new ArrayList<>(exclusions);
        if (reserveNetworkAndBroadcast) {
            for (Cidr c : cidrs) {
                if (c.isIpv4() && c.prefixLength() <= 30) {
                    removed.add(AddressRange.single(c.first()));
                    removed.add(AddressRange.single(c.last()));
                }
            }
        }
        this.effectiveRanges = List.copyOf(AddressRange.subtract(normalizedDeclared, removed));
        BigInteger total = BigInteger.ZERO;
        for (AddressRange r : effectiveRanges) {
            total = total.add(r.size());
        }
        if (total.signum() == 0) {
            throw new IllegalArgumentException("Pool '" + name + "' has no usable address: " + declared
                    + " minus exclusions " + removed);
        }
        this.capacity = total;
    }

    /**
     * Starts a spec.
     *
     * @throws IllegalArgumentException if the name is not 1 to 64 letters, digits, {@code . _ -}
     */
    public static Builder builder(String name, Scope scope) {
        return new Builder(name, scope);
    }

    public String name() {
        return name;
    }

    public Scope scope() {
        return scope;
    }

    /** The CIDRs as given. */
    public List<Cidr> cidrs() {
        return cidrs;
    }

    /** The ranges as given. */
    public List<AddressRange> ranges() {
        return ranges;
    }

    /** The exclusions as given. */
    public List<AddressRange> exclusions() {
        return exclusions;
    }

    /** Whether IPv4 CIDRs (/30 and wider) leave out their network and broadcast addresses. */
    public boolean reserveNetworkAndBroadcast() {
        return reserveNetworkAndBroadcast;
    }

    /** The strategy of requests that name none. */
    public Strategy defaultStrategy() {
        return defaultStrategy;
    }

    /**
     * How long a released address stays out of the free set (cool-down); zero (the default) frees it
     * at once. During quarantine only the same {@code (environment, name)} key can get it back.
     */
    public Duration quarantine() {
        return quarantine;
    }

    /**
     * How long after a release the same {@code (environment, name)} key gets its previous address
     * back when it asks again without naming an address, provided the address is still free or in
     * quarantine. Default {@link Builder#DEFAULT_STICKINESS} (24 hours); zero turns it off.
     */
    public Duration stickiness() {
        return stickiness;
    }

    /** How long an offer holds its address when the caller names no TTL (default {@link Builder#DEFAULT_HOLD_TTL}). */
    public Duration holdTtl() {
        return holdTtl;
    }

    /** Whether the pool holds IPv4 addresses (else IPv6). */
    public boolean isIpv4() {
        return effectiveRanges.get(0).isIpv4();
    }

    /** The addresses the pool hands out: sorted, disjoint, non-adjacent ranges. */
    public List<AddressRange> effectiveRanges() {
        return effectiveRanges;
    }

    /** Whether the pool hands out this address (it is in a range and not excluded). */
    public boolean contains(IpAddress address) {
        for (AddressRange r : effectiveRanges) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** How many addresses the pool hands out. */
    public BigInteger capacity() {
        return capacity;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PoolSpec other && name.equals(other.name) && scope.equals(other.scope)
                && cidrs.equals(other.cidrs) && ranges.equals(other.ranges) && exclusions.equals(other.exclusions)
                && reserveNetworkAndBroadcast == other.reserveNetworkAndBroadcast
                && defaultStrategy == other.defaultStrategy && quarantine.equals(other.quarantine)
                && stickiness.equals(other.stickiness) && holdTtl.equals(other.holdTtl);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, scope, cidrs, ranges, exclusions, reserveNetworkAndBroadcast, defaultStrategy,
                quarantine, stickiness, holdTtl);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("PoolSpec[").append(name).append(" in ").append(scope);
        if (!cidrs.isEmpty()) {
            s.append(", cidrs=").append(cidrs);
        }
        if (!ranges.isEmpty()) {
            s.append(", ranges=").append(ranges);
        }
        if (!exclusions.isEmpty()) {
            s.append(", exclude=").append(exclusions);
        }
        if (!quarantine.isZero()) {
            s.append(", quarantine=").append(quarantine);
        }
        return s.append(", capacity=").append(capacity).append(']').toString();
    }

    /** Collects a {@link PoolSpec}. Not thread-safe. */
    public static final class Builder {
        /** The default {@link PoolSpec#stickiness()}: 24 hours. */
        public static final Duration DEFAULT_STICKINESS = Duration.ofHours(24);
        /** The default {@link PoolSpec#holdTtl()}: 180 seconds. */
        public static final Duration DEFAULT_HOLD_TTL = Duration.ofSeconds(180);

        private final String name;
        private final Scope scope;
        private final List<Cidr> cidrs = new ArrayList<>();
        private final List<AddressRange> ranges = new ArrayList<>();
        private final List<AddressRange> exclusions = new ArrayList<>();
        private boolean reserveNetworkAndBroadcast = true;
        private Strategy defaultStrategy = Strategy.LOWEST;
        private Duration quarantine = Duration.ZERO;
        private Duration stickiness = DEFAULT_STICKINESS;
        private Duration holdTtl = DEFAULT_HOLD_TTL;

        private Builder(String name, Scope scope) {
            this.name = Names.requireIdentifier("pool name", name);
            this.scope = Objects.requireNonNull(scope, "scope");
        }

        /** Adds a CIDR, e.g. {@code "10.20.0.0/16"}; IllegalArgumentException naming bad text. */
        public Builder cidr(String cidr) {
            return cidr(Cidr.parse(cidr));
        }

        public Builder cidr(Cidr cidr) {
            cidrs.add(Objects.requireNonNull(cidr, "cidr"));
            return this;
        }

        /** Adds a range {@code "first-last"}, a single address, or a CIDR as a plain range. */
        public Builder range(String range) {
            return range(AddressRange.parse(range));
        }

        public Builder range(AddressRange range) {
            ranges.add(Objects.requireNonNull(range, "range"));
            return this;
        }

        /** Leaves out an address, a range {@code "first-last"} or a CIDR. */
        public Builder exclude(String addressOrRange) {
            return exclude(AddressRange.parse(addressOrRange));
        }

        public Builder exclude(AddressRange range) {
            exclusions.add(Objects.requireNonNull(range, "exclusion"));
            return this;
        }

        /** Whether IPv4 CIDRs leave out network and broadcast addresses (default true). */
        public Builder reserveNetworkAndBroadcast(boolean reserve) {
            this.reserveNetworkAndBroadcast = reserve;
            return this;
        }

        /** The strategy of requests that name none (default {@link Strategy#LOWEST}). */
        public Builder defaultStrategy(Strategy strategy) {
            Objects.requireNonNull(strategy, "strategy");
            if (strategy == Strategy.SPECIFIC || strategy == Strategy.EUI64) {
                throw new IllegalArgumentException("Default strategy " + strategy
                        + " needs per-request input; use LOWEST, NEXT_FIT or RANDOM");
            }
            this.defaultStrategy = strategy;
            return this;
        }

        /** The cool-down of released addresses (default zero); IllegalArgumentException if negative. */
        public Builder quarantine(Duration quarantine) {
            this.quarantine = nonNegative("quarantine", quarantine);
            return this;
        }

        /** The stickiness window of environment keys (default 24 hours); IllegalArgumentException if negative. */
        public Builder stickiness(Duration stickiness) {
            this.stickiness = nonNegative("stickiness", stickiness);
            return this;
        }

        /** The TTL of offers that name none (default 180 s); IllegalArgumentException unless positive. */
        public Builder holdTtl(Duration holdTtl) {
            if (nonNegative("holdTtl", holdTtl).isZero()) {
                throw new IllegalArgumentException("holdTtl of pool '" + name + "' must be positive, was " + holdTtl);
            }
            this.holdTtl = holdTtl;
            return this;
        }

        private Duration nonNegative(String what, Duration value) {
            Objects.requireNonNull(value, what);
            if (value.isNegative()) {
                throw new IllegalArgumentException(what + " of pool '" + name + "' must not be negative, was " + value);
            }
            return value;
        }

        /**
         * @throws IllegalArgumentException if there are no ranges, families are mixed, an exclusion
         *     lies outside the ranges, or nothing usable is left
         */
        public PoolSpec build() {
            return new PoolSpec(this);
        }
    }
}
