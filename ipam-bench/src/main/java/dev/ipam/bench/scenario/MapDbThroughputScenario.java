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
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Durable allocation throughput on a {@link MapDbStore}: N threads each call
 * {@code allocate(LOWEST)} with their own owner and hostname, in one shared IPv4 /8 pool, for
 * {@code --seconds}. Every call returns only after its group-commit batch is on disk, so the figure
 * is bounded by the disk's fsync rate times the batch size.
 *
 * <p>In the same run and directory, the scenario measures the raw fsync rate of the disk: a loop
 * that appends 64 bytes to a file and calls {@link FileChannel#force(boolean) force(false)}, for
 * {@code --fsync-seconds}. It reports {@code ops_per_sec / fsyncs_per_sec}. The store file lives
 * in a new temporary directory under {@code --dir}, deleted at the end.
 *
 * <p>The default warm-up is 15 s: on two cores, the JIT compiler was still compiling MapDB's and the
 * store's code (dozens of C2 compilations per second) for about 15 s into a 16-thread run, and with all
 * threads busy it takes processor time from the measured run. A shorter warm-up measures the compiler
 * as much as the store.
 */
public final class MapDbThroughputScenario implements Scenario {

    public static final String NAME = "mapdb-throughput";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "durable allocate throughput and latency on a MapDbStore, 1..N threads, plus the disk's raw fsync rate";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("threads", "1", "threads allocating at once"),
                new OptionSpec("seconds", "5", "measured seconds"),
                new OptionSpec("warmup-seconds", "15", "unmeasured seconds of allocating before measuring (JIT warm-up)"),
                new OptionSpec("fsync-seconds", "2", "seconds of the raw append + force(false) loop"),
                new OptionSpec("dir", System.getProperty("java.io.tmpdir"),
                        "directory in which a temporary directory for the store is created (and deleted)"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        int threads = o.intValue("threads", 1, 1024);
        int seconds = o.intValue("seconds", 1, 3600);
        int warmup = o.intValue("warmup-seconds", 0, 3600);
        int fsyncSeconds = o.intValue("fsync-seconds", 1, 600);
        Path base = Path.of(o.string("dir"));
        Path dir = Files.createTempDirectory(base, "ipam-mapdb-bench-");

        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", "mapdb")
                .parameter("op", "allocate")
                .parameter("strategy", Strategy.LOWEST)
                .parameter("threads", threads)
                .parameter("seconds", seconds)
                .parameter("warmup_seconds", warmup)
                .parameter("pool_prefix", "/8")
                .parameter("dir", dir.toString())
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try {
            double fsyncRate = fsyncRate(dir.resolve("fsync-probe"), fsyncSeconds);
            log.printf("[%s] raw fsync rate: %.0f /s%n", NAME, fsyncRate);

            AllocateLoop.Outcome outcome;
            try (Ipam ipam = Ipam.builder().store(MapDbStore.open(dir.resolve("ipam.db")))
                    .accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO).build()) {
                IpamSession session = ipam.as(Fixtures.CALLER);
                Fixtures.createPool(session, "durable", "10.0.0.0/8");
                List<AllocateLoop.Caller> callers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    callers.add(new AllocateLoop.Caller(session, AllocationRequest.in("durable").strategy(Strategy.LOWEST)
                            .owner("bench-owner-" + t).hostname("host-" + t + ".bench.example").build()));
                }
                outcome = AllocateLoop.run(NAME, callers, warmup * 1_000_000_000L, seconds * 1_000_000_000L);
            }
            double opsPerSec = outcome.opsPerSecond();
            result.figure("threads", threads)
                    .figure("ops", outcome.ops())
                    .figure("elapsed_s", outcome.elapsedSeconds())
                    .figure("ops_per_sec", opsPerSec)
                    .figure("allocate_median_us", outcome.percentileMicros(0.50))
                    .figure("allocate_p99_us", outcome.percentileMicros(0.99))
                    .figure("allocate_max_us", outcome.maxMicros())
                    .figure("fsyncs_per_sec", fsyncRate)
                    .figure("ops_per_fsync", opsPerSec / fsyncRate)
                    .figure("store_bytes", Files.size(dir.resolve("ipam.db")));
        } finally {
            deleteTree(dir);
        }
        return result;
    }

    /** Appends 64 bytes and forces the file (data only), over and over, for {@code seconds}. */
    static double fsyncRate(Path file, int seconds) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        long count = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            long start = System.nanoTime();
            long deadline = start + seconds * 1_000_000_000L;
            long now = start;
            while (now < deadline) {
                buffer.clear();
                channel.write(buffer);
                channel.force(false);
                count++;
                now = System.nanoTime();
            }
            return count / ((now - start) / 1e9);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
