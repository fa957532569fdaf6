package dev.ipam.bench.scenario;

import dev.ipam.bench.Scenario;
import dev.ipam.bench.ScenarioOptions;
import dev.ipam.bench.ScenarioResult;
import dev.ipam.bench.UsageException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Baseline for comparison, not a measurement of this library: how an IPAM that keeps one database
 * row per used address (as NetBox and phpIPAM do) finds the first free address of a pool in
 * PostgreSQL.
 *
 * <p>For each count in {@code --used}, in a new schema with a random name (dropped at the end):
 * <ol>
 *   <li>create {@code ip_address(pool_id int, address bigint, primary key (pool_id, address))};
 *   <li>fill it with COPY: pool 1 (10.0.0.0/8) uses 10.0.0.1 up to 10.0.0.0 + used, so the first
 *       free address is right after the last used one and a gap query walks every row;
 *   <li>{@code VACUUM ANALYZE}, so the primary key answers with index-only scans;
 *   <li>time two gap queries, alternating, {@code --queries} times each after a short warm-up:
 *       the window query ({@code lead() over (order by address)}) and the {@code NOT EXISTS}
 *       self-join (address + 1 absent). The faster median is reported as the query figure;
 *   <li>time the allocate transaction {@code --queries} times: the faster gap query, an
 *       {@code INSERT} of the address found and {@code COMMIT}, one after the other on one
 *       connection. Each allocation takes the address right after the last used one, so each
 *       query walks one row more than the one before ({@code used} + at most
 *       {@code --queries} + 5 rows).
 * </ol>
 * No row lock serialises allocators here (single thread); a concurrent-safe version needs one (or
 * retries on a primary key conflict), which only adds to these times.
 *
 * <p>Latencies are wall-clock times around the JDBC calls, on one connection, including the round
 * trips to the server.
 */
public final class GapQueryBaselineScenario implements Scenario {

    public static final String NAME = "gap-query-baseline";

    static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    /** 10.0.0.0, the network address of the /8 pool, as an unsigned 32-bit number. */
    static final long POOL_BASE = 10L << 24;

    /** Usable addresses of a /8 (network and broadcast address excluded). */
    static final long POOL_USABLE = (1L << 24) - 2;

    static final int POOL_ID = 1;

    /** Unmeasured runs of each query (and allocations) before measuring. */
    static final int WARMUP = 5;

    /** The window-function gap query: the row after which the next address is not used. */
    static final String WINDOW_QUERY = "SELECT a + 1 FROM (SELECT address AS a, lead(address) OVER (ORDER BY address) AS n"
            + " FROM %s.ip_address WHERE pool_id = ?) t WHERE n IS NULL OR n > a + 1 ORDER BY a LIMIT 1";

    /** The anti-join gap query: the lowest used address whose successor is not used. */
    static final String NOT_EXISTS_QUERY = "SELECT a.address + 1 FROM %s.ip_address a WHERE a.pool_id = ?"
            + " AND NOT EXISTS (SELECT 1 FROM %s.ip_address b WHERE b.pool_id = a.pool_id AND b.address = a.address + 1)"
            + " ORDER BY a.address LIMIT 1";

    /** The two gap queries, by the name used in the figures. */
    enum Variant {
        WINDOW("window", WINDOW_QUERY),
        NOT_EXISTS("not_exists", NOT_EXISTS_QUERY);

        final String key;
        final String template;

        Variant(String key, String template) {
            this.key = key;
            this.template = template;
        }

        String sql(String schema) {
            return template.replace("%s", schema);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "baseline: first-free-address gap query and allocate transaction in a row-per-address PostgreSQL table";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                new OptionSpec("url", DEFAULT_URL, "JDBC URL of the PostgreSQL database (a schema is created and dropped in it)"),
                new OptionSpec("used", "10000,100000,1000000", "comma-separated counts of used addresses, one table each"),
                new OptionSpec("queries", "200", "measured runs of each gap query, and allocate transactions, per count"));
    }

    @Override
    public ScenarioResult run(ScenarioOptions o, PrintStream log) throws Exception {
        String url = checkUrl(o.string("url"));
        int queries = o.intValue("queries", 1, 1_000_000);
        List<Long> usedCounts = parseUsed(o.string("used"), queries);

        ScenarioResult result = new ScenarioResult(NAME)
                .parameter("database", "postgresql")
                .parameter("url", redact(url))
                .parameter("table", "ip_address(pool_id int, address bigint, primary key (pool_id, address))")
                .parameter("pool", "10.0.0.0/8")
                .parameter("used", usedCounts)
                .parameter("queries", queries)
                .parameter("warmup", WARMUP)
                .parameter("started_utc", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                .parameter("java", System.getProperty("java.version"))
                .parameter("cpus", Runtime.getRuntime().availableProcessors());

        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(true);
            result.parameter("server_version", c.getMetaData().getDatabaseProductVersion());
            for (String setting : List.of("shared_buffers", "synchronous_commit", "fsync", "jit")) {
                result.parameter("server_" + setting, show(c, setting));
            }
            for (long used : usedCounts) {
                runOne(c, used, queries, result, log);
            }
        }
        return result;
    }

    private void runOne(Connection c, long used, int queries, ScenarioResult result, PrintStream log) throws SQLException {
        String schema = "ipam_gap_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        String prefix = "used_" + used + "_";
        log.printf(Locale.ROOT, "[%s] used=%,d: schema %s, load %s%n", NAME, used, schema, loadAverage());
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        try {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE " + schema + ".ip_address (pool_id int NOT NULL, address bigint NOT NULL,"
                        + " PRIMARY KEY (pool_id, address))");
            }
            long t0 = System.nanoTime();
            copyFill(c, schema, used);
            double fillSeconds = (System.nanoTime() - t0) / 1e9;
            try (Statement st = c.createStatement()) {
                st.execute("VACUUM ANALYZE " + schema + ".ip_address");
            }
            long tableBytes;
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_total_relation_size('" + schema + ".ip_address')")) {
                rs.next();
                tableBytes = rs.getLong(1);
            }
            log.printf(Locale.ROOT, "[%s] used=%,d: filled in %.2f s (%,.0f rows/s), table with index %,d bytes%n",
                    NAME, used, fillSeconds, used / fillSeconds, tableBytes);

            long expected = POOL_BASE + used + 1;
            long[][] nanos = new long[Variant.values().length][queries];
            try (PreparedStatement window = c.prepareStatement(Variant.WINDOW.sql(schema));
                    PreparedStatement notExists = c.prepareStatement(Variant.NOT_EXISTS.sql(schema))) {
                PreparedStatement[] statements = {window, notExists};
                for (int i = 0; i < WARMUP; i++) {
                    for (PreparedStatement ps : statements) {
                        check(firstFree(ps), expected, "warm-up");
                    }
                }
                for (int i = 0; i < queries; i++) {
                    for (int v = 0; v < statements.length; v++) {
                        // Alternate the order so neither query always runs right after the other.
                        int k = (i + v) % statements.length;
                        long q0 = System.nanoTime();
                        long found = firstFree(statements[k]);
                        nanos[k][i] = System.nanoTime() - q0;
                        check(found, expected, Variant.values()[k].key);
                    }
                }
            }
            Variant best = null;
            double bestMedian = Double.MAX_VALUE;
            for (Variant v : Variant.values()) {
                long[] sorted = nanos[v.ordinal()].clone();
                Arrays.sort(sorted);
                double median = AllocateThroughputScenario.percentile(sorted, 0.50) / 1e3;
                result.figure(prefix + v.key + "_median_us", median)
                        .figure(prefix + v.key + "_p99_us", AllocateThroughputScenario.percentile(sorted, 0.99) / 1e3);
                log.printf(Locale.ROOT, "[%s] used=%,d: %s query median %.0f µs%n", NAME, used, v.key, median);
                if (median < bestMedian) {
                    bestMedian = median;
                    best = v;
                }
            }
            long[] query = nanos[best.ordinal()].clone();
            Arrays.sort(query);

            long[] allocate = new long[queries];
            double allocateSeconds = allocateLoop(c, schema, best, expected, allocate);
            Arrays.sort(allocate);
            log.printf(Locale.ROOT, "[%s] used=%,d: allocate (%s) median %.0f µs, %.1f allocations/s%n", NAME, used,
                    best.key, AllocateThroughputScenario.percentile(allocate, 0.50) / 1e3, queries / allocateSeconds);

            result.figure(prefix + "fill_s", fillSeconds)
                    .figure(prefix + "fill_rows_per_sec", used / fillSeconds)
                    .figure(prefix + "table_bytes", tableBytes)
                    .figure(prefix + "query_variant", best.key)
                    .figure(prefix + "query_median_us", AllocateThroughputScenario.percentile(query, 0.50) / 1e3)
                    .figure(prefix + "query_p99_us", AllocateThroughputScenario.percentile(query, 0.99) / 1e3)
                    .figure(prefix + "allocate_median_us", AllocateThroughputScenario.percentile(allocate, 0.50) / 1e3)
                    .figure(prefix + "allocate_p99_us", AllocateThroughputScenario.percentile(allocate, 0.99) / 1e3)
                    .figure(prefix + "allocations_per_sec", queries / allocateSeconds);
        } finally {
            dropSchema(c, schema, log);
        }
    }

    /**
     * Runs {@link #WARMUP} unmeasured, then {@code nanos.length} measured allocate transactions
     * (gap query, insert, commit) and returns the measured loop's wall time in seconds.
     */
    private static double allocateLoop(Connection c, String schema, Variant variant, long firstExpected, long[] nanos)
            throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement query = c.prepareStatement(variant.sql(schema));
                PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO " + schema + ".ip_address (pool_id, address) VALUES (?, ?)")) {
            long expected = firstExpected;
            for (int i = 0; i < WARMUP; i++) {
                allocateOnce(c, query, insert, expected++);
            }
            long start = System.nanoTime();
            long t0 = start;
            for (int i = 0; i < nanos.length; i++) {
                allocateOnce(c, query, insert, expected++);
                long t1 = System.nanoTime();
                nanos[i] = t1 - t0;
                t0 = t1;
            }
            return (t0 - start) / 1e9;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void allocateOnce(Connection c, PreparedStatement query, PreparedStatement insert, long expected)
            throws SQLException {
        long address = firstFree(query);
        check(address, expected, "allocate");
        insert.setInt(1, POOL_ID);
        insert.setLong(2, address);
        insert.executeUpdate();
        c.commit();
    }

    private static long firstFree(PreparedStatement ps) throws SQLException {
        ps.setInt(1, POOL_ID);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("The gap query found no free address");
            }
            return rs.getLong(1);
        }
    }

    private static void check(long found, long expected, String what) {
        if (found != expected) {
            throw new IllegalStateException("The " + what + " gap query returned " + ipv4(found) + ", expected "
                    + ipv4(expected));
        }
    }

    /** Loads addresses 10.0.0.1 .. 10.0.0.0 + used into pool {@link #POOL_ID} with COPY (text format). */
    private static void copyFill(Connection c, String schema, long used) throws SQLException {
        CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + schema + ".ip_address (pool_id, address) FROM STDIN");
        try {
            StringBuilder chunk = new StringBuilder(1 << 17);
            String pool = POOL_ID + "\t";
            for (long i = 1; i <= used; i++) {
                chunk.append(pool).append(POOL_BASE + i).append('\n');
                if (chunk.length() >= (1 << 16) || i == used) {
                    byte[] bytes = chunk.toString().getBytes(StandardCharsets.US_ASCII);
                    copy.writeToCopy(bytes, 0, bytes.length);
                    chunk.setLength(0);
                }
            }
            long rows = copy.endCopy();
            if (rows != used) {
                throw new IllegalStateException("COPY loaded " + rows + " rows, expected " + used);
            }
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private static void dropSchema(Connection c, String schema, PrintStream log) {
        try (Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            log.printf("[%s] could not drop schema %s: %s%n", NAME, schema, e);
        }
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + setting)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * The comma-separated used counts: each at least 1, distinct, and leaving room in the /8 for
     * the allocations the scenario adds.
     *
     * @throws UsageException naming the bad value
     */
    static List<Long> parseUsed(String text, int queries) {
        long max = POOL_USABLE - queries - WARMUP - 1;
        Set<Long> counts = new LinkedHashSet<>();
        for (String part : text.split(",", -1)) {
            String p = part.trim().replace("_", "");
            long n;
            try {
                n = Long.parseLong(p);
            } catch (NumberFormatException e) {
                throw new UsageException("Option --used needs comma-separated whole numbers, got '" + text + "'");
            }
            if (n < 1 || n > max) {
                throw new UsageException("Option --used: each count must be between 1 and " + max
                        + " (a /8 pool, with room for the allocations), got " + n);
            }
            if (!counts.add(n)) {
                throw new UsageException("Option --used lists " + n + " twice");
            }
        }
        return new ArrayList<>(counts);
    }

    /** The URL if it is a PostgreSQL JDBC URL. */
    static String checkUrl(String url) {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new UsageException("Option --url needs a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db?user=...),"
                    + " got '" + redact(url) + "'");
        }
        return url;
    }

    /** The URL with any password value replaced, for printing. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("//[^/@]*:[^/@]*@", "//***@");
    }

    static String ipv4(long a) {
        return ((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
    }

    private static String loadAverage() {
        try {
            String s = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")),
                    StandardCharsets.US_ASCII);
            return s.split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
