package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Allocation;
import dev.ipam.address.AddressRange;
import dev.ipam.address.IpAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When {@link AllocationTable}'s address index switches from hashed to by offset, with the
 * numbering of a real {@link DenseOccupancy}: exactly at a {@link AllocationTable#DIRECT_FILL_DIVISOR}th
 * of the pool, by adding or by loading, across a range boundary and {@link OffsetSlots} pages.
 * {@link AllocationTableFuzzTest} checks the rules at random fills.
 */
class AllocationTableOffsetIndexTest {

    /** The loading thread's shared strings, as the engine passes them. */
    private final CanonicalStrings strings = new CanonicalStrings(1 << 16);

    /** 10.0.0.0 … 10.0.0.63 and 10.1.0.0 … 10.1.0.63: 128 offsets, the switch at 32 allocations. */
    private static final List<AddressRange> TWO_RANGES = List.of(
            AddressRange.of(IpAddress.parse("10.0.0.0"), IpAddress.parse("10.0.0.63")),
            AddressRange.of(IpAddress.parse("10.1.0.0"), IpAddress.parse("10.1.0.63")));

    @Test
    void addingSwitchesAtAQuarterOfThePoolAndKeepsEveryAddress() {
        DenseOccupancy numbering = new DenseOccupancy(TWO_RANGES, 128);
        AllocationTable table = new AllocationTable("p", true, numbering);
        List<IpAddress> addresses = everyOtherAddress(); // 64 addresses, alternating between the ranges
        for (int i = 0; i < 32; i++) {
            assertThat(table.indexesByOffset()).as("after %d adds", i).isFalse();
            table.add(allocation(addresses.get(i)), true);
        }
        assertThat(table.indexesByOffset()).isTrue();
        for (int i = 0; i < 32; i++) {
            assertThat(table.get(addresses.get(i))).isEqualTo(allocation(addresses.get(i)));
        }
        for (int i = 32; i < 64; i++) {
            assertThat(table.get(addresses.get(i))).isNull();
            table.add(allocation(addresses.get(i)), true);
        }
        assertThatThrownBy(() -> table.add(allocation(addresses.get(7)), true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(addresses.get(7).toString());
        for (int i = 0; i < 64; i += 2) {
            assertThat(table.remove(addresses.get(i))).isTrue();
            assertThat(table.remove(addresses.get(i))).isFalse();
        }
        assertThat(table.indexesByOffset()).as("never switches back").isTrue();
        for (int i = 0; i < 64; i++) {
            assertThat(table.get(addresses.get(i))).isEqualTo(i % 2 == 0 ? null : allocation(addresses.get(i)));
        }
        assertThat(table.size()).isEqualTo(32);
        assertThat(table.get(IpAddress.parse("10.2.0.0"))).as("not in the pool").isNull();
        assertThat(table.remove(IpAddress.parse("10.0.0.64"))).as("not in the pool").isFalse();
    }

    @Test
    void loadingSwitchesFromAQuarterOfThePool() {
        List<IpAddress> addresses = everyOtherAddress();
        AllocationTable below = new AllocationTable("p", true, new DenseOccupancy(TWO_RANGES, 128));
        AllocationTable at = new AllocationTable("p", true, new DenseOccupancy(TWO_RANGES, 128));
        for (int i = 0; i < 32; i++) {
            if (i < 31) {
                below.load(allocation(addresses.get(i)), strings);
            }
            at.load(allocation(addresses.get(i)), strings);
        }
        assertThat(below.indexesByOffset()).isFalse();
        assertThat(at.indexesByOffset()).isTrue();
        for (int i = 0; i < 64; i++) {
            assertThat(at.get(addresses.get(i))).isEqualTo(i < 32 ? allocation(addresses.get(i)) : null);
        }
        below.add(allocation(addresses.get(31)), true);
        assertThat(below.indexesByOffset()).as("the 32nd allocation, added").isTrue();
        for (int i = 0; i < 64; i++) {
            assertThat(below.get(addresses.get(i))).isEqualTo(i < 32 ? allocation(addresses.get(i)) : null);
        }
    }

    @Test
    void loadingTheSameAddressTwiceIsRefusedWhenIndexedByOffset() {
        AllocationTable table = new AllocationTable("p", true, new DenseOccupancy(TWO_RANGES, 128));
        List<IpAddress> addresses = everyOtherAddress();
        for (int i = 0; i < 40; i++) {
            table.load(allocation(addresses.get(i)), strings);
        }
        table.load(allocation(addresses.get(3)), strings);
        assertThatThrownBy(table::indexLoaded)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Two stored allocations of " + addresses.get(3));
    }

    /** A /14 (262,144 offsets, 16 pages of entries) filled from the top down past a quarter. */
    @Test
    void manyPagesOfEntries() {
        AddressRange range = AddressRange.of(IpAddress.parse("10.4.0.0"), IpAddress.parse("10.7.255.255"));
        AllocationTable table = new AllocationTable("p", true, new DenseOccupancy(List.of(range), range.sizeAsLong()));
        long first = range.first().low();
        int count = (int) (range.sizeAsLong() / 3);
        for (int i = 0; i < count; i++) {
            table.add(allocation(IpAddress.ofIpv4(range.last().low() - 3L * i)), true);
        }
        assertThat(table.indexesByOffset()).isTrue();
        for (long low = first; low <= range.last().low(); low++) {
            boolean live = (range.last().low() - low) % 3 == 0 && (range.last().low() - low) / 3 < count;
            assertThat(table.get(IpAddress.ofIpv4(low))).as("%s", low).isEqualTo(live ? allocation(IpAddress.ofIpv4(low)) : null);
        }
    }

    /** 40,000 addresses: three full pages of entries and a partial last one, filled from the top. */
    @Test
    void aPartialLastPage() {
        AddressRange range = AddressRange.of(IpAddress.parse("10.8.0.0"), IpAddress.parse("10.8.0.0").plus(39_999));
        AllocationTable table = new AllocationTable("p", true, new DenseOccupancy(List.of(range), 40_000));
        for (int i = 0; i < 10_000; i++) {
            table.add(allocation(range.last().plus(-i)), true);
        }
        assertThat(table.indexesByOffset()).isTrue();
        for (int i = 0; i < 40_000; i++) {
            IpAddress a = range.first().plus(i);
            assertThat(table.get(a)).as("%s", a).isEqualTo(i >= 30_000 ? allocation(a) : null);
        }
        assertThat(table.remove(range.last())).isTrue();
        assertThat(table.get(range.last())).isNull();
    }

    /**
     * IPv6 with a real numbering across a 64-bit boundary of the address; an IPv4 address with the
     * same low bits is not the IPv6 one's, in either kind of index.
     */
    @Test
    void ipv6AcrossA64BitBoundaryAndTheOtherFamily() {
        IpAddress first = IpAddress.ofIpv6(41L, -3000L);
        AddressRange range = AddressRange.of(first, first.plus(7999));
        AllocationTable table = new AllocationTable("p", false, new DenseOccupancy(List.of(range), 8000));
        for (int i = 0; i < 8000; i += 3) {
            table.add(allocation(first.plus(i)), true);
        }
        assertThat(table.indexesByOffset()).isTrue();
        for (int i = 0; i < 8000; i++) {
            assertThat(table.get(first.plus(i))).isEqualTo(i % 3 == 0 ? allocation(first.plus(i)) : null);
        }
        AllocationTable ipv4 = new AllocationTable("p", true, new DenseOccupancy(TWO_RANGES, 128));
        ipv4.add(allocation(IpAddress.parse("10.0.0.5")), true);
        IpAddress twin = IpAddress.ofIpv6(0L, IpAddress.parse("10.0.0.5").low());
        assertThat(ipv4.get(twin)).as("hashed").isNull();
        assertThat(ipv4.remove(twin)).isFalse();
        for (int i = 6; i < 40; i++) {
            ipv4.add(allocation(IpAddress.parse("10.0.0." + i)), true);
        }
        assertThat(ipv4.indexesByOffset()).isTrue();
        assertThat(ipv4.get(twin)).as("by offset").isNull();
        assertThat(ipv4.remove(twin)).isFalse();
        assertThat(ipv4.size()).isEqualTo(35);
    }

    private static List<IpAddress> everyOtherAddress() {
        List<IpAddress> addresses = new java.util.ArrayList<>();
        for (int i = 0; i < 32; i++) {
            addresses.add(IpAddress.parse("10.0.0." + (63 - 2 * i)));
            addresses.add(IpAddress.parse("10.1.0." + 2 * i));
        }
        return addresses;
    }

    private static Allocation allocation(IpAddress address) {
        return new Allocation("p", address, "owner-" + address.low() % 3, "env", "vm-" + address, null, null,
                Instant.ofEpochSecond(1_700_000_000L + address.low()), "svc");
    }
}
