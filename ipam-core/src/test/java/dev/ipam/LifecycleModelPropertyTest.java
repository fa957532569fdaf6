package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * Random sequences of the address lifecycle (offer, confirm, cancel, expiry by clock and maintenance,
 * allocate with stickiness, release into quarantine, release by owner and by environment, restarts)
 * against a reference model. Every step checks the outcome, the exact address where the model
 * determines it, the journal entries it produced, and the counts of every pool.
 */
class LifecycleModelPropertyTest {

    record Op(int kind, int a, int b, int c) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, 99), Arbitraries.integers().between(0, 9999),
                Arbitraries.integers().between(0, 9999), Arbitraries.integers().between(0, 9999))
                .as(Op::new).list().ofMinSize(30).ofMaxSize(150);
    }

    @Property(tries = 250, shrinking = ShrinkingMode.BOUNDED)
    void lifecycleBehavesLikeTheModel(@ForAll("ops") List<Op> ops) {
        Run run = new Run();
        try {
            for (Op op : ops) {
                run.step(op);
                run.check();
            }
            run.restart();
            run.checkEverything();
            Statistics.label("outcome").coverage(c -> {
                for (String must : List.of("offer new", "offer repeat", "offer PoolExhaustedException", "confirm ok",
                        "confirm HoldNotFoundException", "cancel ok", "allocate ok", "allocate sticky",
                        "allocate PoolExhaustedException", "allocate AddressUnavailableException",
                        "release ok", "release NotAllocatedException", "releaseOwner some", "releaseEnvironment some",
                        "expired hold", "ended quarantine", "reused quarantine", "maintenance", "restart")) {
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

    record Key(String environment, String name) {
        static Key of(Allocation a) {
            return a.environment() == null ? null : new Key(a.environment(), a.name());
        }
    }

    record LastRelease(IpAddress address, Instant at) {
    }

    record Quarantine(Allocation released, Instant until) {
    }

    static final class ModelPool {
        final PoolSpec spec;
        final TreeSet<IpAddress> addresses = new TreeSet<>();
        final TreeMap<IpAddress, Allocation> allocated = new TreeMap<>();
        final Map<IpAddress, Hold> holds = new HashMap<>();
        final Map<IpAddress, Quarantine> quarantined = new HashMap<>();
        final Map<Key, LastRelease> lastRelease = new HashMap<>();

        ModelPool(PoolSpec spec) {
            this.spec = spec;
            Cidr cidr = spec.cidrs().get(0);
            IpAddress a = cidr.first().next(); // IPv4 /29 and /28: no network and broadcast address
            while (!a.equals(cidr.last())) {
                addresses.add(a);
                a = a.next();
            }
        }

        boolean free(IpAddress a) {
            return addresses.contains(a) && !allocated.containsKey(a) && !holds.containsKey(a) && !quarantined.containsKey(a);
        }

        List<IpAddress> freeAddresses() {
            return addresses.stream().filter(this::free).toList();
        }

        Hold holdOf(String key) {
            return holds.values().stream().filter(h -> key.equals(h.key())).findFirst().orElse(null);
        }

        Allocation byKey(Key key) {
            return allocated.values().stream().filter(a -> key.equals(Key.of(a))).findFirst().orElse(null);
        }

        boolean hasDue(Instant now) {
            return holds.values().stream().anyMatch(h -> !h.expiresAt().isAfter(now))
                    || quarantined.values().stream().anyMatch(q -> !q.until().isAfter(now));
        }
    }

    /** An expected failure of a call. */
    static final class Expected extends RuntimeException {
        final Class<? extends Throwable> type;

        Expected(Class<? extends Throwable> type) {
            super(type.getSimpleName(), null, false, false);
            this.type = type;
        }
    }

    final class Run {
        final MutableClock clock = new MutableClock();
        InMemoryStore store = new InMemoryStore();
        Ipam ipam;
        final LinkedHashMap<String, ModelPool> pools = new LinkedHashMap<>();
        long sequence;
        final List<String> expectedChanges = new ArrayList<>();
        final List<String> log = new ArrayList<>();

        Run() {
            open();
            create(PoolSpec.builder("a", Scope.of("c", "za")).cidr("10.0.0.0/28").quarantine(Duration.ofSeconds(60))
                    .stickiness(Duration.ofSeconds(300)).holdTtl(Duration.ofSeconds(30)).build());
            create(PoolSpec.builder("b", Scope.of("c", "zb")).cidr("10.0.1.0/29").stickiness(Duration.ZERO).build());
            create(PoolSpec.builder("c", Scope.of("c", "zc")).cidr("10.0.2.0/29").quarantine(Duration.ofSeconds(20))
                    .holdTtl(Duration.ofSeconds(45)).build());
            check();
        }

        void open() {
            ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                    .maintenanceInterval(Duration.ZERO).build();
        }

        void create(PoolSpec spec) {
            ipam.as(Caller.of("admin")).createPool(spec);
            pools.put(spec.name(), new ModelPool(spec));
            sequence++;
            expectedChanges.add("PoolCreated " + spec.name());
        }

        IpamSession session(int x) {
            return ipam.as(Caller.of(caller(x)));
        }

        String caller(int x) {
            return x % 2 == 0 ? "ops-a" : "ops-b";
        }

        String pool(int x) {
            return new ArrayList<>(pools.keySet()).get(x % pools.size());
        }

        Instant now() {
            return clock.instant();
        }

        void change(String description) {
            expectedChanges.add(description);
            sequence++;
        }

        void outcome(String what) {
            Statistics.label("outcome").collect(what);
        }

        // ---------------------------------------------------------- model transitions

        /** Ends what is due in a pool, as the library does before each change of it. */
        void expire(String name) {
            ModelPool p = pools.get(name);
            Instant now = now();
            for (Hold h : new ArrayList<>(p.holds.values())) {
                if (!h.expiresAt().isAfter(now)) {
                    p.holds.remove(h.address());
                    change("HoldEnded " + name + " " + h.address() + " EXPIRED ipam");
                    outcome("expired hold");
                }
            }
            for (Map.Entry<IpAddress, Quarantine> e : new ArrayList<>(p.quarantined.entrySet())) {
                if (!e.getValue().until().isAfter(now)) {
                    p.quarantined.remove(e.getKey());
                    change("QuarantineEnded " + name + " " + e.getKey() + " false ipam");
                    outcome("ended quarantine");
                }
            }
        }

        void endQuarantineReused(ModelPool p, IpAddress a, String caller) {
            p.quarantined.remove(a);
            change("QuarantineEnded " + p.spec.name() + " " + a + " true " + caller);
            outcome("reused quarantine");
        }

        Allocation bind(ModelPool p, IpAddress a, AllocationRequest r, String caller) {
            Allocation allocation = new Allocation(p.spec.name(), a, r.owner(), r.environment().orElse(null),
                    r.name().orElse(null), null, null, now(), caller);
            p.allocated.put(a, allocation);
            change("Allocated " + p.spec.name() + " " + a + " " + r.owner());
            return allocation;
        }

        /**
         * What allocate does after expiry: the allocation, or null when any free address will do
         * (RANDOM without stickiness; then {@code randomFrom} is the choice), or Expected.
         */
        Allocation allocate(ModelPool p, AllocationRequest r, String caller, IpAddress randomPick) {
            Key key = r.environment().map(e -> new Key(e, r.name().get())).orElse(null);
            if (key != null) {
                Allocation existing = p.byKey(key);
                if (existing != null) {
                    if (r.address().isPresent() && !r.address().get().equals(existing.address())) {
                        throw new Expected(KeyConflictException.class);
                    }
                    outcome("allocate idempotent");
                    return existing;
                }
            }
            if (r.holdKey().isPresent()) {
                Hold h = p.holdOf(r.holdKey().get());
                if (h == null) {
                    throw new Expected(HoldNotFoundException.class);
                }
                p.holds.remove(h.address());
                change("HoldEnded " + p.spec.name() + " " + h.address() + " CONFIRMED " + caller);
                return bind(p, h.address(), r, caller);
            }
            Strategy strategy = r.strategy().orElse(Strategy.LOWEST);
            if (strategy == Strategy.SPECIFIC) {
                IpAddress a = r.address().get();
                if (!p.addresses.contains(a) || p.allocated.containsKey(a) || p.holds.containsKey(a)) {
                    throw new Expected(AddressUnavailableException.class);
                }
                Quarantine q = p.quarantined.get(a);
                if (q != null) {
                    if (key == null || !key.equals(Key.of(q.released()))) {
                        throw new Expected(AddressUnavailableException.class);
                    }
                    endQuarantineReused(p, a, caller);
                }
                return bind(p, a, r, caller);
            }
            if (key != null) {
                LastRelease last = p.lastRelease.get(key);
                Duration window = p.spec.stickiness();
                if (last != null && !window.isZero() && now().isBefore(last.at().plus(window))) {
                    IpAddress a = last.address();
                    if (p.free(a)) {
                        outcome("allocate sticky");
                        return bind(p, a, r, caller);
                    }
                    Quarantine q = p.quarantined.get(a);
                    if (q != null && key.equals(Key.of(q.released()))) {
                        outcome("allocate sticky");
                        endQuarantineReused(p, a, caller);
                        return bind(p, a, r, caller);
                    }
                }
            }
            List<IpAddress> free = p.freeAddresses();
            if (free.isEmpty()) {
                throw new Expected(PoolExhaustedException.class);
            }
            if (strategy == Strategy.RANDOM) {
                if (randomPick == null) {
                    return null; // the caller runs the library first, then replays with its pick
                }
                if (!free.contains(randomPick)) {
                    throw new AssertionError("RANDOM picked " + randomPick + " which is not free; free: " + free);
                }
                return bind(p, randomPick, r, caller);
            }
            return bind(p, free.get(0), r, caller);
        }

        Allocation release(ModelPool p, IpAddress a, String caller) {
            Allocation al = p.allocated.remove(a);
            if (al == null) {
                throw new Expected(NotAllocatedException.class);
            }
            Duration q = p.spec.quarantine();
            if (!q.isZero()) {
                p.quarantined.put(a, new Quarantine(al, now().plus(q)));
            }
            Key key = Key.of(al);
            if (key != null) {
                p.lastRelease.put(key, new LastRelease(a, now()));
            }
            change("Released " + p.spec.name() + " " + a + " " + !q.isZero());
            return al;
        }

        // ---------------------------------------------------------- steps

        void step(Op op) {
            int k = op.kind();
            if (k < 8) {
                advance(op);
            } else if (k < 11) {
                maintenance();
            } else if (k < 25) {
                offer(op);
            } else if (k < 38) {
                confirm(op);
            } else if (k < 41) {
                cancel(op);
            } else if (k < 70) {
                allocate(op);
            } else if (k < 80) {
                release(op);
            } else if (k < 85) {
                releaseOwner(op);
            } else if (k < 90) {
                releaseEnvironment(op);
            } else if (k < 93) {
                restart();
            } else {
                allocate(op);
            }
        }

        void advance(Op op) {
            int[] seconds = {1, 1, 2, 5, 5, 10, 10, 15, 20, 29, 30, 31, 45, 60, 61, 120, 299, 300, 600};
            Duration d = Duration.ofSeconds(seconds[op.a() % seconds.length]);
            clock.advance(d);
            log.add("advance " + d + " -> " + now());
        }

        void maintenance() {
            log.add("runMaintenance at " + now());
            outcome("maintenance");
            for (String name : pools.keySet()) {
                expire(name);
            }
            ipam.runMaintenance();
        }

        String holdKey(int x) {
            return "k" + (x % 5);
        }

        void offer(Op op) {
            String name = pool(op.a());
            ModelPool p = pools.get(name);
            String key = op.b() % 6 == 0 ? null : holdKey(op.b());
            Duration ttl = switch (op.c() % 3) {
                case 0 -> null;
                case 1 -> Duration.ofSeconds(10);
                default -> Duration.ofSeconds(30);
            };
            String caller = caller(op.c() / 3);
            log.add("offer " + name + " key " + key + " ttl " + ttl + " by " + caller + " at " + now());
            expire(name);
            Hold expected;
            String what;
            Hold live = key == null ? null : p.holdOf(key);
            if (live != null) {
                expected = live;
                what = "offer repeat";
            } else {
                List<IpAddress> free = p.freeAddresses();
                if (free.isEmpty()) {
                    expected = null;
                    what = "offer PoolExhaustedException";
                } else {
                    expected = new Hold(name, free.get(0), key, now(), now().plus(ttl == null ? p.spec.holdTtl() : ttl), caller);
                    p.holds.put(expected.address(), expected);
                    change("Held " + name + " " + expected.address() + " " + key);
                    what = "offer new";
                }
            }
            outcome(what);
            Hold got = null;
            Throwable t = null;
            try {
                got = session(op.c() / 3).offer(name, key, ttl);
            } catch (RuntimeException e) {
                t = e;
            }
            if (expected == null) {
                expectFailure(PoolExhaustedException.class, t);
            } else {
                expectSuccess(t);
                assertThat(got).isEqualTo(expected);
            }
        }

        AllocationRequest.Builder request(String pool, int x) {
            AllocationRequest.Builder b = AllocationRequest.in(pool).owner("vm-" + (x % 4));
            if (x % 5 != 0) {
                b.environment("e" + (x / 5 % 3)).name("n" + (x / 15 % 2));
            }
            return b;
        }

        void confirm(Op op) {
            String name = pool(op.a());
            ModelPool p = pools.get(name);
            List<String> liveKeys = p.holds.values().stream().map(Hold::key).filter(java.util.Objects::nonNull).sorted().toList();
            String key = !liveKeys.isEmpty() && op.b() % 3 != 0 ? liveKeys.get(op.b() % liveKeys.size()) : holdKey(op.b());
            AllocationRequest r = request(name, op.c()).holdKey(key).build();
            String caller = caller(op.a() / 3);
            log.add("confirm " + key + " " + r + " by " + caller + " at " + now());
            expire(name);
            Allocation expected = null;
            Class<? extends Throwable> failure = null;
            try {
                expected = allocate(p, r, caller, null);
            } catch (Expected e) {
                failure = e.type;
            }
            outcome("confirm " + (failure == null ? "ok" : failure.getSimpleName()));
            Allocation got = null;
            Throwable t = null;
            try {
                got = session(op.a() / 3).confirm(key, r.toBuilder().build());
            } catch (RuntimeException e) {
                t = e;
            }
            if (failure != null) {
                expectFailure(failure, t);
            } else {
                expectSuccess(t);
                assertThat(got).isEqualTo(expected);
            }
        }

        void cancel(Op op) {
            String name = pool(op.a());
            ModelPool p = pools.get(name);
            List<String> liveKeys = p.holds.values().stream().map(Hold::key).filter(java.util.Objects::nonNull).sorted().toList();
            String key = !liveKeys.isEmpty() && op.b() % 2 == 0 ? liveKeys.get(op.b() % liveKeys.size()) : holdKey(op.b());
            log.add("cancelHold " + name + " " + key + " at " + now());
            expire(name);
            Hold h = p.holdOf(key);
            String caller = caller(op.c());
            if (h != null) {
                p.holds.remove(h.address());
                change("HoldEnded " + name + " " + h.address() + " CANCELLED " + caller);
            }
            outcome(h != null ? "cancel ok" : "cancel HoldNotFoundException");
            Hold got = null;
            Throwable t = null;
            try {
                got = session(op.c()).cancelHold(name, key);
            } catch (RuntimeException e) {
                t = e;
            }
            if (h == null) {
                expectFailure(HoldNotFoundException.class, t);
            } else {
                expectSuccess(t);
                assertThat(got).isEqualTo(h);
            }
        }

        void allocate(Op op) {
            String name = pool(op.a());
            ModelPool p = pools.get(name);
            AllocationRequest.Builder b = request(name, op.b());
            int choice = op.c() % 10;
            if (choice < 5) {
                b.strategy(Strategy.LOWEST);
            } else if (choice < 7) {
                b.strategy(Strategy.RANDOM);
            } else if (choice < 9) {
                List<IpAddress> all = new ArrayList<>(p.addresses);
                b.address(all.get(op.c() / 10 % all.size()));
            }
            AllocationRequest r = b.build();
            String caller = caller(op.a() / 3);
            log.add("allocate " + r + " by " + caller + " at " + now());
            expire(name);
            // Predict before the call; RANDOM without stickiness is resolved with the library's pick.
            Map<IpAddress, Allocation> allocatedBefore = new TreeMap<>(p.allocated);
            Allocation expected = null;
            Class<? extends Throwable> failure = null;
            boolean random = false;
            try {
                expected = allocate(p, r, caller, null);
                random = expected == null;
            } catch (Expected e) {
                failure = e.type;
            }
            Allocation got = null;
            Throwable t = null;
            try {
                got = session(op.a() / 3).allocate(r);
            } catch (RuntimeException e) {
                t = e;
            }
            outcome("allocate " + (failure == null ? "ok" : failure.getSimpleName()));
            if (failure != null) {
                expectFailure(failure, t);
                assertThat(p.allocated).isEqualTo(allocatedBefore);
                return;
            }
            expectSuccess(t);
            if (random) {
                expected = allocate(p, r, caller, got.address());
            }
            assertThat(got).isEqualTo(expected);
        }

        IpAddress someAddress(ModelPool p, int x) {
            if (!p.allocated.isEmpty() && x % 4 != 0) {
                List<IpAddress> live = new ArrayList<>(p.allocated.keySet());
                return live.get(x / 4 % live.size());
            }
            List<IpAddress> all = new ArrayList<>(p.addresses);
            return all.get(x % all.size());
        }

        void release(Op op) {
            String name = pool(op.a());
            ModelPool p = pools.get(name);
            IpAddress a = someAddress(p, op.b());
            String caller = caller(op.c());
            log.add("release " + name + " " + a + " at " + now());
            expire(name);
            Allocation expected = null;
            Class<? extends Throwable> failure = null;
            try {
                expected = release(p, a, caller);
            } catch (Expected e) {
                failure = e.type;
            }
            outcome("release " + (failure == null ? "ok" : failure.getSimpleName()));
            Allocation got = null;
            Throwable t = null;
            try {
                got = session(op.c()).release(name, a);
            } catch (RuntimeException e) {
                t = e;
            }
            if (failure != null) {
                expectFailure(failure, t);
            } else {
                expectSuccess(t);
                assertThat(got).isEqualTo(expected);
            }
        }

        void releaseOwner(Op op) {
            String owner = "vm-" + (op.a() % 5);
            releaseWhere("releaseOwner", owner, a -> a.owner().equals(owner), op.c(),
                    s -> s.releaseOwner(owner));
        }

        void releaseEnvironment(Op op) {
            String env = "e" + (op.a() % 4);
            releaseWhere("releaseEnvironment", env, a -> env.equals(a.environment()), op.c(),
                    s -> s.releaseEnvironment(env));
        }

        void releaseWhere(String what, String arg, java.util.function.Predicate<Allocation> selects, int x,
                java.util.function.Function<IpamSession, List<Allocation>> call) {
            String caller = caller(x);
            log.add(what + " " + arg + " at " + now());
            List<Allocation> expected = new ArrayList<>();
            for (Map.Entry<String, ModelPool> e : pools.entrySet()) {
                ModelPool p = e.getValue();
                List<IpAddress> selected = p.allocated.values().stream().filter(selects).map(Allocation::address).toList();
                if (selected.isEmpty()) {
                    continue; // untouched: nothing due in it is ended
                }
                expire(e.getKey());
                for (IpAddress a : selected) {
                    expected.add(release(p, a, caller));
                }
            }
            outcome(what + (expected.isEmpty() ? " none" : " some"));
            List<Allocation> got = call.apply(session(x));
            assertThat(got).isEqualTo(expected);
        }

        void restart() {
            log.add("restart");
            outcome("restart");
            ipam.close();
            store = store.reopen();
            open();
            checkEverything();
        }

        // ---------------------------------------------------------- checks

        void expectSuccess(Throwable t) {
            if (t != null) {
                throw new AssertionError("expected success but got " + t, t);
            }
        }

        void expectFailure(Class<? extends Throwable> type, Throwable t) {
            if (t == null) {
                throw new AssertionError("expected " + type.getSimpleName() + " but the call succeeded");
            }
            if (!type.isInstance(t)) {
                throw new AssertionError("expected " + type.getSimpleName() + " but got " + t, t);
            }
        }

        String describe(Change c) {
            if (c instanceof Change.PoolCreated x) {
                return "PoolCreated " + x.pool();
            }
            if (c instanceof Change.Held x) {
                return "Held " + x.pool() + " " + x.hold().address() + " " + x.hold().key();
            }
            if (c instanceof Change.HoldEnded x) {
                return "HoldEnded " + x.pool() + " " + x.hold().address() + " " + x.reason() + " " + x.caller();
            }
            if (c instanceof Change.Allocated x) {
                return "Allocated " + x.pool() + " " + x.allocation().address() + " " + x.allocation().owner();
            }
            if (c instanceof Change.Released x) {
                return "Released " + x.pool() + " " + x.allocation().address() + " " + (x.quarantineUntil() != null);
            }
            if (c instanceof Change.QuarantineEnded x) {
                return "QuarantineEnded " + x.pool() + " " + x.address() + " " + x.reused() + " " + x.caller();
            }
            return c.toString();
        }

        long checkedUpTo;

        void check() {
            assertThat(ipam.lastSequence()).as("sequence").isEqualTo(sequence);
            List<String> journaled = TestStores.journal(store, checkedUpTo + 1).stream().map(JournalEntry::change)
                    .map(this::describe).sorted().toList();
            assertThat(journaled).as("journal entries of the step").isEqualTo(expectedChanges.stream().sorted().toList());
            for (JournalEntry e : TestStores.journal(store, checkedUpTo + 1)) {
                assertThat(e.change().at()).as("time of %s", e).isEqualTo(now());
            }
            expectedChanges.clear();
            checkedUpTo = sequence;
            IpamSession s = ipam.as(Caller.of("reader"));
            for (Map.Entry<String, ModelPool> e : pools.entrySet()) {
                ModelPool p = e.getValue();
                PoolUsage u = s.usage(e.getKey());
                PoolUsage expected = new PoolUsage(e.getKey(), BigInteger.valueOf(p.addresses.size()), p.allocated.size(),
                        p.holds.size(), p.quarantined.size(), BigInteger.valueOf(p.freeAddresses().size()));
                assertThat(u).as("usage of %s", e.getKey()).isEqualTo(expected);
            }
        }

        void checkEverything() {
            check();
            IpamSession s = ipam.as(Caller.of("reader"));
            for (Map.Entry<String, ModelPool> e : pools.entrySet()) {
                ModelPool p = e.getValue();
                for (IpAddress a : p.addresses) {
                    assertThat(s.find(e.getKey(), a)).as("find %s", a).isEqualTo(Optional.ofNullable(p.allocated.get(a)));
                }
                assertThat(new HashSet<>(s.holds(e.getKey()))).as("holds of %s", e.getKey())
                        .isEqualTo(new HashSet<>(p.holds.values()));
                assertThat(s.allocations(e.getKey(), null, 100).items()).isEqualTo(new ArrayList<>(p.allocated.values()));
            }
        }
    }
}
