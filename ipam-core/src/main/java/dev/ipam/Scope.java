package dev.ipam;

import java.util.Objects;

/**
 * The address space a pool belongs to: a cloud (its own routing domain) and a security zone within
 * it. Within one cloud the pools of all zones are disjoint; two clouds may reuse the same ranges.
 *
 * <p>Immutable and thread-safe.
 *
 * @param cloud the cloud name: 1 to 64 characters of letters, digits, {@code . _ -}
 * @param zone the security zone name, same rules as {@code cloud}
 */
public record Scope(String cloud, String zone) {

    /**
     * @throws IllegalArgumentException if a name is blank, too long, or has other characters
     * @throws NullPointerException if a name is null
     */
    public Scope {
        Names.requireIdentifier("cloud", cloud);
        Names.requireIdentifier("zone", zone);
    }

    /** Same as the constructor. */
    public static Scope of(String cloud, String zone) {
        return new Scope(cloud, zone);
    }

    /** Whether this scope is in the given cloud. */
    public boolean inCloud(String cloudName) {
        return cloud.equals(Objects.requireNonNull(cloudName, "cloudName"));
    }

    @Override
    public String toString() {
        return cloud + "/" + zone;
    }
}
