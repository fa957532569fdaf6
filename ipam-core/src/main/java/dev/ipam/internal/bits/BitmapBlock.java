package dev.ipam.internal.bits;

/**
 * One block of a {@link HierarchicalBitmap}: up to 64 words (4096 bits), with its count of set bits
 * and two word masks. Offsets are relative to the block. Only the bitmap's very last block may hold
 * fewer bits: its word array is then sized to the bits it covers, its last word's usable bits are
 * {@link #tailMask}, and the words it lacks are marked full for good in {@link #fullWords}.
 *
 * <p>Invariants: {@code count} is the number of set bits; bit {@code w} of {@code fullWords} is set
 * when word {@code w} has no usable clear bit (or does not exist); bit {@code w} of {@code
 * nonZeroWords} is set when word {@code w} is not zero. No bit at or beyond the block's usable bits
 * is ever set.
 */
final class BitmapBlock {

  static final long OBJECT_BYTES = 16 + 8 + 4 + 3 * 8;

  final long[] words;
  /** Usable bits of the last word ({@code -1L} unless this is the bitmap's partial last word). */
  final long tailMask;
  int count;
  long fullWords;
  long nonZeroWords;

  /** A block of {@code bits} usable bits, 1 to 4096, all clear. */
  BitmapBlock(int bits) {
    int wordCount = (bits + 63) >>> 6;
    words = new long[wordCount];
    tailMask = (bits & 63) == 0 ? -1L : (1L << bits) - 1;
    if (wordCount < 64) {
      fullWords = -1L << wordCount;
    }
  }

  long memoryBytes() {
    return OBJECT_BYTES + 16 + 8L * words.length;
  }

  boolean isFullWord(int wi, long w) {
    return w == (wi == words.length - 1 ? tailMask : -1L);
  }

  boolean isFull() {
    return fullWords == -1L;
  }

  boolean get(int offset) {
    return (words[offset >>> 6] & (1L << offset)) != 0;
  }

  /** Sets the bit; returns false if it was already set. */
  boolean set(int offset) {
    int wi = offset >>> 6;
    long bit = 1L << offset;
    long w = words[wi];
    if ((w & bit) != 0) {
      return false;
    }
    w |= bit;
    words[wi] = w;
    count++;
    nonZeroWords |= 1L << wi;
    if (isFullWord(wi, w)) {
      fullWords |= 1L << wi;
    }
    return true;
  }

  /** Clears the bit; returns false if it was already clear. */
  boolean clear(int offset) {
    int wi = offset >>> 6;
    long bit = 1L << offset;
    long w = words[wi];
    if ((w & bit) == 0) {
      return false;
    }
    w &= ~bit;
    words[wi] = w;
    count--;
    if (w == 0) {
      nonZeroWords &= ~(1L << wi);
    }
    fullWords &= ~(1L << wi);
    return true;
  }

  /** First clear bit at or after {@code offset}, or -1. */
  int nextClear(int offset) {
    int wi = offset >>> 6;
    long w = ~words[wi] & (-1L << offset);
    if (wi == words.length - 1) {
      w &= tailMask;
    }
    if (w != 0) {
      return (wi << 6) + Long.numberOfTrailingZeros(w);
    }
    long later = ~fullWords & (-2L << wi);
    return later == 0 ? -1 : firstClearIn(Long.numberOfTrailingZeros(later));
  }

  /** First clear bit of a block known not to be full. */
  int firstClear() {
    return firstClearIn(Long.numberOfTrailingZeros(~fullWords));
  }

  /**
   * Lowest clear bit of a word known not to be full. Usable bits are the low bits of a word, so the
   * lowest clear bit of a non-full word is always usable.
   */
  private int firstClearIn(int wi) {
    return (wi << 6) + Long.numberOfTrailingZeros(~words[wi]);
  }

  /** First set bit at or after {@code offset}, or -1. */
  int nextSet(int offset) {
    int wi = offset >>> 6;
    long w = words[wi] & (-1L << offset);
    if (w != 0) {
      return (wi << 6) + Long.numberOfTrailingZeros(w);
    }
    long later = nonZeroWords & (-2L << wi);
    return later == 0 ? -1 : firstSetIn(Long.numberOfTrailingZeros(later));
  }

  /** First set bit of a block known not to be empty. */
  int firstSet() {
    return firstSetIn(Long.numberOfTrailingZeros(nonZeroWords));
  }

  private int firstSetIn(int wi) {
    return (wi << 6) + Long.numberOfTrailingZeros(words[wi]);
  }

  /** Offset of the {@code rank}-th clear bit; the caller guarantees it exists. */
  int selectClear(int rank) {
    int remaining = rank;
    for (int wi = 0; ; wi++) {
      long free = ~words[wi];
      if (wi == words.length - 1) {
        free &= tailMask;
      }
      int clearInWord = Long.bitCount(free);
      if (remaining < clearInWord) {
        return (wi << 6) + HierarchicalBitmap.selectInWord(free, remaining);
      }
      remaining -= clearInWord;
    }
  }

  /** Verifies the count and masks against the words; returns the number of set bits. */
  int checkInvariants(String where) {
    if ((words[words.length - 1] & ~tailMask) != 0) {
      throw new IllegalStateException(where + ": bits set beyond capacity");
    }
    int actual = 0;
    long expectFull = 0;
    long expectNonZero = 0;
    for (int w = 0; w < 64; w++) {
      if (w >= words.length) {
        expectFull |= 1L << w;
        continue;
      }
      long word = words[w];
      actual += Long.bitCount(word);
      if (isFullWord(w, word)) {
        expectFull |= 1L << w;
      }
      if (word != 0) {
        expectNonZero |= 1L << w;
      }
    }
    if (actual != count) {
      throw new IllegalStateException(where + ": stored count " + count + ", actual " + actual);
    }
    if (expectFull != fullWords) {
      throw new IllegalStateException(where + ": full mask " + Long.toHexString(fullWords)
          + ", expected " + Long.toHexString(expectFull));
    }
    if (expectNonZero != nonZeroWords) {
      throw new IllegalStateException(where + ": non-zero mask " + Long.toHexString(nonZeroWords)
          + ", expected " + Long.toHexString(expectNonZero));
    }
    return actual;
  }
}
