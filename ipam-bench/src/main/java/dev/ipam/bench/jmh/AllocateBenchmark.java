package dev.ipam.bench.jmh;

import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.bench.Fixtures;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-threaded allocation from an IPv4 /10 (4,194,302 usable addresses) pre-filled to
 * {@code fill} % with a uniformly scattered pattern, for each strategy, over an
 * {@link dev.ipam.InMemoryStore}.
 *
 * <p><b>One operation = one allocate + one release.</b> The pool keeps a fixed set of live
 * addresses (the pre-fill, at least {@value #MIN_LIVE}); each operation allocates one address with
 * the strategy under test, releases a uniformly chosen live address and puts the new one in its
 * place. The number of allocations therefore never changes during measurement (the fill stays
 * exactly at the target, never 1 address off), and the released addresses keep the scattered
 * pattern. Allocations per second equal operations per second; each operation also pays for one
 * release (two store commits in total). {@link AllocateOnlyBenchmark} measures allocate alone.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class AllocateBenchmark {

    /** Live addresses kept even at 0 % fill, so that there is something to release. */
    static final int MIN_LIVE = 1024;
    static final String POOL = "slash10";
    static final String CIDR = "10.0.0.0/10";

    /** Fill of the /10 in percent. */
    @Param({"0", "50", "99"})
    public double fill;

    @Param({"LOWEST", "NEXT_FIT", "RANDOM"})
    public Strategy strategy;

    private Ipam ipam;
    private IpamSession session;
    private IpAddress[] live;
    private AllocationRequest[] requests;
    private int nextRequest;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() {
        ipam = Fixtures.inMemoryIpam();
        session = ipam.as(Fixtures.CALLER);
        Fixtures.createPool(session, POOL, CIDR);
        long capacity = Fixtures.capacity(session, POOL);
        long target = Math.max(Fixtures.countForFill(capacity, fill), MIN_LIVE);
        live = Fixtures.fillRandom(session, POOL, target);
        requests = Fixtures.requests(POOL, strategy, Fixtures.OWNERS);
        FillCheck.report(session, POOL, fill, "after setup");
    }

    @Benchmark
    public IpAddress allocateAndRelease() {
        IpAddress allocated = session.allocate(requests[nextRequest]).address();
        nextRequest = (nextRequest + 1) & (Fixtures.OWNERS - 1);
        int victim = random.nextInt(live.length);
        IpAddress released = live[victim];
        live[victim] = allocated;
        session.release(POOL, released);
        return allocated;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        FillCheck.report(session, POOL, fill, "after measurement");
        ipam.close();
    }
}
