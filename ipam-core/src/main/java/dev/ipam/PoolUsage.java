package dev.ipam;

import java.math.BigInteger;

/**
 * A consistent snapshot of a pool's counts, taken under the pool's lock:
 * {@code capacity = allocated + held + quarantined + free}. Capacities of IPv6 pools can exceed a
 * {@code long}, hence {@link BigInteger}.
 *
 * @param pool the pool's name
 * @param capacity addresses the pool hands out
 * @param allocated addresses bound to an owner
 * @param held addresses offered and held for a while
 * @param quarantined released addresses in their cool-down
 * @param free addresses available to a new allocation
 */
public record PoolUsage(String pool, BigInteger capacity, long allocated, long held, long quarantined, BigInteger free) {

    /** Allocated share of the capacity, 0.0 to 1.0. */
    public double utilization() {
        return new java.math.BigDecimal(allocated)
                .divide(new java.math.BigDecimal(capacity), java.math.MathContext.DECIMAL64).doubleValue();
    }
}
