package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressRangeTest {

    private static AddressRange r(String text) {
        return AddressRange.parse(text);
    }

    private static List<AddressRange> list(String... texts) {
        return Arrays.stream(texts).map(AddressRange::parse).collect(Collectors.toList());
    }

    private static List<String> strings(List<AddressRange> ranges) {
        return ranges.stream().map(AddressRange::toString).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "10.0.0.10-10.0.0.20    | 10.0.0.10-10.0.0.20 | 11",
            "'10.0.0.10 - 10.0.0.20' | 10.0.0.10-10.0.0.20 | 11",
            "'10.0.0.10  -10.0.0.20' | 10.0.0.10-10.0.0.20 | 11",
            "10.0.0.5               | 10.0.0.5            | 1",
            "10.0.0.5-10.0.0.5      | 10.0.0.5            | 1",
            "10.0.0.0/24            | 10.0.0.0-10.0.0.255 | 256",
            "2001:db8::1-2001:DB8::ff | 2001:db8::1-2001:db8::ff | 255",
            "2001:db8::/126         | 2001:db8::-2001:db8::3 | 4",
    })
    void parsesAllForms(String text, String canonical, long size) {
        AddressRange range = r(text);
        assertThat(range).hasToString(canonical);
        assertThat(range.sizeAsLong()).isEqualTo(size);
        assertThat(range.size()).isEqualTo(BigInteger.valueOf(size));
        assertThat(r(canonical)).isEqualTo(range).hasSameHashCodeAs(range);
    }

    @Test
    void sizesBeyondLong() {
        AddressRange all = Cidr.parse("::/0").toRange();
        assertThat(all.size()).isEqualTo(BigInteger.ONE.shiftLeft(128));
        assertThat(all.sizeFitsInLong()).isFalse();
        assertThatThrownBy(all::sizeAsLong).isInstanceOf(ArithmeticException.class);

        AddressRange maxLong = AddressRange.of(IpAddress.parse("::"), IpAddress.parse("::7fff:ffff:ffff:fffe"));
        assertThat(maxLong.sizeFitsInLong()).isTrue();
        assertThat(maxLong.sizeAsLong()).isEqualTo(Long.MAX_VALUE);

        AddressRange justOver = AddressRange.of(IpAddress.parse("::1"), IpAddress.parse("::8000:0:0:0"));
        assertThat(justOver.sizeFitsInLong()).isFalse();
        assertThat(justOver.size()).isEqualTo(BigInteger.ONE.shiftLeft(63));

        AddressRange acrossWords = r("::ffff:ffff:ffff:fff0-0:0:0:1::f");
        assertThat(acrossWords.sizeAsLong()).isEqualTo(32);
        assertThat(Cidr.parse("0.0.0.0/0").toRange().sizeAsLong()).isEqualTo(1L << 32);
    }

    @Test
    void containsAndOverlaps() {
        AddressRange range = r("10.0.0.10-10.0.0.20");
        assertThat(range.isIpv4()).isTrue();
        assertThat(range.contains(IpAddress.parse("10.0.0.10"))).isTrue();
        assertThat(range.contains(IpAddress.parse("10.0.0.20"))).isTrue();
        assertThat(range.contains(IpAddress.parse("10.0.0.21"))).isFalse();
        assertThat(range.contains(IpAddress.parse("::ffff:10.0.0.15"))).isFalse();
        assertThat(range.contains(r("10.0.0.12-10.0.0.20"))).isTrue();
        assertThat(range.contains(r("10.0.0.9-10.0.0.12"))).isFalse();
        assertThat(range.overlaps(r("10.0.0.20-10.0.0.30"))).isTrue();
        assertThat(range.overlaps(r("10.0.0.0-10.0.0.10"))).isTrue();
        assertThat(range.overlaps(r("10.0.0.21-10.0.0.30"))).isFalse();
        assertThat(range.overlaps(r("::-::ffff:ffff"))).isFalse();
        assertThat(r("::/0").overlaps(r("0.0.0.0/0"))).isFalse();
    }

    @Test
    void orderingByFirstThenLast() {
        List<AddressRange> ranges = new ArrayList<>(list(
                "2001:db8::1", "10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.3", "10.0.0.0-10.0.0.200", "::-::1"));
        ranges.sort(null);
        assertThat(strings(ranges)).containsExactly(
                "10.0.0.0-10.0.0.200", "10.0.0.1-10.0.0.3", "10.0.0.1-10.0.0.9", "::-::1", "2001:db8::1");
    }

    @Test
    void normalizeMergesOverlappingAndAdjacent() {
        assertThat(strings(AddressRange.normalize(list(
                "10.0.0.20-10.0.0.30", "10.0.0.1-10.0.0.5", "10.0.0.6-10.0.0.8", "10.0.0.25-10.0.0.40",
                "10.0.0.10", "2001:db8::5-2001:db8::9", "2001:db8::1-2001:db8::4", "10.0.0.7"))))
                .containsExactly("10.0.0.1-10.0.0.8", "10.0.0.10", "10.0.0.20-10.0.0.40",
                        "2001:db8::1-2001:db8::9");
        assertThat(AddressRange.normalize(List.of())).isEmpty();
        // 255.255.255.255 and :: are not adjacent: they are in different families.
        assertThat(strings(AddressRange.normalize(list("255.255.255.255", "::"))))
                .containsExactly("255.255.255.255", "::");
        assertThat(strings(AddressRange.normalize(list("::ffff:ffff:ffff:ffff", "0:0:0:1::"))))
                .containsExactly("::ffff:ffff:ffff:ffff-0:0:0:1::");
    }

    @Test
    void subtractCutsHolesAndOnlyAffectsTheSameFamily() {
        List<AddressRange> base = list("10.0.0.0/24", "2001:db8::/120");
        List<AddressRange> removed = list("10.0.0.0-10.0.0.9", "10.0.0.100", "10.0.0.50-10.0.0.60",
                "10.0.0.55-10.0.0.70", "2001:db8::10-2001:db8::ff", "192.168.0.0/16", "::/0");
        assertThat(strings(AddressRange.subtract(base, removed)))
                .containsExactly("10.0.0.10-10.0.0.49", "10.0.0.71-10.0.0.99", "10.0.0.101-10.0.0.255");
        assertThat(strings(AddressRange.subtract(base, list("10.0.0.100"))))
                .containsExactly("10.0.0.0-10.0.0.99", "10.0.0.101-10.0.0.255",
                        "2001:db8::-2001:db8::ff");
        assertThat(AddressRange.subtract(base, list("0.0.0.0/0", "::/0"))).isEmpty();
        assertThat(strings(AddressRange.subtract(list("10.0.0.5", "10.0.0.1-10.0.0.4"), List.of())))
                .containsExactly("10.0.0.1-10.0.0.5");
        assertThat(strings(AddressRange.subtract(
                list("0.0.0.0/0"), list("0.0.0.0", "255.255.255.255"))))
                .containsExactly("0.0.0.1-255.255.255.254");
    }

    @Test
    void toCidrsSplitsIntoMinimalPrefixes() {
        assertThat(r("10.0.0.0/24").toCidrs()).containsExactly(Cidr.parse("10.0.0.0/24"));
        assertThat(r("10.0.0.1-10.0.0.10").toCidrs().stream().map(Cidr::toString))
                .containsExactly("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/31", "10.0.0.10/32");
        assertThat(r("0.0.0.0-255.255.255.255").toCidrs()).containsExactly(Cidr.parse("0.0.0.0/0"));
        assertThat(r("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").toCidrs()).containsExactly(Cidr.parse("::/0"));
        assertThat(r("::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").toCidrs()).hasSize(128);
        assertThat(r("255.255.255.255").toCidrs()).containsExactly(Cidr.parse("255.255.255.255/32"));
    }
}
