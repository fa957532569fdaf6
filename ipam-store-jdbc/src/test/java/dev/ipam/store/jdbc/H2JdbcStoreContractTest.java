package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The store contract on H2 (in memory, PostgreSQL mode). */
class H2JdbcStoreContractTest extends JdbcStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.H2;
    }
}
