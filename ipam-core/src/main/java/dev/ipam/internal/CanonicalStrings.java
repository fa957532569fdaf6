package dev.ipam.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Makes equal strings of loaded allocations share one instance while a store is read at start-up.
 * A store may hand out a new string per record for values that repeat across millions of them
 * (owner, environment, caller); keeping one copy of each saves their heap and the collector's
 * work. The allocation table keeps the shared instances in place of the record's own, so no
 * record is copied. At most {@code limit} distinct strings are remembered, so values that never
 * repeat (as owners may) cost a bounded map and no more. Not thread-safe: one loading thread.
 */
final class CanonicalStrings {

    private final Map<String, String> seen = new HashMap<>();
    private final int limit;
    private final LastSeen owners = new LastSeen();
    private final LastSeen environments = new LastSeen();
    private final LastSeen callers = new LastSeen();

    CanonicalStrings(int limit) {
        this.limit = limit;
    }

    /** The shared instance equal to {@code s} (or {@code s} itself); null stays null. */
    String of(String s) {
        if (s == null) {
            return null;
        }
        String known = seen.get(s);
        return known != null ? known : remember(s);
    }

    /** Remembers {@code s} as the shared instance of its value while under the limit; returns it. */
    private String remember(String s) {
        if (seen.size() < limit) {
            seen.put(s, s);
        }
        return s;
    }

    /** The shared instance of an owner (see {@link LastSeen}); null stays null. */
    String owner(String owner) {
        return owners.of(owner);
    }

    /** The shared instance of an environment (see {@link LastSeen}); null stays null. */
    String environment(String environment) {
        return environments.of(environment);
    }

    /** The shared instance of a caller (see {@link LastSeen}); null stays null. */
    String caller(String caller) {
        return callers.of(caller);
    }

    /**
     * One field's strings: the last one given and its shared instance (stores often decode a string
     * once for a run of records, such as a block's string table, and pass the same instance on in
     * each, so an identity check saves most hash lookups), and whether the field is worth sharing
     * at all: a field whose first {@value #TRIAL} lookups (strings other than the last one given)
     * found almost no value seen before (one owner per address, say) is left alone from then on,
     * since looking up values that never repeat costs time and saves nothing.
     */
    private final class LastSeen {
        private static final int TRIAL = 4096;
        private String given;
        private String shared;
        private int lookups;
        private int hits;
        private boolean distinct;

        String of(String s) {
            if (s == null) {
                return null;
            }
            if (s == given || distinct) {
                return s == given ? shared : s;
            }
            String known = seen.get(s);
            String found = known != null ? known : remember(s);
            given = s;
            shared = found;
            if (lookups < TRIAL) {
                lookups++;
                hits += known != null ? 1 : 0;
                distinct = lookups == TRIAL && hits < TRIAL / 16;
            }
            return found;
        }
    }
}
