package dev.ipam.bench.scenario;

import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.Ipam;
import dev.ipam.bench.BenchDatabase;
import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.store.jdbc.JdbcStore;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * Bulk load, reload time and heap per live allocation of a {@link JdbcStore}, in a new schema of
 * the database at {@code --url} (dropped at the end). Same workload as {@code mapdb-reload} (see
 * {@link ReloadRun}).
 */
public final class JdbcReloadScenario implements Scenario {

    public static final String NAME = "jdbc-reload";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "JdbcStore bulk load of N allocations (4 pools, full metadata), reload time, heap per live allocation";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("url", JdbcThroughputScenario.DEFAULT_URL,
                        "JDBC URL of an existing database; a schema is created in it and dropped"),
                new OptionSpec("allocations", "100000", "live allocations to build (at most 16,000,000)"),
                new OptionSpec("chunk", "10000", "requests per allocateAll call while building"),
                new OptionSpec("reopens", "3", "times the store is reopened and timed"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        String url = o.string("url");
        int n = o.intValue("allocations", 1, 16_000_000);
        int chunk = o.intValue("chunk", 1, 1_000_000);
        int reopens = o.intValue("reopens", 1, 100);
        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("store", url.startsWith("jdbc:postgresql:") ? "postgresql" : "mariadb")
                .parameter("allocations", n)
                .parameter("pools", "4 x /10")
                .parameter("chunk", chunk)
                .parameter("reopens", reopens)
                .parameter("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20)
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());
        try (BenchDatabase db = BenchDatabase.create(url, "ipam_reload_"); HikariDataSource ds = db.dataSource(4)) {
            return ReloadRun.run(NAME, result, n, chunk, reopens,
                    () -> Ipam.builder().store(JdbcStore.open(ds)).accessPolicy(AccessPolicy.allowAll())
                            .maintenanceInterval(Duration.ZERO).build(),
                    () -> -1, log);
        }
    }
}
