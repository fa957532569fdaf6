package dev.ipam.testkit;

import dev.ipam.InMemoryStore;
import dev.ipam.spi.IpamStore;

/** The reference store runs the whole store contract. */
class InMemoryStoreContractTest extends IpamStoreContract {

    @Override
    protected IpamStore openFresh() {
        return new InMemoryStore();
    }

    @Override
    protected IpamStore reopen(IpamStore closed) {
        return ((InMemoryStore) closed).reopen();
    }
}
