package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The commitShared rules on MariaDB (skipped unless {@value TestDatabases#MARIADB_URL} is set). */
class MariaDbSharedCommitTest extends SharedCommitTest {

    @Override
    Vendor vendor() {
        return Vendor.MARIADB;
    }
}
