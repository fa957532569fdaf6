package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.address.IpAddress;
import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A store that fails on demand: a failed commit must leave nothing behind in memory or in the
 * store, consume no sequence number, and leave the library working normally afterwards.
 */
class CommitFailureTest {

    /** A store whose commit runs a hook first (which may throw), then the delegate. */
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

    private InMemoryStore memory;
    private final AtomicReference<Supplier<RuntimeException>> failure = new AtomicReference<>();
    private Ipam ipam;
    private IpamSession s;

    @BeforeEach
    void setUp() {
        memory = new InMemoryStore();
        open();
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/29").build()); // .1 - .6
        s.createPool(PoolSpec.builder("q", Scope.of("c", "y")).cidr("2001:db8::/126").build());
        s.allocate(req("p").build()); // 10.0.0.1
    }

    private void open() {
        IpamStore store = intercept(memory, batch -> {
            Supplier<RuntimeException> f = failure.get();
            if (f != null) {
                throw f.get();
            }
        });
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
        s = ipam.as(Caller.of("test"));
    }

    @AfterEach
    void tearDown() {
        failure.set(null);
        ipam.close();
    }

    private static AllocationRequest.Builder req(String pool) {
        return AllocationRequest.in(pool).owner("vm-1");
    }

    private long sequence() {
        return ((IpamEngine) ipam).lastSequence();
    }

    /** Everything a caller can see, pool by pool. */
    private Map<String, Object> visibleState(IpamSession session) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("pools", session.pools());
        for (Pool p : session.pools()) {
            state.put(p.name() + " usage", session.usage(p.name()));
            state.put(p.name() + " allocations", session.allocations(p.name(), null, 10_000).items());
        }
        state.put("vm-1", session.allocationsOf("vm-1"));
        return state;
    }

    /** Closes, restarts from the store and checks the reloaded state equals the live one. */
    private void restartAndCompare() {
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        ipam.close();
        memory = memory.reopen();
        open();
        assertThat(visibleState(s)).as("state after restart").isEqualTo(before);
        assertThat(sequence()).as("sequence after restart").isEqualTo(seq);
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("StoreException", (Supplier<RuntimeException>) () -> new StoreException("disk on fire")),
                Arguments.of("IllegalStateException", (Supplier<RuntimeException>) () -> new IllegalStateException("bug in store")),
                Arguments.of("UncheckedIOException",
                        (Supplier<RuntimeException>) () -> new java.io.UncheckedIOException(new java.io.IOException("fsync failed"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void failedAllocateIsUndone(String kind, Supplier<RuntimeException> f) {
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        failure.set(f);

        assertThatThrownBy(() -> s.allocate(req("p").hostname("h.example.com").build())).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> s.allocate(req("p").address("10.0.0.5").build())).isInstanceOf(StoreException.class);

        assertThat(visibleState(s)).isEqualTo(before);
        assertThat(s.find("p", "10.0.0.2")).isEmpty();
        assertThat(s.find("p", "10.0.0.5")).isEmpty();
        assertThat(sequence()).isEqualTo(seq);

        failure.set(null);
        assertThat(s.allocate(req("p").build()).address()).hasToString("10.0.0.2");
        assertThat(s.allocate(req("p").address("10.0.0.5").build()).address()).hasToString("10.0.0.5");
        assertThat(s.usage("p").allocated()).isEqualTo(3);
        assertThat(sequence()).isEqualTo(seq + 2);
        restartAndCompare();
        assertThat(s.allocate(req("p").build()).address()).hasToString("10.0.0.3");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void failedReleaseKeepsTheAllocation(String kind, Supplier<RuntimeException> f) {
        Allocation a = s.find("p", "10.0.0.1").orElseThrow();
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        failure.set(f);

        assertThatThrownBy(() -> s.release("p", "10.0.0.1")).isInstanceOf(StoreException.class);

        assertThat(visibleState(s)).isEqualTo(before);
        assertThat(s.find("p", "10.0.0.1")).contains(a);
        assertThat(sequence()).isEqualTo(seq);
        // The address was not freed: a specific request for it is still refused, naming the holder.
        failure.set(null);
        assertThatThrownBy(() -> s.allocate(AllocationRequest.in("p").owner("vm-2").address("10.0.0.1").build()))
                .isInstanceOf(AddressUnavailableException.class).hasMessageContaining("vm-1");
        assertThat(s.allocate(req("p").build()).address()).hasToString("10.0.0.2");
        restartAndCompare();
        assertThat(s.release("p", "10.0.0.1")).isEqualTo(a);
        assertThat(sequence()).isEqualTo(seq + 2);
        restartAndCompare();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void failedAllocateAllLeavesNothing(String kind, Supplier<RuntimeException> f) {
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        failure.set(f);
        List<AllocationRequest> env = List.of(req("p").build(), req("q").build(), req("p").address("10.0.0.6").build(),
                req("q").strategy(Strategy.RANDOM).build());

        assertThatThrownBy(() -> s.allocateAll(env)).isInstanceOf(StoreException.class);

        assertThat(visibleState(s)).isEqualTo(before);
        assertThat(s.find("p", "10.0.0.6")).isEmpty();
        assertThat(sequence()).isEqualTo(seq);
        failure.set(null);
        List<Allocation> got = s.allocateAll(env);
        assertThat(got).extracting(a -> a.address().toString()).startsWith("10.0.0.2", "2001:db8::", "10.0.0.6");
        assertThat(s.usage("q").allocated()).isEqualTo(2);
        assertThat(sequence()).isEqualTo(seq + 4);
        restartAndCompare();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void failedCreatePoolLeavesNoPool(String kind, Supplier<RuntimeException> f) {
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        failure.set(f);
        PoolSpec spec = PoolSpec.builder("new", Scope.of("c", "x")).cidr("10.0.1.0/24").build();

        assertThatThrownBy(() -> s.createPool(spec)).isInstanceOf(StoreException.class);

        assertThat(visibleState(s)).isEqualTo(before);
        assertThat(s.pool("new")).isEmpty();
        assertThatThrownBy(() -> s.usage("new")).isInstanceOf(PoolNotFoundException.class);
        assertThatThrownBy(() -> s.allocate(req("new").build())).isInstanceOf(PoolNotFoundException.class);
        assertThat(sequence()).isEqualTo(seq);
        failure.set(null);
        // Neither its name nor its range is taken: another pool may use the range, then the name.
        s.createPool(PoolSpec.builder("other", Scope.of("c", "w")).cidr("10.0.1.0/25").build());
        assertThatThrownBy(() -> s.createPool(spec)).isInstanceOf(PoolConflictException.class).hasMessageContaining("other");
        s.deletePool("other");
        s.createPool(spec);
        assertThat(s.allocate(req("new").build()).address()).hasToString("10.0.1.1");
        assertThat(sequence()).isEqualTo(seq + 4);
        restartAndCompare();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void failedDeletePoolKeepsThePool(String kind, Supplier<RuntimeException> f) {
        s.createPool(PoolSpec.builder("gone", Scope.of("c", "x")).cidr("10.0.2.0/30").build());
        Map<String, Object> before = visibleState(s);
        long seq = sequence();
        failure.set(f);

        assertThatThrownBy(() -> s.deletePool("gone")).isInstanceOf(StoreException.class);

        assertThat(visibleState(s)).isEqualTo(before);
        assertThat(sequence()).isEqualTo(seq);
        failure.set(null);
        assertThatThrownBy(() -> s.createPool(PoolSpec.builder("gone2", Scope.of("c", "v")).cidr("10.0.2.0/30").build()))
                .isInstanceOf(PoolConflictException.class).hasMessageContaining("'gone'");
        assertThat(s.allocate(req("gone").build()).address()).hasToString("10.0.2.1");
        restartAndCompare();
    }

    @Test
    void failuresInterleavedWithSuccessesKeepTheSequenceGapFree() {
        long seq = sequence();
        List<Allocation> committed = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            failure.set(i % 3 == 1 ? () -> new StoreException("every third") : null);
            try {
                committed.add(s.allocate(req("p").strategy(Strategy.NEXT_FIT).build()));
                if (committed.size() % 2 == 0) {
                    Allocation r = committed.remove(0);
                    try {
                        s.release("p", r.address());
                    } catch (StoreException e) {
                        committed.add(0, r);
                    }
                }
            } catch (StoreException expected) {
                // nothing to record
            } catch (PoolExhaustedException e) {
                break;
            }
        }
        failure.set(null);
        Set<IpAddress> expected = new HashSet<>();
        expected.add(IpAddress.parse("10.0.0.1"));
        committed.forEach(a -> expected.add(a.address()));
        Set<IpAddress> actual = new HashSet<>();
        s.allocations("p", null, 100).items().forEach(a -> actual.add(a.address()));
        assertThat(actual).isEqualTo(expected);
        assertThat(sequence()).isGreaterThan(seq);
        restartAndCompare();
        // The store accepts the next batch: the sequence continued without a gap.
        assertThat(s.allocate(req("q").build())).isNotNull();
    }

    /**
     * A caller that looked up a pool while its creation was being committed, and acts only after that
     * commit failed and was undone, must see that the pool does not exist (not allocate in a pool
     * that was never created).
     */
    @Test
    void allocationRacingAFailedCreatePoolSeesNoPool() throws Exception {
        CountDownLatch creationCommitting = new CountDownLatch(1);
        CountDownLatch racerLookedUpPool = new CountDownLatch(1);
        CountDownLatch creationFailed = new CountDownLatch(1);
        ipam.close();
        memory = memory.reopen();
        IpamStore store = intercept(memory, batch -> {
            if (batch.changes().stream().anyMatch(c -> c instanceof Change.PoolCreated pc && pc.pool().equals("racy"))) {
                creationCommitting.countDown();
                await(racerLookedUpPool);
                throw new StoreException("creation fails");
            }
        });
        // The racer's access check runs after it looked the pool up: hold it there until the creation failed.
        AccessPolicy policy = (caller, action, scope) -> {
            if (caller.name().equals("racer") && action == Action.ALLOCATE) {
                racerLookedUpPool.countDown();
                await(creationFailed);
            }
            return true;
        };
        ipam = Ipam.builder().store(store).accessPolicy(policy).build();
        s = ipam.as(Caller.of("test"));
        IpamSession racer = ipam.as(Caller.of("racer"));
        long seq = sequence();

        AtomicReference<Throwable> racerOutcome = new AtomicReference<>();
        Thread t = new Thread(() -> {
            await(creationCommitting);
            try {
                racerOutcome.set(new AssertionError("allocated " + racer.allocate(req("racy").build())));
            } catch (Throwable e) {
                racerOutcome.set(e);
            }
        });
        t.start();
        assertThatThrownBy(() -> s.createPool(PoolSpec.builder("racy", Scope.of("c", "r")).cidr("10.0.3.0/24").build()))
                .isInstanceOf(StoreException.class);
        creationFailed.countDown();
        t.join(TimeUnit.MINUTES.toMillis(2));

        assertThat(s.pool("racy")).isEmpty();
        assertThat(sequence()).isEqualTo(seq);
        assertThat(racerOutcome.get()).as("the racer's outcome").isInstanceOf(PoolNotFoundException.class);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES)) {
                throw new IllegalStateException("latch not released (test is stuck)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ concurrent

    /**
     * Threads allocate and release while every 5th commit fails. Each thread has a private pool where
     * it asks for specific addresses (so it knows exactly which address a failed call concerned) and
     * shares two small pools. Every call returns or throws StoreException; at the end the in-memory
     * state, the threads' record of successes and a restart all agree.
     */
    @Test
    void intermittentFailuresUnderConcurrency() throws Exception {
        int threads = 8;
        int ops = 1500;
        long seed = 0xFA11_0001L;
        AtomicLong commits = new AtomicLong();
        AtomicLong failedCommits = new AtomicLong();
        ipam.close();
        memory = new InMemoryStore();
        IpamStore store = intercept(memory, batch -> {
            if (commits.incrementAndGet() % 5 == 0) {
                failedCommits.incrementAndGet();
                throw new StoreException("every 5th commit fails");
            }
        });
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
        s = ipam.as(Caller.of("admin"));
        // Creation may fail too: retry until it is in.
        List<PoolSpec> specs = new ArrayList<>();
        specs.add(PoolSpec.builder("shared1", Scope.of("c", "s")).cidr("10.9.0.0/28").build());
        specs.add(PoolSpec.builder("shared2", Scope.of("c", "s")).cidr("2001:db8:9::/124").defaultStrategy(Strategy.RANDOM).build());
        for (int t = 0; t < threads; t++) {
            specs.add(PoolSpec.builder("own" + t, Scope.of("c", "o")).cidr("10.8." + t + ".0/28").build());
        }
        for (PoolSpec spec : specs) {
            while (true) {
                try {
                    s.createPool(spec);
                    break;
                } catch (StoreException retry) {
                    assertThat(s.pool(spec.name())).isEmpty();
                }
            }
        }

        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong storeFailures = new AtomicLong();
        List<Map<String, TreeMap<IpAddress, Allocation>>> expectedPerThread = new ArrayList<>();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Map<String, TreeMap<IpAddress, Allocation>> mine = new LinkedHashMap<>();
            mine.put("own" + id, new TreeMap<>());
            mine.put("shared1", new TreeMap<>());
            mine.put("shared2", new TreeMap<>());
            expectedPerThread.add(mine);
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    runWorker(id, ipam.as(Caller.of("w" + id)), new SplittableRandom(seed + id), ops, mine, problems, storeFailures);
                } catch (Throwable e) {
                    problems.add("worker " + id + " died: " + e);
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(TimeUnit.MINUTES.toMillis(5)); // deadlock guard only
            assertThat(w.isAlive()).as("worker still running after 5 minutes (deadlock?)").isFalse();
        }
        assertThat(problems).as("problems (seed %x)", seed).isEmpty();
        assertThat(storeFailures.get()).as("some calls failed").isPositive();
        assertThat(failedCommits.get()).isPositive();

        Map<String, TreeMap<IpAddress, Allocation>> expected = new LinkedHashMap<>();
        for (PoolSpec spec : specs) {
            expected.put(spec.name(), new TreeMap<>());
        }
        for (Map<String, TreeMap<IpAddress, Allocation>> mine : expectedPerThread) {
            mine.forEach((pool, allocations) -> allocations.forEach((a, x) ->
                    assertThat(expected.get(pool).put(a, x)).as("%s in %s held by two threads", a, pool).isNull()));
        }
        failure.set(null);
        long seq = sequence();
        for (Map.Entry<String, TreeMap<IpAddress, Allocation>> e : expected.entrySet()) {
            assertThat(s.allocations(e.getKey(), null, 10_000).items()).as("in memory: %s", e.getKey())
                    .isEqualTo(new ArrayList<>(e.getValue().values()));
            assertThat(s.usage(e.getKey()).allocated()).isEqualTo(e.getValue().size());
        }
        ipam.close();
        memory = memory.reopen();
        Ipam reopened = Ipam.builder().store(memory).accessPolicy(AccessPolicy.allowAll()).build();
        try {
            IpamSession r = reopened.as(Caller.of("admin"));
            for (Map.Entry<String, TreeMap<IpAddress, Allocation>> e : expected.entrySet()) {
                assertThat(r.allocations(e.getKey(), null, 10_000).items()).as("after restart: %s", e.getKey())
                        .isEqualTo(new ArrayList<>(e.getValue().values()));
                assertThat(r.usage(e.getKey()).free())
                        .isEqualTo(r.usage(e.getKey()).capacity().subtract(BigInteger.valueOf(e.getValue().size())));
            }
            assertThat(((IpamEngine) reopened).lastSequence()).isEqualTo(seq);
        } finally {
            reopened.close();
            memory = memory.reopen();
            open(); // for tearDown
        }
    }

    private static void runWorker(int id, IpamSession s, SplittableRandom rnd, int ops,
            Map<String, TreeMap<IpAddress, Allocation>> mine, ConcurrentLinkedQueue<String> problems,
            AtomicLong storeFailures) {
        String own = "own" + id;
        TreeMap<IpAddress, Allocation> ownModel = mine.get(own);
        for (int i = 0; i < ops && problems.isEmpty(); i++) {
            int k = rnd.nextInt(10);
            try {
                if (k < 3) {
                    // Specific address in the private pool: the outcome is known exactly.
                    IpAddress a = IpAddress.parse("10.8." + id + "." + (1 + rnd.nextInt(14)));
                    AllocationRequest r = AllocationRequest.in(own).owner("w" + id).address(a).build();
                    if (ownModel.containsKey(a)) {
                        try {
                            s.allocate(r);
                            problems.add("worker " + id + ": " + a + " allocated twice in " + own);
                        } catch (AddressUnavailableException expected) {
                            // right
                        }
                        continue;
                    }
                    try {
                        ownModel.put(a, s.allocate(r));
                    } catch (StoreException e) {
                        storeFailures.incrementAndGet();
                        if (s.find(own, a).isPresent()) {
                            problems.add("worker " + id + ": failed allocate of " + a + " left it allocated");
                        }
                    }
                } else if (k < 5) {
                    if (ownModel.isEmpty()) {
                        continue;
                    }
                    List<IpAddress> held = new ArrayList<>(ownModel.keySet());
                    IpAddress a = held.get(rnd.nextInt(held.size()));
                    try {
                        Allocation released = s.release(own, a);
                        if (!released.equals(ownModel.remove(a))) {
                            problems.add("worker " + id + ": released " + released);
                        }
                    } catch (StoreException e) {
                        storeFailures.incrementAndGet();
                        if (!s.find(own, a).equals(java.util.Optional.of(ownModel.get(a)))) {
                            problems.add("worker " + id + ": failed release of " + a + " did not keep it");
                        }
                    }
                } else if (k < 8) {
                    String pool = rnd.nextBoolean() ? "shared1" : "shared2";
                    Strategy st = Strategy.values()[rnd.nextInt(3)]; // LOWEST, NEXT_FIT, RANDOM
                    try {
                        Allocation a = s.allocate(AllocationRequest.in(pool).owner("w" + id).strategy(st).build());
                        mine.get(pool).put(a.address(), a);
                    } catch (StoreException e) {
                        storeFailures.incrementAndGet();
                    } catch (PoolExhaustedException e) {
                        // shared pools run out
                    }
                } else if (k < 9) {
                    // allocateAll across the private and a shared pool
                    IpAddress a = IpAddress.parse("10.8." + id + "." + (1 + rnd.nextInt(14)));
                    List<AllocationRequest> env = List.of(
                            AllocationRequest.in(own).owner("w" + id).address(a).build(),
                            AllocationRequest.in("shared1").owner("w" + id).build());
                    boolean wasMine = ownModel.containsKey(a);
                    try {
                        List<Allocation> got = s.allocateAll(env);
                        if (wasMine) {
                            problems.add("worker " + id + ": allocateAll got " + a + " which it already held");
                        }
                        ownModel.put(a, got.get(0));
                        mine.get("shared1").put(got.get(1).address(), got.get(1));
                    } catch (StoreException e) {
                        storeFailures.incrementAndGet();
                        if (!wasMine && s.find(own, a).isPresent()) {
                            problems.add("worker " + id + ": failed allocateAll left " + a + " allocated");
                        }
                    } catch (AllocationFailedException e) {
                        if (!(wasMine || e.getCause() instanceof PoolExhaustedException)) {
                            problems.add("worker " + id + ": unexpected " + e);
                        }
                    }
                } else {
                    String pool = rnd.nextBoolean() ? "shared1" : "shared2";
                    TreeMap<IpAddress, Allocation> held = mine.get(pool);
                    if (held.isEmpty()) {
                        continue;
                    }
                    IpAddress a = new ArrayList<>(held.keySet()).get(rnd.nextInt(held.size()));
                    try {
                        s.release(pool, a);
                        held.remove(a);
                    } catch (StoreException e) {
                        storeFailures.incrementAndGet();
                    }
                }
            } catch (RuntimeException e) {
                problems.add("worker " + id + ": unexpected " + e);
            }
        }
    }
}
