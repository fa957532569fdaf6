package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;
import dev.ipam.testkit.SharedStoreContract;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several library instances on one database of a vendor, each with its own JdbcStore object (and,
 * here, one shared connection pool): the whole shared-store contract.
 */
abstract class JdbcSharedStoreContractTest extends SharedStoreContract {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    /** The database this class runs on. */
    abstract Vendor vendor();

    @BeforeEach
    void requireDatabase() {
        TestDatabases.assumeConfigured(vendor());
    }

    @Override
    protected Database newDatabase() {
        DataSource ds = DATABASES.freshDatabase(vendor());
        return () -> JdbcStore.open(ds);
    }
}
