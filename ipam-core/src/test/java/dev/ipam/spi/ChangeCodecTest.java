package dev.ipam.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.address.AddressRange;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.statistics.Statistics;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The binary encoding of the SPI values: every value round-trips, bad bytes are refused with an
 * {@link IllegalArgumentException} naming the problem, and the version 1 layout stays as it is.
 */
class ChangeCodecTest {

    private static final Scope SCOPE = Scope.of("east", "dmz");
    private static final Instant T0 = Instant.parse("2030-03-01T10:00:00Z");
    private static final Instant MOON_LANDING = Instant.parse("1969-07-20T20:17:40.123456789Z");
    private static final IpAddress V4 = IpAddress.parse("10.0.0.1");
    private static final IpAddress V6 = IpAddress.parse("2001:db8::1");
    private static final MacAddress MAC = MacAddress.parse("02:00:5e:10:00:01");
    /** Two-, three- and four-byte UTF-8 sequences. */
    private static final String NON_ASCII = "Zoë Ωμέγα 東京 🚀";

    // ------------------------------------------------------------------ example values

    private static PoolSpec simpleSpec() {
        return PoolSpec.builder("p", SCOPE).cidr("10.0.0.0/24").build();
    }

    /** Several CIDRs, a range and exclusions, and every setting away from its default. */
    private static PoolSpec busyIpv4Spec() {
        return PoolSpec.builder("pool-4", SCOPE).cidr("10.0.0.0/24").cidr("10.0.2.0/23").range("10.1.0.5-10.1.0.9")
                .exclude("10.0.0.128/25").exclude("10.1.0.7").reserveNetworkAndBroadcast(false)
                .defaultStrategy(Strategy.NEXT_FIT).quarantine(Duration.ofMinutes(5).plusNanos(7))
                .stickiness(Duration.ZERO).holdTtl(Duration.ofMillis(1500)).build();
    }

    private static PoolSpec ipv6Spec() {
        return PoolSpec.builder("pool_6", Scope.of("west", "lab")).cidr("2001:db8::/64")
                .range("2001:db8:1::10-2001:db8:1::ff").exclude("2001:db8::1").defaultStrategy(Strategy.RANDOM).build();
    }

    private static PoolSpec rangeOnlySpec() {
        return PoolSpec.builder("r", SCOPE).range("192.168.1.10-192.168.1.20").build();
    }

    private static List<PoolSpec> specs() {
        return List.of(simpleSpec(), busyIpv4Spec(), ipv6Spec(), rangeOnlySpec());
    }

    /** An allocation with every optional field set. */
    private static Allocation fullAllocation(IpAddress address) {
        return new Allocation("p", address, "vm-42", "prod", "web_1", "web1.example.org", MAC,
                T0.plusNanos(123_456_789), "heat");
    }

    /** An allocation with every optional field null. */
    private static Allocation bareAllocation(IpAddress address) {
        return new Allocation("p", address, NON_ASCII, null, null, null, null, MOON_LANDING, "heat");
    }

    private static Allocation allocationAt(Instant at) {
        return new Allocation("p", V4, "vm-1", null, null, null, null, at, "heat");
    }

    private static Hold hold(IpAddress address, String key) {
        return new Hold("p", address, key, T0, T0.plusSeconds(180), "foreman");
    }

    private static List<Change> exampleChanges() {
        List<Change> changes = new ArrayList<>();
        for (PoolSpec spec : specs()) {
            changes.add(new Change.PoolCreated(spec, T0, "admin"));
        }
        changes.add(new Change.PoolCreated(ipv6Spec(), MOON_LANDING, NON_ASCII));
        changes.add(new Change.PoolDeleted("p", T0, "admin"));
        changes.add(new Change.PoolDeleted("p", MOON_LANDING, NON_ASCII));
        changes.add(new Change.Allocated(fullAllocation(V4)));
        changes.add(new Change.Allocated(fullAllocation(V6)));
        changes.add(new Change.Allocated(bareAllocation(V4)));
        changes.add(new Change.Allocated(bareAllocation(V6)));
        changes.add(new Change.Released(fullAllocation(V4), T0.plusSeconds(60), "heat"));
        changes.add(new Change.Released(bareAllocation(V6), MOON_LANDING, NON_ASCII, T0.plusSeconds(3600)));
        changes.add(new Change.Held(hold(V4, MAC.toString())));
        changes.add(new Change.Held(hold(V6, null)));
        for (Change.HoldEndReason reason : Change.HoldEndReason.values()) {
            changes.add(new Change.HoldEnded(hold(V4, NON_ASCII), reason, T0.plusSeconds(1), Change.SYSTEM));
        }
        changes.add(new Change.HoldEnded(hold(V6, null), Change.HoldEndReason.EXPIRED, MOON_LANDING, "x"));
        changes.add(new Change.QuarantineEnded("p", V4, true, T0, Change.SYSTEM));
        changes.add(new Change.QuarantineEnded("p", V6, false, MOON_LANDING, NON_ASCII));
        for (Action action : Action.values()) {
            changes.add(new Change.AccessRefused("mallory", action, SCOPE, "p", T0));
        }
        changes.add(new Change.AccessRefused(NON_ASCII, Action.ADMIN, SCOPE, null, MOON_LANDING));
        return changes;
    }

    static Stream<Change> examples() {
        return exampleChanges().stream();
    }

    /** Instants around the epoch, before 1970, with nanos, and the extremes {@link Instant} allows. */
    static Stream<Instant> edgeInstants() {
        return Stream.of(Instant.EPOCH, Instant.EPOCH.minusNanos(1), Instant.EPOCH.plusNanos(1), MOON_LANDING,
                Instant.parse("1900-01-01T00:00:00.5Z"), T0.plusNanos(999_999_999), Instant.MIN, Instant.MAX);
    }

    /** Family boundaries, the IPv4 sign bit, and an IPv4-mapped IPv6 address that must stay IPv6. */
    static Stream<IpAddress> edgeAddresses() {
        return Stream.of("0.0.0.0", "10.0.0.1", "128.0.0.0", "255.255.255.255", "::", "::1", "::ffff:10.0.0.1",
                "2001:db8::1", "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").map(IpAddress::parse);
    }

    // ------------------------------------------------------------------ helpers

    private static Change roundTrip(Change change) {
        return ChangeCodec.decodeChange(ChangeCodec.encodeChange(change));
    }

    /** The bytes {@code writer} puts into a fresh {@link ChangeCodec.Out}. */
    private static byte[] written(Consumer<ChangeCodec.Out> writer) {
        ChangeCodec.Out out = new ChangeCodec.Out();
        writer.accept(out);
        return out.toBytes();
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static byte[] withTrailingByte(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    /** Asserts that decoding fails as documented: an IllegalArgumentException with a message. */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(Runnable decoding) {
        return assertThatThrownBy(decoding::run).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    /** Asserts that every proper prefix of {@code bytes} (the empty one too) is refused as cut short. */
    private static void assertEveryProperPrefixRefused(String what, byte[] bytes, Function<byte[], ?> decoder) {
        for (int length = 0; length < bytes.length; length++) {
            byte[] prefix = Arrays.copyOf(bytes, length);
            assertRefused(() -> decoder.apply(prefix))
                    .as("prefix of %d of %d bytes: %s", length, bytes.length, hex(prefix))
                    .hasMessageStartingWith("Cannot decode " + what)
                    .hasMessageMatching("(?s).*(truncated|runs past the end).*");
        }
    }

    // ------------------------------------------------------------------ round trips

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleChangeRoundTrips(Change change) {
        byte[] bytes = ChangeCodec.encodeChange(change);

        assertThat(ChangeCodec.decodeChange(bytes)).isEqualTo(change);
        assertThat(bytes[0] & 0xFF).isEqualTo(ChangeCodec.tagOf(change));
    }

    @Test
    void theExamplesCoverEveryKindOfChange() {
        Set<Class<?>> covered = examples().map(Object::getClass).collect(Collectors.toSet());

        assertThat(covered).containsExactlyInAnyOrder(Change.class.getPermittedSubclasses());
    }

    @Test
    void changeTagsAreStable() {
        assertThat(List.of(ChangeCodec.POOL_CREATED, ChangeCodec.POOL_DELETED, ChangeCodec.ALLOCATED,
                ChangeCodec.RELEASED, ChangeCodec.HELD, ChangeCodec.HOLD_ENDED, ChangeCodec.QUARANTINE_ENDED,
                ChangeCodec.ACCESS_REFUSED)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @ParameterizedTest
    @MethodSource("edgeInstants")
    void instantsRoundTripExactly(Instant t) {
        Change.Released released = new Change.Released(allocationAt(t), t, "heat", t);
        Hold hold = new Hold("p", V4, null, t, t, "foreman");

        assertThat(roundTrip(released)).isEqualTo(released);
        assertThat(ChangeCodec.decodeHold(ChangeCodec.encodeHold(hold))).isEqualTo(hold);
    }

    @ParameterizedTest
    @MethodSource("edgeAddresses")
    void addressesRoundTripWithTheirFamily(IpAddress address) {
        Change.QuarantineEnded ended = new Change.QuarantineEnded("p", address, false, T0, "x");

        Change decoded = roundTrip(ended);

        assertThat(decoded).isEqualTo(ended);
        assertThat(((Change.QuarantineEnded) decoded).address().isIpv4()).isEqualTo(address.isIpv4());
    }

    @Test
    void nullOptionalFieldsStayNullAndEmptyStringsStayEmpty() {
        Allocation withNulls = new Allocation("p", V4, "vm-1", null, null, null, null, T0, "heat");
        Allocation withEmpty = new Allocation("p", V4, "vm-1", "", "", "", null, T0, "heat");

        assertThat(ChangeCodec.decodeAllocation(ChangeCodec.encodeAllocation(withNulls))).isEqualTo(withNulls);
        assertThat(ChangeCodec.decodeAllocation(ChangeCodec.encodeAllocation(withEmpty))).isEqualTo(withEmpty);
        assertThat(roundTrip(new Change.Released(withNulls, T0, "heat", null))).isEqualTo(
                new Change.Released(withNulls, T0, "heat"));
    }

    @Test
    void longAndNonAsciiStringsRoundTrip() {
        String longText = NON_ASCII.repeat(40);
        Allocation allocation = new Allocation("p", V6, longText, NON_ASCII, "名前", "host.example", MAC, T0, longText);

        assertThat(ChangeCodec.decodeAllocation(ChangeCodec.encodeAllocation(allocation))).isEqualTo(allocation);
    }

    @Test
    void poolsRoundTrip() {
        for (PoolSpec spec : specs()) {
            Pool pool = new Pool(spec, MOON_LANDING, NON_ASCII);

            assertThat(ChangeCodec.decodePool(ChangeCodec.encodePool(pool))).isEqualTo(pool);
        }
    }

    @Test
    void specsRoundTripThroughACursor() {
        for (PoolSpec spec : specs()) {
            ChangeCodec.In in = new ChangeCodec.In(written(out -> ChangeCodec.writeSpec(out, spec)));

            assertThat(ChangeCodec.readSpec(in)).isEqualTo(spec);
            assertThat(in.hasMore()).isFalse();
        }
    }

    @Test
    void holdsAndAllocationsRoundTrip() {
        for (Hold hold : List.of(hold(V4, "02:00:5e:10:00:01"), hold(V6, null), hold(V4, NON_ASCII))) {
            assertThat(ChangeCodec.decodeHold(ChangeCodec.encodeHold(hold))).isEqualTo(hold);
        }
        for (Allocation a : List.of(fullAllocation(V4), fullAllocation(V6), bareAllocation(V4), bareAllocation(V6))) {
            assertThat(ChangeCodec.decodeAllocation(ChangeCodec.encodeAllocation(a))).isEqualTo(a);
        }
    }

    @Test
    void changesWrittenBackToBackReadBackInOrderAndBySlice() {
        List<Change> changes = exampleChanges();
        ChangeCodec.Out out = new ChangeCodec.Out(0);
        List<Integer> offsets = new ArrayList<>();
        for (Change change : changes) {
            offsets.add(out.size());
            ChangeCodec.writeChange(out, change);
        }
        offsets.add(out.size());
        byte[] bytes = out.toBytes();

        ChangeCodec.In in = new ChangeCodec.In(bytes);
        for (int i = 0; i < changes.size(); i++) {
            assertThat(ChangeCodec.readChange(in)).isEqualTo(changes.get(i));
            assertThat(ChangeCodec.decodeChange(bytes, offsets.get(i), offsets.get(i + 1) - offsets.get(i)))
                    .isEqualTo(changes.get(i));
        }
        assertThat(in.hasMore()).isFalse();
    }

    @Test
    void decodeReleasedReturnsTheRelease() {
        Change.Released released = new Change.Released(fullAllocation(V4), T0, "heat", T0.plusSeconds(600));

        assertThat(ChangeCodec.decodeReleased(ChangeCodec.encodeChange(released))).isEqualTo(released);
    }

    // ------------------------------------------------------------------ random round trips

    @Property(tries = 1000)
    void randomChangesRoundTrip(@ForAll("changes") Change change) {
        Statistics.label("kind").collect(change.getClass().getSimpleName());

        assertThat(roundTrip(change)).isEqualTo(change);

        Statistics.label("kind").coverage(coverage -> {
            for (Class<?> kind : Change.class.getPermittedSubclasses()) {
                coverage.check(kind.getSimpleName()).count((Integer n) -> n > 0);
            }
        });
    }

    @Property(tries = 200)
    void everyProperPrefixOfARandomChangeIsRefused(@ForAll("changes") Change change) {
        assertEveryProperPrefixRefused("change", ChangeCodec.encodeChange(change), ChangeCodec::decodeChange);
    }

    @Property(tries = 200)
    void randomChangeSequencesReadBackInOrder(@ForAll("changeLists") List<Change> changes) {
        ChangeCodec.Out out = new ChangeCodec.Out(16);
        changes.forEach(change -> ChangeCodec.writeChange(out, change));
        ChangeCodec.In in = new ChangeCodec.In(out.toBytes());

        List<Change> read = new ArrayList<>();
        while (in.hasMore()) {
            read.add(ChangeCodec.readChange(in));
        }

        assertThat(read).isEqualTo(changes);
    }

    @Provide
    Arbitrary<List<Change>> changeLists() {
        return changes().list().ofMaxSize(20);
    }

    @Provide
    Arbitrary<Change> changes() {
        Arbitrary<Change> poolCreated = Combinators.combine(specsArb(), instants(), texts())
                .as(Change.PoolCreated::new);
        Arbitrary<Change> poolDeleted = Combinators.combine(texts(), instants(), texts()).as(Change.PoolDeleted::new);
        Arbitrary<Change> allocated = allocations().map(Change.Allocated::new);
        Arbitrary<Change> released = Combinators.combine(allocations(), instants(), texts(), instants().injectNull(0.3))
                .as(Change.Released::new);
        Arbitrary<Change> held = holds().map(Change.Held::new);
        Arbitrary<Change> holdEnded = Combinators.combine(holds(), Arbitraries.of(Change.HoldEndReason.class),
                instants(), texts()).as(Change.HoldEnded::new);
        Arbitrary<Change> quarantineEnded = Combinators.combine(texts(), addresses(), Arbitraries.of(true, false),
                instants(), texts()).as(Change.QuarantineEnded::new);
        Arbitrary<Change> accessRefused = Combinators.combine(texts(), Arbitraries.of(Action.class), scopes(),
                texts().injectNull(0.3), instants()).as(Change.AccessRefused::new);
        return Arbitraries.oneOf(poolCreated, poolDeleted, allocated, released, held, holdEnded, quarantineEnded,
                accessRefused);
    }

    /** Well-formed strings, mostly ASCII, some with multi-byte and supplementary code points, some over 127 bytes. */
    private static Arbitrary<String> texts() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(1, Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)));
        return codePoint.list().ofMaxSize(100)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
    }

    private static Arbitrary<String> identifiers() {
        return Arbitraries.strings().alpha().numeric().withChars("._-").ofMinLength(1).ofMaxLength(64);
    }

    private static Arbitrary<Scope> scopes() {
        return Combinators.combine(identifiers(), identifiers()).as(Scope::of);
    }

    /** Any instant {@link Instant} can hold, often before 1970, with or without nanos. */
    private static Arbitrary<Instant> instants() {
        Arbitrary<Instant> any = Combinators.combine(
                Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
                Arbitraries.integers().between(0, 999_999_999)).as((s, n) -> Instant.ofEpochSecond(s, n));
        Arbitrary<Instant> nearEpoch = Arbitraries.longs().between(-4_000_000_000_000_000_000L, 4_000_000_000_000_000_000L)
                .map(nanos -> Instant.EPOCH.plusNanos(nanos));
        return Arbitraries.frequencyOf(Tuple.of(3, any), Tuple.of(3, nearEpoch),
                Tuple.of(1, Arbitraries.of(edgeInstants().toList())));
    }

    private static Arbitrary<Duration> durations() {
        return Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.integers().between(0, 999_999_999)).as((s, n) -> Duration.ofSeconds(s, n));
    }

    private static Arbitrary<IpAddress> ipv4Addresses() {
        return Arbitraries.integers().map(IpAddress::ofIpv4);
    }

    private static Arbitrary<IpAddress> ipv6Addresses() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(IpAddress::ofIpv6);
    }

    private static Arbitrary<IpAddress> addresses() {
        return Arbitraries.oneOf(ipv4Addresses(), ipv6Addresses(), Arbitraries.of(edgeAddresses().toList()));
    }

    private static Arbitrary<MacAddress> macs() {
        return Arbitraries.longs().map(MacAddress::of).injectNull(0.3);
    }

    /** An instant and a caller, the last two fields of an allocation. */
    private static Arbitrary<Tuple2<Instant, String>> stamps() {
        return Combinators.combine(instants(), texts()).as(Tuple::of);
    }

    private static Arbitrary<Allocation> allocations() {
        Arbitrary<String> optional = texts().injectNull(0.3);
        return Combinators.combine(texts(), addresses(), texts(), optional, optional, optional, macs(), stamps())
                .as((pool, address, owner, environment, name, hostname, mac, stamp) -> new Allocation(pool, address,
                        owner, environment, name, hostname, mac, stamp.get1(), stamp.get2()));
    }

    private static Arbitrary<Hold> holds() {
        return Combinators.combine(texts(), addresses(), texts().injectNull(0.3), instants(), instants(), texts())
                .as(Hold::new);
    }

    /**
     * Valid specs: one CIDR of at least 4 addresses (network and broadcast of IPv4 CIDRs may be reserved),
     * sometimes an extra single-address range of the same family, and sometimes an exclusion of the
     * CIDR's second address, so at least one usable address is always left.
     */
    private static Arbitrary<PoolSpec> specsArb() {
        Arbitrary<Cidr> cidrs = Arbitraries.oneOf(
                Combinators.combine(ipv4Addresses(), Arbitraries.integers().between(0, 30)).as(Cidr::containing),
                Combinators.combine(ipv6Addresses(), Arbitraries.integers().between(0, 126)).as(Cidr::containing));
        Arbitrary<PoolSpec.Builder> cidrPart = Combinators.combine(identifiers(), scopes(), cidrs,
                Arbitraries.of(true, false), Arbitraries.of(true, false)).as((name, scope, cidr, extraRange, exclude) -> {
                    PoolSpec.Builder b = PoolSpec.builder(name, scope).cidr(cidr);
                    if (extraRange) {
                        b.range(AddressRange.single(cidr.last()));
                    }
                    if (exclude) {
                        b.exclude(AddressRange.single(cidr.first().next()));
                    }
                    return b;
                });
        return Combinators.combine(cidrPart, Arbitraries.of(true, false),
                Arbitraries.of(Strategy.LOWEST, Strategy.NEXT_FIT, Strategy.RANDOM), durations(), durations(),
                durations().filter(d -> !d.isZero()))
                .as((b, reserve, strategy, quarantine, stickiness, holdTtl) -> b.reserveNetworkAndBroadcast(reserve)
                        .defaultStrategy(strategy).quarantine(quarantine).stickiness(stickiness).holdTtl(holdTtl)
                        .build());
    }

    // ------------------------------------------------------------------ bad bytes

    @ParameterizedTest
    @MethodSource("examples")
    void everyProperPrefixOfAnEncodedChangeIsRefused(Change change) {
        assertEveryProperPrefixRefused("change", ChangeCodec.encodeChange(change), ChangeCodec::decodeChange);
    }

    @Test
    void everyProperPrefixOfAnEncodedPoolHoldOrAllocationIsRefused() {
        assertEveryProperPrefixRefused("pool", ChangeCodec.encodePool(new Pool(busyIpv4Spec(), T0, "admin")),
                ChangeCodec::decodePool);
        assertEveryProperPrefixRefused("hold", ChangeCodec.encodeHold(hold(V6, NON_ASCII)), ChangeCodec::decodeHold);
        assertEveryProperPrefixRefused("allocation", ChangeCodec.encodeAllocation(fullAllocation(V4)),
                ChangeCodec::decodeAllocation);
    }

    @Test
    void anEmptyArrayIsRefusedAsTruncated() {
        assertRefused(() -> ChangeCodec.decodeChange(new byte[0])).hasMessageContainingAll("Cannot decode change",
                "truncated");
        assertRefused(() -> ChangeCodec.decodePool(new byte[0])).hasMessageContainingAll("Cannot decode pool",
                "truncated");
        assertRefused(() -> ChangeCodec.decodeHold(new byte[0])).hasMessageContainingAll("Cannot decode hold",
                "truncated");
        assertRefused(() -> ChangeCodec.decodeAllocation(new byte[0]))
                .hasMessageContainingAll("Cannot decode allocation", "truncated");
    }

    @Test
    void nullBytesAreRefused() {
        assertRefused(() -> ChangeCodec.decodeChange(null)).hasMessageContainingAll("Cannot decode change", "null");
    }

    @ParameterizedTest
    @MethodSource("examples")
    void trailingBytesAfterAChangeAreRefused(Change change) {
        byte[] bytes = withTrailingByte(ChangeCodec.encodeChange(change));

        assertRefused(() -> ChangeCodec.decodeChange(bytes)).hasMessageContainingAll("Cannot decode change",
                "1 trailing bytes after offset " + (bytes.length - 1));
    }

    @Test
    void trailingBytesAfterAPoolHoldOrAllocationAreRefused() {
        byte[] pool = withTrailingByte(ChangeCodec.encodePool(new Pool(simpleSpec(), T0, "admin")));
        byte[] hold = withTrailingByte(ChangeCodec.encodeHold(hold(V4, null)));
        byte[] allocation = withTrailingByte(ChangeCodec.encodeAllocation(bareAllocation(V6)));

        assertRefused(() -> ChangeCodec.decodePool(pool)).hasMessageContainingAll("Cannot decode pool", "trailing");
        assertRefused(() -> ChangeCodec.decodeHold(hold)).hasMessageContainingAll("Cannot decode hold", "trailing");
        assertRefused(() -> ChangeCodec.decodeAllocation(allocation))
                .hasMessageContainingAll("Cannot decode allocation", "trailing");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 9, 127, 255})
    void unknownTagsAreRefused(int tag) {
        byte[] bytes = ChangeCodec.encodeChange(new Change.PoolDeleted("p", T0, "admin"));
        bytes[0] = (byte) tag;

        assertRefused(() -> ChangeCodec.decodeChange(bytes)).hasMessageContainingAll("Cannot decode change",
                "unknown change tag " + tag + " at offset 0");
    }

    @Test
    void unknownEnumNamesAreRefusedByName() {
        byte[] badReason = written(out -> {
            out.u8(ChangeCodec.HOLD_ENDED);
            ChangeCodec.writeHold(out, hold(V4, null));
            out.str("FORGOTTEN");
            out.instant(T0);
            out.str("x");
        });
        byte[] badAction = written(out -> {
            out.u8(ChangeCodec.ACCESS_REFUSED);
            out.str("mallory");
            out.str("DELETE");
        });

        assertRefused(() -> ChangeCodec.decodeChange(badReason)).hasMessageContaining("unknown HoldEndReason 'FORGOTTEN'");
        assertRefused(() -> ChangeCodec.decodeChange(badAction)).hasMessageContaining("unknown Action 'DELETE'");
    }

    @Test
    void badBooleanAndAddressFamilyBytesAreRefused() {
        byte[] quarantineEnded = ChangeCodec.encodeChange(new Change.QuarantineEnded("p", V4, true, T0, "x"));
        int familyAt = 3; // after the tag and "p" (its length + 1, then one byte)
        int reusedAt = familyAt + 1 + 4; // after the family byte and 4 address bytes
        byte[] badFamily = quarantineEnded.clone();
        badFamily[familyAt] = 5;
        byte[] badBoolean = quarantineEnded.clone();
        badBoolean[reusedAt] = 2;

        assertRefused(() -> ChangeCodec.decodeChange(badFamily))
                .hasMessageContaining("bad address family byte 5 at offset " + familyAt);
        assertRefused(() -> ChangeCodec.decodeChange(badBoolean))
                .hasMessageContaining("bad boolean byte 2 at offset " + reusedAt);
    }

    @Test
    void invalidValuesAreRefused() {
        byte[] holdWithoutPool = written(out -> {
            out.str(null);
            out.address(V4);
            out.str(null);
            out.instant(T0);
            out.instant(T0);
            out.str("x");
        });

        assertRefused(() -> ChangeCodec.decodeHold(holdWithoutPool)).hasMessageContainingAll("Cannot decode hold",
                "pool");
    }

    @Test
    void aNanoPartOfASecondOrMoreIsRefused() {
        byte[] instant = written(out -> {
            out.zigzag(0);
            out.varint(1_000_000_000);
        });

        assertThatThrownBy(() -> new ChangeCodec.In(instant).instant()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nano part 1000000000 out of range");
        assertThatThrownBy(() -> new ChangeCodec.In(instant).duration()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nano part 1000000000 out of range");
    }

    @Test
    void decodeReleasedRefusesOtherChangesNamingThem() {
        byte[] allocated = ChangeCodec.encodeChange(new Change.Allocated(fullAllocation(V4)));

        assertRefused(() -> ChangeCodec.decodeReleased(allocated)).hasMessageContaining("Allocated");
    }

    @Test
    void aSliceOfTheWrongLengthIsRefused() {
        byte[] bytes = withTrailingByte(ChangeCodec.encodeChange(new Change.PoolDeleted("p", T0, "admin")));

        assertRefused(() -> ChangeCodec.decodeChange(bytes, 0, bytes.length)).hasMessageContaining(
                "ends at offset " + (bytes.length - 1) + ", expected " + bytes.length);
    }

    // ------------------------------------------------------------------ stability

    /**
     * The exact bytes of one encoded change. Version 1 of the encoding must never change: stores keep
     * these bytes. If this test fails, the layout changed; such a change needs a new
     * {@link ChangeCodec#VERSION} (and a way to read the old one), not an update of the expected bytes.
     */
    @Test
    void version1LayoutOfAnAllocatedChangeIsPinned() {
        Allocation allocation = new Allocation("p", V4, "vm-1", "prod", null, "web1", MAC,
                Instant.parse("2030-03-01T10:00:00.000000500Z"), "heat");

        byte[] bytes = ChangeCodec.encodeChange(new Change.Allocated(allocation));

        assertThat(ChangeCodec.VERSION).isEqualTo(1);
        assertThat(hex(bytes)).isEqualTo("03" // tag ALLOCATED
                + "0270" + "040a000001" // pool "p", address 10.0.0.1
                + "05766d2d31" + "0570726f64" + "00" // owner "vm-1", environment "prod", name null
                + "0577656231" + "0102005e100001" // hostname "web1", MAC present
                + "c0b6d1920e" + "f403" // epoch seconds (zig-zag), 500 nanos
                + "0568656174");
    }

    @Test
    void primitivesFollowTheDocumentedLayout() {
        assertThat(hex(written(out -> out.str(null)))).isEqualTo("00");
        assertThat(hex(written(out -> out.str("")))).isEqualTo("01");
        assertThat(hex(written(out -> out.str("é")))).isEqualTo("03c3a9");
        assertThat(hex(written(out -> out.varint(300)))).isEqualTo("ac02");
        assertThat(hex(written(out -> out.zigzag(-1)))).isEqualTo("01");
        assertThat(hex(written(out -> out.zigzag(1)))).isEqualTo("02");
        assertThat(hex(written(out -> out.instant(Instant.EPOCH.minusNanos(1))))).isEqualTo("01ff93ebdc03");
        assertThat(hex(written(out -> out.address(IpAddress.parse("192.0.2.1"))))).isEqualTo("04c0000201");
        assertThat(hex(written(out -> out.address(IpAddress.parse("2001:db8::1")))))
                .isEqualTo("0620010db8000000000000000000000001");
        assertThat(hex(written(out -> out.mac(MAC)))).isEqualTo("0102005e100001");
        assertThat(hex(written(out -> out.mac(null)))).isEqualTo("00");
    }
}
