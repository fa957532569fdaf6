package dev.ipam;

import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * An address bound to its owner until released. Immutable and thread-safe.
 *
 * @param pool the pool's name
 * @param address the address
 * @param owner who holds it (a VM id)
 * @param environment the environment of the {@code (environment, name)} key, or null
 * @param name the name of the {@code (environment, name)} key, or null
 * @param hostname the DNS host name, or null
 * @param mac the MAC address, or null
 * @param allocatedAt when it was allocated
 * @param allocatedBy the caller that allocated it
 */
public record Allocation(String pool, IpAddress address, String owner, String environment, String name,
        String hostname, MacAddress mac, Instant allocatedAt, String allocatedBy) {

    public Allocation {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(allocatedAt, "allocatedAt");
        Objects.requireNonNull(allocatedBy, "allocatedBy");
    }
}
