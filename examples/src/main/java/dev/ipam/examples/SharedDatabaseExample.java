package dev.ipam.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolConflictException;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.store.jdbc.JdbcStore;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Two provisioning services sharing one database: each embeds its own {@link Ipam} on a
 * {@link JdbcStore} over its own HikariCP pool, as two JVMs would. Run with a JDBC URL (PostgreSQL
 * or MariaDB, user and password in the URL) or without one for an in-memory H2 database:
 * <pre>
 * java -cp examples/target/ipam-examples.jar dev.ipam.examples.SharedDatabaseExample 'jdbc:postgresql://127.0.0.1:5432/test?user=postgres'
 * </pre>
 * It shows that an environment key gets one address whichever service asks, that each service
 * sees the other's allocations, and that services racing for addresses never get the same one.
 * It releases what it allocated, so it can run again on the same database.
 */
public final class SharedDatabaseExample {

    static final String H2_URL = "jdbc:h2:mem:ipam-example;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
            + "DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
    private static final int THREADS_PER_SERVICE = 4;
    private static final int CALLS_PER_THREAD = 25;

    private SharedDatabaseExample() {
    }

    public static void main(String[] args) throws Exception {
        run(System.out, args.length > 0 ? args[0] : H2_URL);
    }

    static void run(PrintStream out, String jdbcUrl) throws Exception {
        try (HikariDataSource heatPool = pool(jdbcUrl, "heat");
                HikariDataSource foremanPool = pool(jdbcUrl, "foreman");
                Ipam heatIpam = open(heatPool);
                Ipam foremanIpam = open(foremanPool)) {
            IpamSession heat = heatIpam.as(Caller.of("heat"));
            IpamSession foreman = foremanIpam.as(Caller.of("foreman"));
            try {
                heat.createPool(PoolSpec.builder("shared-east", Scope.of("east", "app")).cidr("10.40.0.0/22").build());
            } catch (PoolConflictException exists) {
                out.println("Pool shared-east exists already");
            }

            AllocationRequest web1 = AllocationRequest.in("shared-east").owner("vm-web-1").environment("stack-7")
                    .name("web_1").build();
            Allocation byHeat = heat.allocate(web1);
            Allocation byForeman = foreman.allocate(web1); // the same key: the same address
            out.println("stack-7/web_1 via heat:    " + byHeat.address());
            out.println("stack-7/web_1 via foreman: " + byForeman.address());

            Allocation db = foreman.allocate(AllocationRequest.in("shared-east").owner("vm-db-1").build());
            long waitedMs = waitUntilSeen(heat, db);
            out.println("heat saw foreman's " + db.address() + " after about " + waitedMs + " ms");

            List<Allocation> raced = race(heat, foreman);
            Set<IpAddress> distinct = new HashSet<>();
            raced.forEach(a -> distinct.add(a.address()));
            out.println("Racing services allocated " + raced.size() + " addresses, " + distinct.size() + " distinct");

            for (Allocation a : raced) {
                (a.owner().startsWith("heat") ? heat : foreman).release(a.pool(), a.address());
            }
            heat.release("shared-east", byHeat.address());
            foreman.release("shared-east", db.address());
            waitUntilReleased(foreman, byHeat.address()); // each service's last release, seen by the other
            waitUntilReleased(heat, db.address());
            out.println("After releasing: heat counts " + heat.usage("shared-east").allocated() + " allocated, foreman "
                    + foreman.usage("shared-east").allocated());
        }
    }

    /** A connection pool per service, as each service would configure its own. */
    private static HikariDataSource pool(String jdbcUrl, String service) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName(service);
        config.setMaximumPoolSize(THREADS_PER_SERVICE + 2);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(config);
    }

    private static Ipam open(HikariDataSource dataSource) {
        return Ipam.builder().store(JdbcStore.open(dataSource)).accessPolicy(AccessPolicy.allowAll()).build();
    }

    /** Threads of both services allocate at once; returns everything they got. */
    private static List<Allocation> race(IpamSession heat, IpamSession foreman) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2 * THREADS_PER_SERVICE);
        try {
            List<Future<List<Allocation>>> futures = new ArrayList<>();
            for (int t = 0; t < 2 * THREADS_PER_SERVICE; t++) {
                IpamSession session = t % 2 == 0 ? heat : foreman;
                String owner = (t % 2 == 0 ? "heat-vm-" : "foreman-vm-") + t;
                futures.add(threads.submit(() -> {
                    List<Allocation> got = new ArrayList<>();
                    for (int i = 0; i < CALLS_PER_THREAD; i++) {
                        got.add(session.allocate(AllocationRequest.in("shared-east").owner(owner).build()));
                    }
                    return got;
                }));
            }
            List<Allocation> all = new ArrayList<>();
            for (Future<List<Allocation>> f : futures) {
                all.addAll(f.get());
            }
            return all;
        } finally {
            threads.shutdownNow();
        }
    }

    /** Polls until {@code session} sees {@code allocation} (its follower reads the journal every 200 ms). */
    private static long waitUntilSeen(IpamSession session, Allocation allocation) throws InterruptedException {
        long start = System.nanoTime();
        while (session.find(allocation.pool(), allocation.address()).isEmpty()) {
            Thread.sleep(5);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void waitUntilReleased(IpamSession session, IpAddress address) throws InterruptedException {
        while (session.find("shared-east", address).isPresent()) {
            Thread.sleep(5);
        }
    }
}
