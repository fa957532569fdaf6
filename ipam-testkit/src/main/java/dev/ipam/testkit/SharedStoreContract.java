package dev.ipam.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Allocation;
import dev.ipam.AllocationPage;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Hold;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.NotAllocatedException;
import dev.ipam.PoolConflictException;
import dev.ipam.PoolExhaustedException;
import dev.ipam.PoolNotFoundException;
import dev.ipam.PoolSpec;
import dev.ipam.PoolUsage;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.SharedStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of a {@link SharedStore}, checked end to end: several {@link Ipam} instances, each
 * on its own store object over one database, racing in the same pools. Subclass it and supply
 * {@link #newDatabase()}.
 *
 * <p>What it checks: pools, allocations, releases and holds made by one instance are usable from
 * another; an instance sees the others' changes without doing anything (the follower); environment
 * keys and hold keys stay unique across instances; a pool deletion racing an allocation ends in
 * exactly one of the two; and, under concurrent allocate/release from several instances and
 * threads, no address is ever live twice, every acknowledged allocation is stored, and all
 * instances (and a newly started one) agree once they settle.
 *
 * <p>Instances opened through {@link #instance} are closed after each test.
 */
public abstract class SharedStoreContract {

    /** Connects new store objects (one per instance) to one new, empty database. */
    @FunctionalInterface
    protected interface Database {
        SharedStore connect();
    }

    /** A new, empty database; each {@link Database#connect()} is another instance's store object. */
    protected abstract Database newDatabase();

    /** Threads per instance in the race test. */
    protected int threadsPerInstance() {
        return 4;
    }

    /** Calls per thread in the race test. */
    protected int callsPerThread() {
        return 300;
    }

    private static final Scope SCOPE = Scope.of("east", "dmz");
    private static final Duration SETTLE = Duration.ofSeconds(20);
    private final List<Ipam> opened = new CopyOnWriteArrayList<>();

    /** A new instance on its own store object of {@code db}; closed after the test. */
    protected final Ipam instance(Database db) {
        Ipam ipam = Ipam.builder().store(db.connect()).accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ofMillis(100)).build();
        opened.add(ipam);
        return ipam;
    }

    @AfterEach
    void closeInstances() {
        for (Ipam ipam : opened) {
            try {
                ipam.close();
            } catch (RuntimeException ignored) {
                // the test's own failure matters more
            }
        }
        opened.clear();
    }

    private static IpamSession as(Ipam ipam, String caller) {
        return ipam.as(Caller.of(caller));
    }

    private static PoolSpec pool(String name, String cidr) {
        return PoolSpec.builder(name, SCOPE).cidr(cidr).build();
    }

    /** Polls until the condition holds; fails after {@link #SETTLE}. */
    protected static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Not within " + SETTLE + ": " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + what);
            }
        }
    }

    // ------------------------------------------------------------------ seeing each other

    @Test
    void aPoolCreatedByOneInstanceIsUsableFromAnotherAtOnce() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        a.createPool(pool("p", "10.0.0.0/24"));
        Allocation x = b.allocate(AllocationRequest.in("p").owner("vm-1").build()); // no wait: a miss catches up
        assertThat(x.pool()).isEqualTo("p");
        eventually("a sees b's allocation", () -> a.find("p", x.address()).equals(Optional.of(x)));
    }

    @Test
    void anInstanceSeesTheOthersChangesWithoutDoingAnything() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        a.createPool(pool("p", "10.0.0.0/24"));
        eventually("b sees the pool", () -> b.pool("p").isPresent());
        Allocation x = a.allocate(AllocationRequest.in("p").owner("vm-1").build());
        eventually("b sees the allocation", () -> b.find("p", x.address()).equals(Optional.of(x)));
        a.release("p", x.address());
        eventually("b sees the release", () -> b.find("p", x.address()).isEmpty());
        assertThat(b.usage("p")).isEqualTo(a.usage("p"));
    }

    @Test
    void anAllocationMadeByOneInstanceCanBeReleasedThroughAnotherAtOnce() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        a.createPool(pool("p", "10.0.0.0/24"));
        b.allocate(AllocationRequest.in("p").owner("warm-up").build());
        Allocation x = a.allocate(AllocationRequest.in("p").owner("vm-1").build());
        assertThat(b.release("p", x.address())).isEqualTo(x); // not yet seen by b: the miss catches up
        assertThatThrownBy(() -> a.release("p", x.address())).isInstanceOf(NotAllocatedException.class);
    }

    @Test
    void aNewInstanceLoadsWhatEveryInstanceCommitted() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        a.createPool(pool("p", "10.0.0.0/24"));
        List<Allocation> made = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            made.add((i % 2 == 0 ? a : b).allocate(AllocationRequest.in("p").owner("vm-" + i).build()));
        }
        IpamSession c = as(instance(db), "c");
        assertThat(c.allocations("p", null, 100).items()).containsExactlyInAnyOrderElementsOf(made);
        assertThat(new HashSet<>(made.stream().map(Allocation::address).toList())).hasSize(10);
    }

    private static final int CALLERS_AT_ONCE = 8;

    @Test
    @Timeout(120)
    void everyCallerAtOnceFindsAPoolAnotherInstanceHasJustCreated() throws Exception {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        Ipam second = instance(db);
        for (int round = 0; round < 5; round++) {
            String name = "fresh" + round;
            a.createPool(pool(name, "10." + round + ".0.0/24"));
            List<Allocation> got = atOnce(i -> as(second, "b").allocate(AllocationRequest.in(name).owner("vm-" + i).build()));
            assertThat(got.stream().map(Allocation::address).distinct()).as("round %d", round).hasSize(CALLERS_AT_ONCE);
        }
    }

    @Test
    @Timeout(120)
    void everyCallerAtOnceFindsAnAllocationAnotherInstanceHasJustMade() throws Exception {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        Ipam second = instance(db);
        a.createPool(pool("p", "10.0.0.0/24"));
        eventually("second sees the pool", () -> as(second, "b").pool("p").isPresent());
        for (int round = 0; round < 5; round++) {
            List<Allocation> made = new ArrayList<>();
            for (int i = 0; i < CALLERS_AT_ONCE; i++) {
                made.add(a.allocate(AllocationRequest.in("p").owner("vm-" + round + "-" + i).build()));
            }
            List<Allocation> released = atOnce(i -> as(second, "b").release("p", made.get(i).address()));
            assertThat(released).as("round %d", round).isEqualTo(made);
        }
    }

    // ------------------------------------------------------------------ keys

    @Test
    @Timeout(120)
    void anEnvironmentKeyGetsOneAddressAcrossInstances() throws Exception {
        Database db = newDatabase();
        Ipam first = instance(db);
        Ipam second = instance(db);
        as(first, "a").createPool(pool("p", "10.0.0.0/24"));
        eventually("second sees the pool", () -> as(second, "b").pool("p").isPresent());
        for (int round = 0; round < 20; round++) {
            AllocationRequest request = AllocationRequest.in("p").owner("vm-" + round).environment("prod")
                    .name("web_" + round).build();
            List<Allocation> got = race(() -> as(first, "a").allocate(request), () -> as(second, "b").allocate(request));
            assertThat(got.get(0)).as("round %d", round).isEqualTo(got.get(1));
        }
        assertThat(as(first, "a").usage("p").allocated()).isEqualTo(20);
    }

    @Test
    @Timeout(120)
    void aHoldKeyGetsOneHoldAcrossInstancesAndCanBeConfirmedAnywhere() throws Exception {
        Database db = newDatabase();
        Ipam first = instance(db);
        Ipam second = instance(db);
        as(first, "a").createPool(pool("p", "10.0.0.0/24"));
        eventually("second sees the pool", () -> as(second, "b").pool("p").isPresent());
        for (int round = 0; round < 10; round++) {
            String key = "stack-" + round;
            List<Hold> got = race(() -> as(first, "a").offer("p", key, Duration.ofMinutes(5)),
                    () -> as(second, "b").offer("p", key, Duration.ofMinutes(5)));
            assertThat(got.get(0)).as("round %d", round).isEqualTo(got.get(1));
            Allocation confirmed = as(second, "b").confirm(key, AllocationRequest.in("p").owner("vm-" + round).build());
            assertThat(confirmed.address()).isEqualTo(got.get(0).address());
        }
        PoolUsage usage = as(first, "a").usage("p");
        eventually("first sees every confirmation", () -> as(first, "a").usage("p").held() == 0);
        assertThat(as(first, "a").usage("p").allocated()).isEqualTo(10);
        assertThat(usage.capacity()).isEqualTo(254);
    }

    // ------------------------------------------------------------------ pools

    @Test
    @Timeout(120)
    void aPoolDeletionRacingAnAllocationEndsInExactlyOneOfThem() throws Exception {
        Database db = newDatabase();
        Ipam first = instance(db);
        Ipam second = instance(db);
        for (int round = 0; round < 10; round++) {
            String name = "p" + round;
            as(first, "a").createPool(pool(name, "10." + round + ".0.0/24"));
            eventually("second sees " + name, () -> as(second, "b").pool(name).isPresent());
            List<Object> outcome = race(() -> {
                try {
                    as(first, "a").deletePool(name);
                    return "deleted";
                } catch (PoolConflictException | PoolNotFoundException e) {
                    return e;
                }
            }, () -> {
                try {
                    return as(second, "b").allocate(AllocationRequest.in(name).owner("vm").build());
                } catch (PoolNotFoundException e) {
                    return e;
                }
            });
            boolean deleted = "deleted".equals(outcome.get(0));
            boolean allocated = outcome.get(1) instanceof Allocation;
            assertThat(deleted ^ allocated).as("round %d: %s", round, outcome).isTrue();
            Ipam fresh = instance(db);
            assertThat(as(fresh, "c").pool(name).isPresent()).as("round %d", round).isEqualTo(allocated);
        }
    }

    @Test
    void aPoolDeletedByAnotherInstanceCanBeCreatedAgainAtOnce() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        for (int round = 0; round < 5; round++) {
            String name = "again" + round;
            a.createPool(pool(name, "10." + round + ".0.0/24"));
            eventually("b sees " + name, () -> b.pool(name).isPresent());
            a.deletePool(name);
            assertThat(b.createPool(pool(name, "10." + (100 + round) + ".0.0/24")).name()).isEqualTo(name); // no wait
        }
    }

    @Test
    void aPoolEmptiedByAnotherInstanceCanBeDeletedAtOnce() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        for (int round = 0; round < 5; round++) {
            String name = "emptied" + round;
            a.createPool(pool(name, "10." + round + ".0.0/24"));
            Allocation x = b.allocate(AllocationRequest.in(name).owner("vm").build());
            eventually("a sees the allocation in " + name, () -> a.find(name, x.address()).isPresent());
            b.release(name, x.address());
            a.deletePool(name); // no wait
            assertThat(a.pool(name)).isEmpty();
        }
    }

    @Test
    void overlappingPoolsCreatedByTwoInstancesAreRefused() {
        Database db = newDatabase();
        IpamSession a = as(instance(db), "a");
        IpamSession b = as(instance(db), "b");
        a.createPool(pool("p", "10.0.0.0/24"));
        assertThatThrownBy(() -> b.createPool(pool("q", "10.0.0.128/25"))).isInstanceOf(PoolConflictException.class)
                .hasMessageContaining("'p'");
    }

    // ------------------------------------------------------------------ racing

    @Test
    @Timeout(300)
    void racingInstancesNeverShareAnAddressAndAgreeOnceSettled() throws Exception {
        Database db = newDatabase();
        List<Ipam> instances = List.of(instance(db), instance(db));
        IpamSession admin = as(instances.get(0), "admin");
        admin.createPool(pool("small", "10.1.0.0/26")); // 62 addresses: exhaustion happens
        admin.createPool(PoolSpec.builder("big", SCOPE).cidr("10.2.0.0/20").defaultStrategy(Strategy.LOWEST).build());
        for (Ipam ipam : instances) {
            eventually("pools visible", () -> as(ipam, "x").pool("big").isPresent());
        }
        Map<IpAddress, String> liveByUs = new ConcurrentHashMap<>(); // acknowledged, not released: address -> pool
        Set<String> duplicates = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        int threads = threadsPerInstance();
        ExecutorService pool = Executors.newFixedThreadPool(threads * instances.size());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            for (int t = 0; t < threads; t++) {
                IpamSession s = as(instances.get(i), "worker-" + i + "-" + t);
                long seed = 31L * i + t;
                futures.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    List<Allocation> mine = new ArrayList<>();
                    start.await();
                    for (int call = 0; call < callsPerThread(); call++) {
                        try {
                            if (!mine.isEmpty() && random.nextInt(100) < 45) {
                                Allocation a = mine.remove(random.nextInt(mine.size()));
                                liveByUs.remove(a.address());
                                s.release(a.pool(), a.address());
                            } else {
                                String p = random.nextBoolean() ? "small" : "big";
                                Allocation a = s.allocate(AllocationRequest.in(p).owner("vm-" + seed + "-" + call).build());
                                if (liveByUs.putIfAbsent(a.address(), p) != null) {
                                    duplicates.add(a.address() + " in " + p);
                                }
                                mine.add(a);
                            }
                        } catch (PoolExhaustedException expected) {
                            // the small pool fills up
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                    return null;
                }));
            }
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get(240, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(failures).as("calls that failed").isEmpty();
        assertThat(duplicates).as("addresses handed out twice").isEmpty();

        Ipam late = instance(db);
        Map<String, Set<IpAddress>> stored = new HashMap<>();
        for (String p : List.of("small", "big")) {
            stored.put(p, new HashSet<>(addresses(as(late, "late"), p)));
        }
        Set<IpAddress> expected = liveByUs.keySet();
        Set<IpAddress> storedAll = new HashSet<>(stored.get("small"));
        storedAll.addAll(stored.get("big"));
        assertThat(storedAll).as("stored live addresses = acknowledged and not released").isEqualTo(expected);
        for (Ipam ipam : instances) {
            for (String p : List.of("small", "big")) {
                eventually("instance agrees on " + p,
                        () -> new HashSet<>(addresses(as(ipam, "x"), p)).equals(stored.get(p)));
                PoolUsage u = as(ipam, "x").usage(p);
                assertThat(u.allocated()).isEqualTo(stored.get(p).size());
                assertThat(u).isEqualTo(as(late, "late").usage(p));
            }
        }
    }

    private static List<IpAddress> addresses(IpamSession s, String pool) {
        List<IpAddress> result = new ArrayList<>();
        IpAddress after = null;
        while (true) {
            AllocationPage page = s.allocations(pool, after, 1000);
            page.items().forEach(a -> result.add(a.address()));
            if (page.nextAfter().isEmpty()) {
                return result;
            }
            after = page.nextAfter().get();
        }
    }

    /** Runs {@link #CALLERS_AT_ONCE} calls (given their index) at once; their results in index order. */
    @SuppressWarnings("unchecked")
    private static <T> List<T> atOnce(java.util.function.IntFunction<? extends T> call) throws Exception {
        java.util.concurrent.Callable<? extends T>[] calls = new java.util.concurrent.Callable[CALLERS_AT_ONCE];
        for (int i = 0; i < calls.length; i++) {
            int index = i;
            calls[i] = () -> call.apply(index);
        }
        return race(calls);
    }

    /** Runs the calls at (nearly) the same moment and returns their results, in argument order. */
    @SafeVarargs
    private static <T> List<T> race(java.util.concurrent.Callable<? extends T>... calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.length);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<? extends T>> futures = new ArrayList<>();
            for (java.util.concurrent.Callable<? extends T> call : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<? extends T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
