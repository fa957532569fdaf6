package dev.ipam.internal;

import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Occupancy of a pool too large for a bitmap (IPv6, more than 2^32 addresses, e.g. a /64): the
 * used addresses as maximal runs {@code first -> last} in a sorted map. Memory and time depend on
 * the number of runs, never on the pool's size. Not thread-safe.
 */
final class SparseOccupancy implements Occupancy {

    private static final int RANDOM_PROBES = 64;

    private final List<AddressRange> ranges;
    private final BigInteger capacity;
    private final BigInteger[] cumulative; // cumulative[i] = addresses in ranges[0..i]
    private final TreeMap<IpAddress, IpAddress> runs = new TreeMap<>();
    private long used;

    SparseOccupancy(List<AddressRange> ranges, BigInteger capacity) {
        this.ranges = List.copyOf(ranges);
        this.capacity = capacity;
        this.cumulative = new BigInteger[ranges.size()];
        BigInteger sum = BigInteger.ZERO;
        for (int i = 0; i < ranges.size(); i++) {
            sum = sum.add(ranges.get(i).size());
            cumulative[i] = sum;
        }
    }

    @Override
    public long used() {
        return used;
    }

    @Override
    public BigInteger free() {
        return capacity.subtract(BigInteger.valueOf(used));
    }

    @Override
    public boolean isUsed(IpAddress address) {
        Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(address);
        return run != null && run.getValue().compareTo(address) >= 0;
    }

    @Override
    public boolean markUsed(IpAddress address) {
        if (isUsed(address)) {
            return false;
        }
        IpAddress first = address;
        IpAddress last = address;
        Map.Entry<IpAddress, IpAddress> left = runs.floorEntry(address);
        if (left != null && isSuccessor(left.getValue(), address)) {
            first = left.getKey();
        }
        if (!isMax(address)) {
            IpAddress right = runs.get(address.next());
            if (right != null) {
                runs.remove(address.next());
                last = right;
            }
        }
        runs.put(first, last);
        used++;
        return true;
    }

    @Override
    public boolean markFree(IpAddress address) {
        Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(address);
        if (run == null || run.getValue().compareTo(address) < 0) {
            return false;
        }
        IpAddress first = run.getKey();
        IpAddress last = run.getValue();
        runs.remove(first);
        if (first.compareTo(address) < 0) {
            runs.put(first, address.previous());
        }
        if (last.compareTo(address) > 0) {
            runs.put(address.next(), last);
        }
        used--;
        return true;
    }

    @Override
    public IpAddress lowestFree() {
        return firstFreeFrom(0, ranges.get(0).first());
    }

    @Override
    public IpAddress nextFreeAfter(IpAddress cursor) {
        if (cursor == null || isMax(cursor)) {
            return lowestFree();
        }
        IpAddress from = cursor.next();
        for (int i = 0; i < ranges.size(); i++) {
            AddressRange r = ranges.get(i);
            if (r.last().compareTo(from) >= 0) {
                IpAddress found = firstFreeFrom(i, r.first().compareTo(from) > 0 ? r.first() : from);
                return found != null ? found : lowestFree();
            }
        }
        return lowestFree();
    }

    /** The first free address at or after {@code from}, which lies in range {@code index} or before it. */
    private IpAddress firstFreeFrom(int index, IpAddress from) {
        IpAddress candidate = from;
        for (int i = index; i < ranges.size(); i++) {
            AddressRange r = ranges.get(i);
            if (r.first().compareTo(candidate) > 0) {
                candidate = r.first();
            }
            Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(candidate);
            if (run != null && run.getValue().compareTo(candidate) >= 0) {
                if (isMax(run.getValue())) {
                    return null;
                }
                candidate = run.getValue().next(); // runs are maximal: the next address is free
            }
            if (candidate.compareTo(r.last()) <= 0) {
                return candidate;
            }
        }
        return null;
    }

    @Override
    public IpAddress randomFree(RandomGenerator random) {
        if (free().signum() == 0) {
            return null;
        }
        for (int probe = 0; probe < RANDOM_PROBES; probe++) {
            IpAddress candidate = randomAddress(random);
            if (!isUsed(candidate)) {
                return candidate; // uniform: every free address is equally likely to be drawn
            }
        }
        // Only reachable when nearly every address is used, which a pool of > 2^32 addresses cannot
        // be in practice; stay correct (a free address), if not perfectly uniform.
        return nextFreeAfter(randomAddress(random));
    }

    private IpAddress randomAddress(RandomGenerator random) {
        if (ranges.size() == 1) {
            AddressRange r = ranges.get(0);
            return plus128(r.first(), randomAtMost(random, r.last().high() - r.first().high()
                    - (Long.compareUnsigned(r.last().low(), r.first().low()) < 0 ? 1 : 0),
                    r.last().low() - r.first().low()));
        }
        BigInteger offset = randomBelow(random, capacity);
        int i = 0;
        while (cumulative[i].compareTo(offset) <= 0) {
            i++;
        }
        BigInteger within = i == 0 ? offset : offset.subtract(cumulative[i - 1]);
        return plus128(ranges.get(i).first(), new long[] {within.shiftRight(64).longValue(), within.longValue()});
    }

    /** A uniform unsigned 128-bit value in [0, (maxHigh, maxLow)]. */
    private static long[] randomAtMost(RandomGenerator random, long maxHigh, long maxLow) {
        if (maxHigh == 0) {
            return new long[] {0, randomUnsignedAtMost(random, maxLow)};
        }
        long mask = -1L >>> Long.numberOfLeadingZeros(maxHigh);
        while (true) {
            long h = random.nextLong() & mask;
            long l = random.nextLong();
            if (Long.compareUnsigned(h, maxHigh) < 0 || (h == maxHigh && Long.compareUnsigned(l, maxLow) <= 0)) {
                return new long[] {h, l};
            }
        }
    }

    private static long randomUnsignedAtMost(RandomGenerator random, long max) {
        if (max == -1L) {
            return random.nextLong();
        }
        if (max >= 0 && max < Long.MAX_VALUE) {
            return random.nextLong(max + 1);
        }
        long mask = -1L >>> Long.numberOfLeadingZeros(max);
        while (true) {
            long v = random.nextLong() & mask;
            if (Long.compareUnsigned(v, max) <= 0) {
                return v;
            }
        }
    }

    private static BigInteger randomBelow(RandomGenerator random, BigInteger bound) {
        int bitLength = bound.bitLength();
        while (true) {
            BigInteger v = BigInteger.valueOf(random.nextLong()).shiftLeft(64)
                    .or(BigInteger.valueOf(random.nextLong()).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)))
                    .and(BigInteger.ONE.shiftLeft(bitLength).subtract(BigInteger.ONE));
            if (v.compareTo(bound) < 0) {
                return v;
            }
        }
    }

    private static IpAddress plus128(IpAddress base, long[] offset) {
        long low = base.low() + offset[1];
        long carry = Long.compareUnsigned(low, base.low()) < 0 ? 1 : 0;
        return IpAddress.ofIpv6(base.high() + offset[0] + carry, low);
    }

    @Override
    public IpAddress nextUsedAfter(IpAddress after) {
        if (after == null) {
            return runs.isEmpty() ? null : runs.firstKey();
        }
        Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(after);
        if (run != null && run.getValue().compareTo(after) > 0) {
            return after.next();
        }
        return runs.higherKey(after);
    }

    private static boolean isSuccessor(IpAddress a, IpAddress b) {
        return !isMax(a) && a.next().equals(b);
    }

    private static boolean isMax(IpAddress a) {
        return a.high() == -1L && a.low() == -1L;
    }
}
