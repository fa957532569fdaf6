package dev.ipam.bench.scenario;

import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.AllocationRequest;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.Strategy;
import dev.ipam.bench.BenchDatabase;
import dev.ipam.bench.Fixtures;
import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.store.jdbc.JdbcStore;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Durable allocation throughput on a {@link JdbcStore}: {@code --instances} library instances (each
 * with its own connection pool and store object, as separate services would have) share one new
 * schema; {@code --threads} threads in all, spread over the instances, call {@code allocate} in one
 * IPv4 /8 pool for {@code --seconds}. Every call returns after its database transaction committed.
 */
public final class JdbcThroughputScenario implements Scenario {

    public static final String NAME = "jdbc-throughput";
    static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "durable allocate throughput and latency on a JdbcStore (PostgreSQL or MariaDB), 1..N threads, 1..N instances";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("url", DEFAULT_URL, "JDBC URL of an existing database; a schema is created in it and dropped"),
                new OptionSpec("threads", "1", "threads allocating at once, over all instances"),
                new OptionSpec("instances", "1", "library instances sharing the schema, each with its own pool"),
                new OptionSpec("strategy", "LOWEST", "allocation strategy: LOWEST, NEXT_FIT or RANDOM"),
                new OptionSpec("seconds", "5", "measured seconds"),
                new OptionSpec("warmup-seconds", "1", "unmeasured seconds of allocating before measuring"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        String url = o.string("url");
        int threads = o.intValue("threads", 1, 1024);
        int instances = o.intValue("instances", 1, 64);
        int seconds = o.intValue("seconds", 1, 3600);
        int warmup = o.intValue("warmup-seconds", 0, 3600);
        Strategy strategy = parseStrategy(o.string("strategy"));
        if (instances > threads) {
            throw new IllegalArgumentException("--instances " + instances + " needs at least as many --threads, got " + threads);
        }
        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", url.startsWith("jdbc:postgresql:") ? "postgresql" : "mariadb")
                .parameter("op", "allocate")
                .parameter("strategy", strategy)
                .parameter("threads", threads)
                .parameter("instances", instances)
                .parameter("seconds", seconds)
                .parameter("warmup_seconds", warmup)
                .parameter("pool_prefix", "/8")
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        List<HikariDataSource> pools = new ArrayList<>();
        List<Ipam> ipams = new ArrayList<>();
        try (BenchDatabase db = BenchDatabase.create(url, "ipam_bench_")) {
            try {
                for (int i = 0; i < instances; i++) {
                    int share = threads / instances + (i < threads % instances ? 1 : 0);
                    HikariDataSource ds = db.dataSource(share + 2);
                    pools.add(ds);
                    ipams.add(Ipam.builder().store(JdbcStore.open(ds)).accessPolicy(AccessPolicy.allowAll())
                            .maintenanceInterval(Duration.ZERO).build());
                }
                Fixtures.createPool(ipams.get(0).as(Fixtures.CALLER), "durable", "10.0.0.0/8");
                List<AllocateLoop.Caller> callers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    IpamSession session = ipams.get(t % instances).as(Fixtures.CALLER);
                    callers.add(new AllocateLoop.Caller(session, AllocationRequest.in("durable").strategy(strategy)
                            .owner("bench-owner-" + t).hostname("host-" + t + ".bench.example").build()));
                }
                AllocateLoop.Outcome outcome = AllocateLoop.run(NAME, callers, warmup * 1_000_000_000L,
                        seconds * 1_000_000_000L);
                log.printf(Locale.ROOT, "[%s] %d thread(s), %d instance(s): %.0f allocations/s, median %.0f us, p99 %.0f us%n",
                        NAME, threads, instances, outcome.opsPerSecond(), outcome.percentileMicros(0.50),
                        outcome.percentileMicros(0.99));
                result.figure("threads", threads)
                        .figure("instances", instances)
                        .figure("ops", outcome.ops())
                        .figure("elapsed_s", outcome.elapsedSeconds())
                        .figure("ops_per_sec", outcome.opsPerSecond())
                        .figure("allocate_median_us", outcome.percentileMicros(0.50))
                        .figure("allocate_p99_us", outcome.percentileMicros(0.99))
                        .figure("allocate_max_us", outcome.maxMicros());
            } finally {
                for (Ipam ipam : ipams) {
                    ipam.close();
                }
                pools.forEach(HikariDataSource::close);
            }
        }
        return result;
    }

    static Strategy parseStrategy(String text) {
        try {
            Strategy s = Strategy.valueOf(text.toUpperCase(Locale.ROOT));
            if (s == Strategy.LOWEST || s == Strategy.NEXT_FIT || s == Strategy.RANDOM) {
                return s;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException("--strategy must be LOWEST, NEXT_FIT or RANDOM, was '" + text + "'");
    }
}
