package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CanonicalStringsTest {

    @Test
    void equalStringsOfLoadedAllocationsBecomeOneInstance() {
        CanonicalStrings strings = new CanonicalStrings(100);
        String owner = strings.owner(new String("vm"));
        String environment = strings.environment(new String("prod"));
        String caller = strings.caller(new String("heat"));

        assertThat(strings.owner(new String("vm"))).isSameAs(owner);
        assertThat(strings.environment(new String("prod"))).isSameAs(environment);
        assertThat(strings.caller(new String("heat"))).isSameAs(caller);
    }

    @Test
    void fieldsShareOneInstancePerValue() {
        CanonicalStrings strings = new CanonicalStrings(100);
        String asOwner = strings.owner(new String("heat"));
        assertThat(strings.caller(new String("heat"))).isSameAs(asOwner);
        assertThat(strings.environment(null)).isNull();
        assertThat(strings.owner("vm")).isEqualTo("vm");
    }

    @Test
    void pastTheLimitNewStringsAreKeptAsTheyAre() {
        CanonicalStrings strings = new CanonicalStrings(2);
        strings.of("a");
        strings.of("b");
        String c1 = new String("c");
        String c2 = new String("c");
        assertThat(strings.of(c1)).isSameAs(c1);
        assertThat(strings.of(c2)).isSameAs(c2);
        assertThat(strings.of(new String("a"))).isEqualTo("a");
        assertThat(strings.owner(c1)).isSameAs(c1);
        assertThat(strings.owner(c2)).isSameAs(c2);
    }

    @Test
    void aRepeatedInstanceAndADifferentOneEachGetTheirOwnSharedInstance() {
        CanonicalStrings strings = new CanonicalStrings(100);
        String vm1 = new String("vm-1");
        String a = strings.owner(vm1);
        String b = strings.owner(vm1);
        String c = strings.owner(new String("vm-2"));
        String d = strings.owner(new String("vm-1"));

        assertThat(b).isSameAs(a);
        assertThat(c).isEqualTo("vm-2");
        assertThat(d).isSameAs(a);
    }

    @Test
    void aFieldWhoseValuesDoNotRepeatIsLeftAloneAfterATrialWhileOthersStayShared() {
        CanonicalStrings strings = new CanonicalStrings(1 << 16);
        String firstOwner = strings.owner(new String("vm-0"));
        String firstEnvironment = strings.environment(new String("prod"));
        for (int i = 1; i < 5000; i++) {
            strings.owner("vm-" + i);
            strings.environment(new String("prod"));
        }

        assertThat(strings.owner(new String("vm-0"))).isEqualTo("vm-0").isNotSameAs(firstOwner);
        assertThat(strings.environment(new String("prod"))).isSameAs(firstEnvironment);
    }

    @Test
    void aFieldWhoseFewValuesAlternateStaysShared() {
        CanonicalStrings strings = new CanonicalStrings(1 << 16);
        String prod = new String("prod");
        String dev = new String("dev");
        for (int i = 0; i < 5000; i++) {
            strings.owner("vm-" + i);
            strings.environment(i % 2 == 0 ? prod : dev);
            strings.environment(null);
        }
        assertThat(strings.environment(new String("prod"))).isSameAs(prod);
    }
}
