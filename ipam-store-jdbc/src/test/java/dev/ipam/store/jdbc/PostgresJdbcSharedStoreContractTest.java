package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The shared-store contract on PostgreSQL (skipped unless {@value TestDatabases#POSTGRES_URL} is set). */
class PostgresJdbcSharedStoreContractTest extends JdbcSharedStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.POSTGRESQL;
    }
}
