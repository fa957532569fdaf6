package dev.ipam.internal.bits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HierarchicalBitmapTest {

  private static final long PAGE = HierarchicalBitmap.PAGE_BITS;
  private static final long MAX = HierarchicalBitmap.MAX_CAPACITY;

  @ParameterizedTest
  @ValueSource(longs = {0, -1, Long.MIN_VALUE, (1L << 32) + 1, Long.MAX_VALUE})
  void constructorRejectsCapacityOutOfRange(long capacity) {
    assertThatThrownBy(() -> new HierarchicalBitmap(capacity))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(capacity));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 63, 64, 65, 4095, 4096, 4097, 1L << 18, (1L << 18) + 1})
  void emptyBitmap(long n) {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    assertThat(bitmap.capacity()).isEqualTo(n);
    assertThat(bitmap.cardinality()).isZero();
    assertThat(bitmap.clearCount()).isEqualTo(n);
    assertThat(bitmap.get(0)).isFalse();
    assertThat(bitmap.get(n - 1)).isFalse();
    assertThat(bitmap.nextClearBit(0)).isZero();
    assertThat(bitmap.nextClearBit(n - 1)).isEqualTo(n - 1);
    assertThat(bitmap.nextClearBit(n)).isEqualTo(-1);
    assertThat(bitmap.nextClearBit(Long.MAX_VALUE)).isEqualTo(-1);
    assertThat(bitmap.nextSetBit(0)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(n - 1)).isEqualTo(n - 1);
    assertThat(bitmap.nextClearBitWrapping(n)).isZero();
    assertThat(bitmap.selectClear(0)).isZero();
    assertThat(bitmap.selectClear(n - 1)).isEqualTo(n - 1);
    assertThat(bitmap.clear(n - 1)).isFalse();
    assertThat(bitmap.allocatedPages()).isZero();
    bitmap.checkInvariants();

    assertThatThrownBy(() -> bitmap.selectClear(n)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.selectClear(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.get(n)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.set(n)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.clear(n)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.nextClearBit(-1))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.nextSetBit(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.nextClearBitWrapping(-1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 63, 64, 65, 4095, 4096, 4097, 1L << 18, (1L << 18) + 1})
  void fillingEveryBitThenFreeingTheEnds(long n) {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    for (long i = 0; i < n; i++) {
      assertThat(bitmap.set(i)).isTrue();
    }
    assertThat(bitmap.set(n - 1)).isFalse();
    assertThat(bitmap.cardinality()).isEqualTo(n);
    assertThat(bitmap.clearCount()).isZero();
    assertThat(bitmap.nextClearBit(0)).isEqualTo(-1);
    assertThat(bitmap.nextClearBit(n - 1)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(0)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(n - 1)).isEqualTo(-1);
    assertThat(bitmap.nextSetBit(n - 1)).isEqualTo(n - 1);
    assertThat(bitmap.randomClearBit(new SplittableRandom(1))).isEqualTo(-1);
    assertThatThrownBy(() -> bitmap.selectClear(0)).isInstanceOf(IndexOutOfBoundsException.class);
    bitmap.checkInvariants();

    assertThat(bitmap.clear(n - 1)).isTrue();
    assertThat(bitmap.clear(n - 1)).isFalse();
    assertThat(bitmap.nextClearBit(0)).isEqualTo(n - 1);
    assertThat(bitmap.nextClearBitWrapping(0)).isEqualTo(n - 1);
    assertThat(bitmap.nextClearBitWrapping(n - 1)).isEqualTo(n - 1);
    assertThat(bitmap.selectClear(0)).isEqualTo(n - 1);
    assertThat(bitmap.nextSetBit(n - 1)).isEqualTo(-1);
    assertThat(bitmap.randomClearBit(new SplittableRandom(1))).isEqualTo(n - 1);

    if (n > 1) {
      assertThat(bitmap.clear(0)).isTrue();
      assertThat(bitmap.nextClearBit(0)).isZero();
      assertThat(bitmap.nextClearBit(1)).isEqualTo(n - 1);
      assertThat(bitmap.nextSetBit(0)).isEqualTo(n == 2 ? -1 : 1);
      assertThat(bitmap.selectClear(0)).isZero();
      assertThat(bitmap.selectClear(1)).isEqualTo(n - 1);
      assertThat(bitmap.nextClearBitWrapping(n - 1)).isEqualTo(n - 1);
      assertThat(bitmap.nextClearBitWrapping(1)).isEqualTo(n - 1);
      assertThat(bitmap.nextClearBitWrapping(n)).isZero();
      assertThat(bitmap.clearCount()).isEqualTo(2);
    }
    bitmap.checkInvariants();
  }

  @Test
  void smallBitmapsAllocateSmallPages() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(65);
    long empty = bitmap.memoryBytesEstimate();
    bitmap.set(64);
    assertThat(bitmap.memoryBytesEstimate()).isLessThan(1024).isGreaterThan(empty);
    assertThat(bitmap.allocatedPages()).isEqualTo(1);
  }

  @Test
  void nextClearBitWrapping() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(100);
    for (long i = 10; i < 100; i++) {
      bitmap.set(i);
    }
    assertThat(bitmap.nextClearBitWrapping(50)).isZero();
    assertThat(bitmap.nextClearBitWrapping(3)).isEqualTo(3);
    for (long i = 0; i < 10; i++) {
      if (i != 5) {
        bitmap.set(i);
      }
    }
    assertThat(bitmap.nextClearBitWrapping(50)).isEqualTo(5);
    assertThat(bitmap.nextClearBitWrapping(99)).isEqualTo(5);
    assertThat(bitmap.nextClearBitWrapping(100)).isEqualTo(5);
    assertThat(bitmap.nextClearBitWrapping(6)).isEqualTo(5);
    assertThat(bitmap.nextClearBitWrapping(5)).isEqualTo(5);
    assertThat(bitmap.nextClearBitWrapping(0)).isEqualTo(5);
    bitmap.set(5);
    assertThat(bitmap.nextClearBitWrapping(50)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(0)).isEqualTo(-1);
    bitmap.clear(77);
    assertThat(bitmap.nextClearBitWrapping(78)).isEqualTo(77);
    assertThat(bitmap.nextClearBitWrapping(77)).isEqualTo(77);
    assertThat(bitmap.nextClearBitWrapping(0)).isEqualTo(77);
  }

  @Test
  void nextClearBitSkipsFullWordsBlocksAndPages() {
    long n = 3 * PAGE + 10;
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    for (long i = 0; i < 2 * PAGE + 4096 + 64 + 3; i++) {
      bitmap.set(i);
    }
    assertThat(bitmap.nextClearBit(0)).isEqualTo(2 * PAGE + 4096 + 64 + 3);
    assertThat(bitmap.nextClearBit(PAGE + 17)).isEqualTo(2 * PAGE + 4096 + 64 + 3);
    bitmap.clear(PAGE + 4096 * 7 + 64 * 5 + 1);
    assertThat(bitmap.nextClearBit(3)).isEqualTo(PAGE + 4096 * 7 + 64 * 5 + 1);
    assertThat(bitmap.nextSetBit(2 * PAGE + 4096 + 64 + 3)).isEqualTo(-1);
    bitmap.set(n - 1);
    assertThat(bitmap.nextSetBit(2 * PAGE + 4096 + 64 + 3)).isEqualTo(n - 1);
    bitmap.checkInvariants();
  }

  @Test
  void selectClearBoundaryRanks() {
    long n = PAGE + 100;
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    for (long i = 0; i < PAGE; i++) {
      bitmap.set(i);
    }
    long[] freed = {0, 63, 64, 4095, 4096, PAGE - 1};
    for (long i : freed) {
      bitmap.clear(i);
    }
    assertThat(bitmap.clearCount()).isEqualTo(freed.length + 100);
    for (int r = 0; r < freed.length; r++) {
      assertThat(bitmap.selectClear(r)).isEqualTo(freed[r]);
    }
    assertThat(bitmap.selectClear(freed.length)).isEqualTo(PAGE);
    assertThat(bitmap.selectClear(freed.length + 99)).isEqualTo(n - 1);
    assertThatThrownBy(() -> bitmap.selectClear(freed.length + 100))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining(String.valueOf(freed.length + 100));
    assertThatThrownBy(() -> bitmap.selectClear(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    bitmap.set(n - 1);
    assertThat(bitmap.selectClear(bitmap.clearCount() - 1)).isEqualTo(n - 2);
  }

  @Test
  void maximumCapacityIsLazy() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(MAX);
    assertThat(bitmap.capacity()).isEqualTo(1L << 32);
    assertThat(bitmap.memoryBytesEstimate()).isLessThan(512 * 1024);
    assertThat(bitmap.nextClearBit(MAX - 1)).isEqualTo(MAX - 1);
    assertThat(bitmap.selectClear(MAX - 1)).isEqualTo(MAX - 1);

    assertThat(bitmap.set(0)).isTrue();
    assertThat(bitmap.set(MAX - 1)).isTrue();
    assertThat(bitmap.set(MAX - 2)).isTrue();
    assertThat(bitmap.set(1L << 31)).isTrue();
    assertThat(bitmap.set(1L << 31)).isFalse();
    assertThat(bitmap.cardinality()).isEqualTo(4);
    assertThat(bitmap.clearCount()).isEqualTo(MAX - 4);
    assertThat(bitmap.allocatedPages()).isEqualTo(3);
    assertThat(bitmap.get(MAX - 1)).isTrue();
    assertThat(bitmap.get(MAX - 3)).isFalse();
    assertThatThrownBy(() -> bitmap.get(MAX)).isInstanceOf(IndexOutOfBoundsException.class);

    assertThat(bitmap.nextSetBit(1)).isEqualTo(1L << 31);
    assertThat(bitmap.nextSetBit((1L << 31) + 1)).isEqualTo(MAX - 2);
    assertThat(bitmap.nextClearBit(0)).isEqualTo(1);
    assertThat(bitmap.nextClearBit(MAX - 2)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(MAX - 2)).isEqualTo(1);
    assertThat(bitmap.selectClear(0)).isEqualTo(1);
    assertThat(bitmap.selectClear(bitmap.clearCount() - 1)).isEqualTo(MAX - 3);
    assertThat(bitmap.selectClear((1L << 31) - 1)).isEqualTo((1L << 31) + 1);

    // a few thousand bits at both far ends
    for (long i = 0; i < 3000; i++) {
      bitmap.set(i);
      bitmap.set(MAX - 1 - i);
    }
    assertThat(bitmap.cardinality()).isEqualTo(6001);
    assertThat(bitmap.allocatedPages()).isEqualTo(3);
    assertThat(bitmap.allocatedBlocks()).isEqualTo(3);
    assertThat(bitmap.memoryBytesEstimate()).isLessThan(1024 * 1024);
    assertThat(bitmap.nextClearBit(0)).isEqualTo(3000);
    assertThat(bitmap.nextClearBitWrapping(MAX - 3000)).isEqualTo(3000);
    assertThat(bitmap.selectClear(bitmap.clearCount() - 1)).isEqualTo(MAX - 3001);
    long r = bitmap.randomClearBit(new SplittableRandom(5));
    assertThat(bitmap.get(r)).isFalse();
    bitmap.checkInvariants();
  }

  @Test
  void scatteredBitsInTheMaximumCapacityAllocateOnlyTheirBlocks() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(MAX);
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < 3000; i++) {
      bitmap.set(bitmap.randomClearBit(random));
    }
    assertThat(bitmap.cardinality()).isEqualTo(3000);
    assertThat(bitmap.allocatedBlocks()).isLessThanOrEqualTo(3000);
    assertThat(bitmap.memoryBytesEstimate()).isLessThan(4L * 1024 * 1024);
    bitmap.checkInvariants();
  }

  @Test
  void blocksInsideAPageAreAllocatedLazily() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(PAGE);
    bitmap.set(5);
    bitmap.set(PAGE - 1);
    assertThat(bitmap.allocatedPages()).isEqualTo(1);
    assertThat(bitmap.allocatedBlocks()).isEqualTo(2);
    assertThat(bitmap.memoryBytesEstimate()).isLessThan(4096);
    assertThat(bitmap.nextClearBit(5)).isEqualTo(6);
    assertThat(bitmap.nextSetBit(6)).isEqualTo(PAGE - 1);
    assertThat(bitmap.selectClear(4095)).isEqualTo(4096);
  }

  @Test
  void maximumCapacitySkipsManyFullPages() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(MAX);
    // Fill the first 200 pages and the last one: the first clear bit is after them.
    for (long i = 0; i < 200 * PAGE; i++) {
      bitmap.set(i);
    }
    for (long i = MAX - PAGE; i < MAX; i++) {
      bitmap.set(i);
    }
    assertThat(bitmap.nextClearBit(0)).isEqualTo(200 * PAGE);
    assertThat(bitmap.nextClearBit(MAX - PAGE)).isEqualTo(-1);
    assertThat(bitmap.nextClearBitWrapping(MAX - PAGE)).isEqualTo(200 * PAGE);
    assertThat(bitmap.selectClear(0)).isEqualTo(200 * PAGE);
    assertThat(bitmap.selectClear(bitmap.clearCount() - 1)).isEqualTo(MAX - PAGE - 1);
    assertThat(bitmap.nextSetBit(200 * PAGE)).isEqualTo(MAX - PAGE);
  }

  @Test
  void toStringShowsCapacityAndCardinality() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(10);
    bitmap.set(3);
    assertThat(bitmap).hasToString("HierarchicalBitmap[capacity=10, cardinality=1]");
  }
}
