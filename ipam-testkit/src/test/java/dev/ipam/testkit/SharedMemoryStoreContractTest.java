package dev.ipam.testkit;

/** The reference shared store runs the whole shared-store contract. */
class SharedMemoryStoreContractTest extends SharedStoreContract {

    @Override
    protected Database newDatabase() {
        return new SharedMemoryStore.Database()::connect;
    }
}
