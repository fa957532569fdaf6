package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The shared-store contract on H2 (always). */
class H2JdbcSharedStoreContractTest extends JdbcSharedStoreContractTest {

    @Override
    Vendor vendor() {
        return Vendor.H2;
    }
}
