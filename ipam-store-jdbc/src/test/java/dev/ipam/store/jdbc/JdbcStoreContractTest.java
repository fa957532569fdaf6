package dev.ipam.store.jdbc;

import dev.ipam.spi.IpamStore;
import dev.ipam.store.jdbc.TestDatabases.Vendor;
import dev.ipam.testkit.IpamStoreContract;
import java.util.IdentityHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * JdbcStore runs the whole store contract on one database vendor, each store on a fresh database;
 * a restart opens a new JdbcStore on the same data source.
 */
abstract class JdbcStoreContractTest extends IpamStoreContract {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    private final Map<IpamStore, DataSource> dataSources = new IdentityHashMap<>();

    /** The database this class runs on. */
    abstract Vendor vendor();

    @BeforeEach
    void requireDatabase() {
        TestDatabases.assumeConfigured(vendor());
    }

    @Override
    protected IpamStore openFresh() {
        DataSource ds = DATABASES.freshDatabase(vendor());
        return remember(JdbcStore.open(ds), ds);
    }

    @Override
    protected IpamStore reopen(IpamStore closed) {
        DataSource ds;
        synchronized (dataSources) {
            ds = dataSources.get(closed);
        }
        return remember(JdbcStore.open(ds), ds);
    }

    private IpamStore remember(IpamStore store, DataSource ds) {
        synchronized (dataSources) {
            dataSources.put(store, ds);
        }
        return store;
    }
}
