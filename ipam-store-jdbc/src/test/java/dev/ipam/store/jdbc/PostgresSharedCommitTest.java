package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The commitShared rules on PostgreSQL (skipped unless {@value TestDatabases#POSTGRES_URL} is set). */
class PostgresSharedCommitTest extends SharedCommitTest {

    @Override
    Vendor vendor() {
        return Vendor.POSTGRESQL;
    }
}
