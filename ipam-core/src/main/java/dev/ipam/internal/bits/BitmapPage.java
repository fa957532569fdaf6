package dev.ipam.internal.bits;

/**
 * One page of a {@link HierarchicalBitmap}: up to 2^18 bits as up to 64 {@link BitmapBlock}s of
 * 4096 bits, each allocated the first time one of its bits is set (a {@code null} block is all
 * clear). Offsets are relative to the page. Only the bitmap's last page may hold fewer bits: it then
 * has only the blocks it needs, and the blocks it lacks are marked full for good in {@link
 * #fullBlocks}.
 *
 * <p>Invariants: bit {@code b} of {@code fullBlocks} is set when block {@code b} has no usable
 * clear bit (or does not exist); bit {@code b} of {@code nonEmptyBlocks} is set when block {@code
 * b} has a set bit.
 */
final class BitmapPage {

  static final long OBJECT_BYTES = 16 + 8 + 4 + 2 * 8;

  final BitmapBlock[] blocks;
  /** Usable bits in this page. */
  final int bits;
  long fullBlocks;
  long nonEmptyBlocks;

  /** A page of {@code bits} usable bits, 1 to 2^18, all clear, with no block allocated. */
  BitmapPage(int bits) {
    this.bits = bits;
    int blockCount = (bits + HierarchicalBitmap.BLOCK_BITS - 1) >>> HierarchicalBitmap.BLOCK_SHIFT;
    blocks = new BitmapBlock[blockCount];
    if (blockCount < 64) {
      fullBlocks = -1L << blockCount;
    }
  }

  long memoryBytes() {
    long bytes = OBJECT_BYTES + 16 + 8L * blocks.length;
    for (BitmapBlock block : blocks) {
      if (block != null) {
        bytes += block.memoryBytes();
      }
    }
    return bytes;
  }

  int allocatedBlocks() {
    int n = 0;
    for (BitmapBlock block : blocks) {
      if (block != null) {
        n++;
      }
    }
    return n;
  }

  private int blockBits(int b) {
    return Math.min(HierarchicalBitmap.BLOCK_BITS, bits - (b << HierarchicalBitmap.BLOCK_SHIFT));
  }

  boolean get(int offset) {
    BitmapBlock block = blocks[offset >>> HierarchicalBitmap.BLOCK_SHIFT];
    return block != null && block.get(offset & (HierarchicalBitmap.BLOCK_BITS - 1));
  }

  /** Sets the bit; returns false if it was already set. */
  boolean set(int offset) {
    int b = offset >>> HierarchicalBitmap.BLOCK_SHIFT;
    BitmapBlock block = blocks[b];
    if (block == null) {
      block = new BitmapBlock(blockBits(b));
      blocks[b] = block;
    }
    if (!block.set(offset & (HierarchicalBitmap.BLOCK_BITS - 1))) {
      return false;
    }
    nonEmptyBlocks |= 1L << b;
    if (block.isFull()) {
      fullBlocks |= 1L << b;
    }
    return true;
  }

  /** Clears the bit; returns false if it was already clear. */
  boolean clear(int offset) {
    int b = offset >>> HierarchicalBitmap.BLOCK_SHIFT;
    BitmapBlock block = blocks[b];
    if (block == null || !block.clear(offset & (HierarchicalBitmap.BLOCK_BITS - 1))) {
      return false;
    }
    if (block.count == 0) {
      nonEmptyBlocks &= ~(1L << b);
    }
    fullBlocks &= ~(1L << b);
    return true;
  }

  /** First clear bit at or after {@code offset}, or -1. */
  int nextClear(int offset) {
    int b = offset >>> HierarchicalBitmap.BLOCK_SHIFT;
    if ((fullBlocks & (1L << b)) == 0) {
      BitmapBlock block = blocks[b];
      if (block == null) {
        return offset;
      }
      int r = block.nextClear(offset & (HierarchicalBitmap.BLOCK_BITS - 1));
      if (r >= 0) {
        return (b << HierarchicalBitmap.BLOCK_SHIFT) + r;
      }
    }
    long later = ~fullBlocks & (-2L << b);
    return later == 0 ? -1 : firstClearInBlock(Long.numberOfTrailingZeros(later));
  }

  /** First clear bit of a page known not to be full. */
  int firstClear() {
    return firstClearInBlock(Long.numberOfTrailingZeros(~fullBlocks));
  }

  private int firstClearInBlock(int b) {
    BitmapBlock block = blocks[b];
    return (b << HierarchicalBitmap.BLOCK_SHIFT) + (block == null ? 0 : block.firstClear());
  }

  /** First set bit at or after {@code offset}, or -1. */
  int nextSet(int offset) {
    int b = offset >>> HierarchicalBitmap.BLOCK_SHIFT;
    if ((nonEmptyBlocks & (1L << b)) != 0) {
      int r = blocks[b].nextSet(offset & (HierarchicalBitmap.BLOCK_BITS - 1));
      if (r >= 0) {
        return (b << HierarchicalBitmap.BLOCK_SHIFT) + r;
      }
    }
    long later = nonEmptyBlocks & (-2L << b);
    return later == 0 ? -1 : firstSetInBlock(Long.numberOfTrailingZeros(later));
  }

  /** First set bit of a page known not to be empty. */
  int firstSet() {
    return firstSetInBlock(Long.numberOfTrailingZeros(nonEmptyBlocks));
  }

  private int firstSetInBlock(int b) {
    return (b << HierarchicalBitmap.BLOCK_SHIFT) + blocks[b].firstSet();
  }

  /** Offset of the {@code rank}-th clear bit; the caller guarantees it exists. */
  int selectClear(int rank) {
    int remaining = rank;
    for (int b = 0; ; b++) {
      BitmapBlock block = blocks[b];
      int clearInBlock = blockBits(b) - (block == null ? 0 : block.count);
      if (remaining < clearInBlock) {
        int base = b << HierarchicalBitmap.BLOCK_SHIFT;
        return block == null ? base + remaining : base + block.selectClear(remaining);
      }
      remaining -= clearInBlock;
    }
  }

  /** Verifies every block and this page's masks; returns the number of set bits. */
  int checkInvariants(String where) {
    int total = 0;
    long expectFull = 0;
    long expectNonEmpty = 0;
    for (int b = 0; b < 64; b++) {
      if (b >= blocks.length) {
        expectFull |= 1L << b;
        continue;
      }
      BitmapBlock block = blocks[b];
      if (block == null) {
        continue;
      }
      if (block.words.length != (blockBits(b) + 63) >>> 6) {
        throw new IllegalStateException(where + " block " + b + ": wrong size");
      }
      int count = block.checkInvariants(where + " block " + b);
      if (block.isFull()) {
        expectFull |= 1L << b;
      }
      if (count > 0) {
        expectNonEmpty |= 1L << b;
      }
      total += count;
    }
    if (expectFull != fullBlocks) {
      throw new IllegalStateException(where + ": full-blocks mask " + Long.toHexString(fullBlocks)
          + ", expected " + Long.toHexString(expectFull));
    }
    if (expectNonEmpty != nonEmptyBlocks) {
      throw new IllegalStateException(where + ": non-empty-blocks mask "
          + Long.toHexString(nonEmptyBlocks) + ", expected " + Long.toHexString(expectNonEmpty));
    }
    return total;
  }
}
