package dev.ipam.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchMainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return BenchMain.run(args, ScenarioRegistry.builtIn(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listPrintsScenarioNames() {
        assertThat(run("list")).isZero();
        assertThat(out()).startsWith("allocate-throughput\t");
    }

    @Test
    void unknownScenarioIsAUsageError() {
        assertThat(run("no-such-scenario")).isEqualTo(2);
        assertThat(err()).contains("Unknown scenario 'no-such-scenario'").contains("allocate-throughput");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("allocate-throughput", "--nope", "1")).isEqualTo(2);
        assertThat(err()).contains("Unknown option --nope").contains("--threads");
    }

    @Test
    void badValueIsAUsageError() {
        assertThat(run("allocate-throughput", "--strategy", "SPECIFIC")).isEqualTo(2);
        assertThat(run("allocate-throughput", "--threads", "zero")).isEqualTo(2);
        assertThat(run("allocate-throughput", "--runs", "0")).isEqualTo(2);
        assertThat(run("allocate-throughput", "--prefix", "24", "--min-live", "300")).isEqualTo(2);
        assertThat(err()).contains("too few");
    }

    @Test
    void helpListsOptions() {
        assertThat(run("allocate-throughput", "--help")).isZero();
        assertThat(out()).contains("--threads").contains("--fill").contains("--ops").contains("--json");
    }

    @Test
    void gapQueryBaselineIsListedWithItsOptions() {
        assertThat(run("list")).isZero();
        assertThat(out()).contains("gap-query-baseline\t");
        assertThat(run("gap-query-baseline", "--help")).isZero();
        assertThat(out()).contains("--url").contains("jdbc:postgresql://127.0.0.1:5432/test?user=postgres")
                .contains("--used").contains("10000,100000,1000000").contains("--queries").contains("(default 200)");
        assertThat(run("gap-query-baseline", "--url", "jdbc:h2:mem:x")).isEqualTo(2);
        assertThat(err()).contains("PostgreSQL JDBC URL");
    }

    @Test
    void smallRunPrintsOneJsonObjectPerRun() {
        int code = run("allocate-throughput", "--json", "--runs", "2", "--threads", "2", "--ops", "2000",
                "--warmup-ops", "100", "--fill", "50", "--prefix", "20", "--strategy", "next-fit");
        assertThat(code).as(err()).isZero();
        List<String> lines = out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("{\"name\":\"allocate-throughput\",\"run\":1,\"runs\":2,\"parameters\":{")
                .contains("\"threads\":2").contains("\"strategy\":\"NEXT_FIT\"").contains("\"ops_per_sec\":")
                .contains("\"allocate_median_us\":").contains("\"allocate_p99_us\":").endsWith("}}");
        assertThat(lines.get(1)).contains("\"run\":2");
    }

    @Test
    void mapdbReloadTimesAnOpenInANewJvm() {
        int code = run("mapdb-reload", "--json", "--allocations", "2000", "--chunk", "500", "--reopens", "1",
                "--fresh-jvms", "2");
        assertThat(code).as(err()).isZero();
        String json = out().strip();
        assertThat(json).contains("\"fresh_jvms\":2").containsPattern("\"fresh_jvm_reload_s\":\\[[0-9.]+,[0-9.]+\\]")
                .containsPattern("\"fresh_jvm_reload_median_s\":[0-9.]+")
                .containsPattern("\"fresh_jvm_build_s\":\\[[0-9.]+,[0-9.]+\\]");
        assertThat(err()).contains("open in a new JVM 2:");
    }

    @Test
    void mapdbOpenTimesAKeptStoreInNewJvms(@TempDir Path dir) {
        Path kept = dir.resolve("kept");
        assertThat(run("mapdb-reload", "--allocations", "1000", "--chunk", "500", "--reopens", "1",
                "--keep-store", kept.toString())).as(err()).isZero();
        assertThat(kept.resolve("ipam.db")).isRegularFile();
        assertThat(err()).contains("kept the store: " + kept.resolve("ipam.db"));
        out.reset();
        int code = run("mapdb-open", "--json", "--store", kept.resolve("ipam.db").toString(), "--jvms", "2");
        assertThat(code).as(err()).isZero();
        assertThat(out().strip()).startsWith("{\"name\":\"mapdb-open\"").contains("\"jvms\":2")
                .containsPattern("\"open_s\":\\[[0-9.]+,[0-9.]+\\]").containsPattern("\"open_median_s\":[0-9.]+")
                .containsPattern("\"build_s\":\\[[0-9.]+,[0-9.]+\\]").containsPattern("\"build_median_s\":[0-9.]+");
        assertThat(run("mapdb-reload", "--allocations", "10", "--keep-store", kept.toString())).isEqualTo(2);
        assertThat(err()).contains("--keep-store needs a directory that does not exist yet");
        assertThat(run("mapdb-open", "--store", dir.resolve("missing.db").toString())).isEqualTo(2);
        assertThat(err()).contains("--store needs an existing store file").contains("missing.db");
    }

    @Test
    void textOutputByDefault() {
        assertThat(run("allocate-throughput", "--ops", "500", "--warmup-ops", "0", "--prefix", "22",
                "--pools", "per-thread", "--threads", "2", "--min-live", "100")).as(err()).isZero();
        assertThat(out()).contains("allocate-throughput (run 1 of 1)").contains("ops_per_sec");
    }

    @Test
    void jsonEscapesAndFormats() {
        assertThat(Json.write(Map.of("a\"b", List.of(1, 2.5, "x\ny", Double.NaN))))
                .isEqualTo("{\"a\\\"b\":[1,2.5,\"x\\ny\",null]}");
        assertThat(Json.write(1234567.891234)).isEqualTo("1234567.891");
        assertThat(Json.write("\u0001")).isEqualTo("\"\\u0001\"");
    }
}
