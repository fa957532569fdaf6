package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad text is rejected with an exception whose message quotes the text and says what is wrong. */
class InvalidInputTest {

    enum Parser {
        IP(IpAddress::parse),
        CIDR(Cidr::parse),
        RANGE(AddressRange::parse),
        MAC(MacAddress::parse);

        final Function<String, Object> parse;

        Parser(Function<String, Object> parse) {
            this.parse = parse;
        }
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                // IPv4
                Arguments.of(Parser.IP, "10.0.0.256", "Invalid IPv4 address '10.0.0.256': octet 256 out of range"),
                Arguments.of(Parser.IP, "10.0.0", "expected 4 octets"),
                Arguments.of(Parser.IP, "10.0.0.0.1", "too many octets"),
                Arguments.of(Parser.IP, "", "empty"),
                Arguments.of(Parser.IP, " ", "neither an IPv4"),
                Arguments.of(Parser.IP, "1.2.3.-4", "unexpected character '-'"),
                Arguments.of(Parser.IP, "010.0.0.1", "leading zero"),
                Arguments.of(Parser.IP, "10..0.1", "empty octet"),
                Arguments.of(Parser.IP, "10.0.0.1.", "too many octets"),
                Arguments.of(Parser.IP, " 10.0.0.1", "unexpected character ' '"),
                Arguments.of(Parser.IP, "10.0.0.1 ", "unexpected character ' '"),
                Arguments.of(Parser.IP, "10.0.0.1000", "octet 1000 out of range"),
                // IPv6
                Arguments.of(Parser.IP, "2001:db8::1::2", "more than one '::'"),
                Arguments.of(Parser.IP, "2001:db8:::1", "':::'"),
                Arguments.of(Parser.IP, "12345::", "more than 4 hex digits"),
                Arguments.of(Parser.IP, "1:2:3:4:5:6:7:8:9", "too many groups"),
                Arguments.of(Parser.IP, "1:2:3:4:5:6:7", "expected 8 groups"),
                Arguments.of(Parser.IP, "1:2:3:4:5:6:7:8::", "too many groups"),
                Arguments.of(Parser.IP, "2001:db8::g", "unexpected character 'g'"),
                Arguments.of(Parser.IP, "fe80::1%eth0", "zone ids"),
                Arguments.of(Parser.IP, "[::1]", "brackets"),
                Arguments.of(Parser.IP, "2001:db8::/64", "prefix length"),
                Arguments.of(Parser.IP, ":1::", "leading ':'"),
                Arguments.of(Parser.IP, "1::2:", "trailing ':'"),
                Arguments.of(Parser.IP, "::ffff:10.0.0.256", "embedded IPv4 octet 256 out of range"),
                Arguments.of(Parser.IP, "::ffff:10.0.0.1:1", "unexpected character ':'"),
                Arguments.of(Parser.IP, "1:2:3:4:5:6:7:1.2.3.4", "too many groups"),
                Arguments.of(Parser.IP, " ::1", "unexpected character ' '"),
                // CIDR
                Arguments.of(Parser.CIDR, "10.0.0.0/33", "out of range for IPv4"),
                Arguments.of(Parser.CIDR, "2001:db8::/129", "out of range for IPv6"),
                Arguments.of(Parser.CIDR, "10.0.0.5/24", "host bits are set; did you mean 10.0.0.0/24?"),
                Arguments.of(Parser.CIDR, "2001:db8::1/64", "did you mean 2001:db8::/64?"),
                Arguments.of(Parser.CIDR, "10.0.0.0/", "missing prefix length"),
                Arguments.of(Parser.CIDR, "10.0.0.0/-1", "'-1' is not a non-negative decimal number"),
                Arguments.of(Parser.CIDR, "10.0.0.0/x", "'x' is not a non-negative decimal number"),
                Arguments.of(Parser.CIDR, "10.0.0.0", "missing '/prefixLength'"),
                Arguments.of(Parser.CIDR, "10.0.0.0/8/8", "not a non-negative decimal number"),
                Arguments.of(Parser.CIDR, "10.0.0.0/0008", "too long"),
                Arguments.of(Parser.CIDR, "10.0.0/8", "expected 4 octets"),
                // ranges
                Arguments.of(Parser.RANGE, "10.0.0.9-10.0.0.1", "last address 10.0.0.1 is before first address 10.0.0.9"),
                Arguments.of(Parser.RANGE, "10.0.0.1-2001:db8::1", "is IPv4 but last address 2001:db8::1 is IPv6"),
                Arguments.of(Parser.RANGE, "10.0.0.1-", "Invalid IP address ''"),
                Arguments.of(Parser.RANGE, "10.0.0.1-10.0.0.2-10.0.0.3", "unexpected character '-'"),
                Arguments.of(Parser.RANGE, "10.0.0.5/24", "host bits are set"),
                Arguments.of(Parser.RANGE, "", "empty"),
                // MAC
                Arguments.of(Parser.MAC, "zz:11:22:33:44:55", "unexpected character 'z'"),
                Arguments.of(Parser.MAC, "00:11:22:33:44", "expected 6 groups of 2 hex digits"),
                Arguments.of(Parser.MAC, "00:11:22:33:44:55:66", "expected 6 groups of 2 hex digits"),
                Arguments.of(Parser.MAC, "00:11-22:33:44:55", "mixed separators"),
                Arguments.of(Parser.MAC, "", "empty"),
                Arguments.of(Parser.MAC, "001122334455", "separated by"),
                Arguments.of(Parser.MAC, "0:11:22:33:44:555", "expected 6 groups of 2 hex digits"),
                Arguments.of(Parser.MAC, "0011.2233.445", "expected 3 groups of 4 hex digits"),
                Arguments.of(Parser.MAC, "00:11:22:33:44:55 ", "unexpected character ' '"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badInputs")
    void rejectsBadTextQuotingIt(Parser parser, String text, String fragment) {
        assertThatThrownBy(() -> parser.parse.apply(text))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining(fragment);
    }

    @Test
    void nullTextIsANullPointerExceptionWithAMessage() {
        for (Parser parser : Parser.values()) {
            assertThatThrownBy(() -> parser.parse.apply(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessageContaining("must not be null");
        }
    }

    @Test
    void factoriesRejectBadArguments() {
        assertThatThrownBy(() -> IpAddress.ofIpv4(-1L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> IpAddress.ofIpv4(0x1_0000_0000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4294967296");
        assertThatThrownBy(() -> IpAddress.fromBytes(new byte[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 5");
        assertThatThrownBy(() -> Cidr.of(IpAddress.parse("10.0.0.5"), 24))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'10.0.0.5/24'")
                .hasMessageContaining("did you mean 10.0.0.0/24?");
        assertThatThrownBy(() -> Cidr.of(IpAddress.parse("10.0.0.0"), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'10.0.0.0/-1'");
        assertThatThrownBy(() -> Cidr.of(IpAddress.parse("::"), 129))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'::/129'");
        assertThatThrownBy(() -> AddressRange.of(IpAddress.parse("10.0.0.2"), IpAddress.parse("10.0.0.1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'10.0.0.2-10.0.0.1'");
        assertThatThrownBy(() -> AddressRange.of(IpAddress.parse("10.0.0.2"), IpAddress.parse("::1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'10.0.0.2-::1'");
        assertThatThrownBy(() -> MacAddress.fromBytes(new byte[7]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 7");
    }
}
