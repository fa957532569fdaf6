package dev.ipam.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Entry point of {@code ipam-bench.jar}.
 *
 * <pre>
 * java -jar ipam-bench.jar jmh [JMH options]            run JMH benchmarks (org.openjdk.jmh.Main)
 * java -jar ipam-bench.jar list                         list scenarios
 * java -jar ipam-bench.jar &lt;scenario&gt; [--json] [--runs N] [options]
 * java -jar ipam-bench.jar &lt;scenario&gt; --help          the scenario's options
 * </pre>
 *
 * Exit codes: 0 success, 1 a run failed, 2 usage error (unknown scenario or option).
 */
public final class BenchMain {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        int code = run(args, ScenarioRegistry.builtIn(), System.out, System.err);
        if (code != OK) {
            System.exit(code);
        }
    }

    /** Runs the scenario command line (everything but {@code jmh}) and returns the exit code. */
    static int run(String[] args, ScenarioRegistry registry, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(usage(registry));
            return args.length == 0 ? USAGE : OK;
        }
        String command = args[0];
        if (command.equals("list")) {
            for (String name : registry.names()) {
                out.println(name + "\t" + registry.create(name).orElseThrow().description());
            }
            return OK;
        }
        Optional<Scenario> found = registry.create(command);
        if (found.isEmpty()) {
            err.println("Unknown scenario '" + command + "'. Known scenarios: " + String.join(", ", registry.names())
                    + ". Use 'list' to see them, or 'jmh' to run the JMH benchmarks.");
            return USAGE;
        }
        Scenario scenario = found.get();
        boolean json = false;
        int runs = 1;
        List<String> rest = new ArrayList<>();
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--json")) {
                    json = true;
                } else if (a.equals("--help") || a.equals("-h")) {
                    out.print(scenarioHelp(scenario));
                    return OK;
                } else if (a.equals("--runs") || a.startsWith("--runs=")) {
                    String v = a.equals("--runs") ? (i + 1 < args.length ? args[++i] : null) : a.substring(7);
                    runs = parseRuns(v);
                } else {
                    rest.add(a);
                }
            }
            ScenarioOptions options = ScenarioOptions.parse(scenario.name(), rest, scenario.options());
            for (int run = 1; run <= runs; run++) {
                ScenarioResult result = scenario.run(options, err);
                out.println(json ? result.toJson(run, runs) : result.toText(run, runs));
                out.flush();
            }
            return OK;
        } catch (UsageException e) {
            err.println(e.getMessage());
            err.println("Run '" + scenario.name() + " --help' for its options.");
            return USAGE;
        } catch (Exception e) {
            err.println("Scenario " + scenario.name() + " failed: " + e);
            e.printStackTrace(err);
            return FAILED;
        }
    }

    private static int parseRuns(String v) {
        try {
            int n = v == null ? -1 : Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("Option --runs needs a whole number of at least 1, got " + v);
    }

    static String usage(ScenarioRegistry registry) {
        return "Usage:\n"
                + "  java -jar ipam-bench.jar jmh [JMH options]      JMH benchmarks (e.g. jmh -l, jmh AllocateBenchmark)\n"
                + "  java -jar ipam-bench.jar list                   scenario names\n"
                + "  java -jar ipam-bench.jar <scenario> [--json] [--runs N] [options]\n"
                + "  java -jar ipam-bench.jar <scenario> --help\n"
                + "Scenarios: " + String.join(", ", registry.names()) + "\n";
    }

    static String scenarioHelp(Scenario scenario) {
        StringBuilder s = new StringBuilder();
        s.append(scenario.name()).append(": ").append(scenario.description()).append('\n');
        s.append("Options:\n");
        s.append(String.format("  %-16s %s%n", "--json", "print one JSON object per run instead of text"));
        s.append(String.format("  %-16s %s%n", "--runs N", "repeat the run N times (default 1)"));
        for (Scenario.OptionSpec o : scenario.options()) {
            s.append(String.format("  %-16s %s%s%n", "--" + o.name(), o.description(),
                    o.defaultValue() == null ? " (required)" : " (default " + o.defaultValue() + ")"));
        }
        return s.toString();
    }
}
