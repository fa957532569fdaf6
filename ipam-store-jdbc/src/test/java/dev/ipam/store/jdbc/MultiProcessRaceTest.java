package dev.ipam.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import dev.ipam.store.jdbc.TestDatabases.Vendor;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two JVMs, each one library instance with 8 threads, allocate and release in the same pools of
 * one database ({@link RaceChild}). Afterwards: the journal never hands out an address that is
 * live; every allocation a JVM had acknowledged (and not released) is stored, and nothing else;
 * and both JVMs, once settled, see exactly what is stored.
 */
class MultiProcessRaceTest {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    private static final int JVMS = 2;
    private static final int THREADS = 8;
    private static final int CALLS = Integer.getInteger("ipam.race.calls", 150);

    @Test
    @Timeout(600)
    void twoJvmsOnPostgreSql() throws Exception {
        race(Vendor.POSTGRESQL);
    }

    @Test
    @Timeout(600)
    void twoJvmsOnMariaDb() throws Exception {
        race(Vendor.MARIADB);
    }

    private void race(Vendor vendor) throws Exception {
        HikariDataSource ds = (HikariDataSource) DATABASES.freshDatabase(vendor);
        try (Ipam admin = Ipam.builder().store(JdbcStore.open(ds)).accessPolicy(AccessPolicy.allowAll()).build()) {
            IpamSession s = admin.as(Caller.of("admin"));
            Scope scope = Scope.of("east", "dmz");
            s.createPool(PoolSpec.builder("small", scope).cidr("10.1.0.0/26").build());
            s.createPool(PoolSpec.builder("big", scope).cidr("10.2.0.0/20").defaultStrategy(Strategy.LOWEST).build());
        }
        List<Child> children = new ArrayList<>();
        try {
            for (int i = 0; i < JVMS; i++) {
                children.add(new Child(ds, "jvm" + i));
            }
            Map<String, Set<IpAddress>> acknowledged = new HashMap<>();
            List<String> failures = new ArrayList<>();
            for (Child c : children) {
                c.readUntil("DONE", line -> {
                    if (line.startsWith("LIVE ")) {
                        String[] parts = line.split(" ");
                        boolean fresh = acknowledged.computeIfAbsent(parts[1], p -> new HashSet<>())
                                .add(IpAddress.parse(parts[2]));
                        assertThat(fresh).as("%s acknowledged by both JVMs", line).isTrue();
                    } else if (line.startsWith("FAILED ")) {
                        failures.add(c.name + ": " + line);
                    }
                });
            }
            assertThat(failures).as("calls that failed").isEmpty();

            Map<String, Set<IpAddress>> stored = storedAndJournalChecked(ds);
            for (String pool : RaceChild.POOLS) {
                assertThat(stored.getOrDefault(pool, Set.of())).as("stored live allocations of %s", pool)
                        .isEqualTo(acknowledged.getOrDefault(pool, Set.of()));
            }
            for (Child c : children) {
                c.send("REPORT");
                Map<String, Set<IpAddress>> seen = new HashMap<>();
                c.readUntil("END", line -> {
                    if (line.startsWith("SEEN ")) {
                        String[] parts = line.split(" ");
                        seen.computeIfAbsent(parts[1], p -> new HashSet<>()).add(IpAddress.parse(parts[2]));
                    }
                });
                for (String pool : RaceChild.POOLS) {
                    assertThat(seen.getOrDefault(pool, Set.of())).as("%s's view of %s", c.name, pool)
                            .isEqualTo(stored.getOrDefault(pool, Set.of()));
                }
                assertThat(c.process.waitFor(60, TimeUnit.SECONDS)).as("%s exits", c.name).isTrue();
                assertThat(c.process.exitValue()).as("%s exit code", c.name).isZero();
            }
        } finally {
            for (Child c : children) {
                c.process.destroyForcibly();
            }
        }
    }

    /**
     * The live allocations in the database, after replaying the whole journal through the address
     * state machine: no change may find its address in another state than it requires (an address
     * allocated twice would).
     */
    private static Map<String, Set<IpAddress>> storedAndJournalChecked(HikariDataSource ds) {
        try (JdbcStore store = JdbcStore.open(ds)) {
            Map<String, Map<IpAddress, AddressState>> states = new HashMap<>();
            long expected = 1;
            while (true) {
                List<JournalEntry> entries = store.readJournal(expected, 10_000);
                if (entries.isEmpty()) {
                    break;
                }
                for (JournalEntry e : entries) {
                    assertThat(e.sequence()).as("gap-free journal").isEqualTo(expected++);
                    Change c = e.change();
                    IpAddress address = AddressState.addressOf(c);
                    if (address == null) {
                        continue;
                    }
                    Map<IpAddress, AddressState> pool = states.computeIfAbsent(c.pool(), p -> new HashMap<>());
                    AddressState current = pool.getOrDefault(address, AddressState.FREE);
                    assertThat(current).as("state of %s in %s before change %d %s", address, c.pool(), e.sequence(), c)
                            .isEqualTo(AddressState.requiredBy(c));
                    pool.put(address, AddressState.resultOf(c));
                }
            }
            Map<String, Set<IpAddress>> live = new HashMap<>();
            try (StoredState state = store.load()) {
                state.forEachAllocation(a -> live.computeIfAbsent(a.pool(), p -> new HashSet<>()).add(a.address()));
                assertThat(state.lastSequence()).isEqualTo(expected - 1);
            }
            for (Map.Entry<String, Map<IpAddress, AddressState>> pool : states.entrySet()) {
                Set<IpAddress> replayed = new HashSet<>();
                pool.getValue().forEach((address, st) -> {
                    if (st == AddressState.ALLOCATED) {
                        replayed.add(address);
                    }
                });
                assertThat(live.getOrDefault(pool.getKey(), Set.of())).as("journal replay of %s", pool.getKey())
                        .isEqualTo(replayed);
            }
            return live;
        }
    }

    /** A RaceChild JVM and its standard streams. */
    private static final class Child {
        final String name;
        final Process process;
        final BufferedReader out;
        final Writer in;

        Child(HikariDataSource ds, String name) throws IOException {
            this.name = name;
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    RaceChild.class.getName(), ds.getJdbcUrl(), orDash(ds.getSchema()), orDash(ds.getCatalog()), name,
                    String.valueOf(THREADS), String.valueOf(CALLS));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            this.process = pb.start();
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        void readUntil(String last, java.util.function.Consumer<String> each) throws IOException {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals(last)) {
                    return;
                }
                each.accept(line);
            }
            throw new AssertionError(name + " ended before printing " + last + " (exit " + exitCode() + ")");
        }

        void send(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
        }

        private String exitCode() {
            try {
                return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }

        private static String orDash(String s) {
            return s == null || s.isEmpty() ? "-" : s;
        }
    }
}
