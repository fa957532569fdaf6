package dev.ipam.bench.jmh;

import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.bench.Fixtures;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Allocate alone (no release in the measured code), same pool, fills and strategies as
 * {@link AllocateBenchmark}.
 *
 * <p>Each benchmark invocation allocates a batch of {@value #BATCH} addresses (0.39 % of the /10)
 * and counts as {@value #BATCH} operations; before each invocation, outside the measured time
 * ({@code @Setup(Level.Invocation)}), the previous batch is released. So the fill moves between
 * the target and target + 0.39 % and returns to the target before every batch. An invocation lasts
 * milliseconds, so JMH's per-invocation timestamps cost nothing measurable.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class AllocateOnlyBenchmark {

    static final int BATCH = 16_384;
    static final String POOL = "slash10";

    @Param({"0", "50", "99"})
    public double fill;

    @Param({"LOWEST", "NEXT_FIT", "RANDOM"})
    public Strategy strategy;

    /**
     * {@code in-memory} ({@link dev.ipam.InMemoryStore}, the measured configuration) or
     * {@code discard} (diagnostic, {@code -p store=discard}: every commit is dropped, which
     * measures the engine alone).
     */
    @Param({"in-memory"})
    public String store;

    private Ipam ipam;
    private IpamSession session;
    private AllocationRequest[] requests;
    private int nextRequest;
    private final IpAddress[] batch = new IpAddress[BATCH];
    private int inBatch;

    @Setup(Level.Trial)
    public void setUp() {
        ipam = switch (store) {
            case "in-memory" -> Fixtures.inMemoryIpam();
            case "discard" -> Fixtures.ipam(Fixtures.discardingStore());
            default -> throw new IllegalArgumentException("store must be in-memory or discard, was '" + store + "'");
        };
        session = ipam.as(Fixtures.CALLER);
        Fixtures.createPool(session, POOL, AllocateBenchmark.CIDR);
        long capacity = Fixtures.capacity(session, POOL);
        Fixtures.fillRandom(session, POOL, Fixtures.countForFill(capacity, fill));
        requests = Fixtures.requests(POOL, strategy, Fixtures.OWNERS);
        FillCheck.report(session, POOL, fill, "after setup");
    }

    @Setup(Level.Invocation)
    public void releaseBatch() {
        for (int i = 0; i < inBatch; i++) {
            session.release(POOL, batch[i]);
            batch[i] = null;
        }
        inBatch = 0;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public IpAddress allocate() {
        IpAddress last = null;
        for (int i = 0; i < BATCH; i++) {
            last = session.allocate(requests[nextRequest]).address();
            nextRequest = (nextRequest + 1) & (Fixtures.OWNERS - 1);
            batch[inBatch++] = last;
        }
        return last;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        releaseBatch();
        FillCheck.report(session, POOL, fill, "after measurement");
        ipam.close();
    }
}
