package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The store contract on PostgreSQL (skipped unless {@value TestDatabases#POSTGRES_URL} is set). */
class PostgresJdbcStoreContractTest extends JdbcStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.POSTGRESQL;
    }
}
