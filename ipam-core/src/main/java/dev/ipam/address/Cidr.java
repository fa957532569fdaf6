package dev.ipam.address;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A network prefix in CIDR notation, such as {@code 10.0.0.0/8} or {@code 2001:db8::/64}: a network address
 * whose host bits (the bits after the first {@code prefixLength} bits) are all zero, and a prefix length in
 * {@code 0..32} for IPv4 or {@code 0..128} for IPv6.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Cidr {

    private final IpAddress network;
    private final int prefixLength;

    private Cidr(IpAddress network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses {@code "address/prefixLength"}, for example {@code "10.0.0.0/8"} or {@code "2001:db8::/64"}.
     * The address follows {@link IpAddress#parse}; the prefix length is one to three decimal digits with no
     * sign or whitespace.
     *
     * @param text the CIDR text
     * @return the prefix
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if the prefix length is missing, not a non-negative number, or too
     *         large for the family, if the address is invalid, or if host bits are set (the message then names
     *         the network probably meant); the message quotes the text
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "CIDR text must not be null");
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw invalid(text, "missing '/prefixLength'");
        }
        IpAddress address;
        try {
            address = IpAddress.parse(text.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid CIDR '" + text + "': " + e.getMessage(), e);
        }
        int prefix = parsePrefix(text, slash + 1);
        return checked(text, address, prefix);
    }

    /**
     * Returns the prefix with the given network address and prefix length.
     *
     * @param network the network address; its host bits must be zero
     * @param prefixLength {@code 0..32} for IPv4, {@code 0..128} for IPv6
     * @return the prefix
     * @throws NullPointerException if {@code network} is null
     * @throws IllegalArgumentException if the prefix length is out of range for the family, or if host bits
     *         of {@code network} are set (the message names the network probably meant)
     */
    public static Cidr of(IpAddress network, int prefixLength) {
        Objects.requireNonNull(network, "network address must not be null");
        return checked(null, network, prefixLength);
    }

    /**
     * Returns the prefix of the given length that contains {@code address}, clearing its host bits; for
     * example {@code containing(10.0.0.5, 24)} is {@code 10.0.0.0/24}.
     *
     * @param address any address
     * @param prefixLength {@code 0..32} for IPv4, {@code 0..128} for IPv6
     * @return the enclosing prefix
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if the prefix length is out of range for the family
     */
    public static Cidr containing(IpAddress address, int prefixLength) {
        Objects.requireNonNull(address, "address must not be null");
        checkPrefix(null, address, prefixLength);
        return new Cidr(address.clearHostBits(address.bitLength() - prefixLength), prefixLength);
    }

    private static Cidr checked(String text, IpAddress address, int prefix) {
        checkPrefix(text, address, prefix);
        int hostBits = address.bitLength() - prefix;
        if (!address.hostBitsClear(hostBits)) {
            throw invalid(text, address, prefix, "host bits are set; did you mean "
                    + address.clearHostBits(hostBits) + "/" + prefix + "?");
        }
        return new Cidr(address, prefix);
    }

    private static void checkPrefix(String text, IpAddress address, int prefix) {
        int bits = address.bitLength();
        if (prefix < 0 || prefix > bits) {
            throw invalid(text, address, prefix, "prefix length " + prefix + " is out of range for "
                    + address.familyName() + " (0.." + bits + ")");
        }
    }

    private static int parsePrefix(String text, int from) {
        int len = text.length();
        if (from == len) {
            throw invalid(text, "missing prefix length after '/'");
        }
        if (len - from > 3) {
            throw invalid(text, "prefix length '" + text.substring(from) + "' is too long (at most 3 digits)");
        }
        int v = 0;
        for (int i = from; i < len; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(text, "prefix length '" + text.substring(from)
                        + "' is not a non-negative decimal number");
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException("Invalid CIDR '" + text + "': " + reason);
    }

    /** Error for {@code text}, or for {@code address/prefix} when there is no source text. */
    private static IllegalArgumentException invalid(String text, IpAddress address, int prefix, String reason) {
        return invalid(text != null ? text : address + "/" + prefix, reason);
    }

    /**
     * Returns the network address (the first address of the prefix).
     *
     * @return the network address
     */
    public IpAddress network() {
        return network;
    }

    /**
     * Returns the prefix length.
     *
     * @return {@code 0..32} for IPv4, {@code 0..128} for IPv6
     */
    public int prefixLength() {
        return prefixLength;
    }

    /**
     * Returns the first address of the prefix, the same as {@link #network()}.
     *
     * @return the first address
     */
    public IpAddress first() {
        return network;
    }

    /**
     * Returns the last address of the prefix (for IPv4, the broadcast address).
     *
     * @return the last address: the network address with all host bits set
     */
    public IpAddress last() {
        return network.setHostBits(network.bitLength() - prefixLength);
    }

    /**
     * Tells whether this is an IPv4 prefix.
     *
     * @return true for IPv4, false for IPv6
     */
    public boolean isIpv4() {
        return network.isIpv4();
    }

    /**
     * Tells whether {@code address} lies in this prefix.
     *
     * @param address the address to test
     * @return true if it lies in the prefix; false if not or if it is of the other family
     * @throws NullPointerException if {@code address} is null
     */
    public boolean contains(IpAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        return address.isIpv4() == network.isIpv4()
                && network.sameNetwork(address, network.bitLength() - prefixLength);
    }

    /**
     * Tells whether {@code other} lies wholly inside this prefix (a prefix contains itself).
     *
     * @param other the prefix to test
     * @return true if every address of {@code other} is in this prefix; false across families
     * @throws NullPointerException if {@code other} is null
     */
    public boolean contains(Cidr other) {
        Objects.requireNonNull(other, "other CIDR must not be null");
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    /**
     * Tells whether this prefix and {@code other} share at least one address (for prefixes this means one
     * contains the other).
     *
     * @param other the prefix to test
     * @return true if they overlap; false across families
     * @throws NullPointerException if {@code other} is null
     */
    public boolean overlaps(Cidr other) {
        Objects.requireNonNull(other, "other CIDR must not be null");
        return contains(other) || other.contains(this);
    }

    /**
     * Returns the number of addresses in the prefix, {@code 2^(bitLength - prefixLength)}.
     *
     * @return the size, at least 1
     */
    public BigInteger size() {
        return BigInteger.ONE.shiftLeft(network.bitLength() - prefixLength);
    }

    /**
     * Returns the prefix as an inclusive address range {@code [first(), last()]}.
     *
     * @return the range
     */
    public AddressRange toRange() {
        return AddressRange.of(network, last());
    }

    /**
     * Two prefixes are equal if their network addresses and prefix lengths are equal.
     *
     * @param o the object to compare with
     * @return true if equal
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Cidr)) {
            return false;
        }
        Cidr that = (Cidr) o;
        return prefixLength == that.prefixLength && network.equals(that.network);
    }

    /**
     * Returns a hash code over network address and prefix length.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * network.hashCode() + prefixLength;
    }

    /**
     * Returns the canonical text {@code "network/prefixLength"}, with the network in
     * {@link IpAddress#toString()} form; {@link #parse} of the result returns an equal prefix.
     *
     * @return the canonical text
     */
    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
