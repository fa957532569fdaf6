package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ipam.address.IpAddress;
import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of bad inputs through the public API: each must throw the expected type with a message
 * naming the bad value, and leave everything unchanged (pools, usage, allocations, store sequence,
 * and the state a restart loads).
 */
class BadInputTest {

    private static final Scope CZ = Scope.of("c", "z");
    private static final Caller INTRUDER = Caller.of("intruder");

    /** Refuses every action to the caller named "intruder"; everyone else may do anything. */
    private static final AccessPolicy POLICY = (caller, action, scope) -> !caller.equals(INTRUDER);

    private InMemoryStore store;
    private Ipam ipam;
    private IpamSession s;
    private IpamSession intruder;

    /** The state a bad call must not change. */
    record Snapshot(List<Pool> pools, Map<String, PoolUsage> usage, Map<String, List<Allocation>> allocations,
            long sequence) {
    }

    @FunctionalInterface
    interface Action {
        void run(BadInputTest t) throws Exception;
    }

    record Case(Action action, Class<? extends Throwable> type, List<String> fragments) {
    }

    @BeforeEach
    void setUp() {
        store = new InMemoryStore();
        open(store);
        s.createPool(PoolSpec.builder("p", CZ).cidr("10.0.0.0/24").build());
        s.createPool(PoolSpec.builder("v6", Scope.of("c", "z6")).cidr("2001:db8::/64").build());
        s.createPool(PoolSpec.builder("empty", Scope.of("c", "z2")).cidr("10.0.1.0/28").build());
        s.allocate(AllocationRequest.in("p").owner("vm-a").hostname("a.example.com").address("10.0.0.9").build());
        s.allocate(AllocationRequest.in("v6").owner("vm-b").strategy(Strategy.EUI64).mac("00:11:22:33:44:55").build());
    }

    private void open(InMemoryStore st) {
        ipam = Ipam.builder().store(st).accessPolicy(POLICY).build();
        s = ipam.as(Caller.of("admin"));
        intruder = ipam.as(INTRUDER);
    }

    @AfterEach
    void tearDown() {
        ipam.close();
    }

    private Snapshot snapshot() {
        Map<String, PoolUsage> usage = new LinkedHashMap<>();
        Map<String, List<Allocation>> allocations = new LinkedHashMap<>();
        for (Pool p : s.pools()) {
            usage.put(p.name(), s.usage(p.name()));
            List<Allocation> all = new ArrayList<>();
            AllocationPage page = s.allocations(p.name(), null, 10_000);
            all.addAll(page.items());
            assertThat(page.nextAfter()).isEmpty();
            allocations.put(p.name(), all);
        }
        return new Snapshot(s.pools(), usage, allocations, ((IpamEngine) ipam).lastSequence());
    }

    private static Arguments row(String name, Action action, Class<? extends Throwable> type, String... fragments) {
        return Arguments.of(Named.of(name, new Case(action, type, List.of(fragments))));
    }

    private static AllocationRequest.Builder req(String pool) {
        return AllocationRequest.in(pool).owner("vm-x");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                // ---- addresses, CIDRs and MACs in PoolSpec.Builder
                row("pool cidr with octet 256", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.256/24"),
                        IllegalArgumentException.class, "10.0.0.256"),
                row("pool cidr /33", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.0/33"),
                        IllegalArgumentException.class, "10.0.0.0/33"),
                row("pool cidr IPv6 /129", t -> PoolSpec.builder("n", CZ).cidr("2001:db8::/129"),
                        IllegalArgumentException.class, "2001:db8::/129"),
                row("pool cidr with host bits", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.5/24"),
                        IllegalArgumentException.class, "10.0.0.5/24", "10.0.0.0/24"),
                row("pool cidr empty text", t -> PoolSpec.builder("n", CZ).cidr(""),
                        IllegalArgumentException.class, "''"),
                row("pool cidr without prefix", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.0"),
                        IllegalArgumentException.class, "10.0.0.0"),
                row("pool range with octet 256", t -> PoolSpec.builder("n", CZ).range("10.0.0.1-10.0.0.256"),
                        IllegalArgumentException.class, "10.0.0.256"),
                row("pool range reversed", t -> PoolSpec.builder("n", CZ).range("10.0.0.9-10.0.0.1"),
                        IllegalArgumentException.class, "10.0.0.9-10.0.0.1"),
                row("pool exclusion with octet 256", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.0/24").exclude("10.0.0.256"),
                        IllegalArgumentException.class, "10.0.0.256"),
                row("pool exclusion empty", t -> PoolSpec.builder("n", CZ).cidr("10.0.0.0/24").exclude(""),
                        IllegalArgumentException.class, "''"),
                // ---- PoolSpec shape
                row("pool name with spaces", t -> PoolSpec.builder("my pool", CZ),
                        IllegalArgumentException.class, "my pool"),
                row("pool name empty", t -> PoolSpec.builder("", CZ),
                        IllegalArgumentException.class, "''"),
                row("pool name 65 chars", t -> PoolSpec.builder("x".repeat(65), CZ),
                        IllegalArgumentException.class, "x".repeat(65)),
                row("scope cloud with space", t -> Scope.of("my cloud", "z"),
                        IllegalArgumentException.class, "my cloud"),
                row("caller name blank", t -> Caller.of("  "),
                        IllegalArgumentException.class, "caller name"),
                row("empty pool spec", t -> PoolSpec.builder("hollow", CZ).build(),
                        IllegalArgumentException.class, "hollow", "at least one"),
                row("mixed families", t -> PoolSpec.builder("mix", CZ).cidr("10.9.0.0/24").cidr("2001:db8:9::/64").build(),
                        IllegalArgumentException.class, "mix", "10.9.0.0", "2001:db8:9::"),
                row("exclusion outside the pool", t -> PoolSpec.builder("ex", CZ).cidr("10.9.0.0/24").exclude("10.9.1.5").build(),
                        IllegalArgumentException.class, "10.9.1.5", "ex"),
                row("everything excluded", t -> PoolSpec.builder("none", CZ).cidr("10.9.0.0/30").exclude("10.9.0.1-10.9.0.2").build(),
                        IllegalArgumentException.class, "none"),
                row("default strategy SPECIFIC", t -> PoolSpec.builder("n", CZ).defaultStrategy(Strategy.SPECIFIC),
                        IllegalArgumentException.class, "SPECIFIC"),
                // ---- AllocationRequest.Builder
                row("request address with octet 256", t -> req("p").address("10.0.0.256"),
                        IllegalArgumentException.class, "10.0.0.256"),
                row("request address empty", t -> req("p").address(""),
                        IllegalArgumentException.class, "''"),
                row("request address with prefix", t -> req("p").address("10.0.0.0/24"),
                        IllegalArgumentException.class, "10.0.0.0/24"),
                row("request MAC with non-hex", t -> req("v6").mac("zz:11:22:33:44:55"),
                        IllegalArgumentException.class, "zz:11:22:33:44:55"),
                row("request MAC empty", t -> req("v6").mac(""),
                        IllegalArgumentException.class, "''"),
                row("request pool name with spaces", t -> AllocationRequest.in("my pool"),
                        IllegalArgumentException.class, "my pool"),
                row("SPECIFIC without address", t -> req("p").strategy(Strategy.SPECIFIC).build(),
                        IllegalArgumentException.class, "SPECIFIC", "'p'"),
                row("address with non-SPECIFIC strategy", t -> req("p").strategy(Strategy.LOWEST).address("10.0.0.7").build(),
                        IllegalArgumentException.class, "10.0.0.7", "LOWEST"),
                row("EUI64 without MAC", t -> req("v6").strategy(Strategy.EUI64).build(),
                        IllegalArgumentException.class, "EUI64", "'v6'"),
                row("environment without name", t -> req("p").environment("prod-42").build(),
                        IllegalArgumentException.class, "prod-42"),
                row("name without environment", t -> req("p").name("web_1").build(),
                        IllegalArgumentException.class, "web_1"),
                row("missing owner", t -> AllocationRequest.in("p").build(),
                        IllegalArgumentException.class, "owner", "'p'"),
                row("blank owner", t -> AllocationRequest.in("p").owner(" "),
                        IllegalArgumentException.class, "owner"),
                row("owner with control character", t -> AllocationRequest.in("p").owner("vm\n1"),
                        IllegalArgumentException.class, "owner"),
                row("owner with an unpaired surrogate", t -> AllocationRequest.in("p").owner("vm-\uD800"),
                        IllegalArgumentException.class, "owner", "unpaired surrogate U+D800"),
                row("environment with a lone low surrogate", t -> AllocationRequest.in("p").owner("vm").environment("\uDC00env"),
                        IllegalArgumentException.class, "environment", "U+DC00"),
                row("hostname with underscore", t -> req("p").hostname("web_1.example.com"),
                        IllegalArgumentException.class, "web_1.example.com"),
                row("hostname label starting with hyphen", t -> req("p").hostname("-web.example.com"),
                        IllegalArgumentException.class, "-web.example.com"),
                row("hostname with empty label", t -> req("p").hostname("web..example.com"),
                        IllegalArgumentException.class, "web..example.com"),
                // ---- through the engine: strategy does not fit the pool
                row("EUI64 in an IPv4 pool", t -> t.s.allocate(req("p").strategy(Strategy.EUI64).mac("00:11:22:33:44:66").build()),
                        IllegalArgumentException.class, "IPv4", "'p'"),
                row("EUI64 in an allocateAll in an IPv4 pool",
                        t -> t.s.allocateAll(List.of(req("v6").build(), req("p").strategy(Strategy.EUI64).mac("00:11:22:33:44:66").build())),
                        AllocationFailedException.class, "Request 1", "IPv4"),
                // ---- unknown pools
                row("allocate in unknown pool", t -> t.s.allocate(req("nope").build()),
                        PoolNotFoundException.class, "nope"),
                row("allocateAll with an unknown pool", t -> t.s.allocateAll(List.of(req("p").build(), req("nope").build())),
                        AllocationFailedException.class, "Request 1", "nope"),
                row("release in unknown pool", t -> t.s.release("nope", "10.0.0.9"),
                        PoolNotFoundException.class, "nope"),
                row("find in unknown pool", t -> t.s.find("nope", "10.0.0.9"),
                        PoolNotFoundException.class, "nope"),
                row("usage of unknown pool", t -> t.s.usage("nope"),
                        PoolNotFoundException.class, "nope"),
                row("page of unknown pool", t -> t.s.allocations("nope", null, 10),
                        PoolNotFoundException.class, "nope"),
                row("delete unknown pool", t -> t.s.deletePool("nope"),
                        PoolNotFoundException.class, "nope"),
                // ---- addresses through the session
                row("find with octet 256", t -> t.s.find("p", "10.0.0.256"),
                        IllegalArgumentException.class, "10.0.0.256"),
                row("release with empty address", t -> t.s.release("p", ""),
                        IllegalArgumentException.class, "''"),
                row("specific address outside the pool", t -> t.s.allocate(req("p").address("10.0.1.5").build()),
                        AddressUnavailableException.class, "10.0.1.5", "'p'"),
                row("specific network address of the pool", t -> t.s.allocate(req("p").address("10.0.0.0").build()),
                        AddressUnavailableException.class, "10.0.0.0", "'p'"),
                row("specific broadcast address of the pool", t -> t.s.allocate(req("p").address("10.0.0.255").build()),
                        AddressUnavailableException.class, "10.0.0.255"),
                row("specific IPv6 address in an IPv4 pool", t -> t.s.allocate(req("p").address("2001:db8::5").build()),
                        AddressUnavailableException.class, "2001:db8::5"),
                row("specific address taken", t -> t.s.allocate(req("p").address("10.0.0.9").build()),
                        AddressUnavailableException.class, "10.0.0.9", "vm-a"),
                row("EUI64 address taken", t -> t.s.allocate(req("v6").strategy(Strategy.EUI64).mac("00:11:22:33:44:55").build()),
                        AddressUnavailableException.class, "2001:db8::211:22ff:fe33:4455", "vm-b"),
                row("allocateAll asking one address twice",
                        t -> t.s.allocateAll(List.of(req("p").address("10.0.0.20").build(), req("p").address("10.0.0.20").build())),
                        AllocationFailedException.class, "Request 1", "10.0.0.20"),
                row("release of a not-allocated address", t -> t.s.release("p", "10.0.0.10"),
                        NotAllocatedException.class, "10.0.0.10", "'p'"),
                row("release of an address outside the pool", t -> t.s.release("p", "192.168.1.1"),
                        NotAllocatedException.class, "192.168.1.1"),
                row("release of the IPv6 twin of an allocated IPv4 address", t -> t.s.release("p", "::a00:9"),
                        NotAllocatedException.class, "'p'"),
                row("release of an allocated address in the wrong pool", t -> t.s.release("empty", "10.0.0.9"),
                        NotAllocatedException.class, "10.0.0.9", "'empty'"),
                // ---- pools
                row("duplicate pool name", t -> t.s.createPool(PoolSpec.builder("p", Scope.of("other", "z")).cidr("10.5.0.0/24").build()),
                        PoolConflictException.class, "'p'"),
                row("overlapping pool in the same cloud",
                        t -> t.s.createPool(PoolSpec.builder("overlap", Scope.of("c", "zz")).cidr("10.0.0.128/25").build()),
                        PoolConflictException.class, "'overlap'", "'p'"),
                row("overlapping IPv6 pool in the same cloud",
                        t -> t.s.createPool(PoolSpec.builder("overlap6", Scope.of("c", "zz")).cidr("2001:db8::/48").build()),
                        PoolConflictException.class, "'overlap6'", "'v6'"),
                row("page limit 0", t -> t.s.allocations("p", null, 0),
                        IllegalArgumentException.class, "limit 0"),
                row("page limit 10001", t -> t.s.allocations("p", null, 10_001),
                        IllegalArgumentException.class, "10001"),
                row("page start outside the pool", t -> t.s.allocations("p", IpAddress.parse("10.0.1.1"), 10),
                        IllegalArgumentException.class, "10.0.1.1"),
                row("delete of a non-empty pool", t -> t.s.deletePool("p"),
                        PoolConflictException.class, "'p'"),
                // ---- access denied
                row("access denied: allocate", t -> t.intruder.allocate(req("p").build()),
                        AccessDeniedException.class, "intruder", "ALLOCATE"),
                row("access denied: allocateAll", t -> t.intruder.allocateAll(List.of(req("p").build())),
                        AllocationFailedException.class, "intruder", "ALLOCATE"),
                row("access denied: release", t -> t.intruder.release("p", "10.0.0.9"),
                        AccessDeniedException.class, "intruder", "RELEASE"),
                row("access denied: create pool",
                        t -> t.intruder.createPool(PoolSpec.builder("new", Scope.of("c", "z9")).cidr("10.9.0.0/24").build()),
                        AccessDeniedException.class, "intruder", "ADMIN"),
                row("access denied: delete pool", t -> t.intruder.deletePool("empty"),
                        AccessDeniedException.class, "intruder", "ADMIN"),
                row("access denied: find", t -> t.intruder.find("p", "10.0.0.9"),
                        AccessDeniedException.class, "intruder", "READ"),
                row("access denied: usage", t -> t.intruder.usage("p"),
                        AccessDeniedException.class, "intruder", "READ"),
                row("access denied: page", t -> t.intruder.allocations("p", null, 10),
                        AccessDeniedException.class, "intruder", "READ"),
                row("access denied: pool", t -> t.intruder.pool("p"),
                        AccessDeniedException.class, "intruder", "READ"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputIsRefusedAndChangesNothing(Case c) {
        Snapshot before = snapshot();

        Throwable thrown = catchThrowable(() -> c.action().run(this));

        assertThat(thrown).as("expected %s", c.type().getSimpleName()).isInstanceOf(c.type());
        for (String fragment : c.fragments()) {
            assertThat(thrown).hasMessageContaining(fragment);
        }
        // A refusal by the access policy changes no state but is journaled for security tools.
        boolean refused = thrown instanceof AccessDeniedException || thrown.getCause() instanceof AccessDeniedException;
        Snapshot expected = refused
                ? new Snapshot(before.pools(), before.usage(), before.allocations(), before.sequence() + 1)
                : before;
        assertThat(snapshot()).as("state after the refused call").isEqualTo(expected);
        if (refused) {
            List<JournalEntry> journal = store.readJournal(before.sequence() + 1, 10);
            assertThat(journal).hasSize(1);
            Change.AccessRefused event = (Change.AccessRefused) journal.get(0).change();
            assertThat(event.caller()).isEqualTo(INTRUDER.name());
            assertThat(thrown.getMessage()).contains(event.action().name());
        }

        // The store holds the same: a restart loads exactly the state from before.
        ipam.close();
        open(store.reopen());
        assertThat(snapshot()).as("state after a restart").isEqualTo(expected);

        // And the library still works normally: nothing leaked into the bitsets.
        assertThat(s.allocate(req("p").build()).address()).hasToString("10.0.0.1");
        assertThat(s.allocate(req("p").address("10.0.0.20").build()).address()).hasToString("10.0.0.20");
        assertThat(s.usage("p").allocated()).isEqualTo(before.usage().get("p").allocated() + 2);
        assertThat(((IpamEngine) ipam).lastSequence()).isEqualTo(expected.sequence() + 2);
    }

    /** An IPv6 address whose low bits are those of an allocated IPv4 address is not that allocation. */
    @Test
    void theIpv6TwinOfAnAllocatedIpv4AddressIsNotFound() {
        assertThat(s.find("p", "10.0.0.9")).isPresent();
        assertThat(s.find("p", "::a00:9")).isEmpty();
    }

    @Test
    void listingIsFilteredForTheIntruderRatherThanRefused() {
        assertThat(intruder.pools()).isEmpty();
        assertThat(intruder.allocationsOf("vm-a")).isEmpty();
        assertThat(intruder.pool("nope")).isEqualTo(Optional.empty());
    }
}
