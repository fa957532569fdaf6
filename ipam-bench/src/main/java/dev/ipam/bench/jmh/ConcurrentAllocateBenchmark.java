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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * {@value #THREADS} threads allocating and releasing over one {@link dev.ipam.InMemoryStore}:
 * {@link #separatePools} gives each thread its own /16 pool (pool lock uncontended; the commit
 * pipeline and the store are still shared), {@link #sharedPool} puts every thread in one /13.
 *
 * <p>One operation = one allocate + one release of a uniformly chosen address from the thread's
 * own {@value #LIVE_PER_THREAD} live allocations (the count never changes). The score is the sum
 * over all threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(ConcurrentAllocateBenchmark.THREADS)
public class ConcurrentAllocateBenchmark {

    static final int THREADS = 8;
    static final int LIVE_PER_THREAD = 1024;
    static final String SHARED_POOL = "shared";

    static String ownPool(int thread) {
        return "own-" + thread;
    }

    /** The engine and its pools, shared by all threads. */
    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"LOWEST", "RANDOM"})
        public Strategy strategy;

        Ipam ipam;
        IpamSession session;

        @Setup(Level.Trial)
        public void setUp() {
            ipam = Fixtures.inMemoryIpam();
            session = ipam.as(Fixtures.CALLER);
            for (int t = 0; t < THREADS; t++) {
                Fixtures.createPool(session, ownPool(t), Fixtures.ipv4Cidr(16, t));
            }
            Fixtures.createPool(session, SHARED_POOL, Fixtures.ipv4Cidr(13, 1));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ipam.close();
        }
    }

    /** One thread's pool, requests and live addresses. */
    @State(Scope.Thread)
    public static class Worker {
        String ownPool;
        AllocationRequest[] ownRequests;
        AllocationRequest[] sharedRequests;
        IpAddress[] ownLive;
        IpAddress[] sharedLive;
        int next;
        SplittableRandom random;

        @Setup(Level.Trial)
        public void setUp(Engine engine, ThreadParams threadParams) {
            int index = threadParams.getThreadIndex();
            random = new SplittableRandom(index);
            ownPool = ownPool(index);
            ownRequests = Fixtures.requests(ownPool, engine.strategy, Fixtures.OWNERS);
            sharedRequests = Fixtures.requests(SHARED_POOL, engine.strategy, Fixtures.OWNERS);
            ownLive = Fixtures.fillRandom(engine.session, ownPool, LIVE_PER_THREAD);
            sharedLive = Fixtures.fillRandom(engine.session, SHARED_POOL, LIVE_PER_THREAD);
        }
    }

    @Benchmark
    public IpAddress separatePools(Engine engine, Worker w) {
        return allocateAndRelease(engine.session, w.ownPool, w.ownRequests, w.ownLive, w);
    }

    @Benchmark
    public IpAddress sharedPool(Engine engine, Worker w) {
        return allocateAndRelease(engine.session, SHARED_POOL, w.sharedRequests, w.sharedLive, w);
    }

    private static IpAddress allocateAndRelease(IpamSession session, String pool, AllocationRequest[] requests,
            IpAddress[] live, Worker w) {
        IpAddress allocated = session.allocate(requests[w.next]).address();
        w.next = (w.next + 1) & (Fixtures.OWNERS - 1);
        int victim = w.random.nextInt(live.length);
        IpAddress released = live[victim];
        live[victim] = allocated;
        session.release(pool, released);
        return allocated;
    }
}
