package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.StoredState;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A store whose {@code forEachAllocation} catches what its consumer throws and reads on (or stops)
 * must not get an {@link Ipam} that silently lacks the allocations after the failure: the build
 * fails. The load is large enough for the engine to hand records to its second thread, where a
 * failure surfaces in a later {@code accept}.
 */
class SwallowingStoreLoadTest {

    /**
     * Allocations in the store: fifteen chunks of the engine's loader, so that a failure early on
     * reaches the store's loop in a later {@code accept} (at most four chunks wait at a time).
     */
    private static final int COUNT = 60_000;

    @Test
    void aStoreThatSwallowsALoadFailureAndReadsOnGetsNoIpam() {
        assertThatThrownBy(() -> build(swallowing(storeWithDuplicate(), true)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("dropped")
                .hasMessageContaining(" 10.0.0.1 ");
    }

    @Test
    void aStoreThatSwallowsALoadFailureAndStopsGetsNoIpam() {
        assertThatThrownBy(() -> build(swallowing(storeWithDuplicate(), false)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("dropped");
    }

    @Test
    void withoutTheDuplicateTheSameStoreLoadsEverything() {
        InMemoryStore store = filledStore();
        try (Ipam ipam = build(swallowing(new Loaded(store.reopen(), false), true))) {
            assertThat(ipam.as(Caller.of("heat")).usage("p").allocated()).isEqualTo(COUNT);
        }
    }

    private static Ipam build(IpamStore store) {
        return Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO)
                .build();
    }

    private static InMemoryStore filledStore() {
        InMemoryStore store = new InMemoryStore();
        try (Ipam ipam = build(store)) {
            IpamSession s = ipam.as(Caller.of("heat"));
            s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/16").build());
            List<AllocationRequest> requests = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                requests.add(AllocationRequest.in("p").owner("vm-" + i).build());
            }
            s.allocateAll(requests);
        }
        return store;
    }

    /** The filled store's state, with its first allocation handed out a second time early on. */
    private static Loaded storeWithDuplicate() {
        return new Loaded(filledStore().reopen(), true);
    }

    /** A store over {@code delegate} whose state's allocations come from {@code loaded}. */
    private record Loaded(InMemoryStore delegate, boolean duplicate) {
    }

    /**
     * {@code loaded}'s store, whose {@code forEachAllocation} catches every exception of its
     * consumer and then reads on ({@code goOn}) or returns.
     */
    private static IpamStore swallowing(Loaded loaded, boolean goOn) {
        return (IpamStore) Proxy.newProxyInstance(IpamStore.class.getClassLoader(), new Class<?>[] {IpamStore.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(loaded.delegate(), args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    return method.getName().equals("load") ? swallowingState((StoredState) result, loaded.duplicate(), goOn)
                            : result;
                });
    }

    private static StoredState swallowingState(StoredState state, boolean duplicate, boolean goOn) {
        List<Allocation> allocations = new ArrayList<>();
        state.forEachAllocation(allocations::add);
        if (duplicate) {
            allocations.add(5_000, allocations.get(0));
        }
        return new StoredState() {
            @Override
            public long lastSequence() {
                return state.lastSequence();
            }

            @Override
            public List<Pool> pools() {
                return state.pools();
            }

            @Override
            public void forEachAllocation(Consumer<Allocation> action) {
                for (Allocation a : allocations) {
                    try {
                        action.accept(a);
                    } catch (RuntimeException e) {
                        if (!goOn) {
                            return;
                        }
                    }
                }
            }

            @Override
            public void forEachHold(Consumer<Hold> action) {
                state.forEachHold(action);
            }

            @Override
            public void forEachQuarantine(Consumer<Change.Released> action) {
                state.forEachQuarantine(action);
            }

            @Override
            public void forEachLastRelease(Consumer<Change.Released> action) {
                state.forEachLastRelease(action);
            }
        };
    }
}
