package dev.ipam.bench.scenario;

import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.bench.BenchDatabase;
import dev.ipam.bench.Fixtures;
import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.store.jdbc.JdbcStore;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * How long another instance takes to see a change without doing anything itself: two instances
 * share a new schema; instance A allocates, and the time until instance B's {@code find} returns
 * the allocation is measured ({@code --changes} times, a random pause of up to one follow interval
 * between changes so they do not line up with B's timer). B only reads, so it learns the change
 * from its follower thread, which reads the journal every {@code --follow-ms}.
 */
public final class JdbcFollowDelayScenario implements Scenario {

    public static final String NAME = "jdbc-follow-delay";
    private static final long POLL_NANOS = 200_000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "delay until an idle instance sees another instance's allocation on a JdbcStore (follower thread)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("url", JdbcThroughputScenario.DEFAULT_URL,
                        "JDBC URL of an existing database; a schema is created in it and dropped"),
                new OptionSpec("changes", "200", "allocations made by one instance and waited for in the other"),
                new OptionSpec("follow-ms", "200", "the stores' follow interval in milliseconds"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        String url = o.string("url");
        int changes = o.intValue("changes", 1, 100_000);
        int followMs = o.intValue("follow-ms", 1, 60_000);
        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", url.startsWith("jdbc:postgresql:") ? "postgresql" : "mariadb")
                .parameter("changes", changes)
                .parameter("follow_ms", followMs)
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try (BenchDatabase db = BenchDatabase.create(url, "ipam_follow_");
                HikariDataSource writerPool = db.dataSource(3);
                HikariDataSource readerPool = db.dataSource(3);
                Ipam writer = open(writerPool, followMs);
                Ipam reader = open(readerPool, followMs)) {
            IpamSession a = writer.as(Fixtures.CALLER);
            IpamSession b = reader.as(Fixtures.CALLER);
            Fixtures.createPool(a, "follow", "10.0.0.0/16");
            while (b.pool("follow").isEmpty()) {
                LockSupport.parkNanos(POLL_NANOS);
            }
            long[] delays = new long[changes];
            for (int i = 0; i < changes; i++) {
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(followMs * 1_000_000L));
                Allocation made = a.allocate(AllocationRequest.in("follow").owner("vm-" + i).build());
                long committed = System.nanoTime();
                while (b.find("follow", made.address()).isEmpty()) {
                    LockSupport.parkNanos(POLL_NANOS);
                }
                delays[i] = System.nanoTime() - committed;
            }
            Arrays.sort(delays);
            double median = millis(delays, 0.50);
            double p99 = millis(delays, 0.99);
            double max = delays[changes - 1] / 1e6;
            log.printf(Locale.ROOT, "[%s] %d changes, follow interval %d ms: seen after median %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    NAME, changes, followMs, median, p99, max);
            result.figure("changes", changes)
                    .figure("seen_median_ms", median)
                    .figure("seen_p99_ms", p99)
                    .figure("seen_max_ms", max);
        }
        return result;
    }

    private static Ipam open(HikariDataSource dataSource, int followMs) {
        return Ipam.builder()
                .store(JdbcStore.builder(dataSource).followInterval(Duration.ofMillis(followMs)).build())
                .accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ZERO)
                .build();
    }

    private static double millis(long[] sorted, double percentile) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }
}
