package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.SqlErrors.SqlNull;
import dev.ipam.store.jdbc.SqlErrors.Statement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * One connection in use by one store operation: runs statements with positional parameters and
 * remembers the statement that is running, so that a failure can name it. Not thread-safe: one
 * operation, one thread.
 */
final class Tx {

    /** Rows per {@code executeBatch} call: bounds the driver's buffers for very large commits. */
    static final int BATCH_CHUNK = 2000;

    /** Reads the rows of a query. */
    @FunctionalInterface
    interface RowReader {
        void row(ResultSet rs) throws SQLException;
    }

    private final Connection connection;
    private Statement current;
    private boolean commitIssued;

    Tx(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    /** The statement that ran last (the failing one, after a failure), or null. */
    Statement current() {
        return current;
    }

    /** Whether {@link #commit()} was called: a failure after that leaves the outcome unknown. */
    boolean commitIssued() {
        return commitIssued;
    }

    void commit() throws SQLException {
        current = Statement.of("COMMIT");
        commitIssued = true;
        connection.commit();
    }

    /** Runs a query and hands every row to {@code reader}. */
    void query(String sql, RowReader reader, Object... params) throws SQLException {
        query(sql, 0, reader, params);
    }

    /** Runs a query with a fetch size (streaming where the driver supports it) and hands every row to {@code reader}. */
    void query(String sql, int fetchSize, RowReader reader, Object... params) throws SQLException {
        current = Statement.of(sql, params);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            if (fetchSize > 0) {
                ps.setFetchSize(fetchSize);
            }
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reader.row(rs);
                }
            }
        }
    }

    /** Runs an update and returns its row count. */
    int update(String sql, Object... params) throws SQLException {
        current = Statement.of(sql, params);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        }
    }

    /** Runs one statement for many rows with JDBC batching (in chunks of {@link #BATCH_CHUNK}). */
    void batch(String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int from = 0; from < rows.size(); from += BATCH_CHUNK) {
                List<Object[]> chunk = rows.subList(from, Math.min(rows.size(), from + BATCH_CHUNK));
                current = new Statement(sql, chunk);
                if (chunk.size() == 1) {
                    bind(ps, chunk.get(0));
                    ps.executeUpdate();
                    continue;
                }
                for (Object[] row : chunk) {
                    bind(ps, row);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            int index = i + 1;
            if (p instanceof Long l) {
                ps.setLong(index, l);
            } else if (p instanceof Integer n) {
                ps.setInt(index, n);
            } else if (p instanceof Short s) {
                ps.setShort(index, s);
            } else if (p instanceof String s) {
                ps.setString(index, s);
            } else if (p instanceof byte[] b) {
                ps.setBytes(index, b);
            } else if (p instanceof Boolean b) {
                ps.setBoolean(index, b);
            } else if (p instanceof SqlNull n) {
                ps.setNull(index, n.sqlType);
            } else {
                throw new IllegalArgumentException("Unsupported SQL parameter " + p + " at index " + index);
            }
        }
    }

    /** {@code ?, ?, ?} with {@code n} markers. */
    static String markers(int n) {
        StringBuilder b = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "?" : ", ?");
        }
        return b.toString();
    }

    /**
     * The size a list of {@code n} values is padded to (by repeating its last value) so that only a few
     * distinct statement texts exist: powers of two up to {@code max}.
     */
    static int paddedSize(int n, int max) {
        int size = 1;
        while (size < n && size < max) {
            size <<= 1;
        }
        return Math.min(size, max);
    }
}
