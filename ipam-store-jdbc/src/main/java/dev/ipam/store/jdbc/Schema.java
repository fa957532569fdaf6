package dev.ipam.store.jdbc;

import dev.ipam.StoreException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;

/**
 * The store's schema: the Flyway migrations shipped in this jar, per database, with Flyway's history in
 * {@value #HISTORY_TABLE}. Thread-safe static methods; they block while talking to the database.
 */
final class Schema {

    /** The schema version this jar reads and writes. */
    static final String VERSION = "1";

    /** Flyway's history table. */
    static final String HISTORY_TABLE = "ipam_schema_history";

    private Schema() {
    }

    /**
     * Applies the pending migrations (Flyway takes a database lock meanwhile, so instances opening at the
     * same time do not collide), then checks the version.
     *
     * @throws StoreException if migrating fails or the schema ends up at another version
     */
    static void migrate(DataSource dataSource, Dialect dialect) {
        Flyway flyway = flyway(dataSource, dialect);
        try {
            flyway.migrate();
        } catch (FlywayException e) {
            throw new StoreException("Cannot open the JDBC store: migrating the ipam schema to version " + VERSION
                    + " (" + dialect.location() + ") failed: " + e.getMessage(), e);
        }
        check(flyway, dialect);
    }

    /**
     * Checks, changing nothing, that the database holds the ipam schema at {@link #VERSION}.
     *
     * @throws StoreException naming the version found and the version expected otherwise
     */
    static void check(DataSource dataSource, Dialect dialect) {
        check(flyway(dataSource, dialect), dialect);
    }

    private static void check(Flyway flyway, Dialect dialect) {
        MigrationInfo current;
        try {
            current = flyway.info().current();
        } catch (FlywayException e) {
            throw new StoreException("Cannot open the JDBC store: reading the ipam schema version from "
                    + HISTORY_TABLE + " failed: " + e.getMessage(), e);
        }
        if (current == null || current.getVersion() == null) {
            throw new StoreException("Cannot open the JDBC store: the database has no ipam schema (no applied migration in "
                    + HISTORY_TABLE + "; version none) but this ipam-store-jdbc expects schema version " + VERSION
                    + "; open it with migrateOnOpen(true) or apply the migrations in " + dialect.location() + " first");
        }
        String found = current.getVersion().getVersion();
        if (current.getState().isFailed()) {
            throw new StoreException("Cannot open the JDBC store: the migration of the ipam schema to version " + found
                    + " failed (see " + HISTORY_TABLE + "); this ipam-store-jdbc expects schema version " + VERSION);
        }
        if (!VERSION.equals(found)) {
            throw new StoreException("Cannot open the JDBC store: the ipam schema is version " + found
                    + " but this ipam-store-jdbc expects schema version " + VERSION
                    + (newer(found) ? " (the schema was written by a newer version of the store)" : ""));
        }
    }

    private static boolean newer(String found) {
        try {
            return Long.parseLong(found) > Long.parseLong(VERSION);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Flyway flyway(DataSource dataSource, Dialect dialect) {
        return Flyway.configure(Schema.class.getClassLoader())
                .dataSource(dataSource)
                .table(HISTORY_TABLE)
                .locations(dialect.location())
                .failOnMissingLocations(true)
                .load();
    }
}
