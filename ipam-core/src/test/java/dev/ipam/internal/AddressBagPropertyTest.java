package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class AddressBagPropertyTest {

    /** Adds and removes (by equal, not identical, objects half of the time) agree with a TreeSet, across the small/large switch. */
    @Property(tries = 300)
    void behavesLikeASortedSet(@ForAll @Size(max = 400) List<@IntRange(min = 0, max = 150) Integer> ops) {
        AddressBag bag = new AddressBag();
        TreeSet<IpAddress> model = new TreeSet<>();
        List<IpAddress> added = new ArrayList<>();
        for (int op : ops) {
            IpAddress a = IpAddress.ofIpv4(0x0a000000L + (op >> 1));
            if ((op & 1) == 0 && model.add(a)) {
                bag.add(a);
                added.add(a);
            } else if (model.remove(a)) {
                IpAddress same = op % 4 == 1 ? added.stream().filter(a::equals).findFirst().orElseThrow() : a;
                added.remove(same);
                assertThat(bag.remove(same)).isEqualTo(model.isEmpty());
            }
            assertThat(bag.sorted()).containsExactlyElementsOf(model);
        }
    }
}
