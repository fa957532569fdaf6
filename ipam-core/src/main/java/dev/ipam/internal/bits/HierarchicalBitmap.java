package dev.ipam.internal.bits;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The occupancy set of an address pool: bit {@code i} is set when pool offset {@code i} is in use.
 *
 * <p>The capacity {@code n} is fixed at construction, from 1 to {@link #MAX_CAPACITY} (2<sup>32</sup>)
 * bits. Every operation works on whole 64-bit words and on summary masks and counts, so searching
 * for a clear bit costs about the same whether the bitmap is empty or 99.999% full.
 *
 * <h2>Thread safety</h2>
 * Not thread-safe. Callers hold the owning pool's lock around every call, reads included.
 *
 * <h2>Memory layout</h2>
 * <ul>
 *   <li><b>Pages</b> ({@link BitmapPage}). The index space is cut into pages of 2<sup>18</sup>
 *       bits (64 blocks of 64 words). A page is allocated the first time one of its bits is set; a
 *       {@code null} page means all of its bits are clear. Per page: two 64-bit masks, blocks with
 *       no clear bit and blocks with at least one set bit.</li>
 *   <li><b>Blocks</b> ({@link BitmapBlock}). 64 words (4096 bits), allocated inside their page
 *       the first time one of their bits is set ({@code null} = all clear), so that scattered bits
 *       (random allocation in a huge pool) cost about 0.6 KiB per touched block and page rather than
 *       32 KiB per page. Per block: an {@code int} count of set bits, a "full mask" (bit {@code w}
 *       set when word {@code w} has no usable clear bit) and a "non-zero mask" (bit {@code w} set
 *       when word {@code w} has a set bit).</li>
 *   <li><b>Top level.</b> An {@code int} count of set bits per page (length
 *       {@code ceil(n / 2^18)}, at most 16384), plus one bit per page for "full" and one for
 *       "non-empty", so runs of full or empty pages are skipped a word at a time. About 12 bytes per
 *       page of capacity: about 200 KiB for a 2<sup>32</sup>-bit bitmap.</li>
 *   <li><b>Partial end.</b> Bits at or beyond {@code n} are never stored as set and never
 *       counted. The last page and block are sized to the bits they really cover (a 100-bit bitmap
 *       holds two words), and for the full masks the missing bits count as unusable: the bitmap's
 *       last word is "full" once all its bits below {@code n} are set, and words and blocks past the
 *       end are marked full for good. So no search ever reports an index at or beyond {@code
 *       n}.</li>
 *   <li>Pages and blocks are never released, even when their bits are all cleared again: memory
 *       follows the parts of the index space ever touched.</li>
 * </ul>
 *
 * <p>Searches never test bits one at a time: they use {@link Long#numberOfTrailingZeros},
 * {@link Long#bitCount} and masks.
 */
public final class HierarchicalBitmap {

  /** The largest supported capacity, 2<sup>32</sup> bits (every IPv4 address). */
  public static final long MAX_CAPACITY = 1L << 32;

  static final int PAGE_SHIFT = 18;
  static final long PAGE_BITS = 1L << PAGE_SHIFT;
  static final long PAGE_OFFSET_MASK = PAGE_BITS - 1;
  static final int BLOCK_SHIFT = 12;
  static final int BLOCK_BITS = 1 << BLOCK_SHIFT;

  /** Random probes made by {@link #randomClearBit} before falling back to {@link #selectClear}. */
  static final int RANDOM_PROBES = 32;

  private static final long ARRAY_HEADER = 16;

  private final long capacity;
  private final int pageCount;
  private final BitmapPage[] pages;
  /** Set bits per page. */
  private final int[] pageSetCounts;
  /** Bit {@code p} set: page {@code p} has no clear bit. */
  private final long[] fullPages;
  /** Bit {@code p} set: page {@code p} has at least one set bit. */
  private final long[] nonEmptyPages;
  private long cardinality;

  /**
   * Creates a bitmap of {@code capacity} bits, all clear. Allocates no page yet.
   *
   * @param capacity number of bits, from 1 to {@link #MAX_CAPACITY}
   * @throws IllegalArgumentException if {@code capacity < 1} or {@code capacity > MAX_CAPACITY}
   */
  public HierarchicalBitmap(long capacity) {
    if (capacity < 1 || capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException(
          "capacity must be in [1, " + MAX_CAPACITY + "], got " + capacity);
    }
    this.capacity = capacity;
    this.pageCount = (int) ((capacity + PAGE_BITS - 1) >>> PAGE_SHIFT);
    this.pages = new BitmapPage[pageCount];
    this.pageSetCounts = new int[pageCount];
    int summaryWords = (pageCount + 63) >>> 6;
    this.fullPages = new long[summaryWords];
    this.nonEmptyPages = new long[summaryWords];
  }

  /** Returns the number of bits, as given to the constructor. */
  public long capacity() {
    return capacity;
  }

  /** Returns the number of set bits. O(1). */
  public long cardinality() {
    return cardinality;
  }

  /** Returns the number of clear bits, {@code capacity() - cardinality()}. O(1). */
  public long clearCount() {
    return capacity - cardinality;
  }

  /**
   * Returns whether bit {@code index} is set.
   *
   * @param index the bit, in {@code [0, capacity())}
   * @return {@code true} if the bit is set
   * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, capacity())}
   */
  public boolean get(long index) {
    Objects.checkIndex(index, capacity);
    return getUnchecked(index);
  }

  private boolean getUnchecked(long index) {
    BitmapPage page = pages[(int) (index >>> PAGE_SHIFT)];
    return page != null && page.get((int) (index & PAGE_OFFSET_MASK));
  }

  /**
   * Sets bit {@code index}.
   *
   * @param index the bit, in {@code [0, capacity())}
   * @return {@code true} if the bit was clear before; {@code false} if it was already set, in which
   *     case nothing changed
   * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, capacity())}
   */
  public boolean set(long index) {
    Objects.checkIndex(index, capacity);
    int p = (int) (index >>> PAGE_SHIFT);
    BitmapPage page = pages[p];
    if (page == null) {
      page = new BitmapPage((int) pageBits(p));
      pages[p] = page;
    }
    if (!page.set((int) (index & PAGE_OFFSET_MASK))) {
      return false;
    }
    int count = ++pageSetCounts[p];
    cardinality++;
    if (count == 1) {
      nonEmptyPages[p >>> 6] |= 1L << p;
    }
    if (count == pageBits(p)) {
      fullPages[p >>> 6] |= 1L << p;
    }
    return true;
  }

  /**
   * Clears bit {@code index}.
   *
   * @param index the bit, in {@code [0, capacity())}
   * @return {@code true} if the bit was set before; {@code false} if it was already clear, in which
   *     case nothing changed
   * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, capacity())}
   */
  public boolean clear(long index) {
    Objects.checkIndex(index, capacity);
    int p = (int) (index >>> PAGE_SHIFT);
    BitmapPage page = pages[p];
    if (page == null || !page.clear((int) (index & PAGE_OFFSET_MASK))) {
      return false;
    }
    int count = --pageSetCounts[p];
    cardinality--;
    if (count == 0) {
      nonEmptyPages[p >>> 6] &= ~(1L << p);
    }
    fullPages[p >>> 6] &= ~(1L << p);
    return true;
  }

  /**
   * Returns the first clear bit at or after {@code fromIndex}. Full words, blocks and pages are
   * skipped through their masks, so the cost does not grow with the fill.
   *
   * @param fromIndex where to start; {@code fromIndex >= capacity()} is allowed and gives -1
   * @return the index of the first clear bit {@code >= fromIndex}, or -1 if there is none
   * @throws IndexOutOfBoundsException if {@code fromIndex < 0}
   */
  public long nextClearBit(long fromIndex) {
    checkFrom(fromIndex);
    if (fromIndex >= capacity) {
      return -1;
    }
    int p = (int) (fromIndex >>> PAGE_SHIFT);
    if ((fullPages[p >>> 6] & (1L << p)) == 0) {
      BitmapPage page = pages[p];
      if (page == null) {
        return fromIndex;
      }
      int r = page.nextClear((int) (fromIndex & PAGE_OFFSET_MASK));
      if (r >= 0) {
        return pageBase(p) + r;
      }
    }
    p = nextZero(fullPages, p + 1, pageCount);
    if (p < 0) {
      return -1;
    }
    BitmapPage page = pages[p];
    return page == null ? pageBase(p) : pageBase(p) + page.firstClear();
  }

  /**
   * Returns the first set bit at or after {@code fromIndex}. Empty pages (allocated or not) and
   * empty blocks and words are skipped through their masks.
   *
   * @param fromIndex where to start; {@code fromIndex >= capacity()} is allowed and gives -1
   * @return the index of the first set bit {@code >= fromIndex}, or -1 if there is none
   * @throws IndexOutOfBoundsException if {@code fromIndex < 0}
   */
  public long nextSetBit(long fromIndex) {
    checkFrom(fromIndex);
    if (fromIndex >= capacity) {
      return -1;
    }
    int p = (int) (fromIndex >>> PAGE_SHIFT);
    if ((nonEmptyPages[p >>> 6] & (1L << p)) != 0) {
      int r = pages[p].nextSet((int) (fromIndex & PAGE_OFFSET_MASK));
      if (r >= 0) {
        return pageBase(p) + r;
      }
    }
    p = nextOne(nonEmptyPages, p + 1, pageCount);
    return p < 0 ? -1 : pageBase(p) + pages[p].firstSet();
  }

  /**
   * Returns the first clear bit at or after {@code fromIndex}, wrapping around to the start: if
   * there is none up to the end, returns the first clear bit before {@code fromIndex}.
   *
   * @param fromIndex where to start; {@code fromIndex >= capacity()} is allowed and behaves like 0
   * @return a clear bit index, or -1 if the bitmap is full
   * @throws IndexOutOfBoundsException if {@code fromIndex < 0}
   */
  public long nextClearBitWrapping(long fromIndex) {
    long r = nextClearBit(fromIndex);
    if (r >= 0 || fromIndex == 0) {
      return r;
    }
    r = nextClearBit(0);
    return r >= 0 && r < fromIndex ? r : -1;
  }

  /**
   * Returns the index of the {@code rank}-th clear bit (0-based) in index order: {@code
   * selectClear(0)} is the lowest clear bit, {@code selectClear(clearCount() - 1)} the highest.
   * Walks the page counts, then the block counts of one page, then the word bit counts of one
   * block, then selects inside one word: O(pages + 64 + 64).
   *
   * @param rank 0-based rank among the clear bits, in {@code [0, clearCount())}
   * @return the index of that clear bit
   * @throws IndexOutOfBoundsException if {@code rank} is outside {@code [0, clearCount())}
   */
  public long selectClear(long rank) {
    long clear = clearCount();
    if (rank < 0 || rank >= clear) {
      throw new IndexOutOfBoundsException(
          "rank " + rank + " out of range [0, " + clear + ") of clear bits");
    }
    int p = 0;
    long remaining = rank;
    while (true) {
      long clearInPage = pageBits(p) - pageSetCounts[p];
      if (remaining < clearInPage) {
        break;
      }
      remaining -= clearInPage;
      p++;
    }
    BitmapPage page = pages[p];
    return pageBase(p) + (page == null ? remaining : page.selectClear((int) remaining));
  }

  /**
   * Returns a clear bit chosen uniformly at random among all clear bits, or -1 if the bitmap is
   * full.
   *
   * <p>While at least 1/8 of the bits are clear, makes up to {@value #RANDOM_PROBES} probes of a
   * uniformly random index and returns the first that is clear (each accepted probe is uniform
   * over the clear bits). Below that, or if every probe hits a set bit, returns
   * {@code selectClear(random.nextLong(clearCount()))}. The result is exactly uniform,
   * and cheap at any fill.
   *
   * @param random source of randomness, not null
   * @return a clear bit index, or -1 if there is no clear bit
   * @throws NullPointerException if {@code random} is null
   */
  public long randomClearBit(RandomGenerator random) {
    Objects.requireNonNull(random, "random");
    long clear = clearCount();
    if (clear == 0) {
      return -1;
    }
    // Probing pays only while a probe is likely to hit: below 1/8 free, select directly.
    int probes = clear >= (capacity >>> 3) ? RANDOM_PROBES : 0;
    for (int i = 0; i < probes; i++) {
      long candidate = random.nextLong(capacity);
      if (!getUnchecked(candidate)) {
        return candidate;
      }
    }
    return selectClear(random.nextLong(clear));
  }

  /**
   * Returns a rough estimate of the heap bytes held by this bitmap: about 12 bytes per page of
   * capacity, plus about 0.6 KiB per allocated page and 0.6 KiB per allocated block. Assumes
   * 16-byte object and array headers and 8-byte references (so it overestimates a little with
   * compressed references). Walks the page array: O(pages).
   */
  public long memoryBytesEstimate() {
    long bytes = 16 + 6 * 8
        + ARRAY_HEADER + 8L * pageCount
        + ARRAY_HEADER + 4L * pageCount
        + 2 * (ARRAY_HEADER + 8L * fullPages.length);
    for (BitmapPage page : pages) {
      if (page != null) {
        bytes += page.memoryBytes();
      }
    }
    return bytes;
  }

  @Override
  public String toString() {
    return "HierarchicalBitmap[capacity=" + capacity + ", cardinality=" + cardinality + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // package-private helpers (tests)

  /** Number of pages allocated so far. */
  int allocatedPages() {
    int n = 0;
    for (BitmapPage page : pages) {
      if (page != null) {
        n++;
      }
    }
    return n;
  }

  /** Number of blocks allocated so far, over all pages. */
  int allocatedBlocks() {
    int n = 0;
    for (BitmapPage page : pages) {
      if (page != null) {
        n += page.allocatedBlocks();
      }
    }
    return n;
  }

  /**
   * Recomputes every count and mask from the words and compares them with the stored ones.
   *
   * @throws IllegalStateException describing the first inconsistency found
   */
  void checkInvariants() {
    long total = 0;
    for (int p = 0; p < pageCount; p++) {
      BitmapPage page = pages[p];
      if (page != null && page.bits != pageBits(p)) {
        throw new IllegalStateException("page " + p + ": wrong size " + page.bits);
      }
      int count = page == null ? 0 : page.checkInvariants("page " + p);
      if (pageSetCounts[p] != count) {
        throw new IllegalStateException(
            "page " + p + ": stored count " + pageSetCounts[p] + ", actual " + count);
      }
      boolean full = count == pageBits(p);
      if (full != ((fullPages[p >>> 6] & (1L << p)) != 0)) {
        throw new IllegalStateException("page " + p + ": full bit wrong, full=" + full);
      }
      if ((count > 0) != ((nonEmptyPages[p >>> 6] & (1L << p)) != 0)) {
        throw new IllegalStateException("page " + p + ": non-empty bit wrong, count=" + count);
      }
      total += count;
    }
    int tail = pageCount & 63;
    if (tail != 0) {
      long beyond = -1L << tail;
      if ((fullPages[fullPages.length - 1] & beyond) != 0
          || (nonEmptyPages[nonEmptyPages.length - 1] & beyond) != 0) {
        throw new IllegalStateException("page summary bits set beyond the last page");
      }
    }
    if (total != cardinality) {
      throw new IllegalStateException("cardinality " + cardinality + ", actual " + total);
    }
  }

  /**
   * Returns the bit position (0..63) of the {@code rank}-th (0-based) set bit of {@code word},
   * by halving: six {@link Long#bitCount} steps, no loop over bits. Requires {@code 0 <= rank <
   * Long.bitCount(word)}.
   */
  static int selectInWord(long word, int rank) {
    int pos = 0;
    long x = word;
    int r = rank;
    for (int width = 32; width > 0; width >>>= 1) {
      long lowMask = (1L << width) - 1;
      int low = Long.bitCount(x & lowMask);
      if (r >= low) {
        r -= low;
        x >>>= width;
        pos += width;
      }
    }
    return pos;
  }

  // ---------------------------------------------------------------------------------------------
  // internals

  private long pageBase(int p) {
    return (long) p << PAGE_SHIFT;
  }

  /** Real (usable) bits in page {@code p}: 2^18, except possibly for the last page. */
  private long pageBits(int p) {
    return p == pageCount - 1 ? capacity - pageBase(p) : PAGE_BITS;
  }

  private static void checkFrom(long fromIndex) {
    if (fromIndex < 0) {
      throw new IndexOutOfBoundsException("fromIndex < 0: " + fromIndex);
    }
  }

  /** First index {@code i} in {@code [from, limit)} whose bit in {@code bits} is 0, or -1. */
  private static int nextZero(long[] bits, int from, int limit) {
    if (from >= limit) {
      return -1;
    }
    int wi = from >>> 6;
    long w = ~bits[wi] & (-1L << from);
    while (w == 0) {
      if (++wi == bits.length) {
        return -1;
      }
      w = ~bits[wi];
    }
    int r = (wi << 6) + Long.numberOfTrailingZeros(w);
    return r < limit ? r : -1;
  }

  /** First index {@code i} in {@code [from, limit)} whose bit in {@code bits} is 1, or -1. */
  private static int nextOne(long[] bits, int from, int limit) {
    if (from >= limit) {
      return -1;
    }
    int wi = from >>> 6;
    long w = bits[wi] & (-1L << from);
    while (w == 0) {
      if (++wi == bits.length) {
        return -1;
      }
      w = bits[wi];
    }
    int r = (wi << 6) + Long.numberOfTrailingZeros(w);
    return r < limit ? r : -1;
  }
}
