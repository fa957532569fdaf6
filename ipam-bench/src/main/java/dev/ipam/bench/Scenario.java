package dev.ipam.bench;

import java.util.List;

/**
 * A benchmark scenario run by {@link BenchMain}: a self-contained program that sets up what it
 * measures, runs once, and returns its figures. Add one by implementing this interface and listing
 * it in {@link ScenarioRegistry#builtIn()}.
 *
 * <p>Implementations are created per run of the runner and need not be thread-safe.
 */
public interface Scenario {

    /** The name on the command line: lower-case words joined by {@code -}. */
    String name();

    /** One line for {@code list}. */
    String description();

    /**
     * The options the scenario accepts besides the runner's own ({@code --json}, {@code --runs},
     * {@code --help}); the runner rejects any other.
     */
    List<OptionSpec> options();

    /**
     * Runs the scenario once. Progress may go to {@code log} (standard error); the result is printed
     * by the runner.
     *
     * @throws UsageException if an option value is unusable (exit code 2)
     * @throws Exception if the run fails (exit code 1)
     */
    ScenarioResult run(ScenarioOptions options, java.io.PrintStream log) throws Exception;

    /** An option {@code --name value} with its default (null: required) and help text. */
    record OptionSpec(String name, String defaultValue, String description) {
    }
}
