package dev.ipam.store.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fresh, isolated databases for tests: an in-memory H2 database (PostgreSQL mode) always, a new
 * PostgreSQL schema or MariaDB database on the servers named by {@value #POSTGRES_URL} and
 * {@value #MARIADB_URL} (JDBC URLs with user and password as parameters, e.g.
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}) when they are set. Each fresh
 * database gets a random name, is reached through its own small HikariCP pool, and is dropped
 * after the test that created it (or after the test class, when created outside a test), so that
 * concurrent and earlier runs never interfere. Leftovers of killed runs older than six hours are
 * dropped when a server is first used.
 *
 * <p>A server whose variable is unset skips its tests (a JUnit assumption), unless the
 * environment variable {@code CI} is {@code true}: then it fails them. A server that is set but
 * unreachable fails them. Register it as a static extension:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final TestDatabases DATABASES = new TestDatabases();
 * ...
 * DataSource ds = DATABASES.freshDatabase(Vendor.POSTGRESQL);
 * </pre>
 *
 * Thread-safe.
 */
public final class TestDatabases implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    /** The environment variable with the PostgreSQL test server's JDBC URL. */
    public static final String POSTGRES_URL = "IPAM_TEST_POSTGRES_URL";
    /** The environment variable with the MariaDB test server's JDBC URL. */
    public static final String MARIADB_URL = "IPAM_TEST_MARIADB_URL";

    private static final String PREFIX = "ipam_t";
    private static final Duration STALE = Duration.ofHours(6);
    private static final Set<Vendor> SWEPT = EnumSet.noneOf(Vendor.class);

    /** The databases the tests run on. */
    public enum Vendor {
        H2(null), POSTGRESQL(POSTGRES_URL), MARIADB(MARIADB_URL);

        private final String variable;

        Vendor(String variable) {
            this.variable = variable;
        }

        /** The environment variable naming this vendor's server, or null for H2 (always available). */
        public String variable() {
            return variable;
        }
    }

    /** A database made by {@link #freshDatabase}: its pool and how to drop it. */
    private record Fresh(Vendor vendor, String name, HikariDataSource dataSource, boolean testScoped) {
    }

    private final List<Fresh> created = new ArrayList<>();
    private boolean inTest;

    /**
     * Skips the calling test (or fails it when {@code CI=true}) if {@code vendor}'s server is not
     * configured. H2 is always available.
     */
    public static void assumeConfigured(Vendor vendor) {
        if (vendor.variable() == null) {
            return;
        }
        String url = System.getenv(vendor.variable());
        if (url == null || url.isBlank()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(vendor + " tests cannot run: " + vendor.variable() + " is not set, and CI=true does not allow"
                        + " skipping them (set it to a JDBC URL such as "
                        + (vendor == Vendor.POSTGRESQL ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
                                : "jdbc:mariadb://127.0.0.1:3306/test?user=root") + ")");
            }
            Assumptions.abort(vendor.variable() + " is not set: " + vendor + " tests are skipped");
        }
    }

    /** Whether {@code vendor}'s server is configured (H2: always). */
    public static boolean isConfigured(Vendor vendor) {
        if (vendor.variable() == null) {
            return true;
        }
        String url = System.getenv(vendor.variable());
        return url != null && !url.isBlank();
    }

    /**
     * A HikariCP data source (READ COMMITTED, a few connections) on a new, empty database of
     * {@code vendor}: an H2 in-memory database, a PostgreSQL schema or a MariaDB database with a
     * random name. Skips or fails the test as {@link #assumeConfigured} does if the server is not
     * configured; fails it if the server cannot be reached.
     */
    public DataSource freshDatabase(Vendor vendor) {
        assumeConfigured(vendor);
        String name = PREFIX + Instant.now().getEpochSecond() + "_"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong() >>> 16, 36);
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(10_000);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        switch (vendor) {
            case H2 -> config.setJdbcUrl(h2Url(name));
            case POSTGRESQL -> {
                String url = System.getenv(vendor.variable());
                sweep(vendor, url);
                admin(vendor, url, "CREATE SCHEMA " + name);
                config.setJdbcUrl(url);
                config.setSchema(name);
            }
            case MARIADB -> {
                String url = System.getenv(vendor.variable());
                sweep(vendor, url);
                admin(vendor, url, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
                config.setJdbcUrl(url);
                config.setCatalog(name);
            }
            default -> throw new IllegalArgumentException("Unknown vendor " + vendor);
        }
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            drop(vendor, name);
            throw new AssertionError("Cannot open a connection pool on the fresh " + vendor + " database " + name + ": " + e, e);
        }
        synchronized (this) {
            created.add(new Fresh(vendor, name, dataSource, inTest));
        }
        return dataSource;
    }

    /** Closes the pools of and drops every database made by this fixture so far. */
    public void dropAll() {
        cleanUp(false);
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        inTest = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        synchronized (this) {
            inTest = false;
        }
        cleanUp(true);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        cleanUp(false);
    }

    private void cleanUp(boolean testScopedOnly) {
        List<Fresh> victims = new ArrayList<>();
        synchronized (this) {
            created.removeIf(f -> {
                if (testScopedOnly && !f.testScoped()) {
                    return false;
                }
                victims.add(f);
                return true;
            });
        }
        List<String> problems = new ArrayList<>();
        for (Fresh f : victims) {
            try {
                f.dataSource().close();
                drop(f.vendor(), f.name());
            } catch (RuntimeException e) {
                problems.add(f.vendor() + " " + f.name() + ": " + e);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("Dropping test databases failed: " + problems);
        }
    }

    private static String h2Url(String name) {
        return "jdbc:h2:mem:" + name + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
    }

    private static void drop(Vendor vendor, String name) {
        switch (vendor) {
            case H2 -> {
                try (Connection c = DriverManager.getConnection(h2Url(name)); Statement s = c.createStatement()) {
                    s.execute("SHUTDOWN");
                } catch (SQLException e) {
                    throw new IllegalStateException("Cannot shut down H2 database " + name + ": " + e.getMessage(), e);
                }
            }
            case POSTGRESQL -> admin(vendor, System.getenv(vendor.variable()), "DROP SCHEMA IF EXISTS " + name + " CASCADE");
            case MARIADB -> admin(vendor, System.getenv(vendor.variable()), "DROP DATABASE IF EXISTS " + name);
            default -> throw new IllegalArgumentException("Unknown vendor " + vendor);
        }
    }

    /** Runs one statement on an administrative connection (never printing the URL, which may hold a password). */
    private static void admin(Vendor vendor, String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError("The " + vendor + " server named by " + vendor.variable() + " failed '" + sql
                    + "' (is it running and reachable?): SQLSTATE " + e.getSQLState() + ": " + e.getMessage(), e);
        }
    }

    /** Drops databases of earlier runs that are older than {@link #STALE} (killed runs leave them behind). */
    private static void sweep(Vendor vendor, String url) {
        synchronized (SWEPT) {
            if (!SWEPT.add(vendor)) {
                return;
            }
        }
        List<String> stale = new ArrayList<>();
        long limit = Instant.now().minus(STALE).getEpochSecond();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT schema_name FROM information_schema.schemata")) {
            while (rs.next()) {
                String name = rs.getString(1).toLowerCase(java.util.Locale.ROOT);
                int underscore = name.indexOf('_', PREFIX.length());
                if (name.startsWith(PREFIX) && underscore > PREFIX.length()) {
                    try {
                        if (Long.parseLong(name.substring(PREFIX.length(), underscore)) < limit) {
                            stale.add(name);
                        }
                    } catch (NumberFormatException ignored) {
                        // not one of ours
                    }
                }
            }
        } catch (SQLException e) {
            throw new AssertionError("The " + vendor + " server named by " + vendor.variable()
                    + " cannot be reached (is it running?): SQLSTATE " + e.getSQLState() + ": " + e.getMessage(), e);
        }
        for (String name : stale) {
            try {
                drop(vendor, name);
            } catch (AssertionError | RuntimeException e) {
                // another run may be dropping it right now
            }
        }
    }
}
