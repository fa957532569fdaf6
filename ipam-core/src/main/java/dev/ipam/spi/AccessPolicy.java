package dev.ipam.spi;

import dev.ipam.Action;
import dev.ipam.Caller;
import dev.ipam.Scope;

/**
 * Decides whether a caller may perform an action in a scope. Called on the caller's thread before
 * anything changes; must be thread-safe, fast and non-blocking (no I/O per call).
 */
@FunctionalInterface
public interface AccessPolicy {

    /** Whether {@code caller} may perform {@code action} in {@code scope}. */
    boolean permits(Caller caller, Action action, Scope scope);

    /** A policy that permits everything: say it explicitly when every caller is trusted. */
    static AccessPolicy allowAll() {
        return AllowAll.INSTANCE;
    }

    /** The {@link #allowAll()} policy; a named type so that it prints as what it is. */
    enum AllowAll implements AccessPolicy {
        INSTANCE;

        @Override
        public boolean permits(Caller caller, Action action, Scope scope) {
            return true;
        }

        @Override
        public String toString() {
            return "AccessPolicy.allowAll()";
        }
    }
}
