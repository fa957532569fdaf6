package dev.ipam.store.jdbc;

import dev.ipam.StoreException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/** The databases the store supports and what differs between them. Immutable. */
enum Dialect {

    POSTGRESQL("postgresql", Connection.TRANSACTION_REPEATABLE_READ),
    MARIADB("mariadb", Connection.TRANSACTION_REPEATABLE_READ),
    H2("h2", Connection.TRANSACTION_SERIALIZABLE);

    /** The folder of this database's migrations under {@link #MIGRATIONS}. */
    final String folder;
    /** The isolation level of a {@code load()} snapshot: one consistent view for all its statements. */
    final int snapshotIsolation;

    /** Where the migrations are, per database. */
    static final String MIGRATIONS = "dev/ipam/store/jdbc/migration/";

    Dialect(String folder, int snapshotIsolation) {
        this.folder = folder;
        this.snapshotIsolation = snapshotIsolation;
    }

    /** The Flyway location of this database's migrations. */
    String location() {
        return "classpath:" + MIGRATIONS + folder;
    }

    /**
     * The dialect of the database a connection talks to.
     *
     * @throws StoreException naming the product if it is none of PostgreSQL, MariaDB and H2
     */
    static Dialect of(Connection connection) throws SQLException {
        DatabaseMetaData md = connection.getMetaData();
        String product = String.valueOf(md.getDatabaseProductName());
        String version = String.valueOf(md.getDatabaseProductVersion());
        String p = product.toLowerCase(Locale.ROOT);
        if (p.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (p.contains("mariadb") || (p.contains("mysql") && version.toLowerCase(Locale.ROOT).contains("mariadb"))) {
            return MARIADB;
        }
        if (p.equals("h2")) {
            return H2;
        }
        throw new StoreException("Unsupported database '" + product + " " + version
                + "': the JDBC store supports PostgreSQL, MariaDB and H2");
    }
}
