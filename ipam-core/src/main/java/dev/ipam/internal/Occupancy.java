package dev.ipam.internal;

import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import java.math.BigInteger;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Which addresses of a pool are in use. Addresses passed in must belong to the pool's ranges.
 * Implementations are not thread-safe: the pool's lock guards them.
 */
interface Occupancy {

    /** Pools up to this many addresses get a {@link DenseOccupancy}; larger ones a {@link SparseOccupancy}. */
    long DENSE_LIMIT = 1L << 32;

    static Occupancy forRanges(List<AddressRange> ranges, BigInteger capacity) {
        if (capacity.compareTo(BigInteger.valueOf(DENSE_LIMIT)) <= 0) {
            return new DenseOccupancy(ranges, capacity.longValueExact());
        }
        return new SparseOccupancy(ranges, capacity);
    }

    /** Addresses in use. */
    long used();

    /** Addresses not in use. */
    BigInteger free();

    boolean isUsed(IpAddress address);

    /** Marks an address used; returns false if it already was. */
    boolean markUsed(IpAddress address);

    /** Marks an address free; returns false if it already was. */
    boolean markFree(IpAddress address);

    /** The lowest free address, or null if none is free. */
    IpAddress lowestFree();

    /** The first free address after {@code cursor} in pool order, wrapping around; null if none is free. */
    IpAddress nextFreeAfter(IpAddress cursor);

    /** A uniformly random free address, or null if none is free. */
    IpAddress randomFree(RandomGenerator random);

    /** The first used address after {@code after} (null: from the start) in address order, or null. */
    IpAddress nextUsedAfter(IpAddress after);
}
