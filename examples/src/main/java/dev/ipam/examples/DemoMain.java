package dev.ipam.examples;

import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.PoolUsage;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.store.mapdb.MapDbStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A runnable example that embeds the library the way a provisioning service would, on the embedded
 * default store (a MapDB file, {@code ipam-data/ipam.db} or the path given as the first argument):
 * it creates scoped pools, allocates every address of an environment in one all-or-nothing call,
 * releases one VM's address and prints pool usage. Running it again reuses the file: the pools
 * exist, the environment's keys get the same addresses back, and the released VM its old address.
 */
public final class DemoMain {

    private DemoMain() {
    }

    public static void main(String[] args) throws java.io.IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "ipam-data/ipam.db");
        Files.createDirectories(file.toAbsolutePath().getParent());
        run(System.out, file);
    }

    static void run(PrintStream out, Path file) {
        try (Ipam ipam = Ipam.builder()
                .store(MapDbStore.open(file))
                .accessPolicy(AccessPolicy.allowAll())
                .build()) {
            IpamSession session = ipam.as(Caller.of("heat-provisioner"));
            out.println("Store " + file + " (last change #" + ipam.lastSequence() + ")");
            createIfAbsent(session, PoolSpec.builder("dmz-east", Scope.of("east", "dmz"))
                    .cidr("10.20.0.0/16").exclude("10.20.0.1").build());
            createIfAbsent(session, PoolSpec.builder("app-east", Scope.of("east", "app"))
                    .cidr("10.30.0.0/24").defaultStrategy(Strategy.NEXT_FIT).build());
            createIfAbsent(session, PoolSpec.builder("v6-east", Scope.of("east", "app"))
                    .cidr("2001:db8:20::/64").build());
            // The same range in another cloud is its own routing domain.
            createIfAbsent(session, PoolSpec.builder("dmz-west", Scope.of("west", "dmz"))
                    .cidr("10.20.0.0/16").build());

            List<AllocationRequest> stack = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                stack.add(AllocationRequest.in("dmz-east").owner("vm-web-" + i)
                        .environment("prod-42").name("web_" + i)
                        .hostname("web" + i + ".prod42.example.com").build());
            }
            stack.add(AllocationRequest.in("app-east").owner("vm-db-1")
                    .environment("prod-42").name("db_1").hostname("db1.prod42.example.com").build());
            stack.add(AllocationRequest.in("v6-east").owner("vm-db-1").strategy(Strategy.EUI64)
                    .mac("00:11:22:33:44:55").environment("prod-42").name("db_1_v6").build());

            out.println("Allocating environment prod-42 (all or nothing):");
            List<Allocation> env = session.allocateAll(stack);
            for (Allocation a : env) {
                out.printf("  %-10s %-34s %-10s %s%n", a.pool(), a.address(), a.owner(), a.name());
            }

            Allocation web2 = env.get(1);
            session.release(web2.pool(), web2.address());
            out.println("Released " + web2.address() + " of " + web2.owner());

            out.println("Usage:");
            for (String pool : List.of("dmz-east", "app-east", "v6-east", "dmz-west")) {
                PoolUsage u = session.usage(pool);
                out.printf("  %-10s capacity=%s allocated=%d free=%s%n", pool, u.capacity(), u.allocated(), u.free());
            }
        }
    }

    private static void createIfAbsent(IpamSession session, PoolSpec spec) {
        if (session.pool(spec.name()).isEmpty()) {
            session.createPool(spec);
        }
    }
}
