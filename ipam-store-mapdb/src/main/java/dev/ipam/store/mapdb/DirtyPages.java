package dev.ipam.store.mapdb;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The pages written since the last commit: page number to an in-memory copy of the 4 KiB page, plus
 * which of its 64 lines of 64 bytes were written ({@link #lines}), so that a commit logs only those.
 *
 * <p>An open-addressing table of primitive page numbers (no boxing: MapDB reads its header one int at a
 * time, thousands of times per commit), with a one-entry cache for the page looked up last. Cleared as a
 * whole at every commit or rollback; page arrays are recycled.
 *
 * <p>Thread-safety: changes need one thread at a time; {@link #slotOf} and {@link #page} may run in
 * several threads at once while nothing changes (the cache is replaced as one immutable object).
 */
final class DirtyPages {

    static final int LINE_SHIFT = 6;
    static final int LINE_SIZE = 1 << LINE_SHIFT;
    private static final int MIN_CAPACITY = 64;
    private static final int RECYCLED_MAX = 256;
    /** Pages below this number (MapDB's header and first index pages, read thousands of times per commit) are found without hashing. */
    private static final int LOW_PAGES = 16;

    private long[] keys = new long[MIN_CAPACITY]; // page number + 1; 0 = empty
    private byte[][] pages = new byte[MIN_CAPACITY][];
    private long[] lines = new long[MIN_CAPACITY];
    /** Table slots in use, in insertion order, for clearing and listing. */
    private int[] used = new int[MIN_CAPACITY];
    private int size;
    private final int[] lowSlots = filled(LOW_PAGES, -1);
    /** The page looked up last; one immutable object so that concurrent readers never see half of one. */
    private Found last = Found.NONE;
    private final ArrayDeque<byte[]> recycled = new ArrayDeque<>();

    boolean isEmpty() {
        return size == 0;
    }

    /** The slot of {@code page}, or -1 when it is not dirty. Small, so that it inlines into the volume's reads. */
    int slotOf(long page) {
        if (page < LOW_PAGES) {
            return lowSlots[(int) page];
        }
        Found found = last;
        return found.page == page ? found.slot : find(page);
    }

    private int find(long page) {
        if (size == 0) {
            return -1;
        }
        long key = page + 1;
        int mask = keys.length - 1;
        for (int i = hash(page) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                last = new Found(page, i);
                return i;
            }
            if (k == 0) {
                return -1;
            }
        }
    }

    /** Adds {@code page}, which must not be dirty yet, with a fresh array to fill; returns its slot. */
    int add(long page) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int slot = insert(page + 1);
        byte[] content = recycled.poll();
        pages[slot] = content != null ? content : new byte[RedoVolume.PAGE_SIZE];
        lines[slot] = 0;
        used[size++] = slot;
        if (page < LOW_PAGES) {
            lowSlots[(int) page] = slot;
        } else {
            last = new Found(page, slot);
        }
        return slot;
    }

    byte[] page(int slot) {
        return pages[slot];
    }

    /** Marks the lines covering bytes {@code [from, from + length)} of the page in {@code slot} as written. */
    void markWritten(int slot, int from, int length) {
        int first = from >>> LINE_SHIFT;
        int last = (from + length - 1) >>> LINE_SHIFT;
        lines[slot] |= (-1L << first) & (-1L >>> (63 - last));
    }

    /** Bit {@code i} is set when line {@code i} (bytes {@code 64 i} to {@code 64 i + 63}) was written. */
    long lines(int slot) {
        return lines[slot];
    }

    /** The dirty page numbers in ascending order. */
    long[] sortedPages() {
        long[] result = new long[size];
        for (int i = 0; i < size; i++) {
            result[i] = keys[used[i]] - 1;
        }
        Arrays.sort(result);
        return result;
    }

    /** Forgets every page. */
    void clear() {
        for (int i = 0; i < size; i++) {
            int slot = used[i];
            keys[slot] = 0;
            if (recycled.size() < RECYCLED_MAX) {
                recycled.push(pages[slot]);
            }
            pages[slot] = null;
        }
        size = 0;
        last = Found.NONE;
        Arrays.fill(lowSlots, -1);
        if (keys.length > 1 << 16) {
            // One huge commit should not keep a huge table (and its clearing cost) for ever.
            keys = new long[MIN_CAPACITY];
            pages = new byte[MIN_CAPACITY][];
            lines = new long[MIN_CAPACITY];
            used = new int[MIN_CAPACITY];
        }
    }

    private int insert(long key) {
        int mask = keys.length - 1;
        int i = hash(key - 1) & mask;
        while (keys[i] != 0) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        return i;
    }

    private void grow() {
        long[] oldKeys = keys;
        byte[][] oldPages = pages;
        long[] oldLines = lines;
        int[] oldUsed = used;
        int capacity = oldKeys.length * 2;
        keys = new long[capacity];
        pages = new byte[capacity][];
        lines = new long[capacity];
        used = new int[capacity];
        for (int i = 0; i < size; i++) {
            int from = oldUsed[i];
            int to = insert(oldKeys[from]);
            pages[to] = oldPages[from];
            lines[to] = oldLines[from];
            used[i] = to;
            if (oldKeys[from] <= LOW_PAGES) {
                lowSlots[(int) oldKeys[from] - 1] = to;
            }
        }
        last = Found.NONE;
    }

    private static int[] filled(int length, int value) {
        int[] a = new int[length];
        Arrays.fill(a, value);
        return a;
    }

    private record Found(long page, int slot) {
        static final Found NONE = new Found(-1, -1);
    }

    private static int hash(long page) {
        long h = page * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
