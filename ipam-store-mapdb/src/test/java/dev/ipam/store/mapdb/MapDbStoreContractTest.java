package dev.ipam.store.mapdb;

import dev.ipam.spi.IpamStore;
import dev.ipam.testkit.IpamStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** MapDbStore runs the whole store contract, each test in a fresh temporary directory. */
class MapDbStoreContractTest extends IpamStoreContract {

    @TempDir
    Path dir;

    private int counter;

    @Override
    protected IpamStore openFresh() {
        return MapDbStore.open(dir.resolve("store-" + (counter++) + "/ipam.db"));
    }

    @Override
    protected IpamStore reopen(IpamStore closed) {
        return MapDbStore.open(((MapDbStore) closed).path());
    }
}
