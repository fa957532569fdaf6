package dev.ipam.bench.jmh;

import dev.ipam.internal.bits.HierarchicalBitmap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Diagnostic: the occupancy bitmap alone (ipam-core's {@code HierarchicalBitmap}, an internal
 * class), without the engine, the allocation records or a store. Same shape as
 * {@link AllocateBenchmark}: {@value #BITS} bits (a /10 minus network and broadcast), scattered
 * fill of {@code fill} %, and one operation = find a clear bit with the strategy's search + set it +
 * clear a uniformly chosen set bit. {@link #searchOnly} runs the strategy's search alone on the
 * unchanging bitmap (NEXT_FIT from a uniformly random start). Together they tell whether the search
 * itself depends on the fill, or the memory traffic of touching a large structure at random.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class BitmapBenchmark {

    static final long BITS = (1L << 22) - 2;

    @Param({"0", "50", "99"})
    public double fill;

    /** LOWEST = nextClearBit(0), NEXT_FIT = nextClearBitWrapping(cursor + 1), RANDOM = randomClearBit. */
    @Param({"LOWEST", "NEXT_FIT", "RANDOM"})
    public String search;

    private HierarchicalBitmap bits;
    private long[] live;
    private long cursor = -1;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() {
        bits = new HierarchicalBitmap(BITS);
        int count = (int) Math.max(Math.round(BITS * fill / 100.0), AllocateBenchmark.MIN_LIVE);
        live = new long[count];
        SplittableRandom fillRandom = new SplittableRandom(7);
        for (int i = 0; i < count; i++) {
            long b = bits.randomClearBit(fillRandom);
            bits.set(b);
            live[i] = b;
        }
    }

    @Benchmark
    public long findSetAndClear() {
        long b;
        switch (search) {
            case "LOWEST" -> b = bits.nextClearBit(0);
            case "NEXT_FIT" -> b = bits.nextClearBitWrapping(cursor + 1 >= BITS ? 0 : cursor + 1);
            case "RANDOM" -> b = bits.randomClearBit(random);
            default -> throw new IllegalStateException(search);
        }
        cursor = b;
        bits.set(b);
        int victim = random.nextInt(live.length);
        bits.clear(live[victim]);
        live[victim] = b;
        return b;
    }

    @Benchmark
    public long searchOnly() {
        return switch (search) {
            case "LOWEST" -> bits.nextClearBit(0);
            case "NEXT_FIT" -> bits.nextClearBitWrapping(random.nextLong(BITS));
            case "RANDOM" -> bits.randomClearBit(random);
            default -> throw new IllegalStateException(search);
        };
    }
}
