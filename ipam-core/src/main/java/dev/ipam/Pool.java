package dev.ipam;

import java.time.Instant;

/**
 * A pool as it exists in an {@link Ipam}: its spec and when and by whom it was created.
 * Immutable and thread-safe; {@link IpamSession#usage(String)} gives its live counts.
 *
 * @param spec what the pool is made of
 * @param createdAt when it was created
 * @param createdBy the caller that created it
 */
public record Pool(PoolSpec spec, Instant createdAt, String createdBy) {

    public String name() {
        return spec.name();
    }

    public Scope scope() {
        return spec.scope();
    }
}
