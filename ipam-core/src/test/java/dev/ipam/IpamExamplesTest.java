package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Worked examples of the public API, one behaviour each. */
class IpamExamplesTest {

    private final InMemoryStore store = new InMemoryStore();
    private Ipam ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
    private IpamSession s = ipam.as(Caller.of("test"));

    @AfterEach
    void close() {
        ipam.close();
    }

    private static AllocationRequest.Builder req(String pool) {
        return AllocationRequest.in(pool).owner("vm-1");
    }

    @Test
    void lowestSkipsNetworkExclusionsAndBroadcast() {
        s.createPool(PoolSpec.builder("p", Scope.of("east", "dmz")).cidr("10.20.0.0/29").exclude("10.20.0.1").build());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            got.add(s.allocate(req("p").build()).address().toString());
        }
        assertThat(got).containsExactly("10.20.0.2", "10.20.0.3", "10.20.0.4", "10.20.0.5", "10.20.0.6");
        assertThatThrownBy(() -> s.allocate(req("p").build()))
                .isInstanceOf(PoolExhaustedException.class)
                .hasMessageContaining("'p'").hasMessageContaining("5 of 5");
        assertThat(s.usage("p")).isEqualTo(new PoolUsage("p", BigInteger.valueOf(5), 5, 0, 0, BigInteger.ZERO));
    }

    @Test
    void slash31AndSlash32KeepAllAddresses() {
        s.createPool(PoolSpec.builder("p31", Scope.of("c", "z")).cidr("10.0.0.0/31").build());
        s.createPool(PoolSpec.builder("p32", Scope.of("c", "z")).cidr("10.0.1.7/32").build());
        assertThat(s.usage("p31").capacity()).isEqualTo(2);
        assertThat(s.allocate(req("p32").build()).address()).hasToString("10.0.1.7");
    }

    @Test
    void nextFitDoesNotReuseAJustReleasedAddress() {
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/28").defaultStrategy(Strategy.NEXT_FIT).build());
        Allocation a = s.allocate(req("p").build());
        s.release("p", a.address());
        assertThat(s.allocate(req("p").build()).address()).isNotEqualTo(a.address());
    }

    @Test
    void specificAddressTakenNamesItsHolder() {
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        s.allocate(AllocationRequest.in("p").owner("vm-a").hostname("a.example.com").address("10.0.0.9").build());
        assertThatThrownBy(() -> s.allocate(AllocationRequest.in("p").owner("vm-b").address("10.0.0.9").build()))
                .isInstanceOf(AddressUnavailableException.class)
                .hasMessageContaining("10.0.0.9").hasMessageContaining("vm-a");
    }

    @Test
    void eui64FollowsRfc4291() {
        s.createPool(PoolSpec.builder("v6", Scope.of("c", "z")).cidr("2001:db8::/64").build());
        Allocation a = s.allocate(req("v6").strategy(Strategy.EUI64).mac("00:11:22:33:44:55").build());
        assertThat(a.address()).hasToString("2001:db8::211:22ff:fe33:4455");
    }

    @Test
    void eui64IsRefusedInIpv4AndNarrowPools() {
        s.createPool(PoolSpec.builder("v4", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        s.createPool(PoolSpec.builder("v6", Scope.of("c", "z")).cidr("2001:db8::/120").build());
        AllocationRequest.Builder eui = req("v4").strategy(Strategy.EUI64).mac("00:11:22:33:44:55");
        assertThatThrownBy(() -> s.allocate(eui.build())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("IPv4");
        assertThatThrownBy(() -> s.allocate(req("v6").strategy(Strategy.EUI64).mac("00:11:22:33:44:55").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/64");
    }

    @Test
    void randomInA64StaysInThePoolAndIsDistinct() {
        s.createPool(PoolSpec.builder("v6", Scope.of("c", "z")).cidr("2001:db8:0:1::/64").build());
        Set<IpAddress> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Allocation a = s.allocate(req("v6").strategy(Strategy.RANDOM).build());
            assertThat(a.address().high()).isEqualTo(0x20010db800000001L);
            assertThat(seen.add(a.address())).isTrue();
        }
        assertThat(s.usage("v6").capacity()).isEqualTo(BigInteger.ONE.shiftLeft(64));
        assertThat(s.usage("v6").allocated()).isEqualTo(1000);
    }

    @Test
    void overlapInOneCloudFailsNamingBothPoolsButOtherCloudsMayReuse() {
        s.createPool(PoolSpec.builder("east-dmz", Scope.of("east", "dmz")).cidr("10.20.0.0/16").build());
        assertThatThrownBy(() -> s.createPool(PoolSpec.builder("east-web", Scope.of("east", "web")).cidr("10.20.5.0/24").build()))
                .isInstanceOf(PoolConflictException.class)
                .hasMessageContaining("east-web").hasMessageContaining("east-dmz");
        s.createPool(PoolSpec.builder("west-dmz", Scope.of("west", "dmz")).cidr("10.20.0.0/16").build());
        assertThat(s.pools()).extracting(Pool::name).containsExactly("east-dmz", "west-dmz");
    }

    @Test
    void stateSurvivesRestart() {
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        Allocation a = s.allocate(req("p").hostname("web1.example.com").environment("prod").name("web_1").build());
        ipam.close();
        ipam = Ipam.builder().store(store.reopen()).accessPolicy(AccessPolicy.allowAll()).build();
        s = ipam.as(Caller.of("test"));
        assertThat(s.find("p", a.address())).contains(a);
        assertThat(s.allocate(req("p").build()).address()).isNotEqualTo(a.address());
    }

    @Test
    void pagesWalkAllocationsInAddressOrder() {
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        for (int i = 0; i < 25; i++) {
            s.allocate(req("p").strategy(Strategy.RANDOM).build());
        }
        List<IpAddress> all = new ArrayList<>();
        AllocationPage page = s.allocations("p", null, 10);
        page.items().forEach(a -> all.add(a.address()));
        while (page.nextAfter().isPresent()) {
            page = s.allocations("p", page.nextAfter().get(), 10);
            page.items().forEach(a -> all.add(a.address()));
        }
        assertThat(all).hasSize(25).isSorted();
    }

    @Test
    void allocateAllIsAllOrNothing() {
        s.createPool(PoolSpec.builder("a", Scope.of("c", "z1")).cidr("10.0.0.0/24").build());
        s.createPool(PoolSpec.builder("b", Scope.of("c", "z2")).cidr("10.0.1.0/30").build());
        assertThatThrownBy(() -> s.allocateAll(List.of(req("a").build(), req("b").build(), req("b").build(), req("b").build())))
                .isInstanceOf(AllocationFailedException.class).hasMessageContaining("Request 3");
        assertThat(s.usage("a").allocated()).isZero();
        assertThat(s.usage("b").allocated()).isZero();
        assertThat(s.allocateAll(List.of(req("a").build(), req("b").build()))).hasSize(2);
    }
}
