package dev.ipam.bench;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parsed scenario options: {@code --name value} or {@code --name=value}, checked against the
 * scenario's {@link Scenario.OptionSpec}s, with defaults filled in. Immutable.
 */
public final class ScenarioOptions {

    private final Map<String, String> values;

    private ScenarioOptions(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Parses {@code args} (the runner's own options already removed).
     *
     * @throws UsageException naming the unknown option, missing value or missing required option
     */
    public static ScenarioOptions parse(String scenario, List<String> args, List<Scenario.OptionSpec> specs) {
        Map<String, Scenario.OptionSpec> known = new HashMap<>();
        specs.forEach(s -> known.put(s.name(), s));
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("Unexpected argument '" + arg + "' for scenario " + scenario
                        + "; options look like --name value");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!known.containsKey(name)) {
                throw new UsageException("Unknown option --" + name + " for scenario " + scenario + "; it takes "
                        + (specs.isEmpty() ? "no options" : describe(specs)));
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("Option --" + name + " of scenario " + scenario + " needs a value");
                }
                value = args.get(++i);
            }
            values.put(name, value);
        }
        for (Scenario.OptionSpec s : specs) {
            if (!values.containsKey(s.name())) {
                if (s.defaultValue() == null) {
                    throw new UsageException("Scenario " + scenario + " needs --" + s.name() + " (" + s.description() + ")");
                }
                values.put(s.name(), s.defaultValue());
            }
        }
        return new ScenarioOptions(values);
    }

    private static String describe(List<Scenario.OptionSpec> specs) {
        StringBuilder s = new StringBuilder();
        for (Scenario.OptionSpec o : specs) {
            s.append(s.length() == 0 ? "" : ", ").append("--").append(o.name());
        }
        return s.toString();
    }

    /** Every option with its value (given or default): given ones first, then defaults. */
    public Map<String, String> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }

    public String string(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("No option --" + name + " was declared");
        }
        return v;
    }

    /** An integer value within [min, max]; underscores are allowed ({@code 1_000_000}). */
    public long longValue(String name, long min, long max) {
        String v = string(name);
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException("Option --" + name + " needs a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException("Option --" + name + " must be between " + min + " and " + max + ", got " + n);
        }
        return n;
    }

    public int intValue(String name, int min, int max) {
        return (int) longValue(name, min, max);
    }

    /** A decimal value within [min, max]. */
    public double doubleValue(String name, double min, double max) {
        String v = string(name);
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("Option --" + name + " needs a number, got '" + v + "'");
        }
        if (!(d >= min && d <= max)) {
            throw new UsageException("Option --" + name + " must be between " + min + " and " + max + ", got " + v);
        }
        return d;
    }

    /** One of the constants of an enum, case-insensitive, {@code -} accepted for {@code _}. */
    public <E extends Enum<E>> E enumValue(String name, Class<E> type) {
        String v = string(name);
        String key = v.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(key)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name());
        }
        throw new UsageException("Option --" + name + " must be one of " + allowed + ", got '" + v + "'");
    }
}
