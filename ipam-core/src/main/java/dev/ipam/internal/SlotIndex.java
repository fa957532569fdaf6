package dev.ipam.internal;

import java.util.function.IntConsumer;

/**
 * An open-addressing hash index from keys to slot numbers of a columnar table, with linear
 * probing and backward-shift deletion (no tombstones). Each entry keeps the key's 32-bit hash and
 * its slot, so probing compares hashes without touching the table, and growing or deleting never
 * asks the table for a key. Keys themselves live in the table's columns; the table walks a probe
 * sequence and compares its own columns when a hash matches:
 *
 * <pre>{@code
 * for (int pos = index.firstProbe(hash); ; pos = index.nextProbe(pos)) {
 *     int slot = index.slotAt(pos);
 *     if (slot < 0) { absent; break; }
 *     if (index.hashAt(pos) == hash && keyOf(slot) equals key) { found at pos; break; }
 * }
 * }</pre>
 *
 * <p>Entries take 8 bytes. An insert that would make the entry array more than
 * {@value #MAX_LOAD_PERCENT} % full doubles it; the array never shrinks. A large array is split
 * into pages of {@value #PAGE_SIZE} entries, so that no index is one huge object for the
 * collector. Not thread-safe.
 */
final class SlotIndex {

    /** Resize when an insert would make the array fuller than this. */
    static final int MAX_LOAD_PERCENT = 60;
    private static final int PAGE_BITS = 15;
    static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_SIZE - 1;
    private static final long EMPTY = 0L;
    /** The largest entry array: 2^30 positions, so up to about 644 million keys. */
    private static final int MAX_CAPACITY = 1 << 30;

    /** Entry: hash in the upper 32 bits, slot + 1 in the lower 32; {@link #EMPTY} if free. */
    private long[][] pages;
    private int mask;
    private int size;

    SlotIndex() {
        allocate(16);
    }

    int size() {
        return size;
    }

    /** The number of positions (a power of two). */
    int capacity() {
        return mask + 1;
    }

    /** The first position to look at for a key of this hash. */
    int firstProbe(int hash) {
        return mix(hash) & mask;
    }

    /** The position after {@code pos} in probe order. */
    int nextProbe(int pos) {
        return (pos + 1) & mask;
    }

    /** The slot at {@code pos}, or -1 if the position is empty (the key looked for is absent). */
    int slotAt(int pos) {
        return (int) entry(pos) - 1;
    }

    /** The hash of the key at {@code pos} (meaningless if the position is empty). */
    int hashAt(int pos) {
        return (int) (entry(pos) >>> 32);
    }

    /** Points the entry at {@code pos} (found by a probe) to another slot of the same key. */
    void replaceAt(int pos, int slot) {
        set(pos, entryOf(hashAt(pos), slot));
    }

    /**
     * Adds a slot whose key is not in the index. The caller guarantees absence (it probed first);
     * positions from earlier probes are invalid afterwards.
     *
     * @throws IllegalStateException if the index would outgrow its largest size
     */
    void insert(int hash, int slot) {
        if ((size + 1) * 100L > (mask + 1L) * MAX_LOAD_PERCENT) {
            grow();
        }
        place(entryOf(hash, slot));
        size++;
    }

    /**
     * Removes the entry at {@code pos} (found by a probe) and moves later entries of its cluster
     * back so that every key stays reachable from its first probe. Positions from earlier probes
     * are invalid afterwards.
     */
    void removeAt(int pos) {
        int hole = pos;
        int next = nextProbe(hole);
        for (long e = entry(next); e != EMPTY; e = entry(next)) {
            int home = firstProbe((int) (e >>> 32));
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            boolean homeAfterHole = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!homeAfterHole) {
                set(hole, e);
                hole = next;
            }
            next = nextProbe(next);
        }
        set(hole, EMPTY);
        size--;
    }

    /** Calls {@code action} with the slot of every entry, in position order. */
    void forEachSlot(IntConsumer action) {
        for (long[] page : pages) {
            for (long e : page) {
                if (e != EMPTY) {
                    action.accept((int) e - 1);
                }
            }
        }
    }

    /** Decides what a bulk insert does with an entry whose hash equals one already placed. */
    interface SameKey {
        /**
         * Whether the keys of two slots are equal (the later slot then replaces the earlier one).
         *
         * @throws IllegalStateException if the index must not hold equal keys
         */
        boolean test(int placedSlot, int newSlot);
    }

    /**
     * Adds many entries at once: {@code entries[0..count)} as {@code hash << 32 | (slot + 1)}, in
     * the order their slots were filled. The entries are sorted by first probe position (a stable
     * radix sort) and placed in that order, so the index array is written front to back instead of
     * at random, which is what makes a bulk load fast. A new entry whose key equals one already in
     * the index (by {@code sameKey}) replaces it, so the last of equal keys wins, as with probing
     * and {@link #replaceAt}. {@code entries} is reordered.
     *
     * @throws IllegalStateException if the index would outgrow its largest size, or as
     *     {@code sameKey} throws
     */
    void insertAll(long[] entries, int count, SameKey sameKey) {
        while ((size + (long) count) * 100L > (mask + 1L) * MAX_LOAD_PERCENT) {
            grow();
        }
        long[] sorted = sortByFirstProbe(entries, count);
        for (int n = 0; n < count; n++) {
            long e = sorted[n];
            int hash = (int) (e >>> 32);
            int pos = firstProbe(hash);
            while (true) {
                long placed = entry(pos);
                if (placed == EMPTY) {
                    set(pos, e);
                    size++;
                    break;
                }
                if ((int) (placed >>> 32) == hash && sameKey.test((int) placed - 1, (int) e - 1)) {
                    set(pos, e);
                    break;
                }
                pos = nextProbe(pos);
            }
        }
    }

    /** LSD radix sort of entries by {@link #firstProbe}, {@value #RADIX_BITS} bits a pass; stable. */
    private long[] sortByFirstProbe(long[] entries, int count) {
        int bits = Integer.numberOfTrailingZeros(mask + 1);
        long[] from = entries;
        long[] to = new long[count];
        int[] counts = new int[1 << RADIX_BITS];
        for (int shift = 0; shift < bits; shift += RADIX_BITS) {
            java.util.Arrays.fill(counts, 0);
            int digitMask = (1 << RADIX_BITS) - 1;
            for (int n = 0; n < count; n++) {
                counts[(firstProbe((int) (from[n] >>> 32)) >>> shift) & digitMask]++;
            }
            for (int d = 0, sum = 0; d < counts.length; d++) {
                int c = counts[d];
                counts[d] = sum;
                sum += c;
            }
            for (int n = 0; n < count; n++) {
                long e = from[n];
                to[counts[(firstProbe((int) (e >>> 32)) >>> shift) & digitMask]++] = e;
            }
            long[] swap = from;
            from = to;
            to = swap;
        }
        return from;
    }

    private static final int RADIX_BITS = 11;

    private void grow() {
        if (mask + 1 >= MAX_CAPACITY) {
            throw new IllegalStateException("An index of more than " + (MAX_CAPACITY / 100 * MAX_LOAD_PERCENT)
                    + " entries is not supported");
        }
        long[][] old = pages;
        allocate((mask + 1) * 2);
        for (long[] page : old) {
            for (long e : page) {
                if (e != EMPTY) {
                    place(e);
                }
            }
        }
    }

    private void allocate(int capacity) {
        int pageSize = Math.min(capacity, PAGE_SIZE);
        pages = new long[capacity / pageSize][pageSize];
        mask = capacity - 1;
    }

    private void place(long e) {
        int pos = firstProbe((int) (e >>> 32));
        while (entry(pos) != EMPTY) {
            pos = nextProbe(pos);
        }
        set(pos, e);
    }

    private long entry(int pos) {
        return pages[pos >>> PAGE_BITS][pos & PAGE_MASK];
    }

    private void set(int pos, long e) {
        pages[pos >>> PAGE_BITS][pos & PAGE_MASK] = e;
    }

    /** The entry for a slot whose key has this hash, as {@link #insertAll} takes them. */
    static long entryOf(int hash, int slot) {
        return (long) hash << 32 | (slot + 1L);
    }

    /** Spreads a hash over all bits (the 32-bit finaliser of MurmurHash3), so sequential keys scatter. */
    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
