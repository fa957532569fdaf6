package dev.ipam.bench;

import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.InMemoryStore;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.IpamStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Building blocks shared by the JMH benchmarks and the scenarios: an in-memory {@link Ipam},
 * pools, precomputed requests and fast pre-filling. Not thread-safe; each method is self-contained.
 */
public final class Fixtures {

    /** The caller every benchmark acts as (the access policy allows everything). */
    public static final Caller CALLER = Caller.of("bench");
    /** The scope of every benchmark pool. */
    public static final Scope SCOPE = Scope.of("bench", "zone-a");
    /** Distinct owners the requests cycle through, so no single owner index grows huge. */
    public static final int OWNERS = 65_536;
    /** Requests per allocateAll call while pre-filling. */
    public static final int FILL_CHUNK = 8_192;

    private Fixtures() {
    }

    /**
     * Journal entries the benchmarks' {@link InMemoryStore} keeps. The no-argument store keeps every
     * change it was ever given (journal and per-address history), so its heap, and with it the GC
     * and cache cost of every operation, grows for as long as a benchmark runs; a bounded journal
     * keeps the store's memory flat, which is what a steady-state measurement needs.
     */
    public static final int JOURNAL_LIMIT = 100_000;

    /** A new {@link Ipam} over a fresh {@link InMemoryStore} with {@link #JOURNAL_LIMIT}. */
    public static Ipam inMemoryIpam() {
        return ipam(inMemoryStore(JOURNAL_LIMIT));
    }

    /** An {@link InMemoryStore} keeping {@code journalLimit} journal entries; 0 keeps all of them. */
    public static InMemoryStore inMemoryStore(int journalLimit) {
        return journalLimit == 0 ? new InMemoryStore() : new InMemoryStore(journalLimit);
    }

    /** A new {@link Ipam} over the given store that allows every caller. */
    public static Ipam ipam(IpamStore store) {
        return Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).build();
    }

    /**
     * Diagnostic store that loads an empty state and discards every commit: measures the engine
     * without any store work. A dynamic proxy, so it keeps up with changes to {@link IpamStore}
     * (every method but {@code commit} goes to an empty {@link InMemoryStore}). Never use it for
     * anything but measurement: nothing is kept.
     */
    public static IpamStore discardingStore() {
        InMemoryStore empty = new InMemoryStore();
        InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "commit":
                    if (method.getParameterCount() == 1) {
                        return null;
                    }
                    break;
                case "toString":
                    return "DiscardingStore";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    break;
            }
            try {
                return method.invoke(empty, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (IpamStore) Proxy.newProxyInstance(IpamStore.class.getClassLoader(), new Class<?>[] {IpamStore.class},
                handler);
    }

    /** Creates a pool over one CIDR (IPv4 network and broadcast addresses are left out). */
    public static void createPool(IpamSession session, String name, String cidr) {
        session.createPool(PoolSpec.builder(name, SCOPE).cidr(cidr).build());
    }

    /**
     * The {@code index}-th IPv4 CIDR of the given prefix length counted from 10.0.0.0, e.g.
     * {@code ipv4Cidr(10, 1)} is 10.64.0.0/10. Lets several pools of one size sit side by side.
     */
    public static String ipv4Cidr(int prefixLength, int index) {
        long base = IpAddress.parse("10.0.0.0").low();
        long size = 1L << (32 - prefixLength);
        long network = base + size * index;
        if (network + size > (1L << 32)) {
            throw new IllegalArgumentException("CIDR #" + index + " of /" + prefixLength + " does not fit below 2^32");
        }
        return Cidr.of(IpAddress.ofIpv4(network), prefixLength).toString();
    }

    /** Usable addresses of a pool created by {@link #createPool}. */
    public static long capacity(IpamSession session, String pool) {
        return session.usage(pool).capacity().longValueExact();
    }

    /**
     * {@code owners} requests for one pool and strategy, the i-th for owner {@code vm-i}. Requests
     * are immutable, so a benchmark cycles through them instead of building one per operation.
     */
    public static AllocationRequest[] requests(String pool, Strategy strategy, int owners) {
        AllocationRequest[] result = new AllocationRequest[owners];
        for (int i = 0; i < owners; i++) {
            result[i] = AllocationRequest.in(pool).strategy(strategy).owner("vm-" + i).build();
        }
        return result;
    }

    /**
     * Allocates {@code count} addresses in {@code pool} with {@link Strategy#RANDOM} through
     * {@code allocateAll} in chunks of {@link #FILL_CHUNK}, i.e. a uniformly scattered fill, and
     * returns the addresses in allocation order. Owners cycle through {@link #OWNERS} names.
     */
    public static IpAddress[] fillRandom(IpamSession session, String pool, long count) {
        return fillRandom(session, pool, count, OWNERS);
    }

    /** {@link #fillRandom(IpamSession, String, long)} with owners cycling through {@code owners} names. */
    public static IpAddress[] fillRandom(IpamSession session, String pool, long count, int owners) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Cannot pre-fill " + count + " addresses in one array");
        }
        AllocationRequest[] requests = requests(pool, Strategy.RANDOM, (int) Math.max(1, Math.min(count, owners)));
        IpAddress[] result = new IpAddress[(int) count];
        int done = 0;
        List<AllocationRequest> chunk = new ArrayList<>(FILL_CHUNK);
        while (done < count) {
            int n = (int) Math.min(FILL_CHUNK, count - done);
            chunk.clear();
            for (int i = 0; i < n; i++) {
                chunk.add(requests[(done + i) % requests.length]);
            }
            List<Allocation> allocated = session.allocateAll(chunk);
            for (Allocation a : allocated) {
                result[done++] = a.address();
            }
        }
        return result;
    }

    /** Allocations needed to bring a pool of {@code capacity} addresses to {@code percent} % full. */
    public static long countForFill(long capacity, double percent) {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("Fill must be between 0 and 100 %, got " + percent);
        }
        return Math.round(capacity * percent / 100.0);
    }

    /** The pool's fill in percent, from its usage. */
    public static double fillPercent(IpamSession session, String pool) {
        var usage = session.usage(pool);
        return 100.0 * usage.allocated() / usage.capacity().doubleValue();
    }
}
