package dev.ipam.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioRegistry;
import dev.ipam.bench.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Registration and option handling of {@link GapQueryBaselineScenario}; needs no database. */
class GapQueryBaselineScenarioTest {

    private final Scenario scenario = ScenarioRegistry.builtIn().create("gap-query-baseline").orElseThrow();

    private ScenarioOptions parse(String... args) {
        return ScenarioOptions.parse(scenario.name(), List.of(args), scenario.options());
    }

    /** Runs the scenario with options that must be refused before it connects to anything. */
    private void runExpectingUsageError(String message, String... args) {
        ScenarioOptions options = parse(args);
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> scenario.run(options, log)).isInstanceOf(UsageException.class).hasMessageContaining(message);
    }

    @Test
    void isRegisteredUnderItsName() {
        assertThat(ScenarioRegistry.builtIn().names()).contains(GapQueryBaselineScenario.NAME);
        assertThat(scenario).isInstanceOf(GapQueryBaselineScenario.class);
        assertThat(scenario.name()).isEqualTo("gap-query-baseline");
        assertThat(scenario.description()).isNotBlank();
    }

    @Test
    void optionsHaveTheDocumentedDefaults() {
        ScenarioOptions o = parse();
        assertThat(o.string("url")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        assertThat(o.string("used")).isEqualTo("10000,100000,1000000");
        assertThat(o.intValue("queries", 1, Integer.MAX_VALUE)).isEqualTo(200);
        assertThat(scenario.options()).extracting(Scenario.OptionSpec::name).containsExactly("url", "used", "queries");
    }

    @Test
    void givenOptionsOverrideDefaults() {
        ScenarioOptions o = parse("--url=jdbc:postgresql://db.example:5433/x", "--used", "5,7", "--queries", "3");
        assertThat(o.string("url")).isEqualTo("jdbc:postgresql://db.example:5433/x");
        assertThat(GapQueryBaselineScenario.parseUsed(o.string("used"), 3)).containsExactly(5L, 7L);
    }

    @Test
    void unknownOptionIsRefused() {
        assertThatThrownBy(() -> parse("--threads", "2")).isInstanceOf(UsageException.class)
                .hasMessageContaining("--threads").hasMessageContaining("--used");
    }

    @Test
    void usedCountsAreParsedInOrder() {
        assertThat(GapQueryBaselineScenario.parseUsed("10000,100000,1000000", 200))
                .containsExactly(10_000L, 100_000L, 1_000_000L);
        assertThat(GapQueryBaselineScenario.parseUsed(" 1_000 , 20 ", 200)).containsExactly(1_000L, 20L);
    }

    @Test
    void badUsedCountsAreRefused() {
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("10,x", 200)).isInstanceOf(UsageException.class)
                .hasMessageContaining("'10,x'");
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("", 200)).isInstanceOf(UsageException.class);
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("10,,20", 200)).isInstanceOf(UsageException.class);
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("0", 200)).isInstanceOf(UsageException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("5,5", 200)).isInstanceOf(UsageException.class)
                .hasMessageContaining("twice");
        // A /8 has 16,777,214 usable addresses; the scenario adds warm-up and measured allocations.
        assertThatThrownBy(() -> GapQueryBaselineScenario.parseUsed("16777214", 200)).isInstanceOf(UsageException.class);
        assertThat(GapQueryBaselineScenario.parseUsed("16000000", 200)).containsExactly(16_000_000L);
    }

    @Test
    void badValuesAreRefusedBeforeConnecting() {
        runExpectingUsageError("PostgreSQL JDBC URL", "--url", "jdbc:mariadb://127.0.0.1:3306/test?user=root");
        runExpectingUsageError("--queries", "--queries", "0");
        runExpectingUsageError("--used", "--used", "ten");
    }

    @Test
    void passwordsAreNotPrinted() {
        assertThat(GapQueryBaselineScenario.redact("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?user=u&password=***&ssl=true");
        assertThatThrownBy(() -> GapQueryBaselineScenario.checkUrl("jdbc:mysql://h/db?password=s3cret"))
                .isInstanceOf(UsageException.class).message().doesNotContain("s3cret");
    }

    @Test
    void addressesPrintAsDottedQuads() {
        assertThat(GapQueryBaselineScenario.ipv4(GapQueryBaselineScenario.POOL_BASE + 1)).isEqualTo("10.0.0.1");
        assertThat(GapQueryBaselineScenario.ipv4(GapQueryBaselineScenario.POOL_BASE + 1_000_001)).isEqualTo("10.15.66.65");
    }
}
