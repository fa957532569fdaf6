package dev.ipam.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Allocation;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import dev.ipam.store.jdbc.TestDatabases.Vendor;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failures the database reports at the worst moments, injected between the store and a real H2
 * database: deadlocks are retried, integrity violations are conflicts, and a connection lost during
 * COMMIT is resolved by looking at the journal.
 */
class FaultInjectionTest {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    private static final Instant T0 = Instant.parse("2030-03-01T10:00:00Z");

    private DataSource real;
    /** Decides, per statement execution (SQL text, execution count of that text), whether to throw. */
    private volatile BiFunction<String, Integer, SQLException> statementFault = (sql, n) -> null;
    /** Decides whether COMMIT throws: "before" (rolled back) or "after" (took effect), or null. */
    private volatile String commitFault;
    private final java.util.Map<String, AtomicInteger> executions = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void database() {
        real = DATABASES.freshDatabase(Vendor.H2);
    }

    private static Change.Allocated allocated(String address, String owner) {
        return new Change.Allocated(new Allocation("p", IpAddress.parse(address), owner, null, null, null, null,
                T0.plusSeconds(1), "heat"));
    }

    private JdbcStore openFaulty() {
        JdbcStore store = JdbcStore.open(new Faulty());
        store.commitShared(List.of(new Change.PoolCreated(PoolSpec.builder("p", Scope.of("east", "dmz"))
                .cidr("10.0.0.0/24").build(), T0, "admin")), 0);
        return store;
    }

    @Test
    void deadlocksAndSerializationFailuresAreRetried() {
        try (JdbcStore store = openFaulty()) {
            statementFault = (sql, n) -> sql.contains("FOR UPDATE") && n <= 2
                    ? new SQLException(n == 1 ? "deadlock detected" : "could not serialize access", n == 1 ? "40P01" : "40001")
                    : null;
            assertThat(store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1)).isEqualTo(2);
            assertThat(executions.get(forUpdate()).get()).isEqualTo(3);
            assertThat(store.readJournal(1, 10)).extracting(JournalEntry::sequence).containsExactly(1L, 2L);
        }
    }

    @Test
    void retriesAreBoundedAndThenFail() {
        try (JdbcStore store = openFaulty()) {
            int before = executions.get(forUpdate()).get();
            statementFault = (sql, n) -> sql.contains("FOR UPDATE") ? new SQLException("Lock wait timeout exceeded",
                    "HY000", 1205) : null;
            assertThatThrownBy(() -> store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1))
                    .isInstanceOf(StoreException.class).isNotInstanceOf(ConcurrentChangeException.class)
                    .hasMessageContainingAll("after " + JdbcStore.MAX_ATTEMPTS + " attempts", "1205", "FOR UPDATE");
            assertThat(executions.get(forUpdate()).get() - before).isEqualTo(JdbcStore.MAX_ATTEMPTS);
            statementFault = (sql, n) -> null;
            assertThat(store.readJournal(1, 10)).hasSize(1);
        }
    }

    @Test
    void anIntegrityViolationIsAConflictAndNothingIsApplied() {
        try (JdbcStore store = openFaulty()) {
            statementFault = (sql, n) -> sql.startsWith("INSERT INTO ipam_journal") && n == 2
                    ? new SQLException("duplicate key value violates unique constraint", "23505") : null;
            assertThatThrownBy(() -> store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1))
                    .isInstanceOf(ConcurrentChangeException.class)
                    .hasMessageContainingAll("23505", "INSERT INTO ipam_journal", "[2, 'p', 4, 0x0a000001");
            statementFault = (sql, n) -> null;
            assertThat(store.readJournal(1, 10)).hasSize(1);
            assertThat(store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1)).isEqualTo(2);
        }
    }

    @Test
    void aConnectionLostDuringACommitThatTookEffectIsAcknowledged() {
        try (JdbcStore store = openFaulty()) {
            commitFault = "after";
            assertThat(store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1)).isEqualTo(2);
            commitFault = null;
            assertThat(store.readJournal(1, 10)).hasSize(2);
        }
    }

    @Test
    void aConnectionLostDuringACommitThatDidNotTakeEffectFails() {
        try (JdbcStore store = openFaulty()) {
            commitFault = "before";
            assertThatThrownBy(() -> store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1))
                    .isInstanceOf(StoreException.class).hasMessageContainingAll("connection failure", "08006", "COMMIT");
            commitFault = null;
            assertThat(store.readJournal(1, 10)).hasSize(1);
            assertThat(store.commitShared(List.of(allocated("10.0.0.1", "vm-1")), 1)).isEqualTo(2);
        }
    }

    private String forUpdate() {
        return executions.keySet().stream().filter(s -> s.contains("FOR UPDATE")).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ the faulty data source

    private Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private Connection connection(Connection delegate) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("prepareStatement") && args != null && args.length == 1 && args[0] instanceof String sql) {
                return statement((PreparedStatement) invoke(delegate, m, args), sql);
            }
            if (m.getName().equals("commit") && commitFault != null) {
                if (commitFault.equals("after")) {
                    delegate.commit();
                } else {
                    delegate.rollback();
                }
                throw new SQLException("An I/O error occurred while sending to the backend", "08006");
            }
            return invoke(delegate, m, args);
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private PreparedStatement statement(PreparedStatement delegate, String sql) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().startsWith("execute")) {
                int n = executions.computeIfAbsent(sql, k -> new AtomicInteger()).incrementAndGet();
                SQLException fault = statementFault.apply(sql, n);
                if (fault != null) {
                    throw fault;
                }
            }
            return invoke(delegate, m, args);
        };
        return (PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
    }

    /** The real data source with faults injected into its connections. */
    private final class Faulty implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connection(real.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return connection(real.getConnection(username, password));
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return real.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            real.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            real.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return real.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return real.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return real.isWrapperFor(iface);
        }
    }
}
