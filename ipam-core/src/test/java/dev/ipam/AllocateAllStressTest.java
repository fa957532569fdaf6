package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Eight threads provision and tear down whole environments (allocateAll of 2 to 5 keyed requests
 * across 2 or 3 pools, and releaseEnvironment) while others allocate and release single addresses in
 * the same small pools, so that environments often fail for want of addresses. An environment must
 * never be partly allocated: not in what allocateAll or releaseEnvironment return, not at the
 * quiescent points where all threads pause, not at the end, not after a restart. Single allocations
 * are modelled exactly by the threads that own them and must never lose their address.
 *
 * <p>With shared environments several threads allocate and release the same environment at once;
 * otherwise each environment belongs to one thread (so only the pools are contended).
 */
class AllocateAllStressTest {

    static final String[] POOLS = {"a", "b", "c"};
    static final int ENVIRONMENTS = 24;

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("shared environments, 3 pools", true, 0, 3000, 0xA11A_0001L),
                Arguments.of("shared environments, 3 pools among 300 empty ones", true, 300, 2000, 0xA11A_0002L),
                Arguments.of("each environment used by one thread, 3 pools", false, 0, 3000, 0xA11A_0003L));
    }

    record Key(String pool, IpAddress address) {
    }

    /** One environment: its requests (all keyed with the environment's name). */
    record Env(String name, List<AllocationRequest> requests) {
        Set<String> keys() {
            Set<String> keys = new HashSet<>();
            requests.forEach(r -> keys.add(r.pool() + "/" + r.name().get()));
            return keys;
        }
    }

    static List<Env> environments(long seed) {
        List<Env> envs = new ArrayList<>();
        for (int i = 0; i < ENVIRONMENTS; i++) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + i);
            String name = "env-" + i;
            int n = 2 + rnd.nextInt(4);
            int poolCount = 2 + rnd.nextInt(2);
            List<String> chosen = new ArrayList<>(List.of(POOLS));
            while (chosen.size() > poolCount) {
                chosen.remove(rnd.nextInt(chosen.size()));
            }
            List<AllocationRequest> requests = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                String pool = k < chosen.size() ? chosen.get(k) : chosen.get(rnd.nextInt(chosen.size()));
                AllocationRequest.Builder b = AllocationRequest.in(pool).owner("owner-" + name).environment(name)
                        .name("n" + k);
                int s = rnd.nextInt(10);
                if (s < 2) {
                    b.strategy(Strategy.LOWEST);
                } else if (s < 4) {
                    b.strategy(Strategy.RANDOM);
                }
                requests.add(b.build());
            }
            envs.add(new Env(name, List.copyOf(requests)));
        }
        return envs;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void environmentsAreAllOrNothing(String variant, boolean shared, int fillers, int opsPerThread, long seed)
            throws Exception {
        int threads = 8;
        InMemoryStore memory = new InMemoryStore();
        Ipam ipam = Ipam.builder().store(memory).accessPolicy(AccessPolicy.allowAll()).build();
        IpamSession admin = ipam.as(Caller.of("admin"));
        Map<String, List<IpAddress>> addressesOf = new HashMap<>();
        addressesOf.put("a", addresses(admin, PoolSpec.builder("a", Scope.of("c", "a")).cidr("10.3.0.0/27").build())); // 30
        for (int i = 0; i < fillers / 2; i++) {
            filler(admin, i);
        }
        addressesOf.put("b", addresses(admin, PoolSpec.builder("b", Scope.of("c", "b")).cidr("10.3.1.0/28")
                .defaultStrategy(Strategy.RANDOM).build())); // 14
        for (int i = fillers / 2; i < fillers; i++) {
            filler(admin, i);
        }
        addressesOf.put("c", addresses(admin, PoolSpec.builder("c", Scope.of("c", "c")).cidr("2001:db8:3::/123")
                .defaultStrategy(Strategy.NEXT_FIT).build())); // 32
        List<Env> envs = environments(seed);

        ConcurrentHashMap<Key, Allocation> singles = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong envAllocated = new AtomicLong();
        AtomicLong envFailed = new AtomicLong();
        AtomicLong envReleased = new AtomicLong();
        AtomicLong quiescentChecks = new AtomicLong();
        Runnable quiescentCheck = () -> {
            try {
                checkState(admin, envs, singles, "quiescent point " + quiescentChecks.incrementAndGet());
            } catch (Throwable e) {
                problems.add(ConcurrencyStressTest.stackTrace(e));
            }
        };
        CyclicBarrier pause = new CyclicBarrier(threads, quiescentCheck);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                List<Env> usable = shared ? envs : envs.stream().filter(e -> envs.indexOf(e) % threads == id).toList();
                Worker worker = new Worker(id, ipam.as(Caller.of("worker-" + id)), new SplittableRandom(seed + id), usable,
                        addressesOf, singles, problems, envAllocated, envFailed, envReleased);
                try {
                    for (int done = 0; done < opsPerThread; done += 250) {
                        worker.run(Math.min(250, opsPerThread - done));
                        pause.await(5, TimeUnit.MINUTES);
                    }
                } catch (Throwable e) {
                    problems.add("worker " + id + " died: " + ConcurrencyStressTest.stackTrace(e));
                    pause.reset();
                }
            }, "allocate-all-stress-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(TimeUnit.MINUTES.toMillis(10)); // a guard against a deadlock hanging the build
            if (w.isAlive()) {
                problems.add("worker " + w.getName() + " still running after 10 minutes (deadlock?):\n"
                        + ConcurrencyStressTest.threadDump());
                break;
            }
        }
        String context = variant + ", seed " + Long.toHexString(seed);
        assertThat(problems).as("problems (%s)", context).isEmpty();
        checkState(admin, envs, singles, context + ", at the end");
        assertThat(envAllocated.get()).as("environments allocated (%s)", context).isPositive();
        assertThat(envFailed.get()).as("environments that did not fit (%s)", context).isPositive();
        assertThat(envReleased.get()).as("environments released (%s)", context).isPositive();
        System.out.printf("%s: %d environments allocated, %d failed, %d released, %d quiescent checks, %d singles live%n",
                context, envAllocated.get(), envFailed.get(), envReleased.get(), quiescentChecks.get(), singles.size());
        long sequence = ipam.lastSequence();
        ipam.close();

        Ipam reopened = Ipam.builder().store(memory.reopen()).accessPolicy(AccessPolicy.allowAll()).build();
        try {
            checkState(reopened.as(Caller.of("admin")), envs, singles, context + ", after restart");
            assertThat(reopened.lastSequence()).isEqualTo(sequence);
        } finally {
            reopened.close();
        }
    }

    private static void filler(IpamSession admin, int i) {
        admin.createPool(PoolSpec.builder("f" + i, Scope.of("c", "fill"))
                .cidr("10.200." + (i / 64) + "." + (i % 64 * 4) + "/30").build());
    }

    private static List<IpAddress> addresses(IpamSession admin, PoolSpec spec) {
        admin.createPool(spec);
        List<IpAddress> all = new ArrayList<>();
        spec.effectiveRanges().forEach(r -> {
            for (IpAddress a = r.first(); ; a = a.next()) {
                all.add(a);
                if (a.equals(r.last())) {
                    break;
                }
            }
        });
        return all;
    }

    /**
     * Checks the library's state when no call is running: every environment is allocated entirely
     * or not at all, the singles are exactly what the threads hold, and the counts add up.
     */
    static void checkState(IpamSession s, List<Env> envs, Map<Key, Allocation> singles, String context) {
        Map<String, Integer> expectedCount = new HashMap<>();
        Map<Key, Allocation> singlesSeen = new HashMap<>();
        Map<String, Map<String, Allocation>> envSeen = new HashMap<>(); // env -> pool/name -> allocation
        for (String pool : POOLS) {
            List<Allocation> all = new ArrayList<>();
            AllocationPage page = s.allocations(pool, null, 10_000);
            all.addAll(page.items());
            assertThat(page.nextAfter()).isEmpty();
            for (Allocation a : all) {
                if (a.environment() == null) {
                    singlesSeen.put(new Key(pool, a.address()), a);
                } else {
                    Allocation before = envSeen.computeIfAbsent(a.environment(), e -> new TreeMap<>())
                            .put(pool + "/" + a.name(), a);
                    assertThat(before).as("key %s/%s in %s allocated twice (%s)", a.environment(), a.name(), pool, context)
                            .isNull();
                }
            }
        }
        assertThat(singlesSeen).as("single allocations (%s)", context).isEqualTo(new HashMap<>(singles));
        for (Allocation a : singles.values()) {
            expectedCount.merge(a.pool(), 1, Integer::sum);
        }
        for (Env env : envs) {
            Map<String, Allocation> seen = envSeen.getOrDefault(env.name(), Map.of());
            if (!seen.isEmpty()) {
                assertThat(seen.keySet()).as("environment %s is allocated partly (%s)", env.name(), context)
                        .isEqualTo(env.keys());
                for (AllocationRequest r : env.requests()) {
                    expectedCount.merge(r.pool(), 1, Integer::sum);
                    assertThat(seen.get(r.pool() + "/" + r.name().get()).owner()).isEqualTo(r.owner());
                }
            }
        }
        assertThat(envSeen.keySet()).as("only known environments (%s)", context)
                .allMatch(e -> envs.stream().anyMatch(x -> x.name().equals(e)));
        for (String pool : POOLS) {
            PoolUsage u = s.usage(pool);
            long expected = expectedCount.getOrDefault(pool, 0);
            assertThat(u.allocated()).as("allocated in %s (%s)", pool, context).isEqualTo(expected);
            assertThat(u.held() + u.quarantined()).isZero();
            assertThat(u.free()).as("free in %s (%s)", pool, context)
                    .isEqualTo(u.capacity().subtract(BigInteger.valueOf(expected)));
        }
    }

    static final class Worker {
        final int id;
        final IpamSession s;
        final SplittableRandom rnd;
        final List<Env> envs;
        final Map<String, List<IpAddress>> addressesOf;
        final ConcurrentHashMap<Key, Allocation> singles;
        final ConcurrentLinkedQueue<String> problems;
        final AtomicLong envAllocated;
        final AtomicLong envFailed;
        final AtomicLong envReleased;
        final List<Allocation> mine = new ArrayList<>();

        Worker(int id, IpamSession s, SplittableRandom rnd, List<Env> envs, Map<String, List<IpAddress>> addressesOf,
                ConcurrentHashMap<Key, Allocation> singles, ConcurrentLinkedQueue<String> problems, AtomicLong envAllocated,
                AtomicLong envFailed, AtomicLong envReleased) {
            this.id = id;
            this.s = s;
            this.rnd = rnd;
            this.envs = envs;
            this.addressesOf = addressesOf;
            this.singles = singles;
            this.problems = problems;
            this.envAllocated = envAllocated;
            this.envFailed = envFailed;
            this.envReleased = envReleased;
        }

        void run(int ops) {
            for (int i = 0; i < ops && problems.isEmpty(); i++) {
                int k = rnd.nextInt(100);
                try {
                    if (k < 38) {
                        allocateEnv(envs.get(rnd.nextInt(envs.size())));
                    } else if (k < 58) {
                        releaseEnv(envs.get(rnd.nextInt(envs.size())));
                    } else if (k < 78) {
                        allocateSingle();
                    } else {
                        releaseSingle();
                    }
                } catch (PoolExhaustedException | AddressUnavailableException e) {
                    // a single did not fit
                } catch (RuntimeException e) {
                    problems.add("worker " + id + ": unexpected " + ConcurrencyStressTest.stackTrace(e));
                }
            }
        }

        void allocateEnv(Env env) {
            List<Allocation> got;
            try {
                got = s.allocateAll(env.requests());
            } catch (AllocationFailedException e) {
                check(e.getCause() instanceof PoolExhaustedException, "allocateAll of " + env.name() + " failed: " + e);
                check(e.requestIndex() >= 0 && e.requestIndex() < env.requests().size(), "bad index in " + e);
                envFailed.incrementAndGet();
                return;
            }
            check(got.size() == env.requests().size(), "allocateAll of " + env.name() + " returned " + got.size()
                    + " of " + env.requests().size() + ": " + got);
            Set<Key> distinct = new HashSet<>();
            for (int i = 0; i < got.size(); i++) {
                AllocationRequest r = env.requests().get(i);
                Allocation a = got.get(i);
                check(a.pool().equals(r.pool()) && a.environment().equals(env.name()) && a.name().equals(r.name().get())
                        && a.owner().equals(r.owner()), "allocation " + a + " does not match " + r);
                check(distinct.add(new Key(a.pool(), a.address())), "allocateAll of " + env.name()
                        + " returned one address twice: " + got);
                check(!mineHas(a), "environment " + env.name()
                        + " got my single's address " + a.address());
            }
            envAllocated.incrementAndGet();
        }

        boolean mineHas(Allocation a) {
            return mine.stream().anyMatch(m -> m.pool().equals(a.pool()) && m.address().equals(a.address()));
        }

        void releaseEnv(Env env) {
            List<Allocation> released = s.releaseEnvironment(env.name());
            if (released.isEmpty()) {
                return;
            }
            Set<String> keys = new HashSet<>();
            for (Allocation a : released) {
                check(env.name().equals(a.environment()), "releaseEnvironment(" + env.name() + ") released " + a);
                keys.add(a.pool() + "/" + a.name());
            }
            check(keys.equals(env.keys()) && released.size() == env.keys().size(), "releaseEnvironment("
                    + env.name() + ") released part of the environment: " + keys + " of " + env.keys());
            envReleased.incrementAndGet();
        }

        void allocateSingle() {
            String pool = POOLS[rnd.nextInt(POOLS.length)];
            AllocationRequest.Builder b = AllocationRequest.in(pool).owner("single-" + id);
            int choice = rnd.nextInt(8);
            if (choice < 2) {
                b.strategy(Strategy.LOWEST);
            } else if (choice < 4) {
                b.strategy(Strategy.RANDOM);
            } else if (choice < 5) {
                b.strategy(Strategy.NEXT_FIT);
            } else if (choice < 7) {
                List<IpAddress> all = addressesOf.get(pool);
                b.address(all.get(rnd.nextInt(all.size())));
            }
            AllocationRequest r = b.build();
            Allocation a = s.allocate(r);
            check(a.pool().equals(pool) && a.environment() == null && a.owner().equals(r.owner()),
                    "allocation " + a + " does not match " + r);
            Allocation before = singles.putIfAbsent(new Key(pool, a.address()), a);
            check(before == null, "address " + a.address() + " in " + pool + " handed out twice: " + before + " and " + a);
            mine.add(a);
        }

        void releaseSingle() {
            if (mine.isEmpty()) {
                return;
            }
            Allocation a = mine.remove(rnd.nextInt(mine.size()));
            check(singles.remove(new Key(a.pool(), a.address()), a), "my single " + a + " was not live");
            Allocation released = s.release(a.pool(), a.address());
            check(released.equals(a), "released " + released + " instead of " + a);
        }

        void check(boolean ok, String problem) {
            if (!ok) {
                problems.add("worker " + id + ": " + problem);
                throw new IllegalStateException(problem);
            }
        }
    }
}
