package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.Allocation;
import dev.ipam.address.IpAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CanonicalStringsTest {

    private static Allocation allocation(String pool, String owner, String environment, String caller) {
        return new Allocation(pool, IpAddress.parse("10.0.0.7"), owner, environment, "web_1", null, null,
                Instant.parse("2026-11-21T10:00:00Z"), caller);
    }

    @Test
    void equalStringsOfLoadedAllocationsBecomeOneInstance() {
        CanonicalStrings strings = new CanonicalStrings(100);
        Allocation first = strings.of(allocation(new String("p"), new String("vm"), new String("prod"), new String("heat")));
        Allocation second = strings.of(allocation(new String("p"), new String("vm"), new String("prod"), new String("heat")));

        assertThat(second).isEqualTo(first);
        assertThat(second.pool()).isSameAs(first.pool());
        assertThat(second.owner()).isSameAs(first.owner());
        assertThat(second.environment()).isSameAs(first.environment());
        assertThat(second.allocatedBy()).isSameAs(first.allocatedBy());
    }

    @Test
    void anAllocationAlreadyUsingSharedStringsIsReturnedAsIs() {
        CanonicalStrings strings = new CanonicalStrings(100);
        Allocation a = allocation("p", "vm", null, "heat");
        assertThat(strings.of(a)).isSameAs(a);
        assertThat(strings.of(allocation("p", "vm", null, "heat")).environment()).isNull();
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
    }

    @Test
    void aRepeatedInstanceAndADifferentOneEachGetTheirOwnSharedInstance() {
        CanonicalStrings strings = new CanonicalStrings(100);
        String vm1 = new String("vm-1");
        Allocation a = strings.of(allocation("p", vm1, null, "heat"));
        Allocation b = strings.of(allocation("p", vm1, null, "heat"));
        Allocation c = strings.of(allocation("p", new String("vm-2"), null, "heat"));
        Allocation d = strings.of(allocation("p", new String("vm-1"), null, "heat"));

        assertThat(b.owner()).isSameAs(a.owner());
        assertThat(c.owner()).isEqualTo("vm-2");
        assertThat(d.owner()).isSameAs(a.owner());
    }

    @Test
    void aFieldWhoseValuesDoNotRepeatIsLeftAloneAfterATrialWhileOthersStayShared() {
        CanonicalStrings strings = new CanonicalStrings(1 << 16);
        Allocation first = strings.of(allocation("p", new String("vm-0"), new String("prod"), "heat"));
        for (int i = 1; i < 5000; i++) {
            strings.of(allocation("p", "vm-" + i, new String("prod"), "heat"));
        }
        Allocation again = strings.of(allocation("p", new String("vm-0"), new String("prod"), "heat"));

        assertThat(again.owner()).isEqualTo("vm-0").isNotSameAs(first.owner());
        assertThat(again.environment()).isSameAs(first.environment());
    }

    @Test
    void aFieldWhoseFewValuesAlternateStaysShared() {
        CanonicalStrings strings = new CanonicalStrings(1 << 16);
        String prod = new String("prod");
        String dev = new String("dev");
        for (int i = 0; i < 5000; i++) {
            strings.of(allocation("p", "vm-" + i, i % 2 == 0 ? prod : dev, "heat"));
            strings.of(allocation("p", "vm-" + i, null, "heat"));
        }
        assertThat(strings.of(allocation("p", "vm-x", new String("prod"), "heat")).environment()).isSameAs(prod);
    }
}
