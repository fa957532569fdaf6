package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "10.0.0.0/8,        10.0.0.0,        10.255.255.255,  16777216",
            "192.168.1.0/24,    192.168.1.0,     192.168.1.255,   256",
            "192.168.1.4/30,    192.168.1.4,     192.168.1.7,     4",
            "192.168.1.5/32,    192.168.1.5,     192.168.1.5,     1",
            "0.0.0.0/0,         0.0.0.0,         255.255.255.255, 4294967296",
            "2001:db8::/64,     2001:db8::,      2001:db8::ffff:ffff:ffff:ffff, 18446744073709551616",
            "2001:db8::/32,     2001:db8::,      2001:db8:ffff:ffff:ffff:ffff:ffff:ffff, 79228162514264337593543950336",
            "2001:db8::/65,     2001:db8::,      2001:db8::7fff:ffff:ffff:ffff, 9223372036854775808",
            "2001:db8::/63,     2001:db8::,      2001:db8:0:1:ffff:ffff:ffff:ffff, 36893488147419103232",
            "::/0,              ::,              ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 340282366920938463463374607431768211456",
            "::1/128,           ::1,             ::1,             1",
    })
    void parsesAndDescribesThePrefix(String text, String first, String last, String size) {
        Cidr cidr = Cidr.parse(text);
        assertThat(cidr).hasToString(text);
        assertThat(cidr.network()).isEqualTo(IpAddress.parse(first));
        assertThat(cidr.first()).isEqualTo(cidr.network());
        assertThat(cidr.last()).isEqualTo(IpAddress.parse(last));
        assertThat(cidr.size()).isEqualTo(new BigInteger(size));
        assertThat(cidr.toRange()).isEqualTo(AddressRange.of(cidr.first(), cidr.last()));
        assertThat(cidr.contains(cidr.first())).isTrue();
        assertThat(cidr.contains(cidr.last())).isTrue();
        assertThat(Cidr.of(cidr.network(), cidr.prefixLength())).isEqualTo(cidr).hasSameHashCodeAs(cidr);
    }

    @Test
    void canonicalisesTheNetworkText() {
        assertThat(Cidr.parse("2001:0DB8:0:0::/64")).hasToString("2001:db8::/64");
        assertThat(Cidr.parse("10.1.0.0/16").prefixLength()).isEqualTo(16);
        assertThat(Cidr.parse("10.1.0.0/16").isIpv4()).isTrue();
        assertThat(Cidr.parse("2001:db8::/48").isIpv4()).isFalse();
    }

    @Test
    void containsAddresses() {
        Cidr cidr = Cidr.parse("10.0.0.0/24");
        assertThat(cidr.contains(IpAddress.parse("10.0.0.77"))).isTrue();
        assertThat(cidr.contains(IpAddress.parse("10.0.1.0"))).isFalse();
        assertThat(cidr.contains(IpAddress.parse("9.255.255.255"))).isFalse();
        assertThat(cidr.contains(IpAddress.parse("::ffff:10.0.0.1"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(IpAddress.parse("10.0.0.1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddress.parse("10.0.0.1"))).isTrue();
    }

    @Test
    void containsAndOverlapsPrefixes() {
        Cidr big = Cidr.parse("10.0.0.0/16");
        Cidr small = Cidr.parse("10.0.5.0/24");
        Cidr other = Cidr.parse("10.1.0.0/24");
        assertThat(big.contains(small)).isTrue();
        assertThat(small.contains(big)).isFalse();
        assertThat(big.contains(big)).isTrue();
        assertThat(big.overlaps(small)).isTrue();
        assertThat(small.overlaps(big)).isTrue();
        assertThat(big.overlaps(other)).isFalse();
        assertThat(Cidr.parse("::/0").overlaps(Cidr.parse("0.0.0.0/0"))).isFalse();
    }

    @Test
    void containingClearsHostBits() {
        assertThat(Cidr.containing(IpAddress.parse("10.0.0.5"), 24)).hasToString("10.0.0.0/24");
        assertThat(Cidr.containing(IpAddress.parse("2001:db8::1"), 64)).hasToString("2001:db8::/64");
        assertThat(Cidr.containing(IpAddress.parse("2001:db8::1"), 0)).hasToString("::/0");
        assertThat(Cidr.containing(IpAddress.parse("2001:db8::1"), 128)).hasToString("2001:db8::1/128");
    }
}
