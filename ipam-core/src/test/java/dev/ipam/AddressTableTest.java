package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/**
 * {@link AddressTable} against a {@link HashMap}: random creates, lookups, removals and
 * filtered removals over address sets built to collide: consecutive addresses, strides of powers
 * of two, IPv6 addresses that differ only in the high half or only above the low 32 bits, IPv4
 * and IPv6 addresses with the same bits, and random ones. The table grows through many doublings
 * and removes from the middle of chains. After every step the looked-up record is the model's (by
 * identity); every 500 steps every address, the size and the iteration are checked.
 */
class AddressTableTest {

    @Property(tries = 30, shrinking = ShrinkingMode.OFF)
    void behavesLikeAHashMap(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<IpAddress> space = addressSpace(random);
        AddressTable table = new AddressTable();
        Map<IpAddress, StoredAddress> model = new HashMap<>();
        int steps = 20_000;
        for (int step = 0; step < steps; step++) {
            boolean filling = (step / 4000) % 2 == 0;
            IpAddress address = space.get(random.nextInt(space.size()));
            String where = "seed " + seed + " step " + step + " " + address;
            int roll = random.nextInt(100);
            if (roll < (filling ? 60 : 20)) {
                StoredAddress r = table.getOrCreate(address);
                StoredAddress expected = model.computeIfAbsent(address, a -> r);
                assertThat(r).as(where).isSameAs(expected);
                assertThat(r.is(address.high(), address.low(), address.isIpv4())).as(where).isTrue();
            } else if (roll < 95) {
                StoredAddress r = model.remove(address);
                table.remove(r != null ? r : new StoredAddress(address, table.hash(address.high(), address.low(), address.isIpv4())));
            } else if (roll < 96) {
                int parity = random.nextInt(2);
                table.removeIf(r -> (r.low & 1) == parity);
                model.values().removeIf(r -> (r.low & 1) == parity);
            }
            assertThat(table.get(address)).as(where).isSameAs(model.get(address));
            assertThat(table.size()).as(where).isEqualTo(model.size());
            if (step % 500 == 0 || step == steps - 1) {
                for (IpAddress a : space) {
                    assertThat(table.get(a)).as(where + " get " + a).isSameAs(model.get(a));
                }
                Map<StoredAddress, Boolean> seen = new IdentityHashMap<>();
                table.forEach(r -> assertThat(seen.put(r, true)).as(where + " visited twice").isNull());
                assertThat(seen.keySet()).as(where).containsExactlyInAnyOrderElementsOf(model.values());
            }
        }
    }

    /** Consecutive IPv4 addresses, as a pool fills, land in distinct buckets: no chain at all. */
    @Test
    void consecutiveAddressesDoNotShareBuckets() {
        AddressTable table = new AddressTable();
        int n = 1 << 16;
        for (int i = 0; i < n; i++) {
            table.getOrCreate(IpAddress.ofIpv4(0x0A40_0000L + i));
        }
        int[] chained = {0};
        table.forEach(r -> chained[0] += r.next == null ? 0 : 1);
        assertThat(chained[0]).isZero();
    }

    /** About 3,000 addresses from one or more colliding patterns. */
    private static List<IpAddress> addressSpace(SplittableRandom random) {
        List<IpAddress> space = new ArrayList<>();
        int patterns = 1 + random.nextInt(3);
        for (int p = 0; p < patterns; p++) {
            long base = random.nextLong(1L << 31);
            switch (random.nextInt(6)) {
                case 0 -> { // consecutive IPv4
                    for (int i = 0; i < 1000; i++) {
                        space.add(IpAddress.ofIpv4(base + i));
                    }
                }
                case 1 -> { // power-of-two strides in one IPv6 subnet, also above the low 32 bits
                    long stride = 1L << (4 + random.nextInt(50));
                    for (int i = 0; i < 1000; i++) {
                        space.add(IpAddress.ofIpv6(0x20010db8L << 32, base + i * stride));
                    }
                }
                case 2 -> { // same low half, different high halves
                    for (int i = 0; i < 1000; i++) {
                        space.add(IpAddress.ofIpv6(0x20010db8L << 32 | i, base & 0xF));
                    }
                }
                case 3 -> { // IPv4 and IPv6 with the same bits
                    for (int i = 0; i < 500; i++) {
                        space.add(IpAddress.ofIpv4((base + i) & 0xFFFF_FFFFL));
                        space.add(IpAddress.ofIpv6(0L, (base + i) & 0xFFFF_FFFFL));
                    }
                }
                case 4 -> { // IPv6 lows that fold to the same 32 bits: x and x ^ (d << 32 | d)
                    for (int i = 0; i < 1000; i++) {
                        long d = i;
                        space.add(IpAddress.ofIpv6(0x20010db8L << 32, base ^ (d << 32 | d)));
                    }
                }
                default -> {
                    for (int i = 0; i < 1000; i++) {
                        space.add(IpAddress.ofIpv6(random.nextLong(), random.nextLong()));
                    }
                }
            }
        }
        return space.stream().distinct().toList();
    }
}
