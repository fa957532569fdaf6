package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link DenseOccupancy#offsetOf(long, long)}, the numbering an address index by offset uses,
 * against the numbering of the bitmap ({@link DenseOccupancy#offsetOf(IpAddress)} and
 * {@link DenseOccupancy#addressAt}): random pools of one to five ranges, IPv4 and IPv6, including
 * ranges across a 64-bit boundary of IPv6 and at the ends of the address space; addresses just
 * outside every range, in the gaps between them and (IPv6) with a range's low half under another
 * high half have no offset.
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
            for (IpAddress edge : new IpAddress[] {r.first(), r.last()}) {
                // Just outside, and the same low half under another high half (only IPv6 has one).
                assertOutside(occupancy, ranges, minusOne(edge) == null ? 0 : minusOne(edge).high(),
                        minusOne(edge) == null ? 0 : minusOne(edge).low(), minusOne(edge) == null);
                assertOutside(occupancy, ranges, plusOne(edge) == null ? 0 : plusOne(edge).high(),
                        plusOne(edge) == null ? 0 : plusOne(edge).low(), plusOne(edge) == null);
                if (!ipv4) {
                    assertOutside(occupancy, ranges, edge.high() + 1, edge.low(), false);
                    assertOutside(occupancy, ranges, edge.high() - 1, edge.low(), false);
                }
            }
        }
    }

    /** Ranges at both ends of each family's space: offsets of the ends, nothing outside. */
    @Test
    void rangesAtTheEndsOfTheAddressSpace() {
        for (boolean ipv4 : new boolean[] {true, false}) {
            IpAddress zero = ipv4 ? IpAddress.ofIpv4(0L) : IpAddress.ofIpv6(0L, 0L);
            IpAddress top = ipv4 ? IpAddress.ofIpv4(0xFFFF_FFFFL) : IpAddress.ofIpv6(-1L, -1L);
            List<AddressRange> ranges = List.of(AddressRange.of(zero, zero.plus(255)), AddressRange.of(top.plus(-255), top));
            DenseOccupancy occupancy = new DenseOccupancy(ranges, 512);
            assertThat(occupancy.offsetOf(zero.high(), zero.low())).isZero();
            assertThat(occupancy.offsetOf(top.high(), top.low())).isEqualTo(511);
            assertThat(occupancy.offsetOf(top.high(), top.low() - 255)).isEqualTo(256);
            assertThat(occupancy.offsetOf(zero.high(), zero.low() + 256)).isEqualTo(-1);
            assertThat(occupancy.offsetOf(top.high(), top.low() - 256)).isEqualTo(-1);
            if (!ipv4) {
                assertThat(occupancy.offsetOf(1L, 0L)).isEqualTo(-1);
                assertThat(occupancy.offsetOf(-2L, -1L)).isEqualTo(-1);
            }
        }
    }

    private static void assertOutside(DenseOccupancy occupancy, List<AddressRange> ranges, long high, long low, boolean none) {
        if (none) {
            return;
        }
        IpAddress a = ranges.get(0).first().isIpv4() ? IpAddress.ofIpv4(low) : IpAddress.ofIpv6(high, low);
        if (ranges.stream().noneMatch(q -> q.contains(a))) {
            assertThat(occupancy.offsetOf(high, low)).as("%s outside %s", a, ranges).isEqualTo(-1);
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
