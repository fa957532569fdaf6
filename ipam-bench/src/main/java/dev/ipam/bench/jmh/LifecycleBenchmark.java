package dev.ipam.bench.jmh;

import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.HistoryEntry;
import dev.ipam.InMemoryStore;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lifecycle operations over an {@link InMemoryStore}:
 *
 * <ul>
 *   <li>{@code allocateAll1000}: one all-or-nothing call allocating 1 000 keyed addresses across 4
 *       pools (250 each, LOWEST). The environment is released after each call, outside the
 *       measured time ({@code @TearDown(Level.Invocation)}), so every call sees the same pools.</li>
 *   <li>{@code holderAt}: who held an address at a random instant, for an address with 1 000 history
 *       entries (500 holding periods) among 1 000 000 journal entries. It must read that address's
 *       index, never the journal.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LifecycleBenchmark {

    /** A clock that moves one second per reading, so every change has its own instant. */
    static final class SteppingClock extends Clock {
        private final AtomicLong seconds = new AtomicLong(1_800_000_000L);

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException("fixed to UTC");
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds.incrementAndGet());
        }
    }

    private static Ipam ipam(Clock clock, int journalLimit) {
        return Ipam.builder().store(new InMemoryStore(journalLimit)).accessPolicy(AccessPolicy.allowAll())
                .clock(clock).maintenanceInterval(Duration.ZERO).build();
    }

    /** State of {@code allocateAll1000}. */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class Environment {
        static final String[] POOLS = {"env-a", "env-b", "env-c", "env-d"};
        Ipam ipam;
        IpamSession session;
        List<AllocationRequest> requests;

        @Setup(Level.Trial)
        public void setUp() {
            ipam = ipam(Clock.systemUTC(), 100_000);
            session = ipam.as(Caller.of("bench"));
            for (int p = 0; p < POOLS.length; p++) {
                session.createPool(PoolSpec.builder(POOLS[p], Scope.of("bench", "z" + p)).cidr("10." + (10 + p) + ".0.0/16").build());
            }
            requests = new ArrayList<>(1000);
            for (int i = 0; i < 1000; i++) {
                requests.add(AllocationRequest.in(POOLS[i % POOLS.length]).owner("vm-" + i)
                        .environment("stack-1").name("server_" + i).hostname("server" + i + ".stack1.example.com").build());
            }
        }

        @TearDown(Level.Invocation)
        public void releaseEnvironment() {
            session.releaseEnvironment("stack-1");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ipam.close();
        }
    }

    @Benchmark
    public int allocateAll1000(Environment env) {
        return env.session.allocateAll(env.requests).size();
    }

    /** State of {@code holderAt}. */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class History {
        static final int JOURNAL = 1_000_000;
        static final int TARGET_ENTRIES = 1_000;
        Ipam ipam;
        IpamSession session;
        IpAddress target;
        long firstSecond;
        long lastSecond;
        final SplittableRandom random = new SplittableRandom(42);

        @Setup(Level.Trial)
        public void setUp() {
            SteppingClock clock = new SteppingClock();
            ipam = ipam(clock, Integer.MAX_VALUE);
            session = ipam.as(Caller.of("bench"));
            // The target's pool holds only the target; everyone else's changes go to another pool,
            // so they fill the journal without ever touching the target address.
            session.createPool(PoolSpec.builder("hist", Scope.of("bench", "h")).cidr("10.0.0.1/32").build());
            session.createPool(PoolSpec.builder("others", Scope.of("bench", "o")).cidr("10.128.0.0/9").build());
            target = IpAddress.parse("10.0.0.1");
            firstSecond = clock.instant().getEpochSecond();
            int changes = 0;
            int round = 0;
            // Each round: the target gets a new holder (2 entries), and 1 998 other entries go elsewhere.
            while (changes < JOURNAL) {
                if (round < TARGET_ENTRIES / 2) {
                    session.allocate(AllocationRequest.in("hist").owner("vm-" + round).address(target).build());
                    session.release("hist", target);
                    changes += 2;
                }
                int others = Math.min(JOURNAL - changes, 1_998) / 2;
                List<AllocationRequest> batch = new ArrayList<>(others);
                for (int i = 0; i < others; i++) {
                    batch.add(AllocationRequest.in("others").owner("other-" + round).build());
                }
                session.allocateAll(batch);
                session.releaseOwner("other-" + round);
                changes += 2 * others;
                round++;
                if (others == 0 && round >= TARGET_ENTRIES / 2) {
                    break;
                }
            }
            lastSecond = clock.instant().getEpochSecond();
            List<HistoryEntry> history = session.history("hist", target);
            if (history.size() != TARGET_ENTRIES / 2) {
                throw new IllegalStateException("Target has " + history.size() + " holding periods");
            }
            if (ipam.lastSequence() < JOURNAL) {
                throw new IllegalStateException("Journal has " + ipam.lastSequence() + " entries");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ipam.close();
        }
    }

    @Benchmark
    public Optional<HistoryEntry> holderAt(History h) {
        Instant at = Instant.ofEpochSecond(h.firstSecond + h.random.nextLong(h.lastSecond - h.firstSecond));
        return h.session.holderAt("hist", h.target, at);
    }
}
