package dev.ipam.store.mapdb;

import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Hold;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.spi.AccessPolicy;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The child JVM of {@link MapDbStoreCrashTest}: allocates continuously against a MapDbStore from several
 * threads and reports every acknowledged call in a side file (args: store file, round, report file), one
 * line per call, flushed, ending in {@code " ."} so that a line cut by the kill is recognisable; prints
 * {@code READY} on stdout once the store is open. Runs until it is killed.
 *
 * <p>Lines: {@code A pool address owner} (allocated), {@code E env pool address pool address ...}
 * (allocateAll of an environment), {@code R pool address owner} (released), {@code H pool address key}
 * (held), {@code X pool address key} (hold cancelled), {@code READY} once the store is open; and the
 * intents {@code P pool address owner} (about to release) and {@code Q pool address key} (about to confirm
 * or cancel a hold), after which the outcome may or may not have been committed when the kill came.
 */
public final class CrashChild {

    static final String[] POOLS = {"crash-a", "crash-b", "crash-6"};

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        // Acknowledgements go to a side file (written before each call returns to the loop; a killed process
        // loses nothing it wrote): reading a killed child's stdout pipe lost lines now and then.
        PrintStream out = new PrintStream(new FileOutputStream(args[2], true), false, "UTF-8");
        // Even rounds checkpoint the redo log every 64 KiB (a few dozen commits), so kills also land in and
        // between checkpoints; odd rounds use the default interval.
        long checkpointBytes = round % 2 == 0 ? 64 * 1024 : RedoVolume.CHECKPOINT_BYTES;
        Ipam ipam = Ipam.builder().store(MapDbStore.open(file, checkpointBytes)).accessPolicy(AccessPolicy.allowAll())
                .maintenanceInterval(Duration.ZERO).build();
        IpamSession s = ipam.as(Caller.of("crash-child"));
        if (s.pool("crash-a").isEmpty()) {
            s.createPool(PoolSpec.builder("crash-a", Scope.of("c1", "dmz")).cidr("10.50.0.0/16").build());
            s.createPool(PoolSpec.builder("crash-b", Scope.of("c1", "app")).cidr("10.51.0.0/16")
                    .quarantine(Duration.ofHours(1)).build());
            s.createPool(PoolSpec.builder("crash-6", Scope.of("c1", "v6")).cidr("2001:db8:50::/64").build());
        }
        System.out.println("READY");
        System.out.flush();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int thread = t;
            Thread th = new Thread(() -> work(s, out, round, thread), "crash-worker-" + t);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
    }

    private static void report(PrintStream out, String line) {
        synchronized (out) {
            out.println(line + " .");
            out.flush();
        }
    }

    private static void work(IpamSession s, PrintStream out, int round, int thread) {
        Random r = new Random(round * 31L + thread);
        List<Allocation> mine = new ArrayList<>();
        for (int n = 0; ; n++) {
            String tag = "r" + round + "-t" + thread + "-" + n;
            int roll = r.nextInt(100);
            String pool = POOLS[r.nextInt(POOLS.length)];
            if (roll < 45) {
                Allocation a = s.allocate(AllocationRequest.in(pool).owner("vm-" + tag).hostname(tag + ".example.com")
                        .build());
                mine.add(a);
                report(out, "A " + a.pool() + " " + a.address() + " " + a.owner());
            } else if (roll < 70) {
                String env = "env-" + tag;
                List<Allocation> all = s.allocateAll(List.of(
                        AllocationRequest.in("crash-a").owner("vm-" + tag + "-w").environment(env).name("web_1").build(),
                        AllocationRequest.in("crash-b").owner("vm-" + tag + "-w").environment(env).name("web_1").build(),
                        AllocationRequest.in("crash-6").owner("vm-" + tag + "-d").environment(env).name("db_1").build()));
                StringBuilder line = new StringBuilder("E ").append(env);
                for (Allocation a : all) {
                    line.append(' ').append(a.pool()).append(' ').append(a.address());
                }
                report(out, line.toString());
            } else if (roll < 85 && !mine.isEmpty()) {
                Allocation a = mine.remove(r.nextInt(mine.size()));
                report(out, "P " + a.pool() + " " + a.address() + " " + a.owner());
                s.release(a.pool(), a.address());
                report(out, "R " + a.pool() + " " + a.address() + " " + a.owner());
            } else {
                String key = "key-" + tag;
                Hold h = s.offer(pool, key, Duration.ofMinutes(30));
                report(out, "H " + h.pool() + " " + h.address() + " " + key);
                boolean confirm = r.nextBoolean();
                boolean cancel = !confirm && r.nextBoolean();
                if (confirm || cancel) {
                    report(out, "Q " + h.pool() + " " + h.address() + " " + key);
                }
                if (confirm) {
                    Allocation a = s.confirm(key, AllocationRequest.in(pool).owner("vm-" + tag + "-h").build());
                    mine.add(a);
                    report(out, "A " + a.pool() + " " + a.address() + " " + a.owner());
                } else if (cancel) {
                    s.cancelHold(pool, key);
                    report(out, "X " + h.pool() + " " + h.address() + " " + key);
                }
            }
        }
    }
}
