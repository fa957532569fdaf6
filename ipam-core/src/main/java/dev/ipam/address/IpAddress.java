package dev.ipam.address;

import java.math.BigInteger;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address.
 *
 * <p>The address is held as two {@code long}s ({@link #high()}, {@link #low()}) and a family flag. For IPv4,
 * {@code high} is always 0 and {@code low} holds the 32-bit value as an unsigned number in
 * {@code 0..0xFFFFFFFFL}. For IPv6, {@code high} holds bits 127..64 and {@code low} bits 63..0, both read as
 * unsigned.
 *
 * <p>Ordering ({@link #compareTo}) puts every IPv4 address before every IPv6 address and otherwise follows
 * the unsigned numeric value; it is consistent with {@link #equals}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class IpAddress implements Comparable<IpAddress> {

    /** Largest IPv4 value, as an unsigned 32-bit number held in a long. */
    static final long IPV4_MAX = 0xFFFF_FFFFL;

    private final long high;
    private final long low;
    private final boolean ipv4;

    private IpAddress(long high, long low, boolean ipv4) {
        this.high = high;
        this.low = low;
        this.ipv4 = ipv4;
    }

    // ------------------------------------------------------------------ factories

    /**
     * Parses the text form of an IPv4 or IPv6 address.
     *
     * <p>IPv4 must be a dotted quad of exactly four decimal octets in {@code 0..255} without leading zeros
     * ({@code "010.0.0.1"} is rejected because it is ambiguous with octal). IPv6 accepts the text forms of
     * RFC 4291 section 2.2: eight groups of one to four hex digits (either case), at most one {@code "::"}
     * standing for one or more zero groups, and an optional dotted IPv4 tail for the last 32 bits
     * ({@code "::ffff:10.0.0.1"}). Zone ids ({@code "%eth0"}), brackets, prefix lengths ({@code "/64"}) and any
     * whitespace are rejected.
     *
     * @param text the address text
     * @return the address
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if the text is not a valid address; the message quotes the text
     */
    public static IpAddress parse(String text) {
        Objects.requireNonNull(text, "IP address text must not be null");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("Invalid IP address '': empty text");
        }
        boolean hasDot = false;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c == ':') {
                return parseIpv6(text);
            }
            if (c == '.') {
                hasDot = true;
            }
        }
        if (!hasDot) {
            throw new IllegalArgumentException(
                    "Invalid IP address '" + text + "': neither an IPv4 dotted quad nor an IPv6 address");
        }
        return new IpAddress(0L, parseIpv4(text, 0, text.length(), false), true);
    }

    /**
     * Returns the IPv4 address whose 32 bits are {@code bits}, read as unsigned (so {@code -1} is
     * {@code 255.255.255.255}).
     *
     * @param bits the address bits
     * @return the IPv4 address; never throws
     */
    public static IpAddress ofIpv4(int bits) {
        return new IpAddress(0L, bits & IPV4_MAX, true);
    }

    /**
     * Returns the IPv4 address with the given unsigned value.
     *
     * @param value the address value, {@code 0..0xFFFFFFFFL}
     * @return the IPv4 address
     * @throws IllegalArgumentException if {@code value} is outside {@code 0..0xFFFFFFFFL}
     */
    public static IpAddress ofIpv4(long value) {
        if (value < 0 || value > IPV4_MAX) {
            throw new IllegalArgumentException("Invalid IPv4 value " + value + ": must be in 0..4294967295");
        }
        return new IpAddress(0L, value, true);
    }

    /**
     * Returns the IPv6 address whose upper 64 bits are {@code high} and lower 64 bits are {@code low}.
     *
     * @param high bits 127..64
     * @param low bits 63..0
     * @return the IPv6 address; never throws
     */
    public static IpAddress ofIpv6(long high, long low) {
        return new IpAddress(high, low, false);
    }

    /**
     * Returns the address held in network byte order (big-endian) in {@code bytes}: 4 bytes give IPv4,
     * 16 bytes give IPv6. The array is not retained.
     *
     * @param bytes 4 or 16 bytes
     * @return the address
     * @throws NullPointerException if {@code bytes} is null
     * @throws IllegalArgumentException if the array length is neither 4 nor 16
     */
    public static IpAddress fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "address bytes must not be null");
        if (bytes.length == 4) {
            return new IpAddress(0L, readLong(bytes, 0, 4), true);
        }
        if (bytes.length == 16) {
            return new IpAddress(readLong(bytes, 0, 8), readLong(bytes, 8, 8), false);
        }
        throw new IllegalArgumentException(
                "Invalid IP address bytes: expected 4 or 16 bytes, got " + bytes.length);
    }

    /**
     * Returns the smallest address of a family: {@code 0.0.0.0} or {@code ::}.
     *
     * @param ipv4 true for IPv4, false for IPv6
     * @return the smallest address; never throws
     */
    public static IpAddress min(boolean ipv4) {
        return new IpAddress(0L, 0L, ipv4);
    }

    /**
     * Returns the largest address of a family: {@code 255.255.255.255} or
     * {@code ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff}.
     *
     * @param ipv4 true for IPv4, false for IPv6
     * @return the largest address; never throws
     */
    public static IpAddress max(boolean ipv4) {
        return ipv4 ? new IpAddress(0L, IPV4_MAX, true) : new IpAddress(-1L, -1L, false);
    }

    // ------------------------------------------------------------------ accessors

    /**
     * Tells whether this is an IPv4 address.
     *
     * @return true for IPv4
     */
    public boolean isIpv4() {
        return ipv4;
    }

    /**
     * Tells whether this is an IPv6 address.
     *
     * @return true for IPv6
     */
    public boolean isIpv6() {
        return !ipv4;
    }

    /**
     * Returns the number of bits of the family.
     *
     * @return 32 for IPv4, 128 for IPv6
     */
    public int bitLength() {
        return ipv4 ? 32 : 128;
    }

    /**
     * Returns the upper 64 bits of an IPv6 address, or 0 for IPv4.
     *
     * @return bits 127..64 (IPv6) or 0 (IPv4)
     */
    public long high() {
        return high;
    }

    /**
     * Returns the lower 64 bits of an IPv6 address, or the unsigned 32-bit value of an IPv4 address.
     *
     * @return bits 63..0 (IPv6) or {@code 0..0xFFFFFFFFL} (IPv4)
     */
    public long low() {
        return low;
    }

    /**
     * Tells whether this is an IPv4-mapped IPv6 address ({@code ::ffff:0:0/96}, RFC 4291 section 2.5.5.2).
     *
     * @return true for an IPv4-mapped IPv6 address; false otherwise (including for any IPv4 address)
     */
    public boolean isIpv4Mapped() {
        return !ipv4 && high == 0L && (low >>> 32) == 0xFFFFL;
    }

    /**
     * Returns the address in network byte order: 4 bytes for IPv4, 16 for IPv6. Each call returns a new array.
     *
     * @return a fresh byte array
     */
    public byte[] toBytes() {
        if (ipv4) {
            byte[] out = new byte[4];
            writeLong(out, 0, 4, low);
            return out;
        }
        byte[] out = new byte[16];
        writeLong(out, 0, 8, high);
        writeLong(out, 8, 8, low);
        return out;
    }

    // ------------------------------------------------------------------ arithmetic

    /**
     * Adds {@code delta} (which may be negative) to this address within its family.
     *
     * @param delta the signed amount to add
     * @return the address {@code delta} positions away, of the same family
     * @throws ArithmeticException if the result is below the smallest or above the largest address of the
     *         family
     */
    public IpAddress plus(long delta) {
        if (delta == 0) {
            return this;
        }
        if (ipv4) {
            long r = low + delta;
            // low is in [0, 2^32), so overflow of the long addition is only possible for huge deltas and
            // is detected by the sign flip below or the range check.
            if (((low ^ r) & (delta ^ r)) < 0 || r < 0 || r > IPV4_MAX) {
                throw new ArithmeticException("IPv4 address " + this + " plus " + delta + " is out of range");
            }
            return new IpAddress(0L, r, true);
        }
        long newLow = low + delta;
        long carry = Long.compareUnsigned(newLow, low) < 0 ? 1L : 0L;
        long newHigh = high + (delta >> 63) + carry;
        int cmp = compareUnsigned128(newHigh, newLow, high, low);
        if (delta > 0 ? cmp < 0 : cmp > 0) {
            throw new ArithmeticException("IPv6 address " + this + " plus " + delta + " is out of range");
        }
        return new IpAddress(newHigh, newLow, false);
    }

    /**
     * Returns the following address, {@code plus(1)}.
     *
     * @return the next address of the same family
     * @throws ArithmeticException if this is the largest address of its family
     */
    public IpAddress next() {
        return plus(1L);
    }

    /**
     * Returns the preceding address, {@code plus(-1)}.
     *
     * @return the previous address of the same family
     * @throws ArithmeticException if this is the smallest address of its family
     */
    public IpAddress previous() {
        return plus(-1L);
    }

    /**
     * Returns {@code other - this} as a signed long, so that {@code this.plus(this.distanceTo(other))}
     * equals {@code other}.
     *
     * @param other an address of the same family
     * @return the signed distance from this address to {@code other}
     * @throws NullPointerException if {@code other} is null
     * @throws IllegalArgumentException if the families differ
     * @throws ArithmeticException if the distance does not fit in a long (IPv6 only)
     */
    public long distanceTo(IpAddress other) {
        Objects.requireNonNull(other, "other address must not be null");
        requireSameFamily(other);
        if (ipv4) {
            return other.low - low;
        }
        long dl = other.low - low;
        long borrow = Long.compareUnsigned(other.low, low) < 0 ? 1L : 0L;
        long dh = other.high - high - borrow;
        if (compareUnsigned128(other.high, other.low, high, low) >= 0) {
            if (dh == 0L && dl >= 0L) {
                return dl;
            }
        } else if (dh == -1L && dl < 0L) {
            return dl;
        }
        throw new ArithmeticException("Distance from " + this + " to " + other + " does not fit in a long");
    }

    // ------------------------------------------------------------------ package helpers for Cidr / AddressRange

    /** The address with the lowest {@code hostBits} bits cleared. */
    IpAddress clearHostBits(int hostBits) {
        if (hostBits == 0) {
            return this;
        }
        return new IpAddress(high & ~hostMaskHigh(hostBits), low & ~hostMaskLow(hostBits), ipv4);
    }

    /** The address with the lowest {@code hostBits} bits set. */
    IpAddress setHostBits(int hostBits) {
        if (hostBits == 0) {
            return this;
        }
        return new IpAddress(high | hostMaskHigh(hostBits), low | hostMaskLow(hostBits), ipv4);
    }

    /** True if the lowest {@code hostBits} bits are all zero. */
    boolean hostBitsClear(int hostBits) {
        return (high & hostMaskHigh(hostBits)) == 0L && (low & hostMaskLow(hostBits)) == 0L;
    }

    /** True if this and {@code other} (same family assumed) agree on all bits above the lowest {@code hostBits}. */
    boolean sameNetwork(IpAddress other, int hostBits) {
        return ((high ^ other.high) & ~hostMaskHigh(hostBits)) == 0L
                && ((low ^ other.low) & ~hostMaskLow(hostBits)) == 0L;
    }

    /** Number of trailing zero bits, at most {@link #bitLength()}. */
    int trailingZeros() {
        if (low != 0L) {
            return Math.min(Long.numberOfTrailingZeros(low), bitLength());
        }
        return ipv4 ? 32 : 64 + Long.numberOfTrailingZeros(high);
    }

    /** True if {@code other} is this address plus one (same family). */
    boolean isFollowedBy(IpAddress other) {
        if (ipv4 != other.ipv4) {
            return false;
        }
        if (low != -1L) {
            return other.high == high && other.low == low + 1;
        }
        return high != -1L && other.low == 0L && other.high == high + 1;
    }

    /** True if this is the largest address of its family. */
    boolean isMax() {
        return ipv4 ? low == IPV4_MAX : (high == -1L && low == -1L);
    }

    /** The unsigned value as a BigInteger (for size computations only). */
    BigInteger toBigInteger() {
        return unsigned128(high, low);
    }

    static BigInteger unsigned128(long high, long low) {
        BigInteger lo = BigInteger.valueOf(low >>> 1).shiftLeft(1).or(BigInteger.valueOf(low & 1L));
        if (high == 0L) {
            return lo;
        }
        BigInteger hi = BigInteger.valueOf(high >>> 1).shiftLeft(1).or(BigInteger.valueOf(high & 1L));
        return hi.shiftLeft(64).or(lo);
    }

    void requireSameFamily(IpAddress other) {
        if (ipv4 != other.ipv4) {
            throw new IllegalArgumentException("Address families differ: " + this + " is "
                    + familyName() + " but " + other + " is " + other.familyName());
        }
    }

    String familyName() {
        return ipv4 ? "IPv4" : "IPv6";
    }

    private static long hostMaskHigh(int hostBits) {
        if (hostBits <= 64) {
            return 0L;
        }
        return hostBits >= 128 ? -1L : (-1L >>> (128 - hostBits));
    }

    private static long hostMaskLow(int hostBits) {
        if (hostBits <= 0) {
            return 0L;
        }
        return hostBits >= 64 ? -1L : (-1L >>> (64 - hostBits));
    }

    static int compareUnsigned128(long h1, long l1, long h2, long l2) {
        int c = Long.compareUnsigned(h1, h2);
        return c != 0 ? c : Long.compareUnsigned(l1, l2);
    }

    // ------------------------------------------------------------------ Object

    /**
     * Orders all IPv4 addresses before all IPv6 addresses, then by unsigned numeric value. Consistent with
     * {@link #equals}.
     *
     * @param other the address to compare with
     * @return negative, zero or positive
     * @throws NullPointerException if {@code other} is null
     */
    @Override
    public int compareTo(IpAddress other) {
        if (ipv4 != other.ipv4) {
            return ipv4 ? -1 : 1;
        }
        return compareUnsigned128(high, low, other.high, other.low);
    }

    /**
     * Two addresses are equal if they have the same family and the same value. An IPv4 address never equals
     * an IPv6 address, not even its IPv4-mapped form.
     *
     * @param o the object to compare with
     * @return true if equal
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IpAddress)) {
            return false;
        }
        IpAddress that = (IpAddress) o;
        return high == that.high && low == that.low && ipv4 == that.ipv4;
    }

    /**
     * Returns a hash code over family and value.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        int h = Long.hashCode(high);
        h = 31 * h + Long.hashCode(low);
        return ipv4 ? h : ~h;
    }

    /**
     * Returns the canonical text: a dotted quad for IPv4; for IPv6 the RFC 5952 form (lower-case hex,
     * no leading zeros, the longest run of two or more zero groups replaced by {@code "::"}, the first run on
     * ties, a single zero group never compressed), with IPv4-mapped addresses written as
     * {@code ::ffff:a.b.c.d} (RFC 5952 section 5). {@link #parse} of the result returns an equal address.
     *
     * @return the canonical text
     */
    @Override
    public String toString() {
        if (ipv4) {
            StringBuilder sb = new StringBuilder(15);
            appendDotted(sb, low);
            return sb.toString();
        }
        if (isIpv4Mapped()) {
            StringBuilder sb = new StringBuilder(22).append("::ffff:");
            appendDotted(sb, low & IPV4_MAX);
            return sb.toString();
        }
        int bestStart = -1;
        int bestLen = 0;
        int runStart = -1;
        for (int i = 0; i < 8; i++) {
            if (group(i) == 0) {
                if (runStart < 0) {
                    runStart = i;
                }
                int len = i - runStart + 1;
                if (len > bestLen) {
                    bestLen = len;
                    bestStart = runStart;
                }
            } else {
                runStart = -1;
            }
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder(39);
        boolean needColon = false;
        int i = 0;
        while (i < 8) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen;
                needColon = false;
                continue;
            }
            if (needColon) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(group(i)));
            needColon = true;
            i++;
        }
        return sb.toString();
    }

    private int group(int i) {
        long word = i < 4 ? high : low;
        return (int) (word >>> (48 - 16 * (i & 3))) & 0xFFFF;
    }

    private static void appendDotted(StringBuilder sb, long v) {
        sb.append((v >>> 24) & 0xFF).append('.')
                .append((v >>> 16) & 0xFF).append('.')
                .append((v >>> 8) & 0xFF).append('.')
                .append(v & 0xFF);
    }

    // ------------------------------------------------------------------ parsing

    private static IllegalArgumentException invalid(String family, String text, String reason) {
        return new IllegalArgumentException("Invalid " + family + " address '" + text + "': " + reason);
    }

    /**
     * Parses a dotted quad in {@code text[from, to)}; returns the unsigned 32-bit value.
     * Errors quote the whole {@code text}; {@code embedded} marks the tail of an IPv6 address.
     */
    private static long parseIpv4(String text, int from, int to, boolean embedded) {
        String family = embedded ? "IPv6" : "IPv4";
        String what = embedded ? "embedded IPv4 octet " : "octet ";
        long value = 0L;
        int octets = 0;
        int i = from;
        while (true) {
            int start = i;
            int v = 0;
            while (i < to) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    break;
                }
                if (i - start < 4) {
                    v = v * 10 + (c - '0');
                }
                i++;
            }
            int digits = i - start;
            if (digits == 0) {
                if (i == to || text.charAt(i) == '.') {
                    throw invalid(family, text, "empty " + what.trim());
                }
                throw invalid(family, text, "unexpected character '" + text.charAt(i) + "'");
            }
            if (digits > 3 || v > 255) {
                throw invalid(family, text, what + text.substring(start, i) + " out of range");
            }
            if (digits > 1 && text.charAt(start) == '0') {
                throw invalid(family, text, what + "'" + text.substring(start, i) + "' has a leading zero");
            }
            value = (value << 8) | v;
            octets++;
            if (i == to) {
                break;
            }
            char c = text.charAt(i);
            if (c != '.') {
                throw invalid(family, text, "unexpected character '" + c + "'");
            }
            if (octets == 4) {
                throw invalid(family, text, "too many octets, expected 4");
            }
            i++;
        }
        if (octets != 4) {
            throw invalid(family, text, "expected 4 octets but found " + octets);
        }
        return value;
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

    private static IpAddress parseIpv6(String text) {
        final String f = "IPv6";
        int len = text.length();
        for (int k = 0; k < len; k++) {
            char c = text.charAt(k);
            if (c == '%') {
                throw invalid(f, text, "zone ids ('%...') are not supported");
            }
            if (c == '[' || c == ']') {
                throw invalid(f, text, "brackets are not allowed");
            }
            if (c == '/') {
                throw invalid(f, text, "a prefix length is not allowed here (use Cidr.parse)");
            }
        }
        int[] groups = new int[8];
        int n = 0;
        int compressAt = -1;
        int i = 0;
        if (text.charAt(0) == ':') {
            if (len < 2 || text.charAt(1) != ':') {
                throw invalid(f, text, "a leading ':' must be part of '::'");
            }
            compressAt = 0;
            i = 2;
            if (i < len && text.charAt(i) == ':') {
                throw invalid(f, text, "':::' is not allowed");
            }
        }
        while (i < len) {
            int start = i;
            int v = 0;
            while (i < len) {
                int h = hexValue(text.charAt(i));
                if (h < 0) {
                    break;
                }
                v = (v << 4) | h;
                i++;
            }
            int digits = i - start;
            if (i < len && text.charAt(i) == '.') {
                if (n > 6) {
                    throw invalid(f, text, "too many groups");
                }
                long v4 = parseIpv4(text, start, len, true);
                groups[n++] = (int) (v4 >>> 16);
                groups[n++] = (int) (v4 & 0xFFFF);
                i = len;
                break;
            }
            if (digits == 0) {
                throw invalid(f, text, "unexpected character '" + text.charAt(i) + "'");
            }
            if (digits > 4) {
                throw invalid(f, text, "group '" + text.substring(start, i) + "' has more than 4 hex digits");
            }
            if (n == 8) {
                throw invalid(f, text, "too many groups, at most 8 allowed");
            }
            groups[n++] = v;
            if (i == len) {
                break;
            }
            char c = text.charAt(i);
            if (c != ':') {
                throw invalid(f, text, "unexpected character '" + c + "'");
            }
            i++;
            if (i == len) {
                throw invalid(f, text, "a trailing ':' must be part of '::'");
            }
            if (text.charAt(i) == ':') {
                if (compressAt >= 0) {
                    throw invalid(f, text, "more than one '::'");
                }
                compressAt = n;
                i++;
                if (i < len && text.charAt(i) == ':') {
                    throw invalid(f, text, "':::' is not allowed");
                }
            }
        }
        if (compressAt < 0) {
            if (n != 8) {
                throw invalid(f, text, "expected 8 groups but found " + n);
            }
        } else if (n > 7) {
            throw invalid(f, text, "too many groups for '::' (at most 7 besides '::')");
        }
        long hi = 0L;
        long lo = 0L;
        int gap = 8 - n;
        for (int slot = 0, g = 0; slot < 8; slot++) {
            int value;
            if (compressAt >= 0 && slot >= compressAt && slot < compressAt + gap) {
                value = 0;
            } else {
                value = groups[g++];
            }
            if (slot < 4) {
                hi = (hi << 16) | value;
            } else {
                lo = (lo << 16) | value;
            }
        }
        return new IpAddress(hi, lo, false);
    }

    private static long readLong(byte[] b, int off, int count) {
        long v = 0L;
        for (int k = 0; k < count; k++) {
            v = (v << 8) | (b[off + k] & 0xFFL);
        }
        return v;
    }

    private static void writeLong(byte[] b, int off, int count, long v) {
        for (int k = count - 1; k >= 0; k--) {
            b[off + k] = (byte) v;
            v >>>= 8;
        }
    }
}
