package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many threads allocate, release and allocateAll in a few small shared pools (so they run out and
 * collide) and in private pools, against an in-memory store, optionally slowed down so that commits
 * really are shared (group commit). No address may ever be live twice; at the end counts, finds,
 * pages, the sequence number and a restart all agree with what the threads saw.
 */
class ConcurrencyStressTest {

    /** A store whose commit runs a hook first, then the delegate; every other method just delegates. */
    static IpamStore intercept(IpamStore delegate, Consumer<ChangeBatch> beforeCommit) {
        return (IpamStore) Proxy.newProxyInstance(IpamStore.class.getClassLoader(), new Class<?>[] {IpamStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && args != null && args.length == 1
                            && args[0] instanceof ChangeBatch batch) {
                        beforeCommit.accept(batch);
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    record Key(String pool, IpAddress address) {
    }

    static final String[] SHARED = {"s0", "s1", "s2", "s64"};

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("in-memory, 8 threads", 8, 4000, false, 0x5EED_0001L),
                Arguments.of("in-memory, 12 threads", 12, 2500, false, 0x5EED_0002L),
                Arguments.of("slow commit (0.2 ms), 8 threads", 8, 1500, true, 0x5EED_0003L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void noAddressIsEverLiveTwice(String name, int threads, int opsPerThread, boolean slowCommit, long seed)
            throws Exception {
        InMemoryStore memory = new InMemoryStore();
        AtomicInteger maxBatch = new AtomicInteger();
        AtomicLong commits = new AtomicLong();
        IpamStore store = intercept(memory, batch -> {
            commits.incrementAndGet();
            maxBatch.accumulateAndGet(batch.size(), Math::max);
            if (slowCommit) {
                LockSupport.parkNanos(200_000);
            }
        });
        Ipam ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
        IpamSession admin = ipam.as(Caller.of("admin"));
        AtomicLong changes = new AtomicLong();

        Map<String, List<IpAddress>> addressesOf = new HashMap<>();
        addressesOf.put("s0", create(admin, PoolSpec.builder("s0", Scope.of("c", "a")).cidr("10.1.0.0/28").build()));
        addressesOf.put("s1", create(admin, PoolSpec.builder("s1", Scope.of("c", "b")).cidr("10.1.1.0/27")
                .exclude("10.1.1.5-10.1.1.9").defaultStrategy(Strategy.NEXT_FIT).build()));
        addressesOf.put("s2", create(admin, PoolSpec.builder("s2", Scope.of("c", "c")).cidr("2001:db8:1::/124")
                .defaultStrategy(Strategy.RANDOM).build()));
        create(admin, PoolSpec.builder("s64", Scope.of("c", "d")).cidr("2001:db8:2::/64").build());
        for (int t = 0; t < threads; t++) {
            addressesOf.put("t" + t, create(admin, PoolSpec.builder("t" + t, Scope.of("c", "t")).cidr("10.2." + t + ".0/27").build()));
        }
        changes.addAndGet(4 + threads);

        ConcurrentHashMap<Key, Allocation> live = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong exhausted = new AtomicLong();
        AtomicLong taken = new AtomicLong();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    new Worker(id, ipam.as(Caller.of("worker-" + id)), new SplittableRandom(seed + id), addressesOf, live,
                            problems, changes, exhausted, taken).run(opsPerThread);
                } catch (Throwable e) {
                    problems.add("worker " + id + " died: " + stackTrace(e));
                }
            }, "stress-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(TimeUnit.MINUTES.toMillis(5)); // only a guard against a deadlock hanging the build
            if (w.isAlive()) {
                problems.add("worker " + w.getName() + " still running after 5 minutes (deadlock?):\n" + threadDump());
                break;
            }
        }
        String context = name + ", seed " + Long.toHexString(seed);
        assertThat(problems).as("problems (%s)", context).isEmpty();

        // Counts, finds and pages agree with what the threads saw.
        Map<String, TreeMap<IpAddress, Allocation>> expected = new HashMap<>();
        for (Pool p : admin.pools()) {
            expected.put(p.name(), new TreeMap<>());
        }
        live.forEach((k, a) -> expected.get(k.pool()).put(k.address(), a));
        checkState(admin, expected, context);
        assertThat(((IpamEngine) ipam).lastSequence()).as("sequence = successful changes (%s)", context)
                .isEqualTo(changes.get());
        assertThat(exhausted.get()).as("exhaustion happened (%s)", context).isPositive();
        assertThat(taken.get()).as("specific/EUI-64 collisions happened (%s)", context).isPositive();
        if (slowCommit) {
            assertThat(maxBatch.get()).as("group commit shared a store commit (%s)", context).isGreaterThan(1);
            assertThat(commits.get()).as("fewer commits than changes (%s)", context).isLessThan(changes.get());
        }
        System.out.printf("%s: %d changes in %d commits (largest batch %d), %d exhausted, %d taken, %d live%n",
                context, changes.get(), commits.get(), maxBatch.get(), exhausted.get(), taken.get(), live.size());
        long sequence = ((IpamEngine) ipam).lastSequence();
        List<Pool> pools = admin.pools();
        ipam.close();

        // A restart loads exactly the same.
        Ipam reopened = Ipam.builder().store(memory.reopen()).accessPolicy(AccessPolicy.allowAll()).build();
        try {
            IpamSession s = reopened.as(Caller.of("admin"));
            assertThat(s.pools()).isEqualTo(pools);
            checkState(s, expected, context + ", after restart");
            assertThat(((IpamEngine) reopened).lastSequence()).isEqualTo(sequence);
        } finally {
            reopened.close();
        }
    }

    private static List<IpAddress> create(IpamSession admin, PoolSpec spec) {
        admin.createPool(spec);
        if (spec.capacity().compareTo(BigInteger.valueOf(1024)) > 0) {
            return List.of();
        }
        List<IpAddress> all = new ArrayList<>();
        spec.effectiveRanges().forEach(r -> {
            for (IpAddress a = r.first(); a.compareTo(r.last()) <= 0; a = a.next()) {
                all.add(a);
                if (a.equals(r.last())) {
                    break;
                }
            }
        });
        return all;
    }

    private static void checkState(IpamSession s, Map<String, TreeMap<IpAddress, Allocation>> expected, String context) {
        for (Map.Entry<String, TreeMap<IpAddress, Allocation>> e : expected.entrySet()) {
            String pool = e.getKey();
            PoolUsage u = s.usage(pool);
            assertThat(u.allocated()).as("allocated in %s (%s)", pool, context).isEqualTo(e.getValue().size());
            assertThat(u.free()).as("free in %s (%s)", pool, context)
                    .isEqualTo(u.capacity().subtract(BigInteger.valueOf(e.getValue().size())));
            for (Allocation a : e.getValue().values()) {
                assertThat(s.find(pool, a.address())).as("find %s in %s (%s)", a.address(), pool, context).contains(a);
            }
            List<Allocation> paged = new ArrayList<>();
            AllocationPage page = s.allocations(pool, null, 7);
            paged.addAll(page.items());
            while (page.nextAfter().isPresent()) {
                page = s.allocations(pool, page.nextAfter().get(), 7);
                paged.addAll(page.items());
            }
            assertThat(paged).as("pages of %s (%s)", pool, context).isEqualTo(new ArrayList<>(e.getValue().values()));
        }
    }

    /** One thread's random operations; it releases only what it allocated itself. */
    static final class Worker {
        final int id;
        final IpamSession s;
        final SplittableRandom rnd;
        final Map<String, List<IpAddress>> addressesOf;
        final ConcurrentHashMap<Key, Allocation> live;
        final ConcurrentLinkedQueue<String> problems;
        final AtomicLong changes;
        final AtomicLong exhausted;
        final AtomicLong taken;
        final List<Allocation> mine = new ArrayList<>();
        final String privatePool;
        /** This thread's own view of its private pool: exact, since no one else touches it. */
        final TreeMap<IpAddress, Allocation> privateModel = new TreeMap<>();

        Worker(int id, IpamSession s, SplittableRandom rnd, Map<String, List<IpAddress>> addressesOf,
                ConcurrentHashMap<Key, Allocation> live, ConcurrentLinkedQueue<String> problems, AtomicLong changes,
                AtomicLong exhausted, AtomicLong taken) {
            this.id = id;
            this.s = s;
            this.rnd = rnd;
            this.addressesOf = addressesOf;
            this.live = live;
            this.problems = problems;
            this.changes = changes;
            this.exhausted = exhausted;
            this.taken = taken;
            this.privatePool = "t" + id;
        }

        void run(int ops) {
            for (int i = 0; i < ops && problems.isEmpty(); i++) {
                int k = rnd.nextInt(100);
                try {
                    if (k < 40) {
                        allocate(request(SHARED[rnd.nextInt(SHARED.length)]));
                    } else if (k < 52) {
                        allocateAll();
                    } else if (k < 77) {
                        releaseOne(false);
                    } else if (k < 85) {
                        privateStep();
                    } else if (k < 92) {
                        findOwn();
                    } else {
                        String pool = SHARED[rnd.nextInt(SHARED.length)];
                        PoolUsage u = s.usage(pool);
                        check(BigInteger.valueOf(u.allocated()).add(u.free()).equals(u.capacity()),
                                "usage of " + pool + " inconsistent: " + u);
                    }
                } catch (PoolExhaustedException e) {
                    exhausted.incrementAndGet();
                } catch (AddressUnavailableException e) {
                    taken.incrementAndGet();
                } catch (AllocationFailedException e) {
                    if (e.getCause() instanceof PoolExhaustedException) {
                        exhausted.incrementAndGet();
                    } else if (e.getCause() instanceof AddressUnavailableException) {
                        taken.incrementAndGet();
                    } else {
                        problems.add("worker " + id + ": unexpected " + stackTrace(e));
                    }
                } catch (RuntimeException e) {
                    problems.add("worker " + id + ": unexpected " + stackTrace(e));
                }
            }
            // Leave about half of the allocations live for the final checks.
            while (mine.size() > 4 && problems.isEmpty()) {
                releaseOne(true);
            }
        }

        AllocationRequest request(String pool) {
            AllocationRequest.Builder b = AllocationRequest.in(pool).owner("vm-" + id + "-" + rnd.nextInt(3));
            int choice = rnd.nextInt(10);
            if (pool.equals("s64")) {
                if (choice < 6) {
                    return b.strategy(Strategy.EUI64).mac(MacAddress.of(0x02_0000_0000L + rnd.nextInt(40))).build();
                }
                return b.strategy(choice < 8 ? Strategy.RANDOM : Strategy.LOWEST).build();
            }
            List<IpAddress> all = addressesOf.get(pool);
            return switch (choice) {
                case 0, 1 -> b.strategy(Strategy.LOWEST).build();
                case 2, 3 -> b.strategy(Strategy.NEXT_FIT).build();
                case 4, 5 -> b.strategy(Strategy.RANDOM).build();
                case 6, 7 -> b.address(all.get(rnd.nextInt(all.size()))).build();
                default -> b.build(); // the pool's default strategy
            };
        }

        void allocate(AllocationRequest r) {
            Allocation a = s.allocate(r);
            changes.incrementAndGet();
            took(r, a);
        }

        void took(AllocationRequest r, Allocation a) {
            check(a.pool().equals(r.pool()) && a.owner().equals(r.owner()), "allocation " + a + " does not match " + r);
            r.address().ifPresent(x -> check(x.equals(a.address()), "asked for " + x + " but got " + a));
            Allocation before = live.putIfAbsent(new Key(a.pool(), a.address()), a);
            check(before == null, "address " + a.address() + " in " + a.pool() + " handed out twice: to " + before
                    + " and to " + a);
            mine.add(a);
        }

        void allocateAll() {
            int n = 1 + rnd.nextInt(3);
            List<AllocationRequest> requests = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                requests.add(request(rnd.nextInt(4) == 0 ? privatePool : SHARED[rnd.nextInt(SHARED.length)]));
            }
            List<Allocation> got;
            try {
                got = s.allocateAll(requests);
            } catch (AllocationFailedException e) {
                for (AllocationRequest r : requests) {
                    if (r.pool().equals(privatePool)) {
                        checkPrivate("after a failed allocateAll");
                    }
                }
                throw e;
            }
            changes.addAndGet(n);
            check(got.size() == n, "allocateAll returned " + got.size() + " of " + n);
            for (int i = 0; i < n; i++) {
                took(requests.get(i), got.get(i));
                if (got.get(i).pool().equals(privatePool)) {
                    privateModel.put(got.get(i).address(), got.get(i));
                }
            }
        }

        void releaseOne(boolean anyOrder) {
            if (mine.isEmpty()) {
                return;
            }
            Allocation a = mine.remove(rnd.nextInt(mine.size()));
            // Remove from the live set before releasing: another thread may get it right after.
            check(live.remove(new Key(a.pool(), a.address()), a), "my allocation " + a + " was not in the live set");
            Allocation released = s.release(a.pool(), a.address());
            changes.incrementAndGet();
            check(released.equals(a), "released " + released + " instead of " + a);
            if (a.pool().equals(privatePool)) {
                privateModel.remove(a.address());
            }
        }

        /** The private pool has no competition: LOWEST must be exactly the lowest free address. */
        void privateStep() {
            List<IpAddress> all = addressesOf.get(privatePool);
            IpAddress lowest = all.stream().filter(x -> !privateModel.containsKey(x)).findFirst().orElse(null);
            if (lowest == null) {
                check(thrown(() -> s.allocate(AllocationRequest.in(privatePool).owner("me").build()))
                        instanceof PoolExhaustedException, "private pool " + privatePool + " should be exhausted");
                exhausted.incrementAndGet();
                return;
            }
            AllocationRequest r = AllocationRequest.in(privatePool).owner("me").strategy(Strategy.LOWEST).build();
            Allocation a = s.allocate(r);
            changes.incrementAndGet();
            check(a.address().equals(lowest), "LOWEST in " + privatePool + " gave " + a.address() + ", expected " + lowest);
            took(r, a);
            privateModel.put(a.address(), a);
            checkPrivate("after LOWEST");
        }

        void checkPrivate(String when) {
            PoolUsage u = s.usage(privatePool);
            check(u.allocated() == privateModel.size(), "usage of " + privatePool + " " + when + ": " + u
                    + ", expected " + privateModel.size());
        }

        void findOwn() {
            if (mine.isEmpty()) {
                return;
            }
            Allocation a = mine.get(rnd.nextInt(mine.size()));
            Optional<Allocation> found = s.find(a.pool(), a.address());
            check(found.equals(Optional.of(a)), "find " + a.address() + " in " + a.pool() + " gave " + found
                    + ", expected " + a);
        }

        void check(boolean ok, String problem) {
            if (!ok) {
                problems.add("worker " + id + ": " + problem);
                throw new IllegalStateException(problem);
            }
        }
    }

    static Throwable thrown(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    static String stackTrace(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    static String threadDump() {
        StringBuilder b = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            b.append(info);
        }
        return b.toString();
    }
}
