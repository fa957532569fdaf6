package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpAddressTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // RFC 5952 examples and edge cases
            "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
            "2001:db8:0:0:1:0:0:1,                    2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1,                    2001:db8:0:1:1:1:1:1",
            "2001:db8:0:0:0::1,                       2001:db8::1",
            "2001:db8::0:1,                           2001:db8::1",
            "2001:db8::1:1:1:1:1,                     2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1,                      2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:0,                    2001:db8:0:0:1::",
            "0:0:0:0:0:0:0:0,                         ::",
            "::,                                      ::",
            "::1,                                     ::1",
            "1::,                                     1::",
            "1:0:0:0:0:0:0:0,                         1::",
            "0:1:0:0:0:0:0:0,                         0:1::",
            "1:2:3:4:5:6:7::,                         1:2:3:4:5:6:7:0",
            "::2:3:4:5:6:7:8,                         0:2:3:4:5:6:7:8",
            "1:0:2:0:3:0:4:0,                         1:0:2:0:3:0:4:0",
            "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:DB8::A,                             2001:db8::a",
            "2001:Db8:00AB::0001,                     2001:db8:ab::1",
            "::ffff:10.0.0.1,                         ::ffff:10.0.0.1",
            "::FFFF:0a00:0001,                        ::ffff:10.0.0.1",
            "0:0:0:0:0:ffff:192.168.1.1,              ::ffff:192.168.1.1",
            "::ffff:0.0.0.0,                          ::ffff:0.0.0.0",
            "::1.2.3.4,                               ::102:304",
            "64:ff9b::192.0.2.33,                     64:ff9b::c000:221",
            "fe80::1:2:3:4,                           fe80::1:2:3:4",
            // IPv4
            "0.0.0.0,                                 0.0.0.0",
            "255.255.255.255,                         255.255.255.255",
            "10.0.0.1,                                10.0.0.1",
            "192.168.100.200,                         192.168.100.200",
    })
    void canonicalText(String input, String canonical) {
        IpAddress address = IpAddress.parse(input);
        assertThat(address.toString()).isEqualTo(canonical);
        assertThat(IpAddress.parse(canonical)).isEqualTo(address);
    }

    @Test
    void ipv4Representation() {
        IpAddress a = IpAddress.parse("192.168.1.2");
        assertThat(a.isIpv4()).isTrue();
        assertThat(a.isIpv6()).isFalse();
        assertThat(a.bitLength()).isEqualTo(32);
        assertThat(a.high()).isZero();
        assertThat(a.low()).isEqualTo(0xC0A80102L);
        assertThat(a.toBytes()).containsExactly(192, 168, 1, 2);
        assertThat(IpAddress.ofIpv4(0xC0A80102)).isEqualTo(a);
        assertThat(IpAddress.ofIpv4(0xC0A80102L)).isEqualTo(a);
        assertThat(IpAddress.fromBytes(new byte[] {(byte) 192, (byte) 168, 1, 2})).isEqualTo(a);
        assertThat(IpAddress.ofIpv4(-1)).hasToString("255.255.255.255");
        assertThat(IpAddress.ofIpv4(-1).low()).isEqualTo(0xFFFFFFFFL);
    }

    @Test
    void ipv6Representation() {
        IpAddress a = IpAddress.parse("2001:db8::8:800:200c:417a");
        assertThat(a.isIpv6()).isTrue();
        assertThat(a.bitLength()).isEqualTo(128);
        assertThat(a.high()).isEqualTo(0x20010db800000000L);
        assertThat(a.low()).isEqualTo(0x00080800200c417aL);
        byte[] bytes = a.toBytes();
        assertThat(bytes).hasSize(16);
        assertThat(bytes[0]).isEqualTo((byte) 0x20);
        assertThat(bytes[15]).isEqualTo((byte) 0x7a);
        assertThat(IpAddress.fromBytes(bytes)).isEqualTo(a);
        assertThat(IpAddress.ofIpv6(a.high(), a.low())).isEqualTo(a);
        assertThat(a.isIpv4Mapped()).isFalse();
        assertThat(IpAddress.parse("::ffff:1.2.3.4").isIpv4Mapped()).isTrue();
    }

    @Test
    void toBytesReturnsAFreshArray() {
        IpAddress a = IpAddress.parse("10.0.0.1");
        a.toBytes()[0] = 99;
        assertThat(a.toBytes()[0]).isEqualTo((byte) 10);
    }

    @Test
    void ipv4AndMappedIpv6AreDifferent() {
        IpAddress v4 = IpAddress.parse("10.0.0.1");
        IpAddress mapped = IpAddress.parse("::ffff:10.0.0.1");
        IpAddress v6Same = IpAddress.ofIpv6(0, 0x0A000001L);
        assertThat(v4).isNotEqualTo(mapped).isNotEqualTo(v6Same);
        assertThat(v4.compareTo(v6Same)).isNegative();
        assertThat(v6Same.compareTo(v4)).isPositive();
    }

    @Test
    void orderingPutsIpv4FirstThenUnsignedValue() {
        List<IpAddress> sorted = List.of(
                IpAddress.parse("0.0.0.0"),
                IpAddress.parse("10.0.0.1"),
                IpAddress.parse("128.0.0.0"),
                IpAddress.parse("255.255.255.255"),
                IpAddress.parse("::"),
                IpAddress.parse("::1"),
                IpAddress.parse("::8000:0:0:0"),
                IpAddress.parse("::ffff:ffff:ffff:ffff"),
                IpAddress.parse("1::"),
                IpAddress.parse("8000::"),
                IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        List<IpAddress> shuffled = new ArrayList<>(sorted);
        Collections.reverse(shuffled);
        Collections.sort(shuffled);
        assertThat(shuffled).containsExactlyElementsOf(sorted);
    }

    @Test
    void arithmeticWithinIpv4() {
        IpAddress a = IpAddress.parse("10.0.0.255");
        assertThat(a.next()).hasToString("10.0.1.0");
        assertThat(a.next().previous()).isEqualTo(a);
        assertThat(a.plus(-255)).hasToString("10.0.0.0");
        assertThat(a.distanceTo(IpAddress.parse("10.0.0.0"))).isEqualTo(-255);
        assertThat(IpAddress.parse("0.0.0.0").distanceTo(IpAddress.parse("255.255.255.255")))
                .isEqualTo(0xFFFFFFFFL);
        assertThat(IpAddress.parse("0.0.0.0").plus(0xFFFFFFFFL)).hasToString("255.255.255.255");
        assertThat(a.plus(0)).isSameAs(a);
    }

    @Test
    void arithmeticLeavingIpv4SpaceThrows() {
        assertThatThrownBy(() -> IpAddress.parse("255.255.255.255").next())
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("0.0.0.0").previous())
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("0.0.0.0").plus(0x1_0000_0000L))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("1.0.0.0").plus(Long.MAX_VALUE))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("1.0.0.0").plus(Long.MIN_VALUE))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void arithmeticAcrossIpv6WordBoundary() {
        IpAddress a = IpAddress.parse("::ffff:ffff:ffff:ffff");
        assertThat(a.next()).hasToString("0:0:0:1::");
        assertThat(a.next().previous()).isEqualTo(a);
        assertThat(a.next().plus(Long.MIN_VALUE)).hasToString("::8000:0:0:0");
        assertThat(IpAddress.parse("::").plus(Long.MAX_VALUE)).hasToString("::7fff:ffff:ffff:ffff");
        assertThat(IpAddress.parse("1::").distanceTo(IpAddress.parse("0:ffff:ffff:ffff:ffff:ffff:ffff:ffff")))
                .isEqualTo(-1L);
        IpAddress mid = IpAddress.parse("::1:0:0:0:0");
        assertThat(mid.distanceTo(mid.plus(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
        assertThat(mid.distanceTo(mid.plus(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void arithmeticLeavingIpv6SpaceThrows() {
        IpAddress max = IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assertThat(max).isEqualTo(IpAddress.max(false));
        assertThatThrownBy(max::next).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("::").previous()).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.parse("::5").plus(-6)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> max.plus(Long.MIN_VALUE).plus(Long.MAX_VALUE).plus(2))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void distanceThatDoesNotFitThrows() {
        IpAddress zero = IpAddress.parse("::");
        assertThat(zero.distanceTo(IpAddress.parse("::7fff:ffff:ffff:ffff"))).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> zero.distanceTo(IpAddress.parse("::8000:0:0:0")))
                .isInstanceOf(ArithmeticException.class);
        assertThat(IpAddress.parse("::8000:0:0:0").distanceTo(zero)).isEqualTo(Long.MIN_VALUE);
        assertThatThrownBy(() -> IpAddress.parse("::8000:0:0:1").distanceTo(zero))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> zero.distanceTo(IpAddress.max(false)))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> IpAddress.max(false).distanceTo(zero))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void distanceAcrossFamiliesThrows() {
        assertThatThrownBy(() -> IpAddress.parse("10.0.0.1").distanceTo(IpAddress.parse("::1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.1 is IPv4 but ::1 is IPv6");
    }

    @Test
    void minAndMax() {
        assertThat(IpAddress.min(true)).hasToString("0.0.0.0");
        assertThat(IpAddress.max(true)).hasToString("255.255.255.255");
        assertThat(IpAddress.min(false)).hasToString("::");
        assertThat(IpAddress.max(false)).hasToString("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    }

    @Test
    void eui64AddressText() {
        long id = MacAddress.parse("00:11:22:33:44:55").eui64InterfaceId();
        assertThat(id).isEqualTo(0x021122fffe334455L);
        assertThat(IpAddress.ofIpv6(0x20010db800000000L, id)).hasToString("2001:db8::211:22ff:fe33:4455");
    }

    @Test
    void equalsAndHashCode() {
        IpAddress a = IpAddress.parse("2001:db8::1");
        IpAddress b = IpAddress.parse("2001:0DB8:0:0:0:0:0:1");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(IpAddress.parse("2001:db8::2")).isNotEqualTo("2001:db8::1").isNotEqualTo(null);
    }
}
