package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** Properties of the address types checked against simple models (BigInteger values, BitSets). */
class AddressPropertiesTest {

    private static final BigInteger TWO_128 = BigInteger.ONE.shiftLeft(128);
    private static final BigInteger TWO_32 = BigInteger.ONE.shiftLeft(32);

    // ------------------------------------------------------------------ generators

    /** 64-bit words biased towards zero, all-ones and boundary values so runs of zero groups are common. */
    private static Arbitrary<Long> words() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs()),
                Tuple.of(2, Arbitraries.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF_0000_0000L)),
                Tuple.of(2, Arbitraries.longs().between(-3, 3)));
    }

    @Provide
    Arbitrary<IpAddress> ipv4() {
        return Arbitraries.integers().map(IpAddress::ofIpv4);
    }

    @Provide
    Arbitrary<IpAddress> ipv6() {
        Arbitrary<IpAddress> fromWords = Combinators.combine(words(), words()).as(IpAddress::ofIpv6);
        Arbitrary<Integer> group = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.of(1, 0xFFFF)),
                Tuple.of(2, Arbitraries.integers().between(0, 0xFFFF)));
        Arbitrary<IpAddress> fromGroups = group.list().ofSize(8).map(groups -> {
            long high = 0;
            long low = 0;
            for (int i = 0; i < 8; i++) {
                if (i < 4) {
                    high = (high << 16) | groups.get(i);
                } else {
                    low = (low << 16) | groups.get(i);
                }
            }
            return IpAddress.ofIpv6(high, low);
        });
        Arbitrary<IpAddress> mapped = Arbitraries.integers()
                .map(v -> IpAddress.ofIpv6(0, 0xFFFF_0000_0000L | (v & 0xFFFF_FFFFL)));
        return Arbitraries.frequencyOf(Tuple.of(3, fromWords), Tuple.of(3, fromGroups), Tuple.of(1, mapped));
    }

    @Provide
    Arbitrary<IpAddress> anyAddress() {
        return Arbitraries.oneOf(ipv4(), ipv6());
    }

    @Provide
    Arbitrary<Long> deltas() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.longs()),
                Tuple.of(2, Arbitraries.longs().between(-1_000, 1_000)),
                Tuple.of(1, Arbitraries.longs().between(-0x1_0000_0000L, 0x1_0000_0000L)));
    }

    /** A range inside 10.0.0.0/24, as offsets {lo, hi}. */
    @Provide
    Arbitrary<List<int[]>> smallRanges() {
        Arbitrary<int[]> pair = Combinators.combine(
                Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255))
                .as((a, b) -> new int[] {Math.min(a, b), Math.max(a, b)});
        return pair.list().ofMaxSize(6);
    }

    // ------------------------------------------------------------------ model helpers

    private static BigInteger value(IpAddress a) {
        return new BigInteger(1, a.toBytes());
    }

    private static BigInteger max(boolean ipv4) {
        return (ipv4 ? TWO_32 : TWO_128).subtract(BigInteger.ONE);
    }

    private static IpAddress address(BigInteger v, boolean ipv4) {
        return ipv4 ? IpAddress.ofIpv4(v.longValueExact())
                : IpAddress.ofIpv6(v.shiftRight(64).longValue(), v.longValue());
    }

    private static AddressRange v4Range(int lo, int hi) {
        return AddressRange.of(IpAddress.ofIpv4(0x0A00_0000L + lo), IpAddress.ofIpv4(0x0A00_0000L + hi));
    }

    private static BitSet bits(List<AddressRange> ranges) {
        BitSet set = new BitSet(256);
        for (AddressRange r : ranges) {
            assertThat(r.isIpv4()).isTrue();
            int lo = (int) (r.first().low() - 0x0A00_0000L);
            int hi = (int) (r.last().low() - 0x0A00_0000L);
            assertThat(lo).isBetween(0, 255);
            assertThat(hi).isBetween(0, 255);
            set.set(lo, hi + 1);
        }
        return set;
    }

    private static void assertSortedDisjointNonAdjacent(List<AddressRange> ranges) {
        for (int i = 1; i < ranges.size(); i++) {
            AddressRange prev = ranges.get(i - 1);
            AddressRange cur = ranges.get(i);
            if (prev.isIpv4() == cur.isIpv4()) {
                // at least one address strictly between them
                assertThat(prev.last().compareTo(cur.first())).isNegative();
                assertThat(prev.last().next()).isNotEqualTo(cur.first());
            } else {
                assertThat(prev.isIpv4()).isTrue();
            }
        }
    }

    // ------------------------------------------------------------------ text round trips

    @Property
    void ipv4TextRoundTrip(@ForAll int bits) {
        IpAddress a = IpAddress.ofIpv4(bits);
        assertThat(IpAddress.parse(a.toString())).isEqualTo(a);
        assertThat(a.toString()).isEqualTo(
                (bits >>> 24) + "." + ((bits >>> 16) & 255) + "." + ((bits >>> 8) & 255) + "." + (bits & 255));
    }

    @Property
    void ipv6TextRoundTrip(@ForAll("ipv6") IpAddress a) {
        String text = a.toString();
        assertThat(IpAddress.parse(text)).isEqualTo(a);
        assertThat(IpAddress.parse(text.toUpperCase(Locale.ROOT))).isEqualTo(a);
        assertThat(IpAddress.parse(fullForm(a))).isEqualTo(a);
    }

    @Property
    void ipv6TextFollowsRfc5952(@ForAll("ipv6") IpAddress a) {
        String text = a.toString();
        assertThat(text).isEqualTo(text.toLowerCase(Locale.ROOT));
        if (a.isIpv4Mapped()) {
            assertThat(text).startsWith("::ffff:").contains(".");
            return;
        }
        int dc = text.indexOf("::");
        assertThat(text.indexOf("::", dc + 1)).as("at most one '::'").isEqualTo(-1);
        List<String> before = dc < 0 ? split(text) : split(text.substring(0, dc));
        List<String> after = dc < 0 ? List.of() : split(text.substring(dc + 2));
        int compressed = 8 - before.size() - after.size();
        if (dc < 0) {
            assertThat(compressed).isZero();
            assertThat(longestZeroRun(before)).as("no run of zero groups left uncompressed").isLessThanOrEqualTo(1);
        } else {
            assertThat(compressed).as("a single zero group is not compressed").isGreaterThanOrEqualTo(2);
            assertThat(longestZeroRun(before)).as("earlier runs are shorter").isLessThan(compressed);
            assertThat(longestZeroRun(after)).as("later runs are not longer").isLessThanOrEqualTo(compressed);
            assertThat(before.isEmpty() || !before.get(before.size() - 1).equals("0")).isTrue();
            assertThat(after.isEmpty() || !after.get(0).equals("0")).isTrue();
        }
        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        for (String g : all) {
            assertThat(g).matches("[0-9a-f]{1,4}");
            assertThat(g.length() == 1 || g.charAt(0) != '0').as("no leading zero in %s", g).isTrue();
        }
    }

    @Property
    void parsingAgreesWithTheJdk(@ForAll("ipv6") IpAddress a) throws UnknownHostException {
        // Literal addresses are parsed by the JDK without any name lookup.
        byte[] jdk = InetAddress.getByName(a.toString()).getAddress();
        byte[] ours = a.toBytes();
        if (jdk.length == 4) {
            assertThat(a.isIpv4Mapped()).isTrue();
            assertThat(Arrays.copyOfRange(ours, 12, 16)).isEqualTo(jdk);
        } else {
            assertThat(ours).isEqualTo(jdk);
        }
    }

    private static String fullForm(IpAddress a) {
        byte[] b = a.toBytes();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format(Locale.ROOT, "%02X%02x", b[i] & 0xFF, b[i + 1] & 0xFF));
        }
        return sb.toString();
    }

    private static List<String> split(String part) {
        return part.isEmpty() ? List.of() : Arrays.asList(part.split(":", -1));
    }

    private static int longestZeroRun(List<String> groups) {
        int best = 0;
        int run = 0;
        for (String g : groups) {
            run = g.equals("0") ? run + 1 : 0;
            best = Math.max(best, run);
        }
        return best;
    }

    @Property
    void macTextRoundTrip(@ForAll long value) {
        MacAddress mac = MacAddress.of(value);
        String colon = mac.toString();
        assertThat(MacAddress.parse(colon)).isEqualTo(mac);
        assertThat(MacAddress.parse(colon.replace(':', '-').toUpperCase(Locale.ROOT))).isEqualTo(mac);
        String hex = colon.replace(":", "");
        String dotted = hex.substring(0, 4) + "." + hex.substring(4, 8) + "." + hex.substring(8);
        assertThat(MacAddress.parse(dotted)).isEqualTo(mac);
        assertThat(MacAddress.fromBytes(mac.toBytes())).isEqualTo(mac);
        assertThat(mac.value()).isEqualTo(value & 0xFFFF_FFFF_FFFFL);
    }

    // ------------------------------------------------------------------ ordering

    @Property
    void compareToMatchesUnsignedOrderAndEquals(@ForAll("anyAddress") IpAddress a, @ForAll("anyAddress") IpAddress b) {
        int expected;
        if (a.isIpv4() != b.isIpv4()) {
            expected = a.isIpv4() ? -1 : 1;
        } else {
            expected = value(a).compareTo(value(b));
        }
        assertThat(Integer.signum(a.compareTo(b))).isEqualTo(expected);
        assertThat(Integer.signum(b.compareTo(a))).isEqualTo(-expected);
        assertThat(a.compareTo(b) == 0).isEqualTo(a.equals(b));
        IpAddress copy = IpAddress.fromBytes(a.toBytes());
        assertThat(copy).isEqualTo(a).hasSameHashCodeAs(a);
        assertThat(copy.compareTo(a)).isZero();
    }

    // ------------------------------------------------------------------ arithmetic

    @Property
    void plusMatchesModelAndDistanceInvertsIt(@ForAll("anyAddress") IpAddress a, @ForAll("deltas") long delta) {
        BigInteger expected = value(a).add(BigInteger.valueOf(delta));
        if (expected.signum() < 0 || expected.compareTo(max(a.isIpv4())) > 0) {
            assertThatThrownBy(() -> a.plus(delta)).isInstanceOf(ArithmeticException.class);
            return;
        }
        IpAddress b = a.plus(delta);
        assertThat(b.isIpv4()).isEqualTo(a.isIpv4());
        assertThat(value(b)).isEqualTo(expected);
        assertThat(a.distanceTo(b)).isEqualTo(delta);
        if (delta != Long.MIN_VALUE) {
            assertThat(b.distanceTo(a)).isEqualTo(-delta);
            assertThat(b.plus(-delta)).isEqualTo(a);
        } else {
            assertThatThrownBy(() -> b.distanceTo(a)).isInstanceOf(ArithmeticException.class);
        }
    }

    @Property
    void distanceMatchesModel(@ForAll("ipv6") IpAddress a, @ForAll("ipv6") IpAddress b) {
        BigInteger diff = value(b).subtract(value(a));
        if (diff.bitLength() < 64) {
            assertThat(a.distanceTo(b)).isEqualTo(diff.longValueExact());
        } else {
            assertThatThrownBy(() -> a.distanceTo(b)).isInstanceOf(ArithmeticException.class);
        }
    }

    @Property
    void ipv4DistanceAlwaysFits(@ForAll("ipv4") IpAddress a, @ForAll("ipv4") IpAddress b) {
        assertThat(a.distanceTo(b)).isEqualTo(b.low() - a.low());
        assertThat(a.plus(a.distanceTo(b))).isEqualTo(b);
    }

    // ------------------------------------------------------------------ CIDR

    @Property
    void cidrMatchesModel(@ForAll("anyAddress") IpAddress a, @ForAll @IntRange(min = 0, max = 128) int p,
            @ForAll("anyAddress") IpAddress probe) {
        boolean v4 = a.isIpv4();
        int bitLength = a.bitLength();
        int prefix = v4 ? p % 33 : p;
        int hostBits = bitLength - prefix;
        BigInteger network = value(a).shiftRight(hostBits).shiftLeft(hostBits);
        BigInteger last = network.add(BigInteger.ONE.shiftLeft(hostBits)).subtract(BigInteger.ONE);

        Cidr cidr = Cidr.of(address(network, v4), prefix);
        assertThat(Cidr.containing(a, prefix)).isEqualTo(cidr);
        assertThat(Cidr.parse(cidr.toString())).isEqualTo(cidr);
        assertThat(value(cidr.first())).isEqualTo(network);
        assertThat(value(cidr.last())).isEqualTo(last);
        assertThat(cidr.size()).isEqualTo(BigInteger.ONE.shiftLeft(hostBits));
        assertThat(cidr.toRange().size()).isEqualTo(cidr.size());
        assertThat(cidr.contains(a)).isTrue();

        boolean expected = probe.isIpv4() == v4 && value(probe).shiftRight(hostBits).equals(value(a).shiftRight(hostBits));
        assertThat(cidr.contains(probe)).isEqualTo(expected);
        assertThat(cidr.toRange().contains(probe)).isEqualTo(expected);

        if (network.signum() > 0) {
            assertThat(cidr.contains(cidr.first().previous())).isFalse();
        }
        if (last.compareTo(max(v4)) < 0) {
            assertThat(cidr.contains(cidr.last().next())).isFalse();
        }
        if (hostBits > 0) {
            IpAddress inside = address(network.add(BigInteger.ONE), v4);
            assertThatThrownBy(() -> Cidr.of(inside, prefix))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("did you mean " + cidr);
        }
    }

    @Property
    void toCidrsCoversTheRangeWithMaximalBlocks(@ForAll("anyAddress") IpAddress start,
            @ForAll("deltas") long length) {
        long len = Math.abs(length % 5000);
        IpAddress first;
        IpAddress last;
        try {
            first = start;
            last = start.plus(len);
        } catch (ArithmeticException e) {
            first = start.plus(-len);
            last = start;
        }
        AddressRange range = AddressRange.of(first, last);
        List<Cidr> cidrs = range.toCidrs();
        assertThat(cidrs.get(0).first()).isEqualTo(first);
        assertThat(cidrs.get(cidrs.size() - 1).last()).isEqualTo(last);
        for (int i = 1; i < cidrs.size(); i++) {
            assertThat(cidrs.get(i - 1).last().next()).isEqualTo(cidrs.get(i).first());
        }
        for (Cidr c : cidrs) {
            assertThat(range.contains(c.toRange())).isTrue();
            if (c.prefixLength() > 0) {
                Cidr parent = Cidr.containing(c.network(), c.prefixLength() - 1);
                assertThat(range.contains(parent.toRange())).as("%s could be merged into %s", c, parent).isFalse();
            }
        }
        BigInteger total = cidrs.stream().map(Cidr::size).reduce(BigInteger.ZERO, BigInteger::add);
        assertThat(total).isEqualTo(range.size());
    }

    // ------------------------------------------------------------------ range lists

    @Property
    void subtractMatchesBitSetModel(@ForAll("smallRanges") List<int[]> base, @ForAll("smallRanges") List<int[]> removed,
            @ForAll boolean addIpv6Noise) {
        List<AddressRange> baseRanges = new ArrayList<>();
        BitSet model = new BitSet(256);
        for (int[] r : base) {
            baseRanges.add(v4Range(r[0], r[1]));
            model.set(r[0], r[1] + 1);
        }
        List<AddressRange> removedRanges = new ArrayList<>();
        for (int[] r : removed) {
            removedRanges.add(v4Range(r[0], r[1]));
            model.clear(r[0], r[1] + 1);
        }
        if (addIpv6Noise) {
            // IPv6 ranges never affect IPv4 ones; removing 10.0.0.0 as ::ffff:10.0.0.0 changes nothing either.
            removedRanges.add(AddressRange.parse("::-::ffff:ffff:ffff"));
            removedRanges.add(0, AddressRange.parse("2001:db8::/64"));
        }
        List<AddressRange> result = AddressRange.subtract(baseRanges, removedRanges);
        assertSortedDisjointNonAdjacent(result);
        assertThat(bits(result)).isEqualTo(model);
    }

    @Property
    void subtractKeepsOtherFamilyUntouched(@ForAll("smallRanges") List<int[]> removed) {
        AddressRange v6 = AddressRange.parse("2001:db8::1-2001:db8::ffff");
        List<AddressRange> removedRanges = new ArrayList<>();
        for (int[] r : removed) {
            removedRanges.add(v4Range(r[0], r[1]));
        }
        assertThat(AddressRange.subtract(List.of(v6), removedRanges)).containsExactly(v6);
    }

    @Property
    void normalizeMatchesBitSetModel(@ForAll("smallRanges") List<int[]> input) {
        List<AddressRange> ranges = new ArrayList<>();
        BitSet model = new BitSet(256);
        for (int[] r : input) {
            ranges.add(v4Range(r[0], r[1]));
            model.set(r[0], r[1] + 1);
        }
        List<AddressRange> result = AddressRange.normalize(ranges);
        assertSortedDisjointNonAdjacent(result);
        assertThat(bits(result)).isEqualTo(model);
        assertThat(result).hasSize(countRuns(model));
        assertThat(AddressRange.normalize(result)).isEqualTo(result);
    }

    private static int countRuns(BitSet set) {
        int runs = 0;
        for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(set.nextClearBit(i))) {
            runs++;
        }
        return runs;
    }
}
