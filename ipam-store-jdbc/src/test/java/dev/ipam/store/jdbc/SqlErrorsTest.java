package dev.ipam.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.StoreException;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.store.jdbc.SqlErrors.Kind;
import dev.ipam.store.jdbc.SqlErrors.SqlNull;
import dev.ipam.store.jdbc.SqlErrors.Statement;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SQLSTATE classes and vendor codes map to conflicts, retries, connection failures and other failures. */
class SqlErrorsTest {

    @ParameterizedTest(name = "SQLSTATE {0}, error {1} -> {2}")
    @CsvSource({
        "23505, 0, CONFLICT",        // PostgreSQL unique violation
        "23000, 1062, CONFLICT",     // MariaDB duplicate key
        "23503, 0, CONFLICT",        // foreign key violation: any class 23
        "40001, 0, RETRY",           // serialization failure
        "40001, 1213, RETRY",        // MariaDB deadlock
        "40P01, 0, RETRY",           // PostgreSQL deadlock
        "55P03, 0, RETRY",           // PostgreSQL lock not available
        "HYT00, 50200, RETRY",       // H2 lock timeout
        "HY000, 1205, RETRY",        // MariaDB lock wait timeout
        "HY000, 1213, RETRY",        // MariaDB deadlock reported with a generic state
        "08006, 0, CONNECTION",      // PostgreSQL connection failure
        "08S01, 0, CONNECTION",      // MariaDB communication link failure
        "08001, 0, CONNECTION",      // cannot establish a connection
        "42P01, 0, OTHER",           // undefined table
        "22001, 0, OTHER",           // value too long
        "HY000, 1064, OTHER",        // MariaDB syntax error
    })
    void sqlStatesAndVendorCodesAreClassified(String state, int code, Kind expected) {
        assertThat(SqlErrors.classify(new SQLException("boom", state, code))).isEqualTo(expected);
    }

    @Test
    void missingStatesAreOtherUnlessTheTypeSaysConnection() {
        assertThat(SqlErrors.classify(new SQLException("no state"))).isEqualTo(Kind.OTHER);
        assertThat(SqlErrors.classify(new SQLException("short", "2"))).isEqualTo(Kind.OTHER);
        assertThat(SqlErrors.classify(new SQLTransientConnectionException("pool timed out"))).isEqualTo(Kind.CONNECTION);
    }

    @Test
    void theFirstMeaningfulStateInTheChainCounts() {
        SQLException wrapped = new SQLException("wrapper", "HY000", new SQLException("deadlock", "40P01"));
        assertThat(SqlErrors.classify(wrapped)).isEqualTo(Kind.RETRY);
        SQLException batch = new BatchUpdateException("batch failed", "HY000", 0, new int[0]);
        batch.setNextException(new SQLException("duplicate key", "23505"));
        assertThat(SqlErrors.classify(batch)).isEqualTo(Kind.CONFLICT);
    }

    @Test
    void integrityViolationsBecomeConcurrentChangeExceptionsNamingTheStatement() {
        SQLException e = new SQLIntegrityConstraintViolationException("duplicate key value violates unique constraint", "23505");
        Statement statement = Statement.of("INSERT INTO ipam_env_key (pool, environment, name, family, addr) VALUES (?, ?, ?, ?, ?)",
                "dmz-east", "prod", "it's web_1", (short) 4, new byte[] {10, 20, 0, 5});
        StoreException failure = SqlErrors.translate("Commit of 2 changes", e, statement, 1);
        assertThat(failure).isInstanceOf(ConcurrentChangeException.class).hasCause(e);
        assertThat(failure.getMessage()).contains("Commit of 2 changes failed", "SQLSTATE 23505",
                "duplicate key value violates unique constraint", "INSERT INTO ipam_env_key",
                "['dmz-east', 'prod', 'it''s web_1', 4, 0x0a140005]");
    }

    @Test
    void retriesExhaustedAndConnectionFailuresBecomeStoreExceptions() {
        StoreException deadlock = SqlErrors.translate("Commit of 1 change", new SQLException("deadlock detected", "40P01"),
                Statement.of("SELECT last_seq FROM ipam_head WHERE id = 1 FOR UPDATE"), 5);
        assertThat(deadlock).isNotInstanceOf(ConcurrentChangeException.class);
        assertThat(deadlock.getMessage()).contains("after 5 attempts", "40P01", "FOR UPDATE");
        SQLException lost = new SQLException("An I/O error occurred while sending to the backend", "08006");
        StoreException connection = SqlErrors.translate("Reading the journal", lost, null, 1);
        assertThat(connection).isNotInstanceOf(ConcurrentChangeException.class).hasCause(lost);
        assertThat(connection.getMessage()).contains("Reading the journal failed: connection failure", "08006");
        StoreException other = SqlErrors.translate("Pruning", new SQLException("relation does not exist", "42P01"),
                Statement.of("DELETE FROM ipam_journal WHERE seq <= ?", 7L), 1);
        assertThat(other.getMessage()).contains("Pruning failed: SQLSTATE 42P01", "DELETE FROM ipam_journal", "[7]");
    }

    @Test
    void batchesNameTheFailingRowAndLongValuesAreShortened() {
        List<Object[]> rows = List.of(new Object[] {"a", 1L, SqlNull.BINARY}, new Object[] {"b", 2L, new byte[40]},
                new Object[] {"x".repeat(500), 3L, null});
        Statement statement = new Statement("INSERT INTO t VALUES (?, ?, ?)", rows);
        BatchUpdateException e = new BatchUpdateException("row 2 failed", "23505", 0, new int[] {1});
        String message = SqlErrors.translate("Commit", e, statement, 1).getMessage();
        assertThat(message).contains("batch of 3 rows; failing row 2: ['b', 2, <40 bytes>]");
        BatchUpdateException unknownRow = new BatchUpdateException("failed", "23505", 0,
                new int[] {1, java.sql.Statement.EXECUTE_FAILED, 1});
        assertThat(SqlErrors.translate("Commit", unknownRow, statement, 1).getMessage()).contains("failing row 2");
        assertThat(statement.describe(2)).contains("'" + "x".repeat(120) + "...'", "NULL").doesNotContain("x".repeat(121));
        assertThat(statement.describe(-1)).contains("first row 1: ['a', 1, NULL]");
    }
}
