package dev.ipam.internal.bits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HierarchicalBitmapRandomClearBitTest {

  @Test
  void uniformOverTheTenClearBitsOfANearlyFullBitmap() {
    long[] clearBits = {0, 1, 63, 64, 127, 128, 500, 777, 998, 999};
    HierarchicalBitmap bitmap = fullBitmapExcept(1000, clearBits);

    Map<Long, Integer> hits = drawMany(bitmap, new SplittableRandom(20_240_607L), 100_000);

    assertThat(hits.keySet()).containsExactlyInAnyOrder(box(clearBits));
    for (long bit : clearBits) {
      assertThat(hits.get(bit)).as("hits of bit %d", bit).isBetween(8_500, 11_500);
    }
  }

  @Test
  void uniformWhenOnlyTheSelectFallbackCanFindTheClearBits() {
    // 10 clear bits in 2^20: the 32 probes almost never hit, so selectClear does the work.
    long[] clearBits = {0, 4095, 4096, 262_143, 262_144, 300_001, 524_288, 777_777,
        1_048_574, 1_048_575};
    HierarchicalBitmap bitmap = fullBitmapExcept(1 << 20, clearBits);

    Map<Long, Integer> hits = drawMany(bitmap, new SplittableRandom(7), 50_000);

    assertThat(hits.keySet()).containsExactlyInAnyOrder(box(clearBits));
    for (long bit : clearBits) {
      assertThat(hits.get(bit)).as("hits of bit %d", bit).isBetween(4_000, 6_000);
    }
  }

  @Test
  void uniformOnAHalfFullBitmapWhereProbesDoTheWork() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(20);
    for (long i = 0; i < 20; i += 2) {
      bitmap.set(i);
    }
    Map<Long, Integer> hits = drawMany(bitmap, new SplittableRandom(11), 100_000);
    assertThat(hits).hasSize(10);
    hits.forEach((bit, count) -> {
      assertThat(bit % 2).isEqualTo(1);
      assertThat(count).as("hits of bit %d", bit).isBetween(8_500, 11_500);
    });
  }

  @Test
  void findsTheClearBitsOfA99point999PercentFullBitmapOf2to22Bits() {
    long n = 1L << 22;
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    for (long i = 0; i < n; i++) {
      bitmap.set(i);
    }
    SplittableRandom random = new SplittableRandom(99);
    Set<Long> clear = new HashSet<>();
    while (clear.size() < 42) { // 0.001 % of 2^22
      long i = random.nextLong(n);
      if (bitmap.clear(i)) {
        clear.add(i);
      }
    }
    assertThat(bitmap.clearCount()).isEqualTo(42);

    Set<Long> seen = new HashSet<>();
    for (int draw = 0; draw < 20_000; draw++) {
      long r = bitmap.randomClearBit(random);
      assertThat(clear).as("draw %d returned %d", draw, r).contains(r);
      seen.add(r);
    }
    assertThat(seen).isEqualTo(clear);

    long first = clear.stream().mapToLong(Long::longValue).min().orElseThrow();
    assertThat(bitmap.nextClearBit(0)).isEqualTo(first);
    assertThat(bitmap.nextClearBitWrapping(n - 1)).isIn(clear);
  }

  @Test
  void neverReturnsASetBitAndReturnsMinusOneWhenFull() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(4097);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 4097; i++) {
      long r = bitmap.randomClearBit(random);
      assertThat(r).isBetween(0L, 4096L);
      assertThat(bitmap.set(r)).as("returned bit %d was clear", r).isTrue();
    }
    assertThat(bitmap.clearCount()).isZero();
    assertThat(bitmap.randomClearBit(random)).isEqualTo(-1);
  }

  @Test
  void rejectsNullRandom() {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(10);
    assertThatThrownBy(() -> bitmap.randomClearBit(null)).isInstanceOf(NullPointerException.class);
  }

  private static HierarchicalBitmap fullBitmapExcept(long n, long... clearBits) {
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    for (long i = 0; i < n; i++) {
      bitmap.set(i);
    }
    for (long bit : clearBits) {
      assertThat(bitmap.clear(bit)).isTrue();
    }
    return bitmap;
  }

  private static Map<Long, Integer> drawMany(HierarchicalBitmap bitmap, SplittableRandom random,
      int draws) {
    Map<Long, Integer> hits = new HashMap<>();
    for (int i = 0; i < draws; i++) {
      long r = bitmap.randomClearBit(random);
      assertThat(bitmap.get(r)).as("draw %d returned set bit %d", i, r).isFalse();
      hits.merge(r, 1, Integer::sum);
    }
    return hits;
  }

  private static Long[] box(long[] values) {
    Long[] boxed = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return boxed;
  }
}
