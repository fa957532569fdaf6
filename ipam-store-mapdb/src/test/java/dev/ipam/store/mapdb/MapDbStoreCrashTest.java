package dev.ipam.store.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Hold;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolUsage;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: a child JVM ({@link CrashChild}) allocates, allocates environments, holds and releases
 * continuously against one MapDbStore file and reports every acknowledged call (in a side file, read after
 * the child is dead: stdout of a killed child lost lines now and then); the test kills it with
 * {@link Process#destroyForcibly()} (SIGKILL) after a random 0.5 to 2 s, reopens the store and checks that
 * every acknowledged change is there, no batch is half-applied, the counts agree with the live entries,
 * and the journal is gap-free and continues. The rounds share one store file, so each round also starts
 * from the state the previous kill left. In even rounds the child checkpoints its redo log every 64 KiB, so
 * that kills also land during and between checkpoints. {@code -Dipam.crash.rounds=N} runs more rounds
 * (default 5).
 */
class MapDbStoreCrashTest {

    @TempDir
    Path dir;

    private record Key(String pool, IpAddress address) {
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void acknowledgedChangesSurviveKillMinus9() throws Exception {
        int rounds = Integer.getInteger("ipam.crash.rounds", 5);
        Path file = dir.resolve("crash/ipam.db");
        long seed = Long.getLong("ipam.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        // What every round acknowledged, accumulated: allocations that must be there (and their owners),
        // allocations that must be gone, holds that must be there, environments that must be complete.
        Map<Key, String> mustHave = new HashMap<>();
        Set<Key> mayBeGone = new HashSet<>();
        Map<Key, String> mustHaveHolds = new HashMap<>();
        Set<Key> holdMayBeGone = new HashSet<>();
        Set<String> ackedEnvironments = new HashSet<>();
        int totalAcks = 0;
        List<String> allLines = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            int millis = 500 + random.nextInt(1501);
            List<String> lines = runAndKill(file, round, millis);
            allLines.add("--- round " + round);
            allLines.addAll(lines);
            assertThat(lines).as("round %d (seed %d) reported nothing: %s", round, seed, lines).contains("READY");
            for (String line : lines) {
                if (!line.endsWith(" .")) {
                    continue; // READY, or a line cut by the kill
                }
                totalAcks++;
                String[] f = line.substring(0, line.length() - 2).split(" ");
                switch (f[0]) {
                    case "A" -> {
                        Key k = new Key(f[1], IpAddress.parse(f[2]));
                        mustHave.put(k, f[3]);
                        mayBeGone.remove(k);
                    }
                    case "E" -> {
                        ackedEnvironments.add(f[1]);
                        for (int i = 2; i + 1 < f.length; i += 2) {
                            mustHave.put(new Key(f[i], IpAddress.parse(f[i + 1])), "env:" + f[1]);
                        }
                    }
                    case "P" -> mayBeGone.add(new Key(f[1], IpAddress.parse(f[2])));
                    case "R" -> {
                        Key k = new Key(f[1], IpAddress.parse(f[2]));
                        mustHave.remove(k);
                        mayBeGone.remove(k);
                    }
                    case "H" -> mustHaveHolds.put(new Key(f[1], IpAddress.parse(f[2])), f[3]);
                    case "Q" -> holdMayBeGone.add(new Key(f[1], IpAddress.parse(f[2])));
                    case "X" -> {
                        Key k = new Key(f[1], IpAddress.parse(f[2]));
                        mustHaveHolds.remove(k);
                        holdMayBeGone.remove(k);
                    }
                    default -> throw new AssertionError("unexpected line " + line);
                }
            }
            // A confirmed hold became an allocation: the "A" of the confirmation ends the hold.
            mustHaveHolds.keySet().removeIf(mustHave::containsKey);
            long last = verify(file, round, seed, allLines, mustHave, mayBeGone, mustHaveHolds, holdMayBeGone, ackedEnvironments);
            System.out.printf("crash round %d: killed after %d ms, %d lines reported, last sequence %d%n", round, millis,
                    lines.size(), last);
            // Everything pending was decided by the verification: forget it.
            mayBeGone.forEach(mustHave::remove);
            mayBeGone.clear();
            holdMayBeGone.forEach(mustHaveHolds::remove);
            holdMayBeGone.clear();
        }
        assertThat(totalAcks).as("acknowledged calls over %d rounds", rounds).isGreaterThan(rounds * 5);
    }

    private List<String> runAndKill(Path file, int round, int millis) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Path report = dir.resolve("acks-" + round + ".log");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), file.toString(), Integer.toString(round), report.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process child = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    if (line.equals("READY")) {
                        ready.countDown();
                    }
                }
            } catch (Exception ignored) {
                // the child died
            } finally {
                ready.countDown();
            }
        }, "crash-child-reader");
        reader.start();
        try {
            assertThat(ready.await(60, TimeUnit.SECONDS)).as("child became ready").isTrue();
            Thread.sleep(millis);
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            reader.join(30_000);
        }
        List<String> result = new ArrayList<>(lines);
        if (Files.exists(report)) {
            result.addAll(Files.readAllLines(report, StandardCharsets.UTF_8));
        }
        return result;
    }

    private long verify(Path file, int round, long seed, List<String> allLines, Map<Key, String> mustHave, Set<Key> mayBeGone,
            Map<Key, String> mustHaveHolds, Set<Key> holdMayBeGone, Set<String> ackedEnvironments) {
        String where = "round " + round + " (seed " + seed + ")";
        MapDbStore store = MapDbStore.open(file);
        try {
            StoredState state = store.load();
            Map<Key, Allocation> live = new HashMap<>();
            state.forEachAllocation(a -> live.put(new Key(a.pool(), a.address()), a));
            Map<Key, Hold> holds = new HashMap<>();
            state.forEachHold(h -> holds.put(new Key(h.pool(), h.address()), h));
            long[] quarantined = new long[1];
            Map<String, Long> quarantinedByPool = new HashMap<>();
            state.forEachQuarantine(r -> quarantinedByPool.merge(r.pool(), 1L, Long::sum));
            quarantined[0] = quarantinedByPool.values().stream().mapToLong(Long::longValue).sum();

            // Every acknowledged allocation is there with its owner (unless a release of it was under way).
            for (Map.Entry<Key, String> e : mustHave.entrySet()) {
                Allocation a = live.get(e.getKey());
                if (mayBeGone.contains(e.getKey())) {
                    continue; // its release was under way: gone, or even allocated again by an unacknowledged call
                }
                boolean mismatch = a != null && (e.getValue().startsWith("env:")
                        ? !e.getValue().substring(4).equals(a.environment()) : !e.getValue().equals(a.owner()));
                if (a == null || mismatch) {
                    String address = " " + e.getKey().address() + " ";
                    StringBuilder why = new StringBuilder();
                    for (String l : allLines) {
                        if (l.startsWith("---") || (l + " ").contains(address)) {
                            why.append(l).append('\n');
                        }
                    }
                    why.append("history: ").append(store.history(e.getKey().address())).append('\n');
                    int lastRound = allLines.lastIndexOf("--- round " + round);
                    List<String> tail = allLines.subList(Math.max(lastRound, allLines.size() - 60), allLines.size());
                    why.append("last lines of the round:\n");
                    tail.forEach(l -> why.append("  ").append(l).append('\n'));
                    why.append("journal tail: ").append(store.readJournal(Math.max(1, state.lastSequence() - 8), 20)).append('\n');
                    why.append("last sequence: ").append(state.lastSequence());
                    throw new AssertionError(where + ": acknowledged allocation " + e + " but found " + a + "\n" + why);
                }
                if (e.getValue().startsWith("env:")) {
                    assertThat(a.environment()).as(where).isEqualTo(e.getValue().substring(4));
                } else {
                    assertThat(a.owner()).as(where).isEqualTo(e.getValue());
                }
            }
            for (Map.Entry<Key, String> e : mustHaveHolds.entrySet()) {
                Hold h = holds.get(e.getKey());
                if (holdMayBeGone.contains(e.getKey())) {
                    continue; // its confirmation or cancellation was under way
                }
                assertThat(h).as("%s: acknowledged hold %s", where, e).isNotNull();
                assertThat(h.key()).as(where).isEqualTo(e.getValue());
            }
            // No batch half-applied: every environment is complete (3 allocations) or absent.
            Map<String, Integer> envSizes = new HashMap<>();
            live.values().stream().filter(a -> a.environment() != null)
                    .forEach(a -> envSizes.merge(a.environment(), 1, Integer::sum));
            envSizes.forEach((env, n) -> assertThat(n).as("%s: environment %s", where, env).isEqualTo(3));
            for (String env : ackedEnvironments) {
                assertThat(envSizes).as("%s: acknowledged environment %s", where, env).containsKey(env);
            }
            // Stored counts agree with the live entries.
            for (String pool : CrashChild.POOLS) {
                long allocated = live.keySet().stream().filter(k -> k.pool().equals(pool)).count();
                long held = holds.keySet().stream().filter(k -> k.pool().equals(pool)).count();
                long q = quarantinedByPool.getOrDefault(pool, 0L);
                assertThat(store.storedCounts(pool)).as("%s: counts of %s", where, pool).containsExactly(allocated, held, q);
            }
            // The journal is gap-free up to the last sequence, and replaying it gives the live state.
            long last = state.lastSequence();
            List<JournalEntry> journal = store.readJournal(1, Integer.MAX_VALUE);
            assertThat(journal).as(where).hasSize((int) last);
            Map<Key, Allocation> replayed = new HashMap<>();
            for (int i = 0; i < journal.size(); i++) {
                JournalEntry e = journal.get(i);
                assertThat(e.sequence()).as(where).isEqualTo(i + 1L);
                if (e.change() instanceof Change.Allocated a) {
                    replayed.put(new Key(a.pool(), a.allocation().address()), a.allocation());
                } else if (e.change() instanceof Change.Released r) {
                    replayed.remove(new Key(r.pool(), r.allocation().address()));
                }
            }
            assertThat(replayed).as("%s: journal replay", where).isEqualTo(live);
            store.close();

            // The library loads it, its counts agree, and new commits continue the sequence.
            Ipam ipam = Ipam.builder().store(MapDbStore.open(file)).accessPolicy(AccessPolicy.allowAll())
                    .maintenanceInterval(Duration.ZERO).build();
            try {
                IpamSession s = ipam.as(Caller.of("verifier"));
                long total = 0;
                for (String pool : CrashChild.POOLS) {
                    PoolUsage u = s.usage(pool);
                    long allocated = live.keySet().stream().filter(k -> k.pool().equals(pool)).count();
                    assertThat(u.allocated()).as("%s: usage of %s", where, pool).isEqualTo(allocated);
                    total += u.quarantined();
                }
                assertThat(total).as(where).isEqualTo(quarantined[0]);
                assertThat(ipam.lastSequence()).as(where).isEqualTo(last);
                Allocation probe = s.allocate(AllocationRequest.in("crash-a").owner("probe-" + round).build());
                assertThat(ipam.lastSequence()).as(where).isEqualTo(last + 1);
                s.release("crash-a", probe.address());
                assertThat(ipam.lastSequence()).as(where).isEqualTo(last + 2);
            } finally {
                ipam.close();
            }
            MapDbStore again = MapDbStore.open(file);
            try {
                List<JournalEntry> tail = again.readJournal(last + 1, 10);
                assertThat(tail).extracting(JournalEntry::sequence).as(where).containsExactly(last + 1, last + 2);
                assertThat(tail.get(0).change()).isInstanceOf(Change.Allocated.class);
            } finally {
                again.close();
            }
            return last;
        } finally {
            store.close();
        }
    }
}
