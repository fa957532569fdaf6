package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link DenseOccupancy#offsetOf(long, long)}, the numbering an address index by offset uses,
 * against the numbering of the bitmap ({@link DenseOccupancy#offsetOf(IpAddress)} and
 * {@link DenseOccupancy#addressAt}): random pools of one to five ranges, IPv4 and IPv6, including
 * ranges across a 64-bit boundary of IPv6 and next to the ends of the address space; addresses
 * just outside every range and in the gaps between them have no offset.
 */
class DenseOccupancyOffsetsTest {

    @Property(tries = 200)
    void offsetsAgreeWithTheBitmapsNumbering(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean ipv4 = random.nextBoolean();
        List<AddressRange> ranges = randomRanges(random, ipv4);
        long capacity = ranges.stream().mapToLong(AddressRange::sizeAsLong).sum();
        DenseOccupancy occupancy = new DenseOccupancy(ranges, capacity);
        assertThat(occupancy.count()).isEqualTo(capacity);
        for (int n = 0; n < 200; n++) {
            long offset = random.nextLong(capacity);
            IpAddress address = occupancy.addressAt(offset);
            assertThat(occupancy.offsetOf(address.high(), address.low())).as("%s", address).isEqualTo(offset);
            assertThat(occupancy.offsetOf(address)).isEqualTo(offset);
        }
        for (AddressRange r : ranges) {
            assertThat(occupancy.offsetOf(r.first().high(), r.first().low())).isEqualTo(occupancy.offsetOf(r.first()));
            assertThat(occupancy.offsetOf(r.last().high(), r.last().low())).isEqualTo(occupancy.offsetOf(r.last()));
            for (IpAddress outside : new IpAddress[] {minusOne(r.first()), plusOne(r.last())}) {
                if (outside != null && ranges.stream().noneMatch(q -> q.contains(outside))) {
                    assertThat(occupancy.offsetOf(outside.high(), outside.low())).as("%s outside %s", outside, ranges).isEqualTo(-1);
                }
            }
        }
    }

    /** Up to five disjoint ascending ranges of 1 … 4096 addresses with gaps, near a random base. */
    private static List<AddressRange> randomRanges(SplittableRandom random, boolean ipv4) {
        List<AddressRange> ranges = new ArrayList<>();
        int n = 1 + random.nextInt(5);
        IpAddress next = switch (random.nextInt(4)) {
            case 0 -> ipv4 ? IpAddress.ofIpv4(0L) : IpAddress.ofIpv6(0L, 0L);
            case 1 -> ipv4 ? IpAddress.ofIpv4(0xFFFF_FFFFL - 5 * 8192) : IpAddress.ofIpv6(-1L, -5L * 8192);
            case 2 -> ipv4 ? IpAddress.ofIpv4(random.nextLong(1L << 31)) : IpAddress.ofIpv6(41L, -3000L); // crosses a 64-bit boundary
            default -> ipv4 ? IpAddress.ofIpv4(random.nextLong(1L << 31)) : IpAddress.ofIpv6(random.nextLong(), random.nextLong(1L << 62));
        };
        for (int i = 0; i < n; i++) {
            IpAddress first = next.plus(random.nextInt(3));
            IpAddress last = first.plus(random.nextInt(4096));
            ranges.add(AddressRange.of(first, last));
            next = last.plus(2 + random.nextInt(3));
        }
        return ranges;
    }

    private static IpAddress minusOne(IpAddress a) {
        return a.isIpv4() ? (a.low() == 0 ? null : IpAddress.ofIpv4(a.low() - 1))
                : (a.high() == 0 && a.low() == 0 ? null : a.plus(-1));
    }

    private static IpAddress plusOne(IpAddress a) {
        return a.isIpv4() ? (a.low() == 0xFFFF_FFFFL ? null : IpAddress.ofIpv4(a.low() + 1))
                : (a.high() == -1 && a.low() == -1 ? null : a.plus(1));
    }
}
