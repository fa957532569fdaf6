package dev.ipam.internal;

import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The addresses of one owner or environment in a pool: usually a handful, sometimes many. Small
 * bags are a plain array scanned by identity first (the address object removed is the one that
 * was added), which costs no hashing and no pointer chasing; past {@link #SMALL} entries the bag
 * switches to a hash set. Order is not kept; {@link #sorted()} sorts on read. Not thread-safe.
 */
final class AddressBag {

    static final int SMALL = 64;

    private IpAddress[] small = new IpAddress[2];
    private int size;
    private Set<IpAddress> large;

    void add(IpAddress address) {
        if (large != null) {
            large.add(address);
            return;
        }
        if (size == small.length) {
            if (size == SMALL) {
                large = new HashSet<>(Arrays.asList(small).subList(0, size));
                large.add(address);
                small = null;
                return;
            }
            small = Arrays.copyOf(small, Math.min(SMALL, size * 2));
        }
        small[size++] = address;
    }

    /** Removes the address; returns whether the bag is empty afterwards. */
    boolean remove(IpAddress address) {
        if (large != null) {
            large.remove(address);
            return large.isEmpty();
        }
        for (int i = size - 1; i >= 0; i--) {
            if (small[i] == address) {
                removeAt(i);
                return size == 0;
            }
        }
        for (int i = size - 1; i >= 0; i--) {
            if (small[i].equals(address)) {
                removeAt(i);
                return size == 0;
            }
        }
        return size == 0;
    }

    private void removeAt(int i) {
        small[i] = small[--size];
        small[size] = null;
    }

    /** The addresses in ascending order. */
    List<IpAddress> sorted() {
        List<IpAddress> result = large != null ? new ArrayList<>(large) : new ArrayList<>(Arrays.asList(small).subList(0, size));
        result.sort(null);
        return result;
    }
}
