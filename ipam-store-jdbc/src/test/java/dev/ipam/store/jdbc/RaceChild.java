package dev.ipam.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.Allocation;
import dev.ipam.AllocationPage;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolExhaustedException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance of {@link MultiProcessRaceTest}, in its own JVM: allocates and releases from several
 * threads in pools that another JVM uses at the same time, then reports what it holds and, on
 * request, what it sees.
 *
 * <pre>
 * args: jdbcUrl schema catalog instanceName threads callsPerThread   ("-" for no schema / catalog)
 * stdout: LIVE pool address     (acknowledged allocations this instance did not release)
 *         FAILED message        (a call that failed for another reason than a full pool)
 *         DONE
 * stdin:  REPORT                (all instances are done; report the settled view)
 * stdout: SEEN pool address     (every live allocation this instance sees)
 *         END
 * </pre>
 */
public final class RaceChild {

    static final List<String> POOLS = List.of("small", "big");

    private RaceChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String name = args[3];
        int threads = Integer.parseInt(args[4]);
        int calls = Integer.parseInt(args[5]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        if (!args[1].equals("-")) {
            config.setSchema(args[1]);
        }
        if (!args[2].equals("-")) {
            config.setCatalog(args[2]);
        }
        config.setMaximumPoolSize(threads + 2);
        try (HikariDataSource dataSource = new HikariDataSource(config);
                Ipam ipam = Ipam.builder().store(JdbcStore.open(dataSource)).accessPolicy(AccessPolicy.allowAll()).build()) {
            ConcurrentLinkedQueue<Allocation> live = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger exhausted = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                IpamSession session = ipam.as(Caller.of(name + "-" + t));
                long seed = name.hashCode() * 31L + t;
                String owner = name + "-" + t;
                futures.add(pool.submit(() -> {
                    work(session, new SplittableRandom(seed), calls, owner, live, failures, exhausted);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            for (Allocation a : live) {
                out.println("LIVE " + a.pool() + " " + a.address());
            }
            for (String f : failures) {
                out.println("FAILED " + f.replace('\n', ' '));
            }
            out.println("DONE");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (!"REPORT".equals(line)) {
                return;
            }
            Thread.sleep(1_000); // several follow intervals: the other instance's last changes arrive
            IpamSession reader = ipam.as(Caller.of(name + "-reader"));
            for (String p : POOLS) {
                IpAddress after = null;
                while (true) {
                    AllocationPage page = reader.allocations(p, after, 1_000);
                    for (Allocation a : page.items()) {
                        out.println("SEEN " + p + " " + a.address());
                    }
                    if (page.nextAfter().isEmpty()) {
                        break;
                    }
                    after = page.nextAfter().get();
                }
            }
            out.println("END");
        }
    }

    private static void work(IpamSession session, SplittableRandom random, int calls, String owner,
            ConcurrentLinkedQueue<Allocation> live, ConcurrentLinkedQueue<String> failures, AtomicInteger exhausted) {
        List<Allocation> mine = new ArrayList<>();
        for (int call = 0; call < calls; call++) {
            try {
                if (!mine.isEmpty() && random.nextInt(100) < 45) {
                    Allocation a = mine.remove(random.nextInt(mine.size()));
                    session.release(a.pool(), a.address());
                } else {
                    String p = random.nextInt(4) == 0 ? "small" : "big";
                    mine.add(session.allocate(AllocationRequest.in(p).owner(owner + "-" + call).build()));
                }
            } catch (PoolExhaustedException full) {
                exhausted.incrementAndGet();
            } catch (RuntimeException e) {
                failures.add(e.toString());
            }
        }
        live.addAll(mine);
    }
}
