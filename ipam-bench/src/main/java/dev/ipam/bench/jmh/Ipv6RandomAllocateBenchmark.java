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
 * {@link Strategy#RANDOM} in an IPv6 /64 (2^64 addresses, so "empty" at any realistic count) that
 * holds {@code live} allocations. One operation = one allocate + one release, exactly as in
 * {@link AllocateBenchmark}: the number of live allocations stays constant.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class Ipv6RandomAllocateBenchmark {

    static final String POOL = "v6slash64";

    /** Live allocations in the /64. */
    @Param({"1024", "1000000"})
    public int live;

    private Ipam ipam;
    private IpamSession session;
    private IpAddress[] addresses;
    private AllocationRequest[] requests;
    private int nextRequest;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void setUp() {
        ipam = Fixtures.inMemoryIpam();
        session = ipam.as(Fixtures.CALLER);
        Fixtures.createPool(session, POOL, "2001:db8:1:2::/64");
        addresses = Fixtures.fillRandom(session, POOL, live);
        requests = Fixtures.requests(POOL, Strategy.RANDOM, Fixtures.OWNERS);
    }

    @Benchmark
    public IpAddress allocateAndRelease() {
        IpAddress allocated = session.allocate(requests[nextRequest]).address();
        nextRequest = (nextRequest + 1) & (Fixtures.OWNERS - 1);
        int victim = random.nextInt(addresses.length);
        IpAddress released = addresses[victim];
        addresses[victim] = allocated;
        session.release(POOL, released);
        return allocated;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%n[live] pool %s: %d allocated%n", POOL, session.usage(POOL).allocated());
        ipam.close();
    }
}
