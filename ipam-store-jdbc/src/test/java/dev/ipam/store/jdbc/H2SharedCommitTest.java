package dev.ipam.store.jdbc;

import dev.ipam.store.jdbc.TestDatabases.Vendor;

/** The commitShared rules on H2. */
class H2SharedCommitTest extends SharedCommitTest {

    @Override
    Vendor vendor() {
        return Vendor.H2;
    }
}
