package dev.ipam;

import dev.ipam.spi.AccessPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * An {@link AccessPolicy} made of allow rules: a caller pattern, a set of actions and a scope
 * pattern {@code cloud/zone}. Whatever no rule allows is denied. Patterns are globs where
 * {@code *} matches any run of characters (so {@code heat-*}, {@code east/*}, {@code *\/dmz}).
 *
 * <p>Build one in code:
 *
 * <pre>{@code
 * AccessPolicy policy = RuleBasedAccessPolicy.builder()
 *         .allow("heat-*", EnumSet.of(Action.READ, Action.ALLOCATE, Action.RELEASE), "east/*")
 *         .allow("secops", EnumSet.of(Action.READ), "*\/*")
 *         .build();
 * }</pre>
 *
 * <p>or from a small text config, one rule per line: caller pattern, comma-separated actions
 * ({@code read, allocate, release, hold, admin} or {@code *}), scope pattern; {@code #} starts a
 * comment:
 *
 * <pre>
 * # caller   actions                 scope
 * heat-*     read,allocate,release   east/*
 * foreman    read,hold,allocate      *&#47;dmz
 * ops-admin  *                       *&#47;*
 * </pre>
 *
 * <p>Immutable and thread-safe; {@link #permits} does no I/O and allocates nothing.
 */
public final class RuleBasedAccessPolicy implements AccessPolicy {

    private final List<Rule> rules;

    private RuleBasedAccessPolicy(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** One allow rule. */
    public record Rule(String callerPattern, Set<Action> actions, String cloudPattern, String zonePattern) {

        public Rule {
            Objects.requireNonNull(callerPattern, "callerPattern");
            actions = Set.copyOf(EnumSet.copyOf(Objects.requireNonNull(actions, "actions")));
            Objects.requireNonNull(cloudPattern, "cloudPattern");
            Objects.requireNonNull(zonePattern, "zonePattern");
        }

        boolean allows(Caller caller, Action action, Scope scope) {
            return actions.contains(action) && glob(callerPattern, caller.name())
                    && glob(cloudPattern, scope.cloud()) && glob(zonePattern, scope.zone());
        }

        @Override
        public String toString() {
            return callerPattern + " " + actions + " " + cloudPattern + "/" + zonePattern;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses the text config described in the class comment.
     *
     * @throws IllegalArgumentException naming the line number and text of a bad line
     */
    public static RuleBasedAccessPolicy parse(String config) {
        return parse(new StringReader(Objects.requireNonNull(config, "config")));
    }

    /** Same as {@link #parse(String)}, reading from {@code config}. */
    public static RuleBasedAccessPolicy parse(Reader config) {
        Builder builder = builder();
        try (BufferedReader reader = new BufferedReader(config)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                int hash = line.indexOf('#');
                String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (content.isEmpty()) {
                    continue;
                }
                String[] fields = content.split("\\s+");
                if (fields.length != 3) {
                    throw bad(number, line, "expected 3 fields (caller actions cloud/zone), found " + fields.length);
                }
                Set<Action> actions;
                try {
                    actions = parseActions(fields[1]);
                } catch (IllegalArgumentException e) {
                    throw bad(number, line, e.getMessage());
                }
                int slash = fields[2].indexOf('/');
                if (slash < 0 || fields[2].indexOf('/', slash + 1) >= 0) {
                    throw bad(number, line, "scope '" + fields[2] + "' must be cloud/zone");
                }
                builder.allow(fields[0], actions, fields[2]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return builder.build();
    }

    private static IllegalArgumentException bad(int number, String line, String why) {
        return new IllegalArgumentException("Access rule line " + number + " '" + line.strip() + "': " + why);
    }

    private static Set<Action> parseActions(String text) {
        if (text.equals("*")) {
            return EnumSet.allOf(Action.class);
        }
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (String name : text.split(",")) {
            try {
                actions.add(Action.valueOf(name.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown action '" + name + "' (read, allocate, release, hold, admin or *)");
            }
        }
        return actions;
    }

    /** The rules, in the order given. */
    public List<Rule> rules() {
        return rules;
    }

    @Override
    public boolean permits(Caller caller, Action action, Scope scope) {
        for (Rule rule : rules) {
            if (rule.allows(caller, action, scope)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "RuleBasedAccessPolicy" + rules;
    }

    /** Glob match where '*' matches any run of characters; iterative, no regex. */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /** Collects rules. Not thread-safe. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Allows callers matching {@code callerPattern} the actions in scopes matching
         * {@code scopePattern} ({@code cloud/zone}, each part a glob).
         *
         * @throws IllegalArgumentException if a pattern is empty or the scope has no single '/'
         */
        public Builder allow(String callerPattern, Set<Action> actions, String scopePattern) {
            Objects.requireNonNull(scopePattern, "scopePattern");
            int slash = scopePattern.indexOf('/');
            if (slash <= 0 || slash == scopePattern.length() - 1 || scopePattern.indexOf('/', slash + 1) >= 0) {
                throw new IllegalArgumentException("Scope pattern '" + scopePattern + "' must be cloud/zone");
            }
            if (Objects.requireNonNull(callerPattern, "callerPattern").isBlank()) {
                throw new IllegalArgumentException("Caller pattern '" + callerPattern + "' is blank");
            }
            if (actions.isEmpty()) {
                throw new IllegalArgumentException("Rule for '" + callerPattern + "' allows no action");
            }
            rules.add(new Rule(callerPattern, actions, scopePattern.substring(0, slash), scopePattern.substring(slash + 1)));
            return this;
        }

        public RuleBasedAccessPolicy build() {
            return new RuleBasedAccessPolicy(rules);
        }
    }
}
