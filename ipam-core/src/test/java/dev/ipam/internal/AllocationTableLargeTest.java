package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.Allocation;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link AllocationTable} at a size where its slot columns span hundreds of pages and its indexes
 * span several index pages ({@link AllocationTableFuzzTest} covers the rules on a small address
 * space): adds, removes every third allocation, re-adds them with other metadata, and checks
 * every address, key and a sample of owner and environment lists; and the same through
 * {@link AllocationTable#load}.
 */
class AllocationTableLargeTest {

    /** The loading thread's shared strings, as the engine passes them. */
    private final CanonicalStrings strings = new CanonicalStrings(1 << 16);

    private static final int COUNT = 3 * SlotIndex.PAGE_SIZE * 3;
    private static final int OWNERS = 1000;
    private static final String[] ENVIRONMENTS = {"prod", "staging", "dev", "test"};

    @Test
    void manyPagesOfSlotsAndIndexEntries() {
        for (boolean ipv4 : new boolean[] {true, false}) {
            AllocationTable table = new AllocationTable("big", ipv4);
            Allocation[] live = new Allocation[COUNT];
            for (int i = 0; i < COUNT; i++) {
                live[i] = allocation(ipv4, i, "");
                table.add(live[i], true);
            }
            assertThat(COUNT).isGreaterThan(100 * AllocationTable.PAGE_SIZE);
            for (int i = 0; i < COUNT; i += 3) {
                assertThat(table.remove(live[i].address())).isTrue();
            }
            checkAll(table, live, i -> i % 3 != 0);
            for (int i = 0; i < COUNT; i += 3) {
                live[i] = allocation(ipv4, i, "again-");
                table.add(live[i], true);
            }
            checkAll(table, live, i -> true);
        }
    }

    /**
     * Loading (index entries sorted and written at the end) gives the same table as adding one by
     * one, across many index pages; of equal keys the last loaded wins; a duplicate address is
     * refused when the loaded slots are indexed.
     */
    @Test
    void loadingIndexesLikeAdding() {
        for (boolean ipv4 : new boolean[] {true, false}) {
            AllocationTable table = new AllocationTable("big", ipv4);
            Allocation[] live = new Allocation[COUNT];
            for (int i = 0; i < COUNT; i++) {
                live[i] = allocation(ipv4, i, "");
                table.load(live[i], strings);
            }
            // A later allocation with the key of allocation 5 takes the key over.
            Allocation first = live[5];
            Allocation sameKey = new Allocation("big", allocation(ipv4, COUNT + 5, "").address(), "other",
                    first.environment(), first.name(), null, null, first.allocatedAt(), "svc");
            table.load(sameKey, strings);
            assertThat(table.getByKey(first.environment(), first.name())).isEqualTo(sameKey);
            assertThat(table.get(sameKey.address())).isEqualTo(sameKey);
            assertThat(table.remove(sameKey.address())).isTrue();
            assertThat(table.getByKey(first.environment(), first.name())).isNull();
            assertThat(table.remove(first.address())).isTrue();
            table.add(first, true);
            checkAll(table, live, i -> true);

            AllocationTable twice = new AllocationTable("big", ipv4);
            twice.load(live[0], strings);
            twice.load(live[1], strings);
            twice.load(live[0], strings);
            org.assertj.core.api.Assertions.assertThatThrownBy(twice::indexLoaded)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(live[0].address().toString());
        }
    }

    private static void checkAll(AllocationTable table, Allocation[] live, java.util.function.IntPredicate isLive) {
        int expectedSize = 0;
        for (int i = 0; i < live.length; i++) {
            Allocation a = live[i];
            if (isLive.test(i)) {
                expectedSize++;
                assertThat(table.get(a.address())).isEqualTo(a);
                assertThat(table.getByKey(a.environment(), a.name())).isEqualTo(a);
            } else {
                assertThat(table.get(a.address())).isNull();
                assertThat(table.getByKey(a.environment(), a.name())).isNull();
            }
        }
        assertThat(table.size()).isEqualTo(expectedSize);
        for (int owner : new int[] {0, 1, 499, OWNERS - 1}) {
            List<IpAddress> expected = new ArrayList<>();
            for (int i = owner; i < live.length; i += OWNERS) {
                if (isLive.test(i)) {
                    expected.add(live[i].address());
                }
            }
            expected.sort(null);
            assertThat(table.addressesOfOwner("tenant-" + owner)).isEqualTo(expected);
        }
        long inEnvironment = 0;
        for (int i = 1; i < live.length; i += ENVIRONMENTS.length) {
            inEnvironment += isLive.test(i) ? 1 : 0;
        }
        assertThat(table.addressesOfEnvironment(ENVIRONMENTS[1])).hasSize((int) inEnvironment).isSorted();
    }

    private static Allocation allocation(boolean ipv4, int i, String prefix) {
        IpAddress address = ipv4 ? IpAddress.ofIpv4(0x0A000000L + i * 7L) : IpAddress.ofIpv6(0x20010db8L << 32 | i % 5, i * 7L);
        return new Allocation("big", address, "tenant-" + (i % OWNERS), ENVIRONMENTS[i % ENVIRONMENTS.length],
                prefix + "vm-" + i, "vm-" + i + ".example.internal", i % 2 == 0 ? MacAddress.of(i) : null,
                Instant.ofEpochSecond(1_700_000_000L + i, i), "svc");
    }
}
