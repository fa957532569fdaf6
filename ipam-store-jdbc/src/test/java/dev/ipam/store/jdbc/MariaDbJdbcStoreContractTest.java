package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The store contract on MariaDB (skipped unless {@value TestDatabases#MARIADB_URL} is set). */
class MariaDbJdbcStoreContractTest extends JdbcStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.MARIADB;
    }
}
