package dev.ipam.bench.scenario;

import dev.ipam.spi.AccessPolicy;
import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.bench.Fixtures;
import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.store.mapdb.MapDbStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bulk load, reload time and heap per live allocation of a {@link MapDbStore}.
 *
 * <p>Builds a store with {@code --allocations} live allocations spread round-robin over four IPv4
 * /10 pools, each with an owner ({@code tenant-0} … {@code tenant-999}), an environment
 * (prod/staging/dev/test), a name and a hostname, through {@code allocateAll} in chunks of
 * {@code --chunk} (LOWEST). It closes the {@link Ipam}, then in the same JVM reopens it
 * {@code --reopens} times, timing {@code Ipam.builder()...build()} from start to return (ready to
 * serve). After the last reopen, with that {@link Ipam} still open, it runs {@link System#gc()}
 * a few times and reports heap used (total and above the baseline measured before the build)
 * divided by the allocation count.
 */
public final class MapDbReloadScenario implements Scenario {

    public static final String NAME = "mapdb-reload";

    private static final int POOLS = 4;
    private static final String[] ENVIRONMENTS = {"prod", "staging", "dev", "test"};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "MapDbStore bulk load of N allocations (4 pools, full metadata), reopen time, heap per live allocation";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("allocations", "100000", "live allocations to build (at most 16,000,000)"),
                new OptionSpec("chunk", "10000", "requests per allocateAll call while building"),
                new OptionSpec("reopens", "3", "times the store is reopened and timed"),
                new OptionSpec("dir", System.getProperty("java.io.tmpdir"),
                        "directory in which a temporary directory for the store is created (and deleted)"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        int n = o.intValue("allocations", 1, 16_000_000);
        int chunk = o.intValue("chunk", 1, 1_000_000);
        int reopens = o.intValue("reopens", 1, 100);
        Path dir = Files.createTempDirectory(Path.of(o.string("dir")), "ipam-mapdb-reload-");
        Path file = dir.resolve("ipam.db");
        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", "mapdb")
                .parameter("allocations", n)
                .parameter("pools", POOLS + " x /10")
                .parameter("chunk", chunk)
                .parameter("reopens", reopens)
                .parameter("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try {
            long baseline = usedAfterGc();
            long buildStart = System.nanoTime();
            long loadNanos;
            try (Ipam ipam = open(file)) {
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
                        log.printf("[%s] loaded %,d of %,d in %.1f s%n", NAME, done, n,
                                (System.nanoTime() - loadStart) / 1e9);
                        nextLog += 10_000_000_000L;
                    }
                }
                loadNanos = System.nanoTime() - loadStart;
            }
            double closed = (System.nanoTime() - buildStart) / 1e9;
            log.printf("[%s] bulk load of %,d took %.2f s (%.1f s with pool creation and close); store %,d bytes%n",
                    NAME, n, loadNanos / 1e9, closed, Files.size(file));

            double[] reload = new double[reopens];
            long used = 0;
            long count = -1;
            for (int r = 0; r < reopens; r++) {
                usedAfterGc();
                long t0 = System.nanoTime();
                Ipam ipam = open(file);
                reload[r] = (System.nanoTime() - t0) / 1e9;
                try {
                    log.printf("[%s] reopen %d: %.3f s%n", NAME, r + 1, reload[r]);
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
            double[] sorted = reload.clone();
            Arrays.sort(sorted);
            result.figure("allocations", n)
                    .figure("bulk_load_s", loadNanos / 1e9)
                    .figure("bulk_load_per_sec", n / (loadNanos / 1e9))
                    .figure("store_bytes", Files.size(file))
                    .figure("reload_s", Arrays.stream(reload).boxed().toList())
                    .figure("reload_median_s", sorted[sorted.length / 2])
                    .figure("heap_used_bytes", used)
                    .figure("heap_baseline_bytes", baseline)
                    .figure("heap_bytes_per_allocation", (double) used / n)
                    .figure("heap_above_baseline_bytes_per_allocation", (double) (used - baseline) / n);
        } finally {
            MapDbThroughputScenario.deleteTree(dir);
        }
        return result;
    }

    private static Ipam open(Path file) {
        return Ipam.builder().store(MapDbStore.open(file)).accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ZERO).build();
    }

    /** Heap in use after a few full collections. */
    private static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
