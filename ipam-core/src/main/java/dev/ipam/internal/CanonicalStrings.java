package dev.ipam.internal;

import dev.ipam.Allocation;
import java.util.HashMap;
import java.util.Map;

/**
 * Makes equal strings of loaded allocations share one instance while a store is read at start-up.
 * A store may hand out a new string per record for values that repeat across millions of them
 * (pool, owner, environment, caller); keeping one copy of each saves their heap and the
 * collector's work. At most {@code limit} distinct strings are remembered, so values that never
 * repeat (as owners may) cost a bounded map and no more. Not thread-safe: one loading thread.
 */
final class CanonicalStrings {

    private final Map<String, String> seen = new HashMap<>();
    private final int limit;

    CanonicalStrings(int limit) {
        this.limit = limit;
    }

    /** The shared instance equal to {@code s} (or {@code s} itself); null stays null. */
    String of(String s) {
        if (s == null) {
            return null;
        }
        String known = seen.get(s);
        if (known != null) {
            return known;
        }
        if (seen.size() < limit) {
            seen.put(s, s);
        }
        return s;
    }

    /** {@code a}, or an equal allocation whose pool, owner, environment and caller are shared instances. */
    Allocation of(Allocation a) {
        String pool = of(a.pool());
        String owner = of(a.owner());
        String environment = of(a.environment());
        String by = of(a.allocatedBy());
        if (pool == a.pool() && owner == a.owner() && environment == a.environment() && by == a.allocatedBy()) {
            return a;
        }
        return new Allocation(pool, a.address(), owner, environment, a.name(), a.hostname(), a.mac(), a.allocatedAt(), by);
    }
}
