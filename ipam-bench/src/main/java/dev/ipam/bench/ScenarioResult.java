package dev.ipam.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one run of a scenario reports: its name, the parameters it ran with and its figures (both
 * in insertion order). Figures carry their unit in the name ({@code _per_sec}, {@code _us},
 * {@code _pct}, {@code _s}). Not thread-safe; built by the scenario, printed by the runner.
 */
public final class ScenarioResult {

    private final String name;
    private final Map<String, Object> parameters = new LinkedHashMap<>();
    private final Map<String, Object> figures = new LinkedHashMap<>();

    public ScenarioResult(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public ScenarioResult parameter(String key, Object value) {
        parameters.put(key, value);
        return this;
    }

    public ScenarioResult figure(String key, Object value) {
        figures.put(key, value);
        return this;
    }

    public Map<String, Object> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public Map<String, Object> figures() {
        return Collections.unmodifiableMap(figures);
    }

    /** One JSON object on one line: name, run, runs, parameters, figures. */
    public String toJson(int run, int runs) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("name", name);
        root.put("run", run);
        root.put("runs", runs);
        root.put("parameters", parameters);
        root.put("figures", figures);
        return Json.write(root);
    }

    /** A few aligned lines for people. */
    public String toText(int run, int runs) {
        StringBuilder s = new StringBuilder();
        s.append(name).append(" (run ").append(run).append(" of ").append(runs).append(")\n");
        s.append("  parameters:");
        parameters.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
        s.append('\n');
        int width = figures.keySet().stream().mapToInt(String::length).max().orElse(0);
        figures.forEach((k, v) -> s.append("  ").append(String.format(Locale.ROOT, "%-" + width + "s", k))
                .append("  ").append(format(v)).append('\n'));
        return s.toString();
    }

    private static String format(Object v) {
        if (v instanceof Double d) {
            return Math.abs(d) >= 1000 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.3f", d);
        }
        if (v instanceof Long || v instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        }
        return String.valueOf(v);
    }
}
