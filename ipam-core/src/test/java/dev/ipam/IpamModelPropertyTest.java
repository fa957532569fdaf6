package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;

/**
 * Random sequences of operations against a simple reference model: per pool the set of addresses it
 * hands out (enumerated for small pools) and a sorted map of allocations. Every step checks the
 * outcome class the model predicts, the exact address where the model determines it, and the
 * counts; restarts in the middle reload the same state.
 */
class IpamModelPropertyTest {

    /** One random step: its meaning is decided against the model state when it runs. */
    record Op(int kind, int a, int b, int c, long d) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, 99), Arbitraries.integers().between(0, 9999),
                Arbitraries.integers().between(0, 9999), Arbitraries.integers().between(0, 9999), Arbitraries.longs())
                .as(Op::new).list().ofMinSize(20).ofMaxSize(120);
    }

    @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
    void ipamBehavesLikeTheModel(@ForAll("ops") List<Op> ops, @ForAll boolean withSparse) {
        Run run = new Run(withSparse);
        try {
            for (Op op : ops) {
                run.step(op);
                run.checkCounts();
            }
            run.checkEverything();
            run.restart();
            run.checkEverything();
            Statistics.label("outcome").coverage(c -> {
                for (String must : List.of("allocate LOWEST ok exact", "allocate LOWEST PoolExhaustedException",
                        "allocate NEXT_FIT ok exact", "allocate NEXT_FIT PoolExhaustedException", "allocate RANDOM ok",
                        "allocate SPECIFIC ok exact", "allocate SPECIFIC AddressUnavailableException",
                        "allocate EUI64 ok exact", "allocate EUI64 AddressUnavailableException",
                        "allocate EUI64 IllegalArgumentException", "allocate LOWEST PoolNotFoundException",
                        "allocateAll success", "allocateAll failure", "release success", "release NotAllocatedException",
                        "createPool success", "createPool PoolConflictException", "deletePool success",
                        "deletePool PoolConflictException", "restart")) {
                    c.check(must).count((Integer n) -> n > 0);
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError("Failed after steps:\n" + String.join("\n", run.log) + "\n" + e.getMessage(), e);
        } finally {
            run.ipam.close();
        }
    }

    // ------------------------------------------------------------------ the model

    static final class ModelPool {
        final PoolSpec spec;
        /** Every address the pool hands out, computed independently of PoolSpec; null for the sparse /64. */
        final TreeSet<IpAddress> addresses;
        /** All addresses of the CIDR (including reserved and excluded), for drawing; null for sparse. */
        final List<IpAddress> cidrAddresses;
        final Cidr cidr;
        final BigInteger capacity;
        final TreeMap<IpAddress, Allocation> allocated = new TreeMap<>();
        /** The NEXT_FIT cursor as the model knows it; null when unknown (new pool, after restart). */
        IpAddress cursor;

        ModelPool(PoolSpec spec, Cidr cidr, TreeSet<IpAddress> addresses, List<IpAddress> cidrAddresses) {
            this.spec = spec;
            this.cidr = cidr;
            this.addresses = addresses;
            this.cidrAddresses = cidrAddresses;
            this.capacity = addresses == null ? cidr.size() : BigInteger.valueOf(addresses.size());
        }

        boolean sparse() {
            return addresses == null;
        }

        boolean handsOut(IpAddress a) {
            return sparse() ? a.isIpv4() == cidr.isIpv4() && cidr.contains(a) : addresses.contains(a);
        }

        BigInteger free() {
            return capacity.subtract(BigInteger.valueOf(allocated.size()));
        }

        IpAddress lowestFree() {
            if (sparse()) {
                IpAddress a = cidr.first();
                while (allocated.containsKey(a)) {
                    a = a.next();
                }
                return a;
            }
            for (IpAddress a : addresses) {
                if (!allocated.containsKey(a)) {
                    return a;
                }
            }
            return null;
        }

        IpAddress nextFreeAfter(IpAddress c) {
            if (sparse()) {
                IpAddress a = c.next();
                while (allocated.containsKey(a)) {
                    a = a.next();
                }
                return a;
            }
            for (IpAddress a : addresses.tailSet(c, false)) {
                if (!allocated.containsKey(a)) {
                    return a;
                }
            }
            return lowestFree();
        }
    }

    /** What the model predicts for one allocation: an address (possibly any free one), or a failure. */
    record Prediction(Class<? extends Throwable> failure, IpAddress exact, boolean anyFree) {
        static Prediction fails(Class<? extends Throwable> type) {
            return new Prediction(type, null, false);
        }
    }

    final class Run {
        final boolean withSparse;
        InMemoryStore store = new InMemoryStore();
        Ipam ipam;
        IpamSession s;
        final LinkedHashMap<String, ModelPool> pools = new LinkedHashMap<>();
        long sequence;
        final List<String> log = new ArrayList<>();
        final Map<String, Integer> deletions = new HashMap<>();

        Run(boolean withSparse) {
            this.withSparse = withSparse;
            open();
            if (withSparse) {
                createPool(new Op(0, 6, 0, 1, 0)); // the /64 pool "sparse" from the start
            }
        }

        void open() {
            ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
            s = ipam.as(Caller.of("model"));
        }

        void restart() {
            log.add("restart");
            Statistics.label("outcome").collect("restart");
            ipam.close();
            store = store.reopen();
            open();
            pools.values().forEach(p -> p.cursor = null);
            assertThat(((IpamEngine) ipam).lastSequence()).as("sequence after restart").isEqualTo(sequence);
        }

        List<String> names() {
            return new ArrayList<>(pools.keySet());
        }

        /** A pool name: usually an existing one, sometimes an unknown one. */
        String pickPool(int x) {
            List<String> names = names();
            if (names.isEmpty() || x % 23 == 0) {
                return "unknown" + (x % 3);
            }
            return names.get(x % names.size());
        }

        void step(Op op) {
            int k = op.kind();
            if (pools.size() < 2 && k < 50) {
                createPool(op);
                return;
            }
            if (k < 6) {
                createPool(op);
            } else if (k < 8) {
                deletePool(op);
            } else if (k < 45) {
                allocate(op);
            } else if (k < 55) {
                allocateAll(op);
            } else if (k < 72) {
                release(op);
            } else if (k < 79) {
                find(op);
            } else if (k < 83) {
                usage(op);
            } else if (k < 88) {
                page(op);
            } else if (k < 93) {
                allocationsOf(op);
            } else if (k < 96) {
                restart();
                checkEverything();
            } else {
                allocate(op);
            }
        }

        // ---------------------------------------------------------- pools

        void createPool(Op op) {
            int slot = op.a() % (withSparse ? 7 : 6);
            boolean overlapVariant = op.c() % 5 == 0 && slot < 4;
            String cloud = "c" + (op.b() % 2);
            String zone = "z" + (op.b() % 3);
            PoolSpec.Builder b;
            Cidr cidr;
            TreeSet<IpAddress> addresses = null;
            List<IpAddress> cidrAddresses = null;
            List<IpAddress> excluded = new ArrayList<>();
            boolean reserve = true;
            String name;
            if (slot < 4 || overlapVariant) {
                name = overlapVariant ? "o" + slot : "p" + slot;
                int prefix = overlapVariant ? 28 : 27 + op.b() % 4;
                cidr = Cidr.parse("10.0." + slot + ".0/" + prefix);
                reserve = op.c() % 4 != 1;
                b = PoolSpec.builder(name, Scope.of(cloud, zone)).cidr(cidr).reserveNetworkAndBroadcast(reserve);
                cidrAddresses = enumerate(cidr);
                int n = cidrAddresses.size();
                switch (op.c() % 3) {
                    case 1 -> {
                        IpAddress x = cidrAddresses.get(1 + (int) Math.floorMod(op.d(), n - 2));
                        b.exclude(x.toString());
                        excluded.add(x);
                    }
                    case 2 -> {
                        int from = 2 + (int) Math.floorMod(op.d(), n / 2);
                        int to = Math.min(n - 2, from + (int) Math.floorMod(op.d() >> 8, 4));
                        if (to >= from) {
                            b.exclude(cidrAddresses.get(from) + "-" + cidrAddresses.get(to));
                            excluded.addAll(cidrAddresses.subList(from, to + 1));
                        }
                    }
                    default -> {
                    }
                }
            } else if (slot < 6) {
                name = "p" + slot;
                int prefix = 120 + op.b() % 7;
                cidr = Cidr.parse("2001:db8:0:" + slot + "::/" + prefix);
                b = PoolSpec.builder(name, Scope.of(cloud, zone)).cidr(cidr);
                cidrAddresses = enumerate(cidr);
            } else {
                name = "sparse";
                cidr = Cidr.parse("2001:db8:0:64::/64");
                b = PoolSpec.builder(name, Scope.of(cloud, zone)).cidr(cidr);
            }
            if (op.c() % 7 == 3) {
                b.defaultStrategy(op.d() % 2 == 0 ? Strategy.NEXT_FIT : Strategy.RANDOM);
            }
            if (cidrAddresses != null) {
                addresses = new TreeSet<>(cidrAddresses);
                if (reserve && cidr.isIpv4() && cidr.prefixLength() <= 30) {
                    addresses.remove(cidr.first());
                    addresses.remove(cidr.last());
                }
                excluded.forEach(addresses::remove);
            }
            PoolSpec spec = b.build();
            ModelPool model = new ModelPool(spec, cidr, addresses, cidrAddresses);
            assertThat(spec.capacity()).as("capacity of %s", spec).isEqualTo(model.capacity);

            Class<? extends Throwable> expected = null;
            if (pools.containsKey(name)) {
                expected = PoolConflictException.class;
            } else {
                for (ModelPool other : pools.values()) {
                    if (other.spec.scope().cloud().equals(cloud) && overlaps(model, other)) {
                        expected = PoolConflictException.class;
                    }
                }
            }
            log.add("createPool " + spec + " expect " + name(expected));
            Throwable t = null;
            Pool created = null;
            try {
                created = s.createPool(spec);
            } catch (RuntimeException e) {
                t = e;
            }
            expectOutcome(expected, t);
            Statistics.label("outcome").collect("createPool " + name(expected));
            if (created != null) {
                assertThat(created.spec()).isEqualTo(spec);
                assertThat(created.createdBy()).isEqualTo("model");
                pools.put(name, model);
                sequence++;
            }
        }

        void deletePool(Op op) {
            String name = pickPool(op.a());
            ModelPool p = pools.get(name);
            Class<? extends Throwable> expected = p == null ? PoolNotFoundException.class
                    : !p.allocated.isEmpty() ? PoolConflictException.class : null;
            log.add("deletePool " + name + " expect " + name(expected));
            Throwable t = null;
            try {
                s.deletePool(name);
            } catch (RuntimeException e) {
                t = e;
            }
            expectOutcome(expected, t);
            Statistics.label("outcome").collect("deletePool " + name(expected));
            if (expected == null) {
                pools.remove(name);
                sequence++;
                assertThat(s.pool(name)).isEmpty();
            }
        }

        // ---------------------------------------------------------- allocation

        /** Builds a random request for a pool, and the address the request names (SPECIFIC / EUI64). */
        AllocationRequest request(String pool, int x, int y, long z) {
            ModelPool p = pools.get(pool);
            AllocationRequest.Builder b = AllocationRequest.in(pool).owner("vm-" + (y % 4));
            if (y % 5 == 0) {
                b.hostname("host" + (y % 50) + ".example.com");
            }
            int choice = x % 10;
            if (p != null && p.sparse() && choice >= 7) {
                MacAddress mac = y % 3 != 0 ? MacAddress.of(0x0011_2233_4400L + y % 3 / 2) : MacAddress.of(z);
                return b.strategy(Strategy.EUI64).mac(mac).build();
            }
            if (choice < 3) {
                b.strategy(Strategy.LOWEST);
            } else if (choice < 5) {
                b.strategy(Strategy.NEXT_FIT);
            } else if (choice < 7) {
                b.strategy(Strategy.RANDOM);
            } else if (choice < 9) {
                b.address(drawAddress(p, y, z));
            } else if (choice == 9 && (p == null || p.sparse() || y % 4 == 0)) {
                MacAddress mac = y % 3 != 0 ? MacAddress.of(0x0011_2233_4400L + y % 3 / 2) : MacAddress.of(z);
                b.strategy(Strategy.EUI64).mac(mac);
            } else {
                // no strategy: the pool's default
                if (y % 2 == 0) {
                    b.mac(MacAddress.of(z));
                }
            }
            return b.build();
        }

        /** An address to name: mostly of the pool (any address of its CIDR), sometimes outside it. */
        IpAddress drawAddress(ModelPool p, int y, long z) {
            if (p == null || y % 17 == 0) {
                return y % 2 == 0 ? IpAddress.parse("192.168.7." + (y % 256)) : IpAddress.parse("2001:db8:ffff::" + (y % 100));
            }
            if (p.sparse()) {
                int mode = y % 4;
                if (mode == 0 && !p.allocated.isEmpty()) {
                    List<IpAddress> live = new ArrayList<>(p.allocated.keySet());
                    return live.get((int) Math.floorMod(z, live.size()));
                }
                if (mode == 1) {
                    return IpAddress.ofIpv6(p.cidr.first().high(), z);
                }
                return p.cidr.first().plus(Math.floorMod(z, 8));
            }
            return p.cidrAddresses.get((int) Math.floorMod(z, p.cidrAddresses.size()));
        }

        /** The model's prediction for one request, given the model pool state (null: unknown pool). */
        Prediction predict(ModelPool p, AllocationRequest r) {
            if (p == null) {
                return Prediction.fails(PoolNotFoundException.class);
            }
            Strategy st = r.strategy().orElse(p.spec.defaultStrategy());
            switch (st) {
                case SPECIFIC -> {
                    IpAddress a = r.address().orElseThrow();
                    if (!p.handsOut(a) || p.allocated.containsKey(a)) {
                        return Prediction.fails(AddressUnavailableException.class);
                    }
                    return new Prediction(null, a, false);
                }
                case EUI64 -> {
                    if (p.cidr.isIpv4() || p.cidr.prefixLength() > 64) {
                        return Prediction.fails(IllegalArgumentException.class);
                    }
                    IpAddress a = IpAddress.ofIpv6(p.cidr.first().high(), eui64(r.mac().orElseThrow()));
                    if (p.allocated.containsKey(a)) {
                        return Prediction.fails(AddressUnavailableException.class);
                    }
                    return new Prediction(null, a, false);
                }
                default -> {
                    if (p.free().signum() == 0) {
                        return Prediction.fails(PoolExhaustedException.class);
                    }
                    if (st == Strategy.LOWEST) {
                        return new Prediction(null, p.lowestFree(), false);
                    }
                    if (st == Strategy.NEXT_FIT && p.cursor != null) {
                        return new Prediction(null, p.nextFreeAfter(p.cursor), false);
                    }
                    return new Prediction(null, null, true);
                }
            }
        }

        /** Checks a returned allocation against its prediction and request, and applies it to the model. */
        void accept(ModelPool p, AllocationRequest r, Prediction pred, Allocation a) {
            assertThat(a.pool()).isEqualTo(r.pool());
            if (pred.exact() != null) {
                assertThat(a.address()).as("address for %s", r).isEqualTo(pred.exact());
            }
            assertThat(p.handsOut(a.address())).as("%s is an address of pool %s", a.address(), r.pool()).isTrue();
            assertThat(p.allocated).as("%s was free in the model", a.address()).doesNotContainKey(a.address());
            assertThat(a.owner()).isEqualTo(r.owner());
            assertThat(a.hostname()).isEqualTo(r.hostname().orElse(null));
            assertThat(a.mac()).isEqualTo(r.mac().orElse(null));
            assertThat(a.environment()).isNull();
            assertThat(a.allocatedBy()).isEqualTo("model");
            p.allocated.put(a.address(), a);
            if (r.strategy().orElse(p.spec.defaultStrategy()) == Strategy.NEXT_FIT) {
                p.cursor = a.address();
            }
        }

        void allocate(Op op) {
            String pool = op.a() % 4 == 1 && pools.containsKey("sparse") ? "sparse" : pickPool(op.a());
            ModelPool p = pools.get(pool);
            AllocationRequest r = request(pool, op.b(), op.c(), op.d());
            Prediction pred = predict(p, r);
            log.add("allocate " + r + " expect " + (pred.failure() != null ? name(pred.failure())
                    : pred.exact() != null ? pred.exact() : "any free"));
            Throwable t = null;
            Allocation a = null;
            try {
                a = s.allocate(r);
            } catch (RuntimeException e) {
                t = e;
            }
            expectOutcome(pred.failure(), t);
            Statistics.label("outcome").collect("allocate " + (p == null ? Strategy.LOWEST : r.strategy().orElse(p.spec.defaultStrategy()))
                    + " " + (pred.failure() == null ? "ok" + (pred.exact() != null ? " exact" : "") : name(pred.failure())));
            if (a != null) {
                log.add("  -> " + a.address());
                accept(p, r, pred, a);
                sequence++;
            }
        }

        void allocateAll(Op op) {
            int n = 1 + op.a() % 4;
            List<AllocationRequest> requests = new ArrayList<>();
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(op.d());
            for (int i = 0; i < n; i++) {
                String pool = pickPool(rnd.nextInt(10_000));
                requests.add(request(pool, rnd.nextInt(10_000), rnd.nextInt(10_000), rnd.nextLong()));
            }
            int firstUnknown = -1;
            for (int i = 0; i < n && firstUnknown < 0; i++) {
                if (!pools.containsKey(requests.get(i).pool())) {
                    firstUnknown = i;
                }
            }
            // Simulate in order on scratch copies: addresses the model can name are reserved exactly,
            // picks it cannot name (RANDOM, NEXT_FIT without a known cursor) only count.
            Map<String, ModelPool> scratch = new HashMap<>();
            Map<String, Integer> unknownPicks = new HashMap<>();
            int failedAt = -1;
            int uncertainFrom = -1;
            Class<? extends Throwable> cause = null;
            for (int i = 0; i < n && failedAt < 0 && uncertainFrom < 0; i++) {
                AllocationRequest r = requests.get(i);
                ModelPool real = pools.get(r.pool());
                if (real == null) {
                    failedAt = i;
                    cause = PoolNotFoundException.class;
                    break;
                }
                ModelPool p = scratch.computeIfAbsent(r.pool(), k -> copyOf(real));
                int unknown = unknownPicks.getOrDefault(r.pool(), 0);
                Prediction pred = predict(p, r);
                Strategy st = r.strategy().orElse(p.spec.defaultStrategy());
                boolean named = st == Strategy.SPECIFIC || st == Strategy.EUI64;
                if (pred.failure() != null) {
                    failedAt = i;
                    cause = pred.failure();
                } else if (named && unknown > 0) {
                    uncertainFrom = i; // an earlier pick of unknown address may have taken it
                } else if (!named && p.free().subtract(BigInteger.valueOf(unknown)).signum() == 0) {
                    failedAt = i;
                    cause = PoolExhaustedException.class;
                } else if (pred.exact() != null && unknown == 0) {
                    p.allocated.put(pred.exact(), placeholder(r, pred.exact()));
                    if (st == Strategy.NEXT_FIT) {
                        p.cursor = pred.exact();
                    }
                } else {
                    unknownPicks.put(r.pool(), unknown + 1);
                    if (st == Strategy.NEXT_FIT) {
                        p.cursor = null;
                    }
                }
            }
            log.add("allocateAll " + requests + " expect " + (failedAt >= 0 ? "failure at " + failedAt + " " + name(cause)
                    : uncertainFrom >= 0 ? "uncertain from " + uncertainFrom : "success")
                    + (firstUnknown >= 0 ? " (unknown pool at " + firstUnknown + ")" : ""));
            Throwable t = null;
            List<Allocation> result = null;
            try {
                result = s.allocateAll(requests);
            } catch (RuntimeException e) {
                t = e;
            }
            if (t != null) {
                if (!(t instanceof AllocationFailedException afe)) {
                    throw new AssertionError("allocateAll threw " + t, t);
                }
                log.add("  -> failed at " + afe.requestIndex() + ": " + afe.getCause());
                Statistics.label("outcome").collect("allocateAll failure");
                int index = afe.requestIndex();
                if (index == firstUnknown) {
                    assertThat(afe.getCause()).isInstanceOf(PoolNotFoundException.class);
                } else if (failedAt >= 0 && index == failedAt) {
                    assertThat(afe.getCause()).isInstanceOf(cause);
                } else if (uncertainFrom >= 0 && index >= uncertainFrom) {
                    // Past the uncertain point a request fails either for want of an address or for
                    // the reason the model gives it on its own (e.g. EUI64 in an IPv4 pool).
                    Class<? extends Throwable> own = predict(pools.get(requests.get(index).pool()), requests.get(index)).failure();
                    if (own == null || !own.isInstance(afe.getCause())) {
                        assertThat(afe.getCause()).isInstanceOfAny(AddressUnavailableException.class, PoolExhaustedException.class);
                    }
                } else {
                    throw new AssertionError("allocateAll failed at request " + index + " but the model predicts "
                            + (failedAt >= 0 ? "failure at " + failedAt : "success"), t);
                }
                // The library may have moved NEXT_FIT cursors for picks it then undid.
                for (AllocationRequest r : requests) {
                    ModelPool p = pools.get(r.pool());
                    if (p != null && r.strategy().orElse(p.spec.defaultStrategy()) == Strategy.NEXT_FIT) {
                        p.cursor = null;
                    }
                }
                return;
            }
            if (failedAt >= 0 || firstUnknown >= 0) {
                fail("allocateAll succeeded with " + result + " but the model predicts failure at " + failedAt
                        + " / unknown pool at " + firstUnknown);
            }
            assertThat(result).hasSize(n);
            Statistics.label("outcome").collect("allocateAll success");
            log.add("  -> " + result.stream().map(a -> a.address().toString()).toList());
            // Replay with exact predictions: earlier results of the batch are in the model by then.
            for (int i = 0; i < n; i++) {
                AllocationRequest r = requests.get(i);
                ModelPool p = pools.get(r.pool());
                Prediction pred = predict(p, r);
                if (pred.failure() != null) {
                    fail("allocateAll succeeded but request " + i + " (" + r + ") should fail with "
                            + name(pred.failure()) + " after " + result.subList(0, i));
                }
                accept(p, r, pred, result.get(i));
            }
            sequence += n;
        }

        ModelPool copyOf(ModelPool p) {
            ModelPool c = new ModelPool(p.spec, p.cidr, p.addresses, p.cidrAddresses);
            c.allocated.putAll(p.allocated);
            c.cursor = p.cursor;
            return c;
        }

        Allocation placeholder(AllocationRequest r, IpAddress a) {
            return new Allocation(r.pool(), a, r.owner(), null, null, null, null, java.time.Instant.EPOCH, "scratch");
        }

        void release(Op op) {
            String pool = pickPool(op.a());
            ModelPool p = pools.get(pool);
            IpAddress address;
            if (p != null && !p.allocated.isEmpty() && op.b() % 3 != 0) {
                List<IpAddress> live = new ArrayList<>(p.allocated.keySet());
                address = live.get(op.c() % live.size());
            } else {
                address = drawAddress(p, op.c(), op.d());
            }
            Class<? extends Throwable> expected = p == null ? PoolNotFoundException.class
                    : p.allocated.containsKey(address) ? null : NotAllocatedException.class;
            log.add("release " + pool + " " + address + " expect " + name(expected));
            Throwable t = null;
            Allocation released = null;
            try {
                released = s.release(pool, address);
            } catch (RuntimeException e) {
                t = e;
            }
            expectOutcome(expected, t);
            Statistics.label("outcome").collect("release " + name(expected));
            if (released != null) {
                assertThat(released).isEqualTo(p.allocated.remove(address));
                sequence++;
            }
        }

        // ---------------------------------------------------------- reads

        void find(Op op) {
            String pool = pickPool(op.a());
            ModelPool p = pools.get(pool);
            IpAddress address = drawAddress(p, op.c(), op.d());
            if (p != null && !p.allocated.isEmpty() && op.b() % 2 == 0) {
                List<IpAddress> live = new ArrayList<>(p.allocated.keySet());
                address = live.get(op.c() % live.size());
            }
            log.add("find " + pool + " " + address);
            if (p == null) {
                IpAddress x = address;
                expectOutcome(PoolNotFoundException.class, thrown(() -> s.find(pool, x)));
                return;
            }
            assertThat(s.find(pool, address)).as("find %s in %s", address, pool)
                    .isEqualTo(Optional.ofNullable(p.allocated.get(address)));
        }

        void usage(Op op) {
            String pool = pickPool(op.a());
            log.add("usage " + pool);
            ModelPool p = pools.get(pool);
            if (p == null) {
                expectOutcome(PoolNotFoundException.class, thrown(() -> s.usage(pool)));
                return;
            }
            PoolUsage u = s.usage(pool);
            assertThat(u.pool()).isEqualTo(pool);
            assertThat(u.capacity()).isEqualTo(p.capacity);
            assertThat(u.allocated()).isEqualTo(p.allocated.size());
            assertThat(u.free()).isEqualTo(p.free());
        }

        void page(Op op) {
            String pool = pickPool(op.a());
            int limit = 1 + op.b() % 7;
            log.add("page " + pool + " limit " + limit);
            ModelPool p = pools.get(pool);
            if (p == null) {
                expectOutcome(PoolNotFoundException.class, thrown(() -> s.allocations(pool, null, limit)));
                return;
            }
            assertThat(allPages(pool, limit)).isEqualTo(new ArrayList<>(p.allocated.values()));
        }

        List<Allocation> allPages(String pool, int limit) {
            List<Allocation> all = new ArrayList<>();
            AllocationPage page = s.allocations(pool, null, limit);
            int pages = 1;
            all.addAll(page.items());
            while (page.nextAfter().isPresent()) {
                assertThat(page.items()).hasSize(limit);
                page = s.allocations(pool, page.nextAfter().get(), limit);
                all.addAll(page.items());
                assertThat(++pages).as("pages").isLessThan(10_000);
            }
            assertThat(page.items().size()).isLessThanOrEqualTo(limit);
            return all;
        }

        void allocationsOf(Op op) {
            String owner = "vm-" + (op.a() % 5);
            log.add("allocationsOf " + owner);
            List<Allocation> expected = new ArrayList<>();
            for (ModelPool p : pools.values()) {
                p.allocated.values().stream().filter(a -> a.owner().equals(owner)).forEach(expected::add);
            }
            assertThat(s.allocationsOf(owner)).isEqualTo(expected);
        }

        // ---------------------------------------------------------- checks

        void checkCounts() {
            for (Map.Entry<String, ModelPool> e : pools.entrySet()) {
                ModelPool p = e.getValue();
                PoolUsage u = s.usage(e.getKey());
                assertThat(u.allocated()).as("allocated in %s", e.getKey()).isEqualTo(p.allocated.size());
                assertThat(u.free()).as("free in %s", e.getKey()).isEqualTo(p.free());
                assertThat(u.capacity()).as("capacity of %s", e.getKey()).isEqualTo(p.capacity);
            }
            assertThat(((IpamEngine) ipam).lastSequence()).as("sequence").isEqualTo(sequence);
        }

        void checkEverything() {
            checkCounts();
            assertThat(s.pools()).extracting(Pool::name).containsExactlyElementsOf(pools.keySet());
            assertThat(s.pools()).extracting(Pool::spec).containsExactlyElementsOf(pools.values().stream().map(p -> p.spec).toList());
            for (Map.Entry<String, ModelPool> e : pools.entrySet()) {
                ModelPool p = e.getValue();
                assertThat(allPages(e.getKey(), 10_000)).isEqualTo(new ArrayList<>(p.allocated.values()));
                for (Allocation a : p.allocated.values()) {
                    assertThat(s.find(e.getKey(), a.address())).contains(a);
                }
                if (!p.sparse()) {
                    for (IpAddress a : p.cidrAddresses) {
                        assertThat(s.find(e.getKey(), a)).isEqualTo(Optional.ofNullable(p.allocated.get(a)));
                    }
                }
            }
            for (int i = 0; i < 4; i++) {
                String owner = "vm-" + i;
                List<Allocation> expected = new ArrayList<>();
                pools.values().forEach(p -> p.allocated.values().stream()
                        .filter(a -> a.owner().equals(owner)).forEach(expected::add));
                assertThat(s.allocationsOf(owner)).isEqualTo(expected);
            }
        }

        void expectOutcome(Class<? extends Throwable> expected, Throwable t) {
            if (expected == null) {
                if (t != null) {
                    throw new AssertionError("expected success but got " + t, t);
                }
            } else {
                if (t == null) {
                    fail("expected " + expected.getSimpleName() + " but the call succeeded");
                }
                if (!expected.isInstance(t)) {
                    throw new AssertionError("expected " + expected.getSimpleName() + " but got " + t, t);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static Throwable thrown(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    static String name(Class<?> c) {
        return c == null ? "success" : c.getSimpleName();
    }

    static List<IpAddress> enumerate(Cidr cidr) {
        List<IpAddress> all = new ArrayList<>();
        int n = cidr.size().intValueExact();
        IpAddress a = cidr.first();
        for (int i = 0; i < n; i++) {
            all.add(a);
            if (i < n - 1) {
                a = a.next();
            }
        }
        return all;
    }

    static boolean overlaps(ModelPool x, ModelPool y) {
        if (x.cidr.isIpv4() != y.cidr.isIpv4()) {
            return false;
        }
        if (x.sparse() || y.sparse()) {
            return x.cidr.overlaps(y.cidr);
        }
        for (IpAddress a : x.addresses) {
            if (y.addresses.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 4291 appendix A, computed independently of MacAddress#eui64InterfaceId. */
    static long eui64(MacAddress mac) {
        byte[] m = mac.toBytes();
        byte[] id = {(byte) (m[0] ^ 0x02), m[1], m[2], (byte) 0xff, (byte) 0xfe, m[3], m[4], m[5]};
        long v = 0;
        for (byte x : id) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }
}
