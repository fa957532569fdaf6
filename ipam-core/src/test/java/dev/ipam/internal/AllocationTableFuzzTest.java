package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Allocation;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

/**
 * Model-based fuzzing of {@link AllocationTable}: random sequences of adds (taking over the
 * environment key or leaving it), removes and reads run against a {@link HashMap} of the live
 * allocations and a {@link HashMap} model of the environment-key index, which mirrors the
 * documented rules (an add with {@code replaceKey} takes the key, one without takes it only if it
 * is free; a remove unbinds the key only if it is bound to the removed allocation).
 *
 * <p>Each run starts by {@linkplain AllocationTable#load loading} a random share of the address
 * space, as a reload does. The address space is small (64 IPv4 addresses, or 64 IPv6 addresses made of 16 low halves
 * under 4 high halves) and fill phases alternate with drain phases, so occupied-address adds,
 * re-adds after removes, slot reuse, key conflicts, index growth and deletion from long clusters
 * all happen. Values cover nulls, non-ASCII and long names (1-, 2- and 3-byte length prefixes),
 * MAC extremes and instants with negative seconds and all nano values. After every step the size
 * and the touched address are compared, and every {@value #FULL_CHECK_EVERY} steps every address,
 * key (present and absent), owner and environment query.
 *
 * <p>Each family runs twice: with the address index hashed throughout, and with the pool's
 * {@link AddressOffsets} (a numbering of the space, with a random number of further addresses
 * never used, so the switch to the index by offset comes at a random fill, during the load or at
 * a later add, or never). The runs with offsets check after every step that the index has switched
 * exactly when a {@link AllocationTable#DIRECT_FILL_DIVISOR}th of the numbered addresses has been
 * live, and never switches back.
 */
class AllocationTableFuzzTest {

    private static final String POOL = "pool-a";
    private static final int STEPS = 3000;
    private static final int PHASE = 400;
    private static final int FULL_CHECK_EVERY = 50;

    private static final List<String> OWNERS = List.of("vm-1", "vm-2", "vm-3", "vm-4", "vm-5");
    private static final List<String> ENVIRONMENTS = List.of("prod", "dev", "环境");
    private static final List<String> NAMES = List.of("a", "web", "vm-é", "名前",
            "n".repeat(127), "n".repeat(128), "long-" + "é".repeat(200), "x".repeat(16_400));
    private static final List<String> HOSTNAMES = List.of("", "h1.example.org", "hôte.example", "名前.example");
    private static final List<String> CALLERS = List.of("alice", "bob", "svc-ipam");

    /** An environment key; the name may be null. */
    record Key(String environment, String name) {
        static Key of(Allocation a) {
            return a.environment() == null ? null : new Key(a.environment(), a.name());
        }
    }

    @Property(tries = 12, shrinking = ShrinkingMode.OFF)
    void ipv4BehavesLikeTheModel(@ForAll long seed) {
        new Run(seed, true, false).run();
    }

    @Property(tries = 12, shrinking = ShrinkingMode.OFF)
    void ipv6BehavesLikeTheModel(@ForAll long seed) {
        new Run(seed, false, false).run();
    }

    @Property(tries = 12, shrinking = ShrinkingMode.OFF)
    void ipv4WithOffsetsBehavesLikeTheModel(@ForAll long seed) {
        new Run(seed, true, true).run();
    }

    @Property(tries = 12, shrinking = ShrinkingMode.OFF)
    void ipv6WithOffsetsBehavesLikeTheModel(@ForAll long seed) {
        new Run(seed, false, true).run();
    }

    /** The space's addresses numbered in a random order, among {@code count} offsets. */
    private static AddressOffsets numbering(List<IpAddress> space, long count, SplittableRandom random) {
        List<IpAddress> shuffled = new ArrayList<>(space);
        java.util.Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
        Map<IpAddress, Long> offsets = new HashMap<>();
        for (IpAddress address : shuffled) {
            long offset;
            do {
                offset = random.nextLong(count);
            } while (offsets.containsValue(offset));
            offsets.put(address, offset);
        }
        return new AddressOffsets() {
            @Override
            public long count() {
                return count;
            }

            @Override
            public long offsetOf(long high, long low) {
                for (Map.Entry<IpAddress, Long> e : offsets.entrySet()) {
                    IpAddress a = e.getKey();
                    if (a.high() == high && a.low() == low) {
                        return e.getValue();
                    }
                }
                return -1;
            }
        };
    }

    /** One sequence of operations against the table and the model. */
    private static final class Run {
        final long seed;
        final SplittableRandom random;
        final List<IpAddress> space;
        final AllocationTable table;
        /** The loading thread's shared strings, as the engine passes them. */
        final CanonicalStrings strings = new CanonicalStrings(1 << 16);
        final AddressOffsets offsets;
        final Map<IpAddress, Allocation> live = new HashMap<>();
        /** Whether the live count has reached the switch point (with offsets). */
        boolean switchDue;
        final Map<Key, IpAddress> keys = new HashMap<>();
        String where;

        Run(long seed, boolean ipv4, boolean withOffsets) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.space = addressSpace(ipv4, random);
            this.offsets = withOffsets ? numbering(space, space.size() + random.nextInt(4 * space.size()), random) : null;
            this.table = new AllocationTable(POOL, ipv4, offsets);
        }

        /** The index goes by offset from the first time a quarter of the offsets is live, for good. */
        void checkIndexKind() {
            if (offsets == null) {
                assertThat(table.indexesByOffset()).as(where).isFalse();
                return;
            }
            switchDue |= (long) live.size() * AllocationTable.DIRECT_FILL_DIVISOR >= offsets.count();
            assertThat(table.indexesByOffset()).as(where + " index by offset").isEqualTo(switchDue);
        }

        void run() {
            loadSome();
            for (int step = 0; step < STEPS; step++) {
                boolean filling = (step / PHASE) % 2 == 0;
                IpAddress address = pick(space);
                int roll = random.nextInt(100);
                where = "seed " + seed + " step " + step + " address " + address;
                if (roll < (filling ? 75 : 8)) {
                    add(address);
                } else if (roll < 88) {
                    remove(address);
                } else {
                    readSomething();
                }
                assertThat(table.size()).as(where).isEqualTo(live.size());
                assertThat(table.get(address)).as(where).isEqualTo(live.get(address));
                checkIndexKind();
                if (step % FULL_CHECK_EVERY == 0) {
                    checkEverything();
                }
            }
            where = "seed " + seed + " end";
            checkEverything();
        }

        // -------------------------------------------------------------- operations

        /**
         * Starts like a reload: a random share of the space (none to all) goes through
         * {@link AllocationTable#load}, where the last of equal keys holds the key; the first call
         * after it indexes them.
         */
        void loadSome() {
            int share = random.nextInt(101);
            for (IpAddress address : space) {
                if (random.nextInt(100) < share) {
                    Allocation a = randomAllocation(address);
                    table.load(a, strings);
                    live.put(address, a);
                    Key key = Key.of(a);
                    if (key != null) {
                        keys.put(key, address);
                    }
                }
            }
            where = "seed " + seed + " after loading " + live.size();
            if (random.nextBoolean()) {
                table.indexLoaded();
            }
            assertThat(table.size()).as(where).isEqualTo(live.size());
            checkEverything();
            checkIndexKind();
        }

        void add(IpAddress address) {
            Allocation a = randomAllocation(address);
            boolean replaceKey = random.nextBoolean();
            where += " add " + (replaceKey ? "replacing key " : "keeping key ") + describe(a);
            Key key = Key.of(a);
            if (live.containsKey(address)) {
                assertThatThrownBy(() -> table.add(a, replaceKey)).as(where).isInstanceOf(IllegalStateException.class);
                // Nothing changed: size and address are checked by the caller, the rest here.
                checkKey(key);
                checkOwner(a.owner());
                checkEnvironment(a.environment());
                return;
            }
            table.add(a, replaceKey);
            live.put(address, a);
            if (key != null && (replaceKey || !keys.containsKey(key))) {
                keys.put(key, address);
            }
            checkKey(key);
        }

        void remove(IpAddress address) {
            Allocation removed = live.remove(address);
            where += " remove " + (removed == null ? "(free)" : describe(removed));
            assertThat(table.remove(address)).as(where).isEqualTo(removed != null);
            if (removed != null) {
                Key key = Key.of(removed);
                if (key != null) {
                    keys.remove(key, address);
                }
                checkKey(key);
            }
        }

        void readSomething() {
            switch (random.nextInt(3)) {
                case 0 -> checkKey(new Key(pick(ENVIRONMENTS), maybe(NAMES)));
                case 1 -> checkOwner(pick(OWNERS));
                default -> checkEnvironment(pick(ENVIRONMENTS));
            }
        }

        // -------------------------------------------------------------- checks

        void checkEverything() {
            for (IpAddress address : space) {
                assertThat(table.get(address)).as(where + " get " + address).isEqualTo(live.get(address));
            }
            keys.forEach((key, address) ->
                    assertThat(Key.of(live.get(address))).as(where + " model key of " + address).isEqualTo(key));
            List<String> names = new ArrayList<>(NAMES);
            names.add(null);
            names.add("never-used");
            List<String> environments = new ArrayList<>(ENVIRONMENTS);
            environments.add("never-used");
            for (String environment : environments) {
                for (String name : names) {
                    checkKey(new Key(environment, name));
                }
                checkEnvironment(environment);
            }
            for (String owner : OWNERS) {
                checkOwner(owner);
            }
            checkOwner("never-used");
        }

        void checkKey(Key key) {
            if (key == null) {
                return;
            }
            IpAddress holder = keys.get(key);
            assertThat(table.getByKey(key.environment(), key.name()))
                    .as(where + " getByKey " + describe(key))
                    .isEqualTo(holder == null ? null : live.get(holder));
        }

        void checkOwner(String owner) {
            List<Allocation> expected = sortedAllocations(a -> a.owner().equals(owner));
            String as = where + " owner " + owner;
            assertThat(table.hasOwner(owner)).as(as).isEqualTo(!expected.isEmpty());
            assertThat(table.addressesOfOwner(owner)).as(as).isEqualTo(expected.stream().map(Allocation::address).toList());
            assertThat(table.allocationsOfOwner(owner)).as(as).isEqualTo(expected);
        }

        void checkEnvironment(String environment) {
            if (environment == null) {
                return;
            }
            List<Allocation> expected = sortedAllocations(a -> environment.equals(a.environment()));
            String as = where + " environment " + environment;
            assertThat(table.hasEnvironment(environment)).as(as).isEqualTo(!expected.isEmpty());
            assertThat(table.addressesOfEnvironment(environment)).as(as)
                    .isEqualTo(expected.stream().map(Allocation::address).toList());
        }

        List<Allocation> sortedAllocations(Predicate<Allocation> filter) {
            return live.values().stream()
                    .filter(filter)
                    .sorted((x, y) -> x.address().compareTo(y.address()))
                    .toList();
        }

        // -------------------------------------------------------------- generators

        Allocation randomAllocation(IpAddress address) {
            return new Allocation(POOL, address, pick(OWNERS), maybe(ENVIRONMENTS), maybe(NAMES), maybe(HOSTNAMES),
                    randomMac(), randomInstant(), pick(CALLERS));
        }

        MacAddress randomMac() {
            return switch (random.nextInt(6)) {
                case 0, 1 -> null;
                case 2 -> MacAddress.of(0L);
                case 3 -> MacAddress.of(0xFFFF_FFFF_FFFFL);
                default -> MacAddress.of(random.nextLong() & 0xFFFF_FFFF_FFFFL);
            };
        }

        Instant randomInstant() {
            long seconds = switch (random.nextInt(8)) {
                case 0 -> Instant.MIN.getEpochSecond();
                case 1 -> Instant.MAX.getEpochSecond();
                case 2 -> 0L;
                case 3 -> -1L;
                default -> random.nextLong(-10_000_000_000L, 10_000_000_000L);
            };
            int nanos = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> 999_999_999;
                default -> random.nextInt(1_000_000_000);
            };
            return Instant.ofEpochSecond(seconds, nanos);
        }

        <T> T pick(List<T> values) {
            return values.get(random.nextInt(values.size()));
        }

        /** Null about a quarter of the time, else one of the values. */
        <T> T maybe(List<T> values) {
            return random.nextInt(4) == 0 ? null : pick(values);
        }
    }

    /**
     * 64 addresses. IPv4: a random block with the family's first and last address swapped in.
     * IPv6: 16 low halves (including the sign bit and all ones) under each of 4 high halves, so
     * addresses that agree in the low column differ only in the high one.
     */
    private static List<IpAddress> addressSpace(boolean ipv4, SplittableRandom random) {
        List<IpAddress> space = new ArrayList<>();
        if (ipv4) {
            long base = random.nextLong(1L << 26) * 64;
            for (int i = 0; i < 64; i++) {
                space.add(IpAddress.ofIpv4(base + i));
            }
            space.set(0, IpAddress.ofIpv4(0L));
            space.set(63, IpAddress.ofIpv4(0xFFFF_FFFFL));
            return space;
        }
        long[] highs = {0L, 1L, 0x2001_0db8_0000_0000L, -1L};
        long[] lows = {0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 0xFFFF_0A00_0001L, 1L << 32, 31L,
                Long.MIN_VALUE, Long.MAX_VALUE, -1L};
        for (long high : highs) {
            for (long low : lows) {
                space.add(IpAddress.ofIpv6(high, low));
            }
        }
        return space;
    }

    private static String describe(Allocation a) {
        return "[" + a.owner() + " " + describe(Key.of(a)) + " " + a.allocatedAt() + "]";
    }

    /** A key with long names shortened, for readable failure messages. */
    private static String describe(Key key) {
        if (key == null) {
            return "no key";
        }
        String name = key.name();
        return key.environment() + "/" + (name != null && name.length() > 20 ? name.substring(0, 8) + "…(" + name.length() + ")" : name);
    }
}
