package dev.ipam.bench.scenario;

import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.bench.Fixtures;
import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.bench.UsageException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;

/**
 * Allocation throughput and latency over an {@link dev.ipam.InMemoryStore}, with one or more
 * threads.
 *
 * <p>Set-up: an IPv4 pool of {@code --prefix} (one shared pool, or one per thread with
 * {@code --pools per-thread}) is pre-filled to {@code --fill} % with {@link Strategy#RANDOM}
 * (scattered). Each thread owns a share of the live addresses (at least {@code --min-live}).
 *
 * <p><b>One operation = one allocate (with {@code --strategy}) + one release</b> of a uniformly
 * chosen address the thread owns; the new address takes its place, so the fill stays constant. Each
 * thread runs {@code --warmup-ops} unmeasured operations, then all threads start together and run
 * {@code --ops} measured operations each. Both calls are timed one by one with
 * {@link System#nanoTime()}.
 */
public final class AllocateThroughputScenario implements Scenario {

    public static final String NAME = "allocate-throughput";

    /** Pool layout. */
    public enum Pools { SHARED, PER_THREAD }

    /** The store behind the engine. */
    public enum StoreKind { IN_MEMORY, DISCARD }

    /** Which address an operation releases. */
    public enum Release { RANDOM, RECENT }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "in-memory allocate+release throughput and latency, 1..N threads, pool pre-filled to --fill %";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("threads", "1", "threads allocating at once"),
                new OptionSpec("ops", "1000000", "measured operations (allocate + release) per thread"),
                new OptionSpec("warmup-ops", "300000", "unmeasured operations per thread before measuring"),
                new OptionSpec("fill", "0", "pool fill in percent (0 to 99.9), held constant while measuring"),
                new OptionSpec("strategy", "LOWEST", "LOWEST, NEXT_FIT or RANDOM"),
                new OptionSpec("prefix", "10", "IPv4 prefix length of each pool (8 to 24)"),
                new OptionSpec("pools", "shared", "shared (one pool for all threads) or per-thread"),
                new OptionSpec("min-live", "1024", "live allocations per thread at least (so 0 % fill has some)"),
                new OptionSpec("owners", String.valueOf(Fixtures.OWNERS), "distinct owners the requests cycle through"),
                new OptionSpec("store", "in-memory", "in-memory (InMemoryStore) or discard (diagnostic: commits dropped)"),
                new OptionSpec("journal-limit", String.valueOf(Fixtures.JOURNAL_LIMIT),
                        "journal entries the InMemoryStore keeps; 0 = keep all (its memory then grows with every change)"),
                new OptionSpec("release", "random", "random: release any live address of the thread; recent (diagnostic):"
                        + " release the thread's allocation made --min-live operations ago, so the pre-fill stays put"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        int threads = o.intValue("threads", 1, 256);
        int ops = o.intValue("ops", 1, 50_000_000);
        int warmupOps = o.intValue("warmup-ops", 0, 50_000_000);
        double fill = o.doubleValue("fill", 0, 99.9);
        Strategy strategy = o.enumValue("strategy", Strategy.class);
        if (strategy != Strategy.LOWEST && strategy != Strategy.NEXT_FIT && strategy != Strategy.RANDOM) {
            throw new UsageException("Option --strategy must be LOWEST, NEXT_FIT or RANDOM, got " + strategy);
        }
        int prefix = o.intValue("prefix", 8, 24);
        Pools layout = o.enumValue("pools", Pools.class);
        int minLive = o.intValue("min-live", 1, 1_000_000);
        int owners = o.intValue("owners", 1, 10_000_000);
        StoreKind storeKind = o.enumValue("store", StoreKind.class);
        Release release = o.enumValue("release", Release.class);
        int journalLimit = o.intValue("journal-limit", 0, Integer.MAX_VALUE);

        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", storeKind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .parameter("op", "allocate+release")
                .parameter("threads", threads)
                .parameter("ops_per_thread", ops)
                .parameter("warmup_ops_per_thread", warmupOps)
                .parameter("fill_pct", fill)
                .parameter("strategy", strategy)
                .parameter("pool_prefix", "/" + prefix)
                .parameter("pools", layout.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .parameter("min_live_per_thread", minLive)
                .parameter("owners", owners)
                .parameter("journal_limit", storeKind == StoreKind.IN_MEMORY ? (Object) journalLimit : null)
                .parameter("release", release.name().toLowerCase(java.util.Locale.ROOT))
                .parameter("fill_pattern", "random")
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());

        try (Ipam ipam = Fixtures.ipam(storeKind == StoreKind.DISCARD ? Fixtures.discardingStore()
                : Fixtures.inMemoryStore(journalLimit))) {
            IpamSession session = ipam.as(Fixtures.CALLER);
            int poolCount = layout == Pools.SHARED ? 1 : threads;
            String[] poolNames = new String[poolCount];
            IpAddress[][] prefilled = new IpAddress[poolCount][];
            long setUpStart = System.nanoTime();
            for (int p = 0; p < poolCount; p++) {
                poolNames[p] = "tp-" + p;
                Fixtures.createPool(session, poolNames[p], Fixtures.ipv4Cidr(prefix, p));
                long capacity = Fixtures.capacity(session, poolNames[p]);
                long count = Fixtures.countForFill(capacity, fill);
                long threadsInPool = layout == Pools.SHARED ? threads : 1;
                if (Math.max(count, (long) minLive * threadsInPool) >= capacity) {
                    throw new UsageException("A /" + prefix + " pool holds " + capacity + " addresses: too few for "
                            + fill + " % fill and " + minLive + " live allocations per thread plus a free one;"
                            + " use a shorter --prefix or a smaller --min-live");
                }
                prefilled[p] = Fixtures.fillRandom(session, poolNames[p], count, owners);
            }
            AllocationRequest[][] requests = new AllocationRequest[poolCount][];
            for (int p = 0; p < poolCount; p++) {
                requests[p] = Fixtures.requests(poolNames[p], strategy, owners);
            }
            Worker[] workers = new Worker[threads];
            for (int t = 0; t < threads; t++) {
                int p = layout == Pools.SHARED ? 0 : t;
                IpAddress[] share = layout == Pools.SHARED ? slice(prefilled[0], t, threads) : prefilled[p];
                if (release == Release.RECENT) {
                    share = Fixtures.fillRandom(session, poolNames[p], minLive, owners);
                } else if (share.length < minLive) {
                    IpAddress[] extra = Fixtures.fillRandom(session, poolNames[p], minLive - share.length, owners);
                    share = concat(share, extra);
                }
                workers[t] = new Worker(session, poolNames[p], requests[p],
                        share, t, warmupOps, ops, release == Release.RECENT);
            }
            double fillStart = averageFill(session, poolNames);
            log.printf("[%s] set up %d pool(s) /%d at %.3f %% in %.1f s; running %d thread(s)%n", NAME, poolCount,
                    prefix, fillStart, (System.nanoTime() - setUpStart) / 1e9, threads);

            long[] start = new long[1];
            CyclicBarrier barrier = new CyclicBarrier(threads, () -> {
                System.gc();
                start[0] = System.nanoTime();
            });
            List<Thread> running = new ArrayList<>();
            for (Worker w : workers) {
                w.barrier = barrier;
                Thread thread = new Thread(w, NAME + "-" + w.index);
                running.add(thread);
                thread.start();
            }
            for (Thread thread : running) {
                thread.join();
            }
            long end = 0;
            for (Worker w : workers) {
                if (w.failure != null) {
                    throw new IllegalStateException("Worker " + w.index + " failed: " + w.failure, w.failure);
                }
                end = Math.max(end, w.endNanos);
            }
            double elapsed = (end - start[0]) / 1e9;
            long totalOps = (long) ops * threads;
            long[] alloc = merge(workers, true);
            long[] released = merge(workers, false);
            result.figure("threads", threads)
                    .figure("ops", totalOps)
                    .figure("elapsed_s", elapsed)
                    .figure("ops_per_sec", totalOps / elapsed)
                    .figure("allocate_median_us", percentile(alloc, 0.50) / 1e3)
                    .figure("allocate_p99_us", percentile(alloc, 0.99) / 1e3)
                    .figure("allocate_max_us", alloc[alloc.length - 1] / 1e3)
                    .figure("release_median_us", percentile(released, 0.50) / 1e3)
                    .figure("release_p99_us", percentile(released, 0.99) / 1e3)
                    .figure("fill_start_pct", fillStart)
                    .figure("fill_end_pct", averageFill(session, poolNames));
        }
        return result;
    }

    private static double averageFill(IpamSession session, String[] pools) {
        double sum = 0;
        for (String p : pools) {
            sum += Fixtures.fillPercent(session, p);
        }
        return sum / pools.length;
    }

    private static IpAddress[] slice(IpAddress[] all, int index, int parts) {
        int from = (int) ((long) all.length * index / parts);
        int to = (int) ((long) all.length * (index + 1) / parts);
        return Arrays.copyOfRange(all, from, to);
    }

    private static IpAddress[] concat(IpAddress[] a, IpAddress[] b) {
        IpAddress[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** All threads' latencies of one call, sorted ascending. */
    private static long[] merge(Worker[] workers, boolean allocate) {
        int n = 0;
        for (Worker w : workers) {
            n += w.allocNanos.length;
        }
        long[] all = new long[n];
        int at = 0;
        for (Worker w : workers) {
            long[] src = allocate ? w.allocNanos : w.releaseNanos;
            System.arraycopy(src, 0, all, at, src.length);
            at += src.length;
        }
        Arrays.sort(all);
        return all;
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** One thread: its live addresses, requests and latency records. */
    private static final class Worker implements Runnable {
        final IpamSession session;
        final String pool;
        final AllocationRequest[] requests;
        final IpAddress[] live;
        final int index;
        final int warmupOps;
        final long[] allocNanos;
        final long[] releaseNanos;
        final SplittableRandom random;
        final boolean recent;
        CyclicBarrier barrier;
        int nextRequest;
        int nextVictim;
        long endNanos;
        volatile Throwable failure;

        Worker(IpamSession session, String pool, AllocationRequest[] requests, IpAddress[] live, int index,
                int warmupOps, int ops, boolean recent) {
            this.recent = recent;
            this.session = session;
            this.pool = pool;
            this.requests = requests;
            this.live = live;
            this.index = index;
            this.warmupOps = warmupOps;
            this.allocNanos = new long[ops];
            this.releaseNanos = new long[ops];
            this.random = new SplittableRandom(1000 + index);
        }

        @Override
        public void run() {
            try {
                for (int i = 0; i < warmupOps; i++) {
                    op(null, null, 0);
                }
                barrier.await();
                for (int i = 0; i < allocNanos.length; i++) {
                    op(allocNanos, releaseNanos, i);
                }
                endNanos = System.nanoTime();
            } catch (Throwable e) {
                failure = e;
                barrier.reset();
            }
        }

        private void op(long[] allocTimes, long[] releaseTimes, int i) {
            AllocationRequest request = requests[nextRequest];
            nextRequest = (nextRequest + 1) % requests.length;
            int victim;
            if (recent) {
                victim = nextVictim;
                nextVictim = nextVictim + 1 == live.length ? 0 : nextVictim + 1;
            } else {
                victim = random.nextInt(live.length);
            }
            long t0 = System.nanoTime();
            IpAddress allocated = session.allocate(request).address();
            long t1 = System.nanoTime();
            session.release(pool, live[victim]);
            long t2 = System.nanoTime();
            live[victim] = allocated;
            if (allocTimes != null) {
                allocTimes[i] = t1 - t0;
                releaseTimes[i] = t2 - t1;
            }
        }
    }
}
