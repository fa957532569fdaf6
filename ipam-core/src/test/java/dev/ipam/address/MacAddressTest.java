package dev.ipam.address;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"00:11:22:33:44:55", "00-11-22-33-44-55", "0011.2233.4455"})
    void acceptsTheThreeForms(String text) {
        MacAddress mac = MacAddress.parse(text);
        assertThat(mac.value()).isEqualTo(0x001122334455L);
        assertThat(mac).hasToString("00:11:22:33:44:55");
    }

    @ParameterizedTest
    @ValueSource(strings = {"AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "AaBb.CcDd.EeFf"})
    void isCaseInsensitiveAndPrintsLowerCase(String text) {
        MacAddress mac = MacAddress.parse(text);
        assertThat(mac.value()).isEqualTo(0xAABBCCDDEEFFL);
        assertThat(mac).hasToString("aa:bb:cc:dd:ee:ff");
    }

    @Test
    void bytesAndValue() {
        MacAddress mac = MacAddress.of(0x0211_2233_4455L);
        assertThat(mac.toBytes()).containsExactly(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
        assertThat(MacAddress.fromBytes(mac.toBytes())).isEqualTo(mac).hasSameHashCodeAs(mac);
        assertThat(MacAddress.of(0xFFFF_0000_0000_0001L).value()).isEqualTo(1L);
        assertThat(MacAddress.of(-1L)).hasToString("ff:ff:ff:ff:ff:ff");
        assertThat(mac).isNotEqualTo(MacAddress.of(0x0211_2233_4456L));
    }

    @Test
    void eui64InterfaceIdPerRfc4291AppendixA() {
        assertThat(MacAddress.parse("00:11:22:33:44:55").eui64InterfaceId()).isEqualTo(0x021122fffe334455L);
        // A locally administered address has the bit cleared instead.
        assertThat(MacAddress.parse("02:00:5e:10:00:00").eui64InterfaceId()).isEqualTo(0x00005efffe100000L);
        assertThat(MacAddress.parse("ff:ff:ff:ff:ff:ff").eui64InterfaceId()).isEqualTo(0xfdfffffffeffffffL);
        long id = MacAddress.parse("00:11:22:33:44:55").eui64InterfaceId();
        assertThat(IpAddress.ofIpv6(0x20010db800000000L, id)).hasToString("2001:db8::211:22ff:fe33:4455");
        assertThat(IpAddress.ofIpv6(0xfe80000000000000L, id)).hasToString("fe80::211:22ff:fe33:4455");
    }
}
