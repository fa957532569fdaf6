package dev.ipam.store.jdbc;

import dev.ipam.StoreException;
import dev.ipam.spi.ConcurrentChangeException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.HexFormat;
import java.util.List;

/**
 * Maps {@link SQLException}s to what the store does about them, by SQLSTATE class (the way HikariCP
 * classifies connection errors) plus the few vendor codes that need it. Thread-safe static methods.
 *
 * <ul>
 *   <li>class {@code 23} (integrity constraint violation): another instance took the same key or
 *       address first: {@link ConcurrentChangeException};</li>
 *   <li>{@code 40001} (serialization failure), {@code 40P01} (PostgreSQL deadlock), {@code 55P03}
 *       (PostgreSQL lock not available), {@code HYT00} (H2 lock timeout), MariaDB error 1213
 *       (deadlock) and 1205 (lock wait timeout): the transaction is retried;</li>
 *   <li>class {@code 08} (connection exception) and the JDBC connection exception types: a
 *       {@link StoreException} saying "connection failure";</li>
 *   <li>anything else: a {@link StoreException}.</li>
 * </ul>
 * Messages name the operation, the SQLSTATE, the driver's message and the failing statement with its
 * parameters (never the JDBC URL or credentials, which the store never sees).
 */
final class SqlErrors {

    /** What a failure means for the store. */
    enum Kind {
        /** A uniqueness or other integrity rule refused the change. */
        CONFLICT,
        /** A deadlock, serialization failure or lock timeout: running the transaction again may succeed. */
        RETRY,
        /** The connection to the database failed. */
        CONNECTION,
        /** Anything else. */
        OTHER
    }

    private static final int MARIADB_DEADLOCK = 1213;
    private static final int MARIADB_LOCK_WAIT_TIMEOUT = 1205;
    private static final int MAX_TEXT = 120;

    private SqlErrors() {
    }

    /** Classifies a failure by the first SQLSTATE or vendor code in its chain that means something. */
    static Kind classify(SQLException e) {
        for (SQLException s : chain(e)) {
            Kind k = classifyOne(s);
            if (k != Kind.OTHER) {
                return k;
            }
        }
        return Kind.OTHER;
    }

    private static Kind classifyOne(SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.length() >= 2) {
            String cls = state.substring(0, 2);
            if (cls.equals("23")) {
                return Kind.CONFLICT;
            }
            if (state.equals("40001") || state.equals("40P01") || state.equals("55P03") || state.equals("HYT00")) {
                return Kind.RETRY;
            }
            if (cls.equals("08")) {
                return Kind.CONNECTION;
            }
        }
        if (e.getErrorCode() == MARIADB_DEADLOCK || e.getErrorCode() == MARIADB_LOCK_WAIT_TIMEOUT) {
            return Kind.RETRY;
        }
        if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException) {
            return Kind.CONNECTION;
        }
        return Kind.OTHER;
    }

    /** The exception itself, its next exceptions and the SQLExceptions among its causes, at most 10. */
    private static List<SQLException> chain(SQLException e) {
        java.util.ArrayList<SQLException> list = new java.util.ArrayList<>();
        Throwable t = e;
        while (t != null && list.size() < 10) {
            if (t instanceof SQLException s) {
                list.add(s);
                SQLException next = s.getNextException();
                if (next != null && next != t.getCause() && list.size() < 10) {
                    list.add(next);
                }
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        return list;
    }

    /**
     * The store's exception for a failure.
     *
     * @param operation what the store was doing, e.g. "commit of 3 changes"
     * @param statement the failing statement and its parameters, or null if it is not known
     * @param attempts how many times the transaction was tried
     */
    static StoreException translate(String operation, SQLException e, Statement statement, int attempts) {
        Kind kind = classify(e);
        StringBuilder m = new StringBuilder();
        m.append(operation).append(" failed");
        switch (kind) {
            case CONFLICT -> m.append(": another instance changed the same key or address first (integrity violation)");
            case RETRY -> m.append(" after ").append(attempts).append(attempts == 1 ? " attempt" : " attempts")
                    .append(" (deadlock, serialization failure or lock timeout)");
            case CONNECTION -> m.append(": connection failure");
            default -> {
            }
        }
        m.append(": SQLSTATE ").append(e.getSQLState());
        if (e.getErrorCode() != 0) {
            m.append(", error ").append(e.getErrorCode());
        }
        m.append(": ").append(e.getMessage());
        if (statement != null) {
            m.append("; statement: ").append(statement.describe(failedRow(e)));
        }
        String message = m.toString();
        return kind == Kind.CONFLICT ? new ConcurrentChangeException(message, e) : new StoreException(message, e);
    }

    /** The index of the failing row of a batch, or -1 if it cannot be told. */
    private static int failedRow(SQLException e) {
        if (e instanceof BatchUpdateException b && b.getUpdateCounts() != null) {
            int[] counts = b.getUpdateCounts();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == java.sql.Statement.EXECUTE_FAILED) {
                    return i;
                }
            }
            return counts.length;
        }
        return -1;
    }

    /**
     * A statement as it was executed: its SQL and its parameters (one row, or the rows of a batch), for
     * error messages.
     */
    record Statement(String sql, List<Object[]> rows) {

        Statement {
            rows = List.copyOf(rows);
        }

        static Statement of(String sql, Object... params) {
            return new Statement(sql, List.<Object[]>of(params.clone()));
        }

        /** The SQL and the parameters of the given row (or of the first, if unknown). */
        String describe(int failedRow) {
            StringBuilder b = new StringBuilder(sql);
            if (rows.isEmpty()) {
                return b.toString();
            }
            int row = failedRow >= 0 && failedRow < rows.size() ? failedRow : 0;
            if (rows.size() > 1) {
                b.append(" (batch of ").append(rows.size()).append(" rows; ")
                        .append(failedRow >= 0 && failedRow < rows.size() ? "failing" : "first").append(" row ")
                        .append(row + 1).append(": ");
            } else {
                b.append(" with ");
            }
            b.append(params(rows.get(row)));
            if (rows.size() > 1) {
                b.append(')');
            }
            return b.toString();
        }

        static String params(Object[] params) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < params.length; i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(param(params[i]));
            }
            return b.append(']').toString();
        }

        private static String param(Object p) {
            if (p == null || p instanceof SqlNull) {
                return "NULL";
            }
            if (p instanceof byte[] bytes) {
                return bytes.length <= 16 ? "0x" + HexFormat.of().formatHex(bytes) : "<" + bytes.length + " bytes>";
            }
            if (p instanceof String s) {
                String shown = s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) + "..." : s;
                return "'" + shown.replace("'", "''") + "'";
            }
            return String.valueOf(p);
        }
    }

    /** A typed SQL NULL parameter. */
    enum SqlNull {
        TEXT(java.sql.Types.VARCHAR), BINARY(java.sql.Types.VARBINARY), SMALLINT(java.sql.Types.SMALLINT);

        final int sqlType;

        SqlNull(int sqlType) {
            this.sqlType = sqlType;
        }
    }
}
