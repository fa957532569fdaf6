package dev.ipam.bench.scenario;

import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.bench.UsageException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The reload time that a restarted service sees: opens an existing {@code MapDbStore} file (one that
 * {@code mapdb-reload --keep-store} built) once in each of {@code --jvms} new JVMs
 * ({@link MapDbOpenOnce}, with this JVM's heap and collector options), one after the other, and
 * reports the seconds each took from {@code MapDbStore.open} to the end of {@code build()}
 * ({@code open_s}) and for {@code build()} alone ({@code build_s}).
 *
 * <p>Unlike {@code mapdb-reload --fresh-jvms}, no other JVM holds a large heap meanwhile: this one
 * only starts the children. Run it with the heap options the children should have, for example
 * {@code java -Xms16g -Xmx16g -jar ipam-bench.jar mapdb-open --store <dir>/ipam.db}. The store's data
 * stays as it was: each open only starts a new generation of its redo log.
 */
public final class MapDbOpenScenario implements Scenario {

    public static final String NAME = "mapdb-open";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Open an existing MapDbStore file in N new JVMs, one at a time, and time build() in each";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("store", null, "the store file (ipam.db) to open, e.g. built by mapdb-reload --keep-store"),
                new OptionSpec("jvms", "5", "new JVMs to open it in, one after the other"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        Path file = Path.of(o.string("store"));
        if (!Files.isRegularFile(file)) {
            throw new UsageException("Option --store needs an existing store file, got '" + file + "'");
        }
        int jvms = o.intValue("jvms", 1, 100);
        double[] seconds = new double[jvms];
        double[] build = new double[jvms];
        for (int i = 0; i < jvms; i++) {
            double[] times = MapDbReloadScenario.openInFreshJvm(file);
            seconds[i] = times[0];
            build[i] = times[1];
            log.printf("[%s] open in a new JVM %d: %.3f s (build() alone %.3f s)%n", NAME, i + 1, seconds[i], build[i]);
        }
        return new ScenarioResult(NAME)
                .parameter("store_bytes", Files.size(file))
                .parameter("jvms", jvms)
                .parameter("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
                .parameter("jvm_options", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()))
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors())
                .figure("open_s", Arrays.stream(seconds).boxed().toList())
                .figure("open_median_s", ReloadRun.median(seconds))
                .figure("build_s", Arrays.stream(build).boxed().toList())
                .figure("build_median_s", ReloadRun.median(build));
    }
}
