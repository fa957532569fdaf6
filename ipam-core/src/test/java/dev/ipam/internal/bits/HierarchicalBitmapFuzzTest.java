package dev.ipam.internal.bits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Model-based fuzzing: random operation sequences are applied both to a {@link HierarchicalBitmap}
 * and to a {@link BitSet} model, and every result is compared after every step, together with the
 * bitmap's internal counts and masks ({@link HierarchicalBitmap#checkInvariants()}).
 */
class HierarchicalBitmapFuzzTest {

  private static final long PAGE = HierarchicalBitmap.PAGE_BITS;

  enum Kind {
    SET, CLEAR, GET, SET_RANGE, CLEAR_RANGE, NEXT_CLEAR, NEXT_SET, NEXT_CLEAR_WRAPPING,
    SELECT_CLEAR, RANDOM_CLEAR, CARDINALITY
  }

  /** Initial content before the operations run. */
  enum Fill { EMPTY, FULL, SPARSE, HALF, DENSE }

  record Op(Kind kind, long index, long length) {}

  record Scenario(long capacity, Fill fill, long seed, List<Op> ops) {}

  @Property(tries = 200)
  void behavesLikeBitSet(@ForAll("scenarios") Scenario scenario) {
    long n = scenario.capacity();
    HierarchicalBitmap bitmap = new HierarchicalBitmap(n);
    BitSet model = new BitSet();
    fill(bitmap, model, scenario);
    bitmap.checkInvariants();

    int step = 0;
    for (Op op : scenario.ops()) {
      String where = "step " + step++ + " " + op + " capacity " + n;
      apply(bitmap, model, op, where);
      assertThat(bitmap.cardinality()).as(where).isEqualTo(model.cardinality());
      assertThat(bitmap.clearCount()).as(where).isEqualTo(n - model.cardinality());
      bitmap.checkInvariants();
    }
    compareEverything(bitmap, model);
  }

  @Property(tries = 1000)
  void selectInWordMatchesNaiveSelect(@ForAll long word) {
    int rank = 0;
    for (int bit = 0; bit < 64; bit++) {
      if ((word & (1L << bit)) != 0) {
        assertThat(HierarchicalBitmap.selectInWord(word, rank)).as("rank %d", rank).isEqualTo(bit);
        rank++;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // generators

  @Provide
  @SuppressWarnings("unchecked")
  Arbitrary<Scenario> scenarios() {
    Arbitrary<Long> capacities = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.longs().between(1, 200)),
        Tuple.of(3, Arbitraries.of(1L, 2L, 63L, 64L, 65L, 127L, 128L, 4095L, 4096L, 4097L, 8191L,
            8193L, PAGE - 1, PAGE, PAGE + 1, PAGE + 64, PAGE + 4097, 2 * PAGE, 300_000L)),
        Tuple.of(1, Arbitraries.longs().between(PAGE - 200, PAGE + 200)),
        Tuple.of(3, Arbitraries.longs().between(1, 300_000)));
    return capacities.flatMap(n -> Combinators.combine(
            Arbitraries.of(Fill.class),
            Arbitraries.longs(),
            ops(n).list().ofMaxSize(80))
        .as((fill, seed, ops) -> new Scenario(n, fill, seed, ops)));
  }

  @SuppressWarnings("unchecked")
  private static Arbitrary<Op> ops(long n) {
    Arbitrary<Kind> kinds = Arbitraries.frequency(
        Tuple.of(10, Kind.SET),
        Tuple.of(6, Kind.CLEAR),
        Tuple.of(3, Kind.GET),
        Tuple.of(3, Kind.SET_RANGE),
        Tuple.of(2, Kind.CLEAR_RANGE),
        Tuple.of(6, Kind.NEXT_CLEAR),
        Tuple.of(5, Kind.NEXT_SET),
        Tuple.of(5, Kind.NEXT_CLEAR_WRAPPING),
        Tuple.of(5, Kind.SELECT_CLEAR),
        Tuple.of(3, Kind.RANDOM_CLEAR),
        Tuple.of(1, Kind.CARDINALITY));
    Arbitrary<Long> lengths = Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.longs().between(1, 100)),
        Tuple.of(3, Arbitraries.longs().between(1, 5000)),
        Tuple.of(1, Arbitraries.longs().between(1, 300_000)));
    return Combinators.combine(kinds, indexes(n), lengths).as(Op::new);
  }

  /** Indexes in [0, n], biased to word, block and page boundaries and to both ends. */
  @SuppressWarnings("unchecked")
  private static Arbitrary<Long> indexes(long n) {
    Arbitrary<Long> uniform = Arbitraries.longs().between(0, n - 1);
    Arbitrary<Long> boundaries = Arbitraries.of(64L, 4096L, PAGE).flatMap(unit ->
        Combinators.combine(
                Arbitraries.longs().between(0, n / unit + 1),
                Arbitraries.longs().between(-2, 2))
            .as((multiple, offset) -> clamp(multiple * unit + offset, n)));
    Arbitrary<Long> ends = Arbitraries.of(0L, 1L, n - 65, n - 64, n - 2, n - 1, n)
        .map(i -> Math.max(0, Math.min(n, i)));
    return Arbitraries.frequencyOf(Tuple.of(4, uniform), Tuple.of(4, boundaries), Tuple.of(1, ends));
  }

  private static long clamp(long index, long n) {
    return Math.max(0, Math.min(n - 1, index));
  }

  // ---------------------------------------------------------------------------------------------
  // execution against the model

  private static void fill(HierarchicalBitmap bitmap, BitSet model, Scenario scenario) {
    double probability = switch (scenario.fill()) {
      case EMPTY -> 0;
      case SPARSE -> 0.01;
      case HALF -> 0.5;
      case DENSE -> 0.999;
      case FULL -> 1;
    };
    if (probability == 0) {
      return;
    }
    SplittableRandom random = new SplittableRandom(scenario.seed());
    for (long i = 0; i < scenario.capacity(); i++) {
      if (probability == 1 || random.nextDouble() < probability) {
        assertThat(bitmap.set(i)).isTrue();
        model.set((int) i);
      }
    }
  }

  private static void apply(HierarchicalBitmap bitmap, BitSet model, Op op, String where) {
    long n = bitmap.capacity();
    long from = op.index(); // in [0, n]
    long inRange = Math.min(from, n - 1);
    switch (op.kind()) {
      case SET -> assertThat(bitmap.set(inRange)).as(where).isEqualTo(modelSet(model, inRange));
      case CLEAR -> assertThat(bitmap.clear(inRange)).as(where)
          .isEqualTo(modelClear(model, inRange));
      case GET -> assertThat(bitmap.get(inRange)).as(where).isEqualTo(model.get((int) inRange));
      case SET_RANGE -> {
        long to = Math.min(n, inRange + op.length());
        for (long i = inRange; i < to; i++) {
          assertThat(bitmap.set(i)).as(where).isEqualTo(modelSet(model, i));
        }
      }
      case CLEAR_RANGE -> {
        long to = Math.min(n, inRange + op.length());
        for (long i = inRange; i < to; i++) {
          assertThat(bitmap.clear(i)).as(where).isEqualTo(modelClear(model, i));
        }
      }
      case NEXT_CLEAR -> assertThat(bitmap.nextClearBit(from)).as(where)
          .isEqualTo(modelNextClear(model, n, from));
      case NEXT_SET -> assertThat(bitmap.nextSetBit(from)).as(where)
          .isEqualTo(modelNextSet(model, n, from));
      case NEXT_CLEAR_WRAPPING -> assertThat(bitmap.nextClearBitWrapping(from)).as(where)
          .isEqualTo(modelNextClearWrapping(model, n, from));
      case SELECT_CLEAR -> checkSelect(bitmap, model, op.index(), where);
      case RANDOM_CLEAR -> {
        long r = bitmap.randomClearBit(new SplittableRandom(op.index() * 31 + op.length()));
        if (model.cardinality() == n) {
          assertThat(r).as(where).isEqualTo(-1);
        } else {
          assertThat(r).as(where).isBetween(0L, n - 1);
          assertThat(model.get((int) r)).as(where + " returned " + r).isFalse();
        }
      }
      case CARDINALITY -> {
        assertThat(bitmap.cardinality()).as(where).isEqualTo(model.cardinality());
        assertThat(bitmap.clearCount()).as(where).isEqualTo(n - model.cardinality());
      }
    }
  }

  private static void checkSelect(HierarchicalBitmap bitmap, BitSet model, long seed,
      String where) {
    long clear = bitmap.capacity() - model.cardinality();
    assertThatThrownBy(() -> bitmap.selectClear(clear)).as(where)
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> bitmap.selectClear(-1)).as(where)
        .isInstanceOf(IndexOutOfBoundsException.class);
    if (clear == 0) {
      assertThatThrownBy(() -> bitmap.selectClear(0)).as(where)
          .isInstanceOf(IndexOutOfBoundsException.class);
      return;
    }
    for (long rank : new long[] {0, clear - 1, seed % clear}) {
      assertThat(bitmap.selectClear(rank)).as(where + " rank " + rank)
          .isEqualTo(modelSelectClear(model, bitmap.capacity(), rank));
    }
  }

  /** After the operations: every set bit, every clear bit, and for small bitmaps every start. */
  private static void compareEverything(HierarchicalBitmap bitmap, BitSet model) {
    long n = bitmap.capacity();
    long expectedSet = modelNextSet(model, n, 0);
    long actualSet = bitmap.nextSetBit(0);
    while (true) {
      assertThat(actualSet).as("set-bit walk").isEqualTo(expectedSet);
      if (actualSet < 0) {
        break;
      }
      expectedSet = modelNextSet(model, n, expectedSet + 1);
      actualSet = bitmap.nextSetBit(actualSet + 1);
    }
    long expectedClear = modelNextClear(model, n, 0);
    long actualClear = bitmap.nextClearBit(0);
    while (true) {
      assertThat(actualClear).as("clear-bit walk").isEqualTo(expectedClear);
      if (actualClear < 0) {
        break;
      }
      expectedClear = modelNextClear(model, n, expectedClear + 1);
      actualClear = bitmap.nextClearBit(actualClear + 1);
    }
    if (n <= 5000) {
      for (long i = 0; i <= n; i++) {
        assertThat(bitmap.nextClearBit(i)).as("nextClearBit(%d)", i)
            .isEqualTo(modelNextClear(model, n, i));
        assertThat(bitmap.nextSetBit(i)).as("nextSetBit(%d)", i)
            .isEqualTo(modelNextSet(model, n, i));
        assertThat(bitmap.nextClearBitWrapping(i)).as("nextClearBitWrapping(%d)", i)
            .isEqualTo(modelNextClearWrapping(model, n, i));
      }
      long rank = 0;
      for (int i = model.nextClearBit(0); i < n; i = model.nextClearBit(i + 1)) {
        assertThat(bitmap.selectClear(rank)).as("selectClear(%d)", rank).isEqualTo(i);
        rank++;
      }
      assertThat(rank).isEqualTo(bitmap.clearCount());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // model (BitSet) versions of each query

  private static boolean modelSet(BitSet model, long i) {
    boolean wasClear = !model.get((int) i);
    model.set((int) i);
    return wasClear;
  }

  private static boolean modelClear(BitSet model, long i) {
    boolean wasSet = model.get((int) i);
    model.clear((int) i);
    return wasSet;
  }

  private static long modelNextClear(BitSet model, long n, long from) {
    if (from >= n) {
      return -1;
    }
    long r = model.nextClearBit((int) from);
    return r < n ? r : -1;
  }

  private static long modelNextSet(BitSet model, long n, long from) {
    return from >= n ? -1 : model.nextSetBit((int) from);
  }

  private static long modelNextClearWrapping(BitSet model, long n, long from) {
    long r = modelNextClear(model, n, from);
    if (r >= 0) {
      return r;
    }
    r = modelNextClear(model, n, 0);
    return r >= 0 && r < from ? r : -1;
  }

  /** Straightforward select: skip whole words by count, then walk the bits of one word. */
  private static long modelSelectClear(BitSet model, long n, long rank) {
    long[] words = model.toLongArray();
    long remaining = rank;
    for (long base = 0; base < n; base += 64) {
      int wi = (int) (base >>> 6);
      long word = wi < words.length ? words[wi] : 0;
      int usable = (int) Math.min(64, n - base);
      int clearInWord = usable - Long.bitCount(usable == 64 ? word : word & ((1L << usable) - 1));
      if (remaining >= clearInWord) {
        remaining -= clearInWord;
        continue;
      }
      for (int bit = 0; bit < usable; bit++) {
        if ((word & (1L << bit)) == 0 && remaining-- == 0) {
          return base + bit;
        }
      }
    }
    throw new AssertionError("model has fewer than " + (rank + 1) + " clear bits");
  }
}
