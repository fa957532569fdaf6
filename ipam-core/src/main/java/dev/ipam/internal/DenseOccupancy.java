package dev.ipam.internal;

import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import dev.ipam.internal.bits.HierarchicalBitmap;
import java.math.BigInteger;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Occupancy of a pool of at most 2^32 addresses: one bit per address in a
 * {@link HierarchicalBitmap}, indexed by the address's offset in the pool's ranges laid end to end
 * (so exclusions cost no bits). Not thread-safe.
 */
final class DenseOccupancy implements Occupancy, AddressOffsets {

    private final IpAddress[] firsts;
    private final long[] firstHighs;
    private final long[] firstLows;
    private final long[] startOffsets;
    private final long[] sizes;
    private final HierarchicalBitmap bits;

    DenseOccupancy(List<AddressRange> ranges, long capacity) {
        int n = ranges.size();
        firsts = new IpAddress[n];
        firstHighs = new long[n];
        firstLows = new long[n];
        startOffsets = new long[n];
        sizes = new long[n];
        long offset = 0;
        for (int i = 0; i < n; i++) {
            AddressRange r = ranges.get(i);
            firsts[i] = r.first();
            firstHighs[i] = r.first().high();
            firstLows[i] = r.first().low();
            startOffsets[i] = offset;
            sizes[i] = r.sizeAsLong();
            offset += sizes[i];
        }
        if (offset != capacity) {
            throw new IllegalArgumentException("Ranges hold " + offset + " addresses, expected " + capacity);
        }
        bits = new HierarchicalBitmap(capacity);
    }

    /**
     * The offset of an address of the pool.
     *
     * @throws IllegalArgumentException if the address is of the other family or in none of the ranges
     */
    long offsetOf(IpAddress address) {
        long offset = address.isIpv4() == firsts[0].isIpv4() ? offsetOf(address.high(), address.low()) : -1;
        if (offset < 0) {
            throw new IllegalArgumentException("Address " + address + " is not in the pool");
        }
        return offset;
    }

    @Override
    public long count() {
        return bits.capacity();
    }

    @Override
    public long offsetOf(long high, long low) {
        int lo = 0;
        int hi = firstLows.length - 1;
        while (lo < hi) { // last range whose first <= address, comparing 128-bit unsigned
            int mid = (lo + hi + 1) >>> 1;
            int c = Long.compareUnsigned(firstHighs[mid], high);
            if (c < 0 || c == 0 && Long.compareUnsigned(firstLows[mid], low) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        long dl = low - firstLows[lo];
        long dh = high - firstHighs[lo] - (Long.compareUnsigned(low, firstLows[lo]) < 0 ? 1 : 0);
        // In the range if the 128-bit difference is non-negative and below the range's size.
        return dh == 0 && dl >= 0 && dl < sizes[lo] ? startOffsets[lo] + dl : -1;
    }

    IpAddress addressAt(long offset) {
        int lo = 0;
        int hi = startOffsets.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (startOffsets[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return firsts[lo].plus(offset - startOffsets[lo]);
    }

    @Override
    public long used() {
        return bits.cardinality();
    }

    @Override
    public BigInteger free() {
        return BigInteger.valueOf(bits.clearCount());
    }

    @Override
    public boolean isUsed(IpAddress address) {
        return bits.get(offsetOf(address));
    }

    @Override
    public boolean markUsed(IpAddress address) {
        return bits.set(offsetOf(address));
    }

    @Override
    public boolean markFree(IpAddress address) {
        return bits.clear(offsetOf(address));
    }

    @Override
    public IpAddress lowestFree() {
        return orNull(bits.nextClearBit(0));
    }

    @Override
    public IpAddress nextFreeAfter(IpAddress cursor) {
        if (cursor == null) {
            return lowestFree();
        }
        long from = offsetOf(cursor) + 1;
        return orNull(bits.nextClearBitWrapping(from == bits.capacity() ? 0 : from));
    }

    @Override
    public IpAddress randomFree(RandomGenerator random) {
        return orNull(bits.randomClearBit(random));
    }

    @Override
    public IpAddress nextUsedAfter(IpAddress after) {
        long from = after == null ? 0 : offsetOf(after) + 1;
        return from >= bits.capacity() ? null : orNull(bits.nextSetBit(from));
    }

    private IpAddress orNull(long offset) {
        return offset < 0 ? null : addressAt(offset);
    }
}
