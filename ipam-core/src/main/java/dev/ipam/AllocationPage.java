package dev.ipam;

import dev.ipam.address.IpAddress;
import java.util.List;
import java.util.Optional;

/**
 * One page of a pool's allocations in address order.
 *
 * @param items the allocations of this page
 * @param nextAfter pass this to get the next page; empty on the last page
 */
public record AllocationPage(List<Allocation> items, Optional<IpAddress> nextAfter) {

    public AllocationPage {
        items = List.copyOf(items);
    }
}
