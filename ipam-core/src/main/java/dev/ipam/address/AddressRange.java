package dev.ipam.address;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An inclusive range {@code [first, last]} of addresses of one family, with {@code first <= last}.
 *
 * <p>Ordering ({@link #compareTo}) is by {@link #first()} and then by {@link #last()}, so IPv4 ranges sort
 * before IPv6 ranges; it is consistent with {@link #equals}.
 *
 * <p>Instances are immutable and thread-safe. The static list operations do not modify their arguments and
 * return new, unmodifiable lists.
 */
public final class AddressRange implements Comparable<AddressRange> {

    private final IpAddress first;
    private final IpAddress last;

    private AddressRange(IpAddress first, IpAddress last) {
        this.first = first;
        this.last = last;
    }

    /**
     * Parses a range. Accepted forms are {@code "first-last"} (spaces around the {@code '-'} allowed, for
     * example {@code "10.0.0.10 - 10.0.0.20"}), a single address ({@code "10.0.0.5"}), or a CIDR prefix
     * ({@code "10.0.0.0/24"}, see {@link Cidr#parse}).
     *
     * @param text the range text
     * @return the range
     * @throws NullPointerException if {@code text} is null
     * @throws IllegalArgumentException if an address or prefix is invalid, the two ends are of different
     *         families, or the last address is before the first; the message quotes the text
     */
    public static AddressRange parse(String text) {
        Objects.requireNonNull(text, "address range text must not be null");
        if (text.indexOf('/') >= 0) {
            return Cidr.parse(text).toRange();
        }
        int dash = text.indexOf('-');
        if (dash < 0) {
            return single(parseEnd(text, text));
        }
        int leftEnd = dash;
        while (leftEnd > 0 && text.charAt(leftEnd - 1) == ' ') {
            leftEnd--;
        }
        int rightStart = dash + 1;
        while (rightStart < text.length() && text.charAt(rightStart) == ' ') {
            rightStart++;
        }
        IpAddress a = parseEnd(text, text.substring(0, leftEnd));
        IpAddress b = parseEnd(text, text.substring(rightStart));
        return checked(text, a, b);
    }

    private static IpAddress parseEnd(String text, String part) {
        try {
            return IpAddress.parse(part);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid address range '" + text + "': " + e.getMessage(), e);
        }
    }

    /**
     * Returns the range {@code [first, last]}.
     *
     * @param first the first address
     * @param last the last address, of the same family and not before {@code first}
     * @return the range
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the families differ or {@code last < first}
     */
    public static AddressRange of(IpAddress first, IpAddress last) {
        Objects.requireNonNull(first, "first address must not be null");
        Objects.requireNonNull(last, "last address must not be null");
        return checked(null, first, last);
    }

    /**
     * Returns the range holding only {@code address}.
     *
     * @param address the address
     * @return the one-address range
     * @throws NullPointerException if {@code address} is null
     */
    public static AddressRange single(IpAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        return new AddressRange(address, address);
    }

    /** Validates the ends; {@code text} is the source text, or null to quote {@code "a-b"} in errors. */
    private static AddressRange checked(String source, IpAddress a, IpAddress b) {
        if (a.isIpv4() != b.isIpv4()) {
            String text = source != null ? source : a + "-" + b;
            throw new IllegalArgumentException("Invalid address range '" + text + "': first address " + a
                    + " is " + a.familyName() + " but last address " + b + " is " + b.familyName());
        }
        if (b.compareTo(a) < 0) {
            String text = source != null ? source : a + "-" + b;
            throw new IllegalArgumentException("Invalid address range '" + text + "': last address " + b
                    + " is before first address " + a);
        }
        return new AddressRange(a, b);
    }

    /**
     * Returns the first (lowest) address.
     *
     * @return the first address
     */
    public IpAddress first() {
        return first;
    }

    /**
     * Returns the last (highest) address, included in the range.
     *
     * @return the last address
     */
    public IpAddress last() {
        return last;
    }

    /**
     * Tells whether this is an IPv4 range.
     *
     * @return true for IPv4, false for IPv6
     */
    public boolean isIpv4() {
        return first.isIpv4();
    }

    /**
     * Tells whether {@code address} lies in this range.
     *
     * @param address the address to test
     * @return true if {@code first <= address <= last}; false for the other family
     * @throws NullPointerException if {@code address} is null
     */
    public boolean contains(IpAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        return address.isIpv4() == first.isIpv4() && first.compareTo(address) <= 0 && address.compareTo(last) <= 0;
    }

    /**
     * Tells whether {@code other} lies wholly inside this range (a range contains itself).
     *
     * @param other the range to test
     * @return true if every address of {@code other} is in this range; false across families
     * @throws NullPointerException if {@code other} is null
     */
    public boolean contains(AddressRange other) {
        Objects.requireNonNull(other, "other range must not be null");
        return other.isIpv4() == isIpv4() && first.compareTo(other.first) <= 0 && other.last.compareTo(last) <= 0;
    }

    /**
     * Tells whether this range and {@code other} share at least one address.
     *
     * @param other the range to test
     * @return true if they overlap; false across families
     * @throws NullPointerException if {@code other} is null
     */
    public boolean overlaps(AddressRange other) {
        Objects.requireNonNull(other, "other range must not be null");
        return other.isIpv4() == isIpv4() && first.compareTo(other.last) <= 0 && other.first.compareTo(last) <= 0;
    }

    /**
     * Returns the number of addresses, {@code last - first + 1} (up to {@code 2^128}).
     *
     * @return the size, at least 1
     */
    public BigInteger size() {
        long dl = last.low() - first.low();
        long borrow = Long.compareUnsigned(last.low(), first.low()) < 0 ? 1L : 0L;
        long dh = last.high() - first.high() - borrow;
        return IpAddress.unsigned128(dh, dl).add(BigInteger.ONE);
    }

    /**
     * Tells whether {@link #size()} is at most {@link Long#MAX_VALUE}.
     *
     * @return true if {@link #sizeAsLong()} will succeed
     */
    public boolean sizeFitsInLong() {
        if (isIpv4()) {
            return true;
        }
        long dl = last.low() - first.low();
        long borrow = Long.compareUnsigned(last.low(), first.low()) < 0 ? 1L : 0L;
        long dh = last.high() - first.high() - borrow;
        return dh == 0L && dl >= 0L && dl != Long.MAX_VALUE;
    }

    /**
     * Returns the number of addresses as a long.
     *
     * @return the size, at least 1
     * @throws ArithmeticException if the size exceeds {@link Long#MAX_VALUE} (see {@link #sizeFitsInLong()})
     */
    public long sizeAsLong() {
        if (!sizeFitsInLong()) {
            throw new ArithmeticException("Size of address range " + this + " does not fit in a long");
        }
        return last.low() - first.low() + 1;
    }

    /**
     * Splits this range into the smallest list of CIDR prefixes that exactly cover it, in ascending order.
     *
     * @return the prefixes, an unmodifiable list of at least one element
     */
    public List<Cidr> toCidrs() {
        List<Cidr> out = new ArrayList<>();
        int bits = first.bitLength();
        IpAddress cur = first;
        while (true) {
            int hostBits = cur.trailingZeros();
            IpAddress blockLast = cur.setHostBits(hostBits);
            while (blockLast.compareTo(last) > 0) {
                hostBits--;
                blockLast = cur.setHostBits(hostBits);
            }
            out.add(Cidr.of(cur, bits - hostBits));
            if (blockLast.equals(last)) {
                return Collections.unmodifiableList(out);
            }
            cur = blockLast.next();
        }
    }

    /**
     * Orders by {@link #first()}, then by {@link #last()}; IPv4 ranges come before IPv6 ranges.
     *
     * @param other the range to compare with
     * @return negative, zero or positive
     * @throws NullPointerException if {@code other} is null
     */
    @Override
    public int compareTo(AddressRange other) {
        int c = first.compareTo(other.first);
        return c != 0 ? c : last.compareTo(other.last);
    }

    /**
     * Two ranges are equal if their first and last addresses are equal.
     *
     * @param o the object to compare with
     * @return true if equal
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AddressRange)) {
            return false;
        }
        AddressRange that = (AddressRange) o;
        return first.equals(that.first) && last.equals(that.last);
    }

    /**
     * Returns a hash code over the first and last addresses.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * first.hashCode() + last.hashCode();
    }

    /**
     * Returns {@code "first-last"}, or just {@code "first"} for a one-address range, with addresses in
     * {@link IpAddress#toString()} form; {@link #parse} of the result returns an equal range.
     *
     * @return the text form
     */
    @Override
    public String toString() {
        return first.equals(last) ? first.toString() : first + "-" + last;
    }

    // ------------------------------------------------------------------ list operations

    /**
     * Returns the addresses of {@code base} that are in none of {@code removed}, as sorted, disjoint,
     * non-adjacent ranges (adjacent pieces are merged). The inputs may be unsorted and overlapping and may mix
     * families; a removed range only affects base ranges of its own family.
     *
     * @param base the ranges to subtract from
     * @param removed the ranges to take away
     * @return the difference, an unmodifiable list (empty if nothing is left)
     * @throws NullPointerException if a list or any element is null
     */
    public static List<AddressRange> subtract(List<AddressRange> base, List<AddressRange> removed) {
        List<AddressRange> b = normalize(base);
        List<AddressRange> r = normalize(removed);
        if (r.isEmpty()) {
            return b;
        }
        List<AddressRange> out = new ArrayList<>(b.size() + r.size());
        int j = 0;
        for (AddressRange range : b) {
            IpAddress curFirst = range.first;
            IpAddress curLast = range.last;
            // Skip removed ranges that end before this base range (including all IPv4 ones for IPv6 base).
            while (j < r.size() && r.get(j).last.compareTo(curFirst) < 0) {
                j++;
            }
            boolean remaining = true;
            for (int k = j; k < r.size(); k++) {
                AddressRange cut = r.get(k);
                if (cut.first.compareTo(curLast) > 0) {
                    break; // also stops at IPv6 removed ranges for an IPv4 base range
                }
                if (cut.first.compareTo(curFirst) > 0) {
                    out.add(new AddressRange(curFirst, cut.first.previous()));
                }
                if (cut.last.compareTo(curLast) >= 0) {
                    remaining = false;
                    break;
                }
                curFirst = cut.last.next();
            }
            if (remaining) {
                out.add(new AddressRange(curFirst, curLast));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Sorts the ranges and merges the ones that overlap or are adjacent (of the same family).
     *
     * @param ranges the ranges, in any order, possibly overlapping and of mixed families
     * @return sorted, disjoint, non-adjacent ranges covering the same addresses, an unmodifiable list
     * @throws NullPointerException if the list or any element is null
     */
    public static List<AddressRange> normalize(List<AddressRange> ranges) {
        Objects.requireNonNull(ranges, "ranges must not be null");
        List<AddressRange> sorted = new ArrayList<>(ranges.size());
        for (AddressRange range : ranges) {
            sorted.add(Objects.requireNonNull(range, "ranges must not contain null"));
        }
        if (sorted.size() <= 1) {
            return Collections.unmodifiableList(sorted);
        }
        Collections.sort(sorted);
        List<AddressRange> out = new ArrayList<>(sorted.size());
        AddressRange cur = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            AddressRange next = sorted.get(i);
            boolean sameFamily = next.isIpv4() == cur.isIpv4();
            if (sameFamily && (next.first.compareTo(cur.last) <= 0 || cur.last.isFollowedBy(next.first))) {
                if (next.last.compareTo(cur.last) > 0) {
                    cur = new AddressRange(cur.first, next.last);
                }
            } else {
                out.add(cur);
                cur = next;
            }
        }
        out.add(cur);
        return Collections.unmodifiableList(out);
    }
}
