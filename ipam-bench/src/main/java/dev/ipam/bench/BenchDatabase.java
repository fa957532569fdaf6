package dev.ipam.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A new, empty schema (PostgreSQL) or database (MariaDB, MySQL) with a random name on a server,
 * dropped by {@link #close()}. Benchmarks use it so that runs never see each other's data.
 */
public final class BenchDatabase implements AutoCloseable {

    private final String baseUrl;
    private final String name;
    private final String url;

    private BenchDatabase(String baseUrl, String name, String url) {
        this.baseUrl = baseUrl;
        this.name = name;
        this.url = url;
    }

    /**
     * Creates the schema or database.
     *
     * @param baseUrl a JDBC URL of the server's existing database, user included
     * @throws IllegalArgumentException if the URL is neither PostgreSQL nor MariaDB/MySQL
     * @throws SQLException if the server refuses
     */
    public static BenchDatabase create(String baseUrl, String prefix) throws SQLException {
        String name = prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        String url;
        if (baseUrl.startsWith("jdbc:postgresql:")) {
            url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + name;
            execute(baseUrl, "CREATE SCHEMA " + name);
        } else if (baseUrl.startsWith("jdbc:mariadb:") || baseUrl.startsWith("jdbc:mysql:")) {
            int query = baseUrl.indexOf('?');
            String path = query < 0 ? baseUrl : baseUrl.substring(0, query);
            int slash = path.lastIndexOf('/');
            if (slash < "jdbc:mariadb://".length()) {
                throw new IllegalArgumentException("JDBC URL '" + baseUrl + "' names no database");
            }
            url = path.substring(0, slash + 1) + name + (query < 0 ? "" : baseUrl.substring(query));
            execute(baseUrl, "CREATE DATABASE " + name);
        } else {
            throw new IllegalArgumentException("JDBC URL '" + baseUrl + "' is neither PostgreSQL nor MariaDB");
        }
        return new BenchDatabase(baseUrl, name, url);
    }

    /** The JDBC URL of the new schema or database. */
    public String url() {
        return url;
    }

    /** A connection pool on the new schema or database. */
    public HikariDataSource dataSource(int maxConnections) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(maxConnections);
        return new HikariDataSource(config);
    }

    @Override
    public void close() throws SQLException {
        execute(baseUrl, (baseUrl.startsWith("jdbc:postgresql:") ? "DROP SCHEMA " + name + " CASCADE" : "DROP DATABASE " + name));
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
