package dev.ipam.internal;

/**
 * Slot numbers of a columnar table by address offset ({@link AddressOffsets}): a paged
 * {@code int} array with one entry per address of the pool, a page made on its first write. Where
 * a pool is well filled this is smaller than a hash index of its live addresses, and it keeps
 * neighbouring addresses in neighbouring entries, so walking addresses in order walks memory in
 * order. Not thread-safe.
 */
final class OffsetSlots {

    private static final int PAGE_BITS = 14;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_SIZE - 1;

    private final long count;
    /** Entry: slot + 1, or 0 if the address has no slot. */
    private final int[][] pages;

    /** @param count the number of offsets, at most 2^32 */
    OffsetSlots(long count) {
        if (count < 0 || count > 1L << 32) {
            throw new IllegalArgumentException("Offset count must be 0 … 2^32, was " + count);
        }
        this.count = count;
        this.pages = new int[(int) ((count + PAGE_MASK) >>> PAGE_BITS)][];
    }

    /** The slot at an offset, or -1 if it has none. */
    int slotAt(long offset) {
        int[] page = pages[(int) (offset >>> PAGE_BITS)];
        return page == null ? -1 : page[(int) offset & PAGE_MASK] - 1;
    }

    void set(long offset, int slot) {
        int index = (int) (offset >>> PAGE_BITS);
        int[] page = pages[index];
        if (page == null) {
            page = pages[index] = new int[(int) Math.min(PAGE_SIZE, count - ((long) index << PAGE_BITS))];
        }
        page[(int) offset & PAGE_MASK] = slot + 1;
    }

    void clear(long offset) {
        pages[(int) (offset >>> PAGE_BITS)][(int) offset & PAGE_MASK] = 0;
    }
}
