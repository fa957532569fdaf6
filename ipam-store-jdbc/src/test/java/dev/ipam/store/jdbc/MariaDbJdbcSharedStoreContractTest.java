package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The shared-store contract on MariaDB (skipped unless {@value TestDatabases#MARIADB_URL} is set). */
class MariaDbJdbcSharedStoreContractTest extends JdbcSharedStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.MARIADB;
    }
}
