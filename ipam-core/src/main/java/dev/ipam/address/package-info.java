/**
 * Value types for network addresses: {@link dev.ipam.address.IpAddress} (IPv4 and IPv6),
 * {@link dev.ipam.address.Cidr} prefixes, inclusive {@link dev.ipam.address.AddressRange}s with set operations,
 * and {@link dev.ipam.address.MacAddress}.
 *
 * <p>All types are immutable and thread-safe. Parsing is strict: bad text is rejected with an
 * {@link java.lang.IllegalArgumentException} whose message quotes the text, and null text with a
 * {@link java.lang.NullPointerException}.
 */
package dev.ipam.address;
