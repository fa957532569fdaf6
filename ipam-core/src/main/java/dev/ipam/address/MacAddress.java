package dev.ipam.address;

import java.util.Objects;

/**
 * A 48-bit IEEE 802 MAC address (EUI-48).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class MacAddress {

    private static final long MASK_48 = 0xFFFF_FFFF_FFFFL;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final long value;

    private MacAddress(long value) {
        this.value = value;
    }

    /**
     * Parses one of the three common text forms, in upper or lower case:
     * {@code "00:11:22:33:44:55"}, {@code "00-11-22-33-44-55"} (six groups of exactly two hex digits) or
     * {@code "0011.2233.4455"} (three groups of exactly four hex digits). Anything else, including mixed
     * separators, other group counts or sizes, whitespace and empty text, is rejected.
     *
     * @param text the MAC address text
     * @return the address
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if the text is not in one of the accepted forms; the message quotes
     *         the text
     */
    public static MacAddress parse(String text) {
        Objects.requireNonNull(text, "MAC address text must not be null");
        int len = text.length();
        if (len == 0) {
            throw invalid(text, "empty text");
        }
        char sep = 0;
        for (int i = 0; i < len; i++) {
            char c = text.charAt(i);
            if (hexValue(c) >= 0) {
                continue;
            }
            if (c != ':' && c != '-' && c != '.') {
                throw invalid(text, "unexpected character '" + c + "'");
            }
            if (sep == 0) {
                sep = c;
            } else if (c != sep) {
                throw invalid(text, "mixed separators '" + sep + "' and '" + c + "'");
            }
        }
        if (sep == 0) {
            throw invalid(text, "expected groups separated by ':', '-' or '.'");
        }
        int groupLen = sep == '.' ? 4 : 2;
        int groups = sep == '.' ? 3 : 6;
        String expected = "expected " + groups + " groups of " + groupLen + " hex digits separated by '" + sep + "'";
        if (len != groups * (groupLen + 1) - 1) {
            throw invalid(text, expected);
        }
        long v = 0L;
        for (int i = 0; i < len; i++) {
            char c = text.charAt(i);
            boolean sepPosition = (i + 1) % (groupLen + 1) == 0;
            if (sepPosition) {
                if (c != sep) {
                    throw invalid(text, expected);
                }
            } else {
                int h = hexValue(c);
                if (h < 0) {
                    throw invalid(text, expected);
                }
                v = (v << 4) | h;
            }
        }
        return new MacAddress(v);
    }

    /**
     * Returns the MAC address made of the low 48 bits of {@code value48}; higher bits are ignored.
     *
     * @param value48 the address value in its low 48 bits
     * @return the address; never throws
     */
    public static MacAddress of(long value48) {
        return new MacAddress(value48 & MASK_48);
    }

    /**
     * Returns the MAC address held in 6 bytes, in transmission order. The array is not retained.
     *
     * @param bytes exactly 6 bytes
     * @return the address
     * @throws NullPointerException if {@code bytes} is null
     * @throws IllegalArgumentException if the array length is not 6
     */
    public static MacAddress fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "MAC address bytes must not be null");
        if (bytes.length != 6) {
            throw new IllegalArgumentException("Invalid MAC address bytes: expected 6 bytes, got " + bytes.length);
        }
        long v = 0L;
        for (byte b : bytes) {
            v = (v << 8) | (b & 0xFFL);
        }
        return new MacAddress(v);
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException("Invalid MAC address '" + text + "': " + reason);
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * Returns the 48-bit value; the first octet is in bits 47..40.
     *
     * @return a value in {@code 0..0xFFFFFFFFFFFFL}
     */
    public long value() {
        return value;
    }

    /**
     * Returns the 6 octets in transmission order. Each call returns a new array.
     *
     * @return a fresh 6-byte array
     */
    public byte[] toBytes() {
        byte[] out = new byte[6];
        long v = value;
        for (int i = 5; i >= 0; i--) {
            out[i] = (byte) v;
            v >>>= 8;
        }
        return out;
    }

    /**
     * Returns the modified EUI-64 interface identifier of RFC 4291 appendix A: {@code ff:fe} inserted between
     * the third and fourth octets, and the universal/local bit ({@code 0x02} of the first octet) inverted.
     * For example {@code 00:11:22:33:44:55} gives {@code 0x021122fffe334455}, which as the low 64 bits of an
     * IPv6 address reads {@code 211:22ff:fe33:4455}.
     *
     * @return the 64-bit interface identifier; never throws
     */
    public long eui64InterfaceId() {
        long oui = value >>> 24;
        long nic = value & 0xFF_FFFFL;
        long id = (oui << 40) | (0xFFFEL << 24) | nic;
        return id ^ (0x02L << 56);
    }

    /**
     * Two MAC addresses are equal if their 48-bit values are equal.
     *
     * @param o the object to compare with
     * @return true if equal
     */
    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof MacAddress && ((MacAddress) o).value == value);
    }

    /**
     * Returns a hash code of the 48-bit value.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    /**
     * Returns the lower-case colon form, such as {@code "00:11:22:33:44:55"}; {@link #parse} of the result
     * returns an equal address.
     *
     * @return the canonical text
     */
    @Override
    public String toString() {
        char[] out = new char[17];
        for (int i = 0; i < 6; i++) {
            int octet = (int) (value >>> (40 - 8 * i)) & 0xFF;
            out[3 * i] = HEX[octet >>> 4];
            out[3 * i + 1] = HEX[octet & 0xF];
            if (i < 5) {
                out[3 * i + 2] = ':';
            }
        }
        return new String(out);
    }
}
