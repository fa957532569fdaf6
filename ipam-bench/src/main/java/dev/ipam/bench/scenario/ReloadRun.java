package dev.ipam.bench.scenario;

import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.bench.Fixtures;
import dev.ipam.bench.ScenarioResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The body of the reload scenarios, whatever the store: builds {@code n} live allocations spread
 * round-robin over four IPv4 /10 pools, each with an owner ({@code tenant-0} … {@code tenant-999}),
 * an environment (prod/staging/dev/test), a name and a hostname, through {@code allocateAll} in
 * chunks (LOWEST); closes the {@link Ipam}; reopens it {@code reopens} times, timing
 * {@code build()} from start to return (ready to serve); with the last one open, measures heap
 * used per live allocation after a few full collections.
 */
final class ReloadRun {

    private static final int POOLS = 4;
    private static final String[] ENVIRONMENTS = {"prod", "staging", "dev", "test"};

    private ReloadRun() {
    }

    /**
     * Runs it and adds the figures to {@code result}.
     *
     * @param open opens a new {@link Ipam} over the same store data (empty the first time)
     * @param storeBytes the store's size on disk, or -1 if unknown
     */
    static ScenarioResult run(String name, ScenarioResult result, int n, int chunk, int reopens, Supplier<Ipam> open,
            LongSupplier storeBytes, PrintStream log) throws InterruptedException {
        long baseline = usedAfterGc();
        long buildStart = System.nanoTime();
        long loadNanos;
        try (Ipam ipam = open.get()) {
            IpamSession session = ipam.as(Fixtures.CALLER);
            for (int p = 0; p < POOLS; p++) {
                Fixtures.createPool(session, "pool-" + p, Fixtures.ipv4Cidr(10, p));
            }
            List<AllocationRequest> batch = new ArrayList<>(chunk);
            long loadStart = System.nanoTime();
            int done = 0;
            long nextLog = loadStart + 10_000_000_000L;
            while (done < n) {
                int size = Math.min(chunk, n - done);
                batch.clear();
                for (int i = done; i < done + size; i++) {
                    batch.add(AllocationRequest.in("pool-" + (i % POOLS)).strategy(Strategy.LOWEST)
                            .owner("tenant-" + (i % 1000))
                            .environment(ENVIRONMENTS[(i / 7) % ENVIRONMENTS.length])
                            .name("vm-" + i)
                            .hostname("vm-" + i + ".zone-" + (i % 16) + ".example.internal")
                            .build());
                }
                session.allocateAll(batch);
                done += size;
                if (System.nanoTime() > nextLog) {
                    log.printf("[%s] loaded %,d of %,d in %.1f s%n", name, done, n,
                            (System.nanoTime() - loadStart) / 1e9);
                    nextLog += 10_000_000_000L;
                }
            }
            loadNanos = System.nanoTime() - loadStart;
        }
        double closed = (System.nanoTime() - buildStart) / 1e9;
        log.printf("[%s] bulk load of %,d took %.2f s (%.1f s with pool creation and close); store %,d bytes%n",
                name, n, loadNanos / 1e9, closed, storeBytes.getAsLong());

        double[] reload = new double[reopens];
        long used = 0;
        long count = -1;
        for (int r = 0; r < reopens; r++) {
            usedAfterGc();
            long t0 = System.nanoTime();
            Ipam ipam = open.get();
            reload[r] = (System.nanoTime() - t0) / 1e9;
            try {
                log.printf("[%s] reopen %d: %.3f s%n", name, r + 1, reload[r]);
                if (r == reopens - 1) {
                    IpamSession session = ipam.as(Fixtures.CALLER);
                    count = 0;
                    for (int p = 0; p < POOLS; p++) {
                        count += session.usage("pool-" + p).allocated();
                    }
                    used = usedAfterGc();
                }
            } finally {
                ipam.close();
            }
        }
        if (count != n) {
            throw new IllegalStateException("Reopened store holds " + count + " allocations, expected " + n);
        }
        result.figure("allocations", n)
                .figure("bulk_load_s", loadNanos / 1e9)
                .figure("bulk_load_per_sec", n / (loadNanos / 1e9))
                .figure("store_bytes", storeBytes.getAsLong())
                .figure("reload_s", Arrays.stream(reload).boxed().toList())
                .figure("reload_median_s", median(reload))
                .figure("heap_used_bytes", used)
                .figure("heap_baseline_bytes", baseline)
                .figure("heap_bytes_per_allocation", (double) used / n)
                .figure("heap_above_baseline_bytes_per_allocation", (double) (used - baseline) / n);
        return result;
    }

    /** The middle value (of an even count, the upper of the two middle ones). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

        /** Heap in use after a few full collections. */
    static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
