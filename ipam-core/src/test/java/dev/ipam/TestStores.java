package dev.ipam;

import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** Store wrappers for tests: count commits, fail on demand; and journal reading helpers. */
final class TestStores {

    private TestStores() {
    }

    /** Wraps a store: counts commit() calls and throws what {@code failure} supplies (if set) before committing. */
    static final class Wrapped {
        final IpamStore store;
        final AtomicInteger commits = new AtomicInteger();
        final AtomicReference<Supplier<RuntimeException>> failure = new AtomicReference<>();

        Wrapped(IpamStore delegate) {
            this.store = (IpamStore) Proxy.newProxyInstance(IpamStore.class.getClassLoader(),
                    new Class<?>[] {IpamStore.class}, (proxy, method, args) -> {
                        if (method.getName().equals("commit") && args != null && args.length == 1
                                && args[0] instanceof ChangeBatch) {
                            Supplier<RuntimeException> f = failure.get();
                            if (f != null) {
                                throw f.get();
                            }
                            commits.incrementAndGet();
                        }
                        try {
                            return method.invoke(delegate, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /** Every journal entry of the store from {@code from} on. */
    static List<JournalEntry> journal(IpamStore store, long from) {
        List<JournalEntry> all = new ArrayList<>();
        long next = from;
        while (true) {
            List<JournalEntry> page = store.readJournal(next, 1000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            next = page.get(page.size() - 1).sequence() + 1;
        }
    }
}
