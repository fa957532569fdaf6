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
                .parameter("pools", "4 x /10")
                .parameter("chunk", chunk)
                .parameter("reopens", reopens)
                .parameter("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try {
            return ReloadRun.run(NAME, result, n, chunk, reopens, () -> open(file), () -> size(file), log);
        } finally {
            MapDbThroughputScenario.deleteTree(dir);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Ipam open(Path file) {
        return Ipam.builder().store(MapDbStore.open(file)).accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ZERO).build();
    }
}
