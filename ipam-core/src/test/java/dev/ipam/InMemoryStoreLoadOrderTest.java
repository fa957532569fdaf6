package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.StoredState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link InMemoryStore#load()} hands allocations over in address order, then pool order, however
 * they were made: the order of its record table depends on a key chosen per store, and a reload
 * must not differ from run to run.
 */
class InMemoryStoreLoadOrderTest {

    @Test
    void allocationsLoadInAddressThenPoolOrder() {
        InMemoryStore store = new InMemoryStore();
        List<IpAddress> addresses = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            addresses.add(IpAddress.parse("10.0." + (i % 3) + "." + i));
            addresses.add(IpAddress.parse("2001:db8::" + Integer.toHexString(i * 97)));
        }
        Collections.shuffle(addresses, new Random(7));
        try (Ipam ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ZERO).build()) {
            IpamSession s = ipam.as(Caller.of("heat"));
            // Two clouds' pools over the same IPv4 range, named so that creation order is not name order.
            s.createPool(PoolSpec.builder("z-pool", Scope.of("c1", "z")).cidr("10.0.0.0/16").build());
            s.createPool(PoolSpec.builder("a-pool", Scope.of("c2", "z")).cidr("10.0.0.0/16").build());
            s.createPool(PoolSpec.builder("v6", Scope.of("c1", "z")).cidr("2001:db8::/64").build());
            for (IpAddress a : addresses) {
                String pool = a.isIpv4() ? "z-pool" : "v6";
                s.allocate(AllocationRequest.in(pool).owner("vm").address(a).build());
                if (a.isIpv4() && a.low() % 2 == 0) {
                    s.allocate(AllocationRequest.in("a-pool").owner("vm").address(a).build());
                }
            }
        }
        StoredState state = store.reopen().load();
        List<Allocation> loaded = new ArrayList<>();
        state.forEachAllocation(loaded::add);
        assertThat(loaded).hasSize(400 + 100);
        assertThat(loaded).isSortedAccordingTo(
                java.util.Comparator.comparing(Allocation::address).thenComparing(Allocation::pool));
    }
}
