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
import dev.ipam.bench.UsageException;
import dev.ipam.store.mapdb.MapDbStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bulk load, reload time and heap per live allocation of a {@link MapDbStore}.
 *
 * <p>Builds a store with {@code --allocations} live allocations spread round-robin over four IPv4
 * /10 pools, each with an owner ({@code tenant-0} … {@code tenant-999}), an environment
 * (prod/staging/dev/test), a name and a hostname, through {@code allocateAll} in chunks of
 * {@code --chunk} (LOWEST). It closes the {@link Ipam}, then in the same JVM reopens it
 * {@code --reopens} times, timing {@code MapDbStore.open} and {@code Ipam.builder()...build()}
 * from start to return (ready to serve). After the last reopen, with that {@link Ipam} still open,
 * it runs {@link System#gc()} a few times and reports heap used (total and above the baseline
 * measured before the build) divided by the allocation count.
 *
 * <p>With {@code --fresh-jvms N} it then opens the finished store once in each of N new JVMs
 * ({@link MapDbOpenOnce}, same heap and collector options), which is what a restarted service
 * sees: no compiled code yet and an untouched heap. This JVM still holds the heap it built the store
 * in while they run, which slows them down; {@code --keep-store} and the {@link MapDbOpenScenario
 * mapdb-open} scenario time new JVMs without it.
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
                new OptionSpec("fresh-jvms", "0",
                        "then open the store once in each of N new JVMs (this JVM's -X options) and time build()"),
                new OptionSpec("dir", System.getProperty("java.io.tmpdir"),
                        "directory in which a temporary directory for the store is created (and deleted)"),
                new OptionSpec("keep-store", "",
                        "build the store in this new directory instead of one under --dir, and keep it (for mapdb-open);"
                                + " empty: a temporary one"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        int n = o.intValue("allocations", 1, 16_000_000);
        int chunk = o.intValue("chunk", 1, 1_000_000);
        int reopens = o.intValue("reopens", 1, 100);
        int freshJvms = o.intValue("fresh-jvms", 0, 100);
        String keep = o.string("keep-store");
        Path dir = keep.isEmpty() ? Files.createTempDirectory(Path.of(o.string("dir")), "ipam-mapdb-reload-")
                : createNewDirectory(Path.of(keep));
        Path file = dir.resolve("ipam.db");
        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", "mapdb")
                .parameter("allocations", n)
                .parameter("pools", "4 x /10")
                .parameter("chunk", chunk)
                .parameter("reopens", reopens)
                .parameter("fresh_jvms", freshJvms)
                .parameter("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try {
            ReloadRun.run(NAME, result, n, chunk, reopens, () -> open(file), () -> size(file), log);
            if (freshJvms > 0) {
                double[] fresh = new double[freshJvms];
                double[] build = new double[freshJvms];
                for (int i = 0; i < freshJvms; i++) {
                    double[] times = openInFreshJvm(file);
                    fresh[i] = times[0];
                    build[i] = times[1];
                    log.printf("[%s] open in a new JVM %d: %.3f s (build() alone %.3f s)%n", NAME, i + 1, fresh[i], build[i]);
                }
                result.figure("fresh_jvm_reload_s", Arrays.stream(fresh).boxed().toList())
                        .figure("fresh_jvm_reload_median_s", ReloadRun.median(fresh))
                        .figure("fresh_jvm_build_s", Arrays.stream(build).boxed().toList())
                        .figure("fresh_jvm_build_median_s", ReloadRun.median(build));
            }
            if (!keep.isEmpty()) {
                log.printf("[%s] kept the store: %s%n", NAME, file);
            }
            return result;
        } finally {
            if (keep.isEmpty()) {
                MapDbThroughputScenario.deleteTree(dir);
            }
        }
    }

    private static Path createNewDirectory(Path dir) throws IOException {
        if (Files.exists(dir)) {
            throw new UsageException("Option --keep-store needs a directory that does not exist yet, got '" + dir + "'");
        }
        return Files.createDirectories(dir);
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Runs {@link MapDbOpenOnce} on {@code file} in a new JVM with this JVM's heap and collector
     * options ({@code -Xms}, {@code -Xmx}, {@code -Xmn}, {@code -XX:+Use...GC}) and class path, and
     * returns the seconds it reports: store open plus {@code build()}, and {@code build()} alone.
     * A child that has not finished after 30 minutes is killed.
     */
    static double[] openInFreshJvm(Path file) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-Xms") || option.startsWith("-Xmx") || option.startsWith("-Xmn")
                    || option.matches("-XX:\\+Use\\w*GC")) {
                command.add(option);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MapDbOpenOnce.class.getName(),
                file.toString()));
        Path out = Files.createTempFile("ipam-open-once-", ".out");
        Process child = null;
        try {
            child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(out.toFile()).start();
            if (!child.waitFor(30, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Opening the store in a new JVM did not finish in 30 minutes");
            }
            String output = Files.readString(out, StandardCharsets.UTF_8).trim();
            if (child.exitValue() != 0) {
                throw new IllegalStateException("Opening the store in a new JVM failed with exit code "
                        + child.exitValue() + ": " + output);
            }
            String[] lines = output.split("\\R");
            String[] figures = lines[lines.length - 1].trim().split(" ");
            try {
                if (figures.length == 2) {
                    return new double[] {Double.parseDouble(figures[0]), Double.parseDouble(figures[1])};
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalStateException("Opening the store in a new JVM printed no two times in seconds: '" + output + "'");
        } finally {
            if (child != null) {
                child.destroyForcibly();
            }
            Files.deleteIfExists(out);
        }
    }

    static Ipam open(Path file) {
        return build(MapDbStore.open(file));
    }

    /** The {@link Ipam} the scenarios time over an opened store. */
    static Ipam build(MapDbStore store) {
        return Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO).build();
    }
}
