package dev.ipam;

import dev.ipam.address.IpAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * {@link InMemoryStore}'s records by address: a chained hash table whose chains run through the
 * records themselves ({@link StoredAddress#next}), each record carrying its address's bits and
 * hash. A lookup reads one bucket and the records of its chain, where a {@code HashMap} reads an
 * entry node and a key object as well, each a cache miss in a table of millions.
 *
 * <p>Buckets keep neighbouring addresses together, as {@code HashMap} with
 * {@link IpAddress#hashCode} does: the hash is the address's low 32 bits XORed with a keyed mix of
 * the other 96 bits and the family (the key is chosen per table), then spread as {@code HashMap}
 * spreads hash codes. Addresses that share their other 96 bits (all of IPv4, a run of an IPv6
 * subnet) get distinct hashes and neighbouring buckets, and collide only as their hashes do modulo
 * the table size, as in a {@code HashMap}; addresses that differ above their low 32 bits are told
 * apart by the keyed mix, so no set of them chosen without knowing the key falls into one bucket.
 * Unlike {@code HashMap}, a long chain stays a list. The table doubles when it holds more records
 * than three quarters of its buckets; it does not shrink. Not thread-safe: the store guards it
 * with its own lock.
 */
final class AddressTable {

    private static final int MAX_BUCKETS = 1 << 30;

    private final long key = ThreadLocalRandom.current().nextLong();
    private StoredAddress[] buckets = new StoredAddress[16];
    private int size;

    int size() {
        return size;
    }

    /** The record of an address, or null. */
    StoredAddress get(IpAddress address) {
        return find(address, hash(address.high(), address.low(), address.isIpv4()));
    }

    /** The record of an address, made (empty) if there is none. */
    StoredAddress getOrCreate(IpAddress address) {
        int hash = hash(address.high(), address.low(), address.isIpv4());
        StoredAddress found = find(address, hash);
        if (found != null) {
            return found;
        }
        if (size >= buckets.length - (buckets.length >>> 2)) {
            grow();
        }
        StoredAddress created = new StoredAddress(address, hash);
        int b = hash & (buckets.length - 1);
        created.next = buckets[b];
        buckets[b] = created;
        size++;
        return created;
    }

    private StoredAddress find(IpAddress address, int hash) {
        long high = address.high();
        long low = address.low();
        boolean ipv4 = address.isIpv4();
        for (StoredAddress r = buckets[hash & (buckets.length - 1)]; r != null; r = r.next) {
            if (r.hash == hash && r.is(high, low, ipv4)) {
                return r;
            }
        }
        return null;
    }

    /** Removes this record (by identity); does nothing if it is not in the table. */
    void remove(StoredAddress record) {
        int b = record.hash & (buckets.length - 1);
        StoredAddress previous = null;
        for (StoredAddress r = buckets[b]; r != null; previous = r, r = r.next) {
            if (r == record) {
                if (previous == null) {
                    buckets[b] = r.next;
                } else {
                    previous.next = r.next;
                }
                r.next = null;
                size--;
                return;
            }
        }
    }

    /** Calls {@code action} with every record, bucket by bucket. */
    void forEach(Consumer<StoredAddress> action) {
        for (StoredAddress head : buckets) {
            for (StoredAddress r = head; r != null; r = r.next) {
                action.accept(r);
            }
        }
    }

    /** Removes every record that {@code filter} accepts (it is called once per record). */
    void removeIf(Predicate<StoredAddress> filter) {
        for (int b = 0; b < buckets.length; b++) {
            StoredAddress previous = null;
            for (StoredAddress r = buckets[b], next; r != null; r = next) {
                next = r.next;
                if (filter.test(r)) {
                    if (previous == null) {
                        buckets[b] = next;
                    } else {
                        previous.next = next;
                    }
                    r.next = null;
                    size--;
                } else {
                    previous = r;
                }
            }
        }
    }

    /** Doubles the buckets; each chain splits in two, keeping its order. */
    private void grow() {
        if (buckets.length >= MAX_BUCKETS) {
            return; // chains grow longer from here on; the table still works
        }
        StoredAddress[] old = buckets;
        StoredAddress[] bigger = new StoredAddress[old.length * 2];
        for (int b = 0; b < old.length; b++) {
            StoredAddress lowHead = null;
            StoredAddress lowTail = null;
            StoredAddress highHead = null;
            StoredAddress highTail = null;
            for (StoredAddress r = old[b], next; r != null; r = next) {
                next = r.next;
                r.next = null;
                if ((r.hash & old.length) == 0) {
                    if (lowTail == null) {
                        lowHead = r;
                    } else {
                        lowTail.next = r;
                    }
                    lowTail = r;
                } else {
                    if (highTail == null) {
                        highHead = r;
                    } else {
                        highTail.next = r;
                    }
                    highTail = r;
                }
            }
            bigger[b] = lowHead;
            bigger[b + old.length] = highHead;
        }
        buckets = bigger;
    }

    /**
     * The low 32 bits XORed with a keyed mix of the other bits and the family, then spread like
     * {@code HashMap} spreads hash codes. The key goes into the high half before it is mixed, so
     * which high halves collide after mixing depends on the key.
     */
    int hash(long high, long low, boolean ipv4) {
        long rest = mix(mix(high ^ key) ^ (low >>> 32) ^ (ipv4 ? 0L : 0x632BE59BD9B4E019L));
        int h = (int) low ^ (int) rest;
        return h ^ (h >>> 16);
    }

    /** MurmurHash3's 64-bit finaliser. */
    private static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }
}
