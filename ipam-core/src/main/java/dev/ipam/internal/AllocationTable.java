package dev.ipam.internal;

import dev.ipam.Allocation;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The live allocations of one pool, stored in columns instead of one object graph per allocation,
 * with indexes by address, by owner, by environment and by environment key (environment + name).
 *
 * <p>Each allocation occupies a slot: a position in parallel primitive arrays (address, time, MAC,
 * and linked-list pointers that chain the slots of one owner and of one environment), kept in
 * pages of {@value #PAGE_SIZE} slots. Strings that repeat across allocations (owner, environment,
 * caller) are kept as references; name and host name, usually unique, are packed into one UTF-8
 * byte array per slot ({@link PackedText}). {@link Allocation} records are built on read and are equal to the ones
 * added. The key index is a {@link SlotIndex}, an open-addressing array of hash and slot. So is the
 * address index while the pool is sparsely used; a table given the pool's {@link AddressOffsets}
 * switches, once a {@value #DIRECT_FILL_DIVISOR}th of the pool is allocated, to
 * {@link OffsetSlots}: one entry per address of the pool, by offset. From that fill on it takes
 * about as much heap as the hash index (at most 1.2 times as much, right at the switch, less as
 * the pool fills), and unlike a hash it keeps neighbouring addresses in neighbouring entries, which
 * is what keeps allocating in a nearly full pool from missing the processor's caches and address
 * translation buffers on every index access. The switch itself reads every entry of the hash
 * index once, in the call that crosses the threshold, as growing the hash index does. Compared
 * with hash maps of records this needs a fraction of the heap per allocation, few objects for the
 * collector to trace, and no pointer chasing to find an address. Freed slots are reused; pages and
 * indexes do not shrink, and the address index does not switch back.
 *
 * <p>At most one allocation per address (the caller marks occupancy first); an environment key
 * normally maps to one live allocation, but a foreign change may bind a key that this instance
 * still maps elsewhere (see {@link #add(Allocation, boolean)}). Not thread-safe: the pool lock
 * guards it.
 */
final class AllocationTable {

    private static final long NO_MAC = -1L;
    private static final int NONE = -1;
    private static final int PAGE_BITS = 10;
    static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_SIZE - 1;

    /** The address index goes by offset once at least {@code 1 / DIRECT_FILL_DIVISOR} of the pool is allocated. */
    static final int DIRECT_FILL_DIVISOR = 4;

    private static final int OWNER_CHAIN = 0;
    private static final int ENVIRONMENT_CHAIN = 1;

    /** The slots of one owner or environment: a doubly linked list through the slot columns. */
    private static final class Chain {
        int head = NONE;
        int size;
    }

    /** The chains of every owner, or of every environment, through one pair of link columns. */
    private final class Chains {
        private final int kind;
        private final Map<String, Chain> heads = new HashMap<>();

        Chains(int kind) {
            this.kind = kind;
        }

        boolean contains(String key) {
            return heads.containsKey(key);
        }

        void link(String key, int slot) {
            Chain chain = heads.computeIfAbsent(key, k -> new Chain());
            setNext(slot, chain.head);
            setPrev(slot, NONE);
            if (chain.head != NONE) {
                setPrev(chain.head, slot);
            }
            chain.head = slot;
            chain.size++;
        }

        void unlink(String key, int slot) {
            Chain chain = heads.get(key);
            if (--chain.size == 0) {
                heads.remove(key);
                return;
            }
            int prev = page(slot).prev[kind][slot & PAGE_MASK];
            int next = next(slot);
            if (prev == NONE) {
                chain.head = next;
            } else {
                setNext(prev, next);
            }
            if (next != NONE) {
                setPrev(next, prev);
            }
        }

        /** The addresses of the key's slots, ascending. */
        List<IpAddress> sortedAddresses(String key) {
            Chain chain = heads.get(key);
            if (chain == null) {
                return List.of();
            }
            IpAddress[] addresses = new IpAddress[chain.size];
            int n = 0;
            for (int slot = chain.head; slot != NONE; slot = next(slot)) {
                addresses[n++] = addressAt(slot);
            }
            Arrays.sort(addresses);
            return Arrays.asList(addresses);
        }

        private int next(int slot) {
            return page(slot).next[kind][slot & PAGE_MASK];
        }

        private void setNext(int slot, int next) {
            page(slot).next[kind][slot & PAGE_MASK] = next;
        }

        private void setPrev(int slot, int prev) {
            page(slot).prev[kind][slot & PAGE_MASK] = prev;
        }
    }

    /** The columns of {@value #PAGE_SIZE} consecutive slots; adding a page copies nothing. */
    private static final class Page {
        final long[] high;
        final long[] low = new long[PAGE_SIZE];
        final String[] owner = new String[PAGE_SIZE];
        final String[] environment = new String[PAGE_SIZE];
        final String[] allocatedBy = new String[PAGE_SIZE];
        /** Name and host name, see {@link PackedText}; null if neither. */
        final byte[][] text = new byte[PAGE_SIZE][];
        final long[] epochSecond = new long[PAGE_SIZE];
        final int[] nano = new int[PAGE_SIZE];
        final long[] mac = new long[PAGE_SIZE];
        /**
         * Next and previous slot of the same owner ({@code [OWNER_CHAIN]}) and of the same
         * environment ({@code [ENVIRONMENT_CHAIN]}); for a free slot, {@code next[OWNER_CHAIN]}
         * is the next free slot.
         */
        final int[][] next = new int[2][PAGE_SIZE];
        final int[][] prev = new int[2][PAGE_SIZE];

        Page(boolean ipv4) {
            high = ipv4 ? null : new long[PAGE_SIZE];
        }
    }

    private final String pool;
    private final boolean ipv4;
    private Page[] pages = new Page[4];
    /** Slots never used are {@code >= used}; freed slots are chained through {@code next[OWNER_CHAIN]}. */
    private int used;
    private int freeHead = NONE;
    private int size;

    /** The address index while it is hashed; null once {@link #byOffset} replaces it. */
    private SlotIndex byAddress = new SlotIndex();
    /** The pool's address numbering; null if the address index always stays hashed. */
    private final AddressOffsets offsets;
    /** The address index by offset, once the pool is full enough; null before. */
    private OffsetSlots byOffset;
    private final SlotIndex byKey = new SlotIndex();
    private final Chains byOwner = new Chains(OWNER_CHAIN);
    private final Chains byEnvironment = new Chains(ENVIRONMENT_CHAIN);
    /** Index entries of {@linkplain #load loaded} slots not yet in the indexes; null if none. */
    private long[] pendingAddresses;
    private long[] pendingKeys;
    private int pendingAddressCount;
    private int pendingKeyCount;

    /** A table whose address index stays hashed. */
    AllocationTable(String pool, boolean ipv4) {
        this(pool, ipv4, null);
    }

    /**
     * A table whose address index goes by offset once the pool is full enough.
     *
     * @param offsets the numbering of the pool's addresses, at most 2^32 of them; null to keep
     *     the address index hashed
     */
    AllocationTable(String pool, boolean ipv4, AddressOffsets offsets) {
        this.pool = pool;
        this.ipv4 = ipv4;
        this.offsets = offsets;
    }

    /** Whether the address index goes by offset (for tests). */
    boolean indexesByOffset() {
        indexLoaded();
        return byOffset != null;
    }

    /** Live allocations. */
    int size() {
        return size;
    }

    // ------------------------------------------------------------------ reads

    /** The allocation of {@code address}, or null. */
    Allocation get(IpAddress address) {
        indexLoaded();
        int slot = slotOf(address);
        return slot == NONE ? null : read(slot, address);
    }

    /**
     * The live allocation bound to an environment key, or null. A null name is the same key as
     * an empty one (requests never carry either).
     */
    Allocation getByKey(String environment, String name) {
        indexLoaded();
        byte[] nameBytes = PackedText.nameBytes(name);
        int slot = byKey.slotAt(probeKey(environment, Arrays.hashCode(nameBytes), nameBytes, false));
        return slot == NONE ? null : read(slot, addressAt(slot));
    }

    boolean hasOwner(String owner) {
        return byOwner.contains(owner);
    }

    boolean hasEnvironment(String environment) {
        return byEnvironment.contains(environment);
    }

    /** The addresses of an owner, ascending. */
    List<IpAddress> addressesOfOwner(String owner) {
        return byOwner.sortedAddresses(owner);
    }

    /** The addresses of an environment, ascending. */
    List<IpAddress> addressesOfEnvironment(String environment) {
        return byEnvironment.sortedAddresses(environment);
    }

    /** The allocations of an owner in address order. */
    List<Allocation> allocationsOfOwner(String owner) {
        List<IpAddress> addresses = addressesOfOwner(owner);
        List<Allocation> result = new ArrayList<>(addresses.size());
        for (IpAddress address : addresses) {
            result.add(get(address));
        }
        return result;
    }

    // ------------------------------------------------------------------ changes

    /**
     * Adds a live allocation.
     *
     * @param replaceKey whether the allocation takes over its environment key if another live
     *     allocation holds it; otherwise the key stays with that one (a foreign change applied
     *     before this instance's own release of the key became visible)
     * @throws IllegalStateException if the address already has an allocation
     */
    void add(Allocation a, boolean replaceKey) {
        indexLoaded();
        IpAddress address = a.address();
        long offset = byOffset == null ? NONE : offsetOf(address);
        int existing = byOffset == null ? slotOf(address) : offset < 0 ? NONE : byOffset.slotAt(offset);
        if (existing != NONE) {
            throw new IllegalStateException("Address " + address + " of pool '" + pool + "' already has an allocation");
        }
        if (byOffset == null && offsets != null && (size + 1L) * DIRECT_FILL_DIVISOR >= offsets.count()) {
            indexByOffset(); // before anything changes, so that a failure here leaves the table as it was
        }
        if (byOffset != null && offset < 0) {
            offset = requireOffset(address); // just switched, or not in the pool (throws)
        }
        int slot = store(a, a.owner(), a.environment(), a.allocatedBy());
        if (byOffset == null) {
            byAddress.insert(addressHash(address.high(), address.low()), slot);
        } else {
            byOffset.set(offset, slot);
        }
        if (a.environment() != null) {
            byte[] text = page(slot).text[slot & PAGE_MASK];
            int keyPos = probeKeyOf(a.environment(), text);
            if (byKey.slotAt(keyPos) == NONE) {
                byKey.insert(keyHash(a.environment(), PackedText.nameHash(text)), slot);
            } else if (replaceKey) {
                byKey.replaceAt(keyPos, slot);
            }
        }
    }

    /**
     * Adds a stored allocation while the table is being loaded, leaving its index entries pending
     * until the first other call (or {@link #indexLoaded}), which indexes all pending slots at once.
     * The caller guarantees that no two allocations share an address (the pool's occupancy
     * refuses duplicates first); of several allocations with one environment key, the last loaded
     * holds the key, as with {@code add(a, true)}.
     *
     * @param strings the loading thread's shared instances, which the table keeps instead of
     *     {@code a}'s owner, environment and caller
     */
    void load(Allocation a, CanonicalStrings strings) {
        String environment = strings.environment(a.environment());
        int slot = store(a, strings.owner(a.owner()), environment, strings.caller(a.allocatedBy()));
        IpAddress address = a.address();
        pendingAddresses = appendEntry(pendingAddresses, pendingAddressCount++,
                addressHash(address.high(), address.low()), slot);
        if (environment != null) {
            pendingKeys = appendEntry(pendingKeys, pendingKeyCount++,
                    keyHash(environment, PackedText.nameHash(page(slot).text[slot & PAGE_MASK])), slot);
        }
    }

    /**
     * Indexes the slots added by {@link #load}. Hash index entries are sorted by position first, so
     * the index arrays are written in order rather than at random. If the pool is then full enough
     * for the address index by offset, the loaded slots' entries go there in load order (a store
     * that loads in address order writes it front to back).
     *
     * @throws IllegalStateException if two loaded allocations share an address, or a loaded
     *     address has no offset in the pool
     */
    void indexLoaded() {
        if (pendingAddresses == null && pendingKeys == null) {
            return;
        }
        if (pendingAddresses != null && byOffset == null && offsets != null
                && (long) size * DIRECT_FILL_DIVISOR >= offsets.count()) {
            indexByOffset();
        }
        if (pendingAddresses != null && byOffset != null) {
            for (int n = 0; n < pendingAddressCount; n++) {
                int added = (int) pendingAddresses[n] - 1;
                long offset = offsetOfSlot(added);
                if (byOffset.slotAt(offset) != NONE) {
                    throw new IllegalStateException("Two stored allocations of " + addressAt(added)
                            + " in pool '" + pool + "'");
                }
                byOffset.set(offset, added);
            }
        } else if (pendingAddresses != null) {
            byAddress.insertAll(pendingAddresses, pendingAddressCount, (placed, added) -> {
                if (low(placed) == low(added) && (ipv4 || high(placed) == high(added))) {
                    throw new IllegalStateException("Two stored allocations of " + addressAt(added)
                            + " in pool '" + pool + "'");
                }
                return false;
            });
        }
        if (pendingKeys != null) {
            byKey.insertAll(pendingKeys, pendingKeyCount, (placed, added) -> {
                Page p = page(added);
                int i = added & PAGE_MASK;
                Page q = page(placed);
                int j = placed & PAGE_MASK;
                return p.environment[i].equals(q.environment[j]) && PackedText.sameName(p.text[i], q.text[j]);
            });
        }
        pendingAddresses = null;
        pendingKeys = null;
        pendingAddressCount = 0;
        pendingKeyCount = 0;
    }

    /** Moves the hashed address index's entries into a new index by offset, and drops the hashed one. */
    private void indexByOffset() {
        OffsetSlots direct = new OffsetSlots(offsets.count());
        byAddress.forEachSlot(slot -> direct.set(offsetOfSlot(slot), slot));
        byOffset = direct;
        byAddress = null;
    }

    private long offsetOfSlot(int slot) {
        long offset = offsets.offsetOf(ipv4 ? 0L : high(slot), low(slot));
        if (offset < 0) {
            throw new IllegalStateException("Address " + addressAt(slot) + " is not in pool '" + pool + "'");
        }
        return offset;
    }

    private long requireOffset(IpAddress address) {
        long offset = offsetOf(address);
        if (offset < 0) {
            throw new IllegalStateException("Address " + address + " is not in pool '" + pool + "'");
        }
        return offset;
    }

    /** The address's offset in the pool, or -1 if it is of the other family or not in the pool. */
    private long offsetOf(IpAddress address) {
        return address.isIpv4() == ipv4 ? offsets.offsetOf(address.high(), address.low()) : -1;
    }

    /** The slot of an address, or {@link #NONE} (also for an address of the other family). */
    private int slotOf(IpAddress address) {
        if (byOffset == null) {
            return address.isIpv4() == ipv4 ? byAddress.slotAt(probeAddress(address)) : NONE;
        }
        long offset = offsetOf(address);
        return offset < 0 ? NONE : byOffset.slotAt(offset);
    }

    private static long[] appendEntry(long[] entries, int index, int hash, int slot) {
        if (entries == null) {
            entries = new long[PAGE_SIZE];
        } else if (index == entries.length) {
            entries = Arrays.copyOf(entries, entries.length * 2);
        }
        entries[index] = SlotIndex.entryOf(hash, slot);
        return entries;
    }

    private long low(int slot) {
        return page(slot).low[slot & PAGE_MASK];
    }

    private long high(int slot) {
        return page(slot).high[slot & PAGE_MASK];
    }

    /**
     * Writes an allocation into a free slot, with the given instances of its owner, environment and
     * caller, and links it into its owner and environment chains.
     */
    private int store(Allocation a, String owner, String environment, String allocatedBy) {
        IpAddress address = a.address();
        byte[] packed = PackedText.pack(a.name(), a.hostname());
        int slot = takeSlot();
        Page p = page(slot);
        int i = slot & PAGE_MASK;
        if (!ipv4) {
            p.high[i] = address.high();
        }
        p.low[i] = address.low();
        p.owner[i] = owner;
        p.environment[i] = environment;
        p.allocatedBy[i] = allocatedBy;
        p.text[i] = packed;
        p.epochSecond[i] = a.allocatedAt().getEpochSecond();
        p.nano[i] = a.allocatedAt().getNano();
        p.mac[i] = a.mac() == null ? NO_MAC : a.mac().value();
        byOwner.link(owner, slot);
        if (environment != null) {
            byEnvironment.link(environment, slot);
        }
        size++;
        return slot;
    }

    /**
     * Removes the allocation of {@code address}; its environment key is unbound only if it maps to
     * this allocation.
     *
     * @return whether the address had an allocation
     */
    boolean remove(IpAddress address) {
        indexLoaded();
        if (address.isIpv4() != ipv4) {
            return false;
        }
        int slot;
        if (byOffset == null) {
            int pos = probeAddress(address);
            slot = byAddress.slotAt(pos);
            if (slot == NONE) {
                return false;
            }
            byAddress.removeAt(pos);
        } else {
            long offset = offsetOf(address);
            slot = offset < 0 ? NONE : byOffset.slotAt(offset);
            if (slot == NONE) {
                return false;
            }
            byOffset.clear(offset);
        }
        Page p = page(slot);
        int i = slot & PAGE_MASK;
        byOwner.unlink(p.owner[i], slot);
        String environment = p.environment[i];
        if (environment != null) {
            byEnvironment.unlink(environment, slot);
            int keyPos = probeKeyOf(environment, p.text[i]);
            if (byKey.slotAt(keyPos) == slot) {
                byKey.removeAt(keyPos);
            }
        }
        p.owner[i] = null;
        p.environment[i] = null;
        p.allocatedBy[i] = null;
        p.text[i] = null;
        p.next[OWNER_CHAIN][i] = freeHead;
        freeHead = slot;
        size--;
        return true;
    }

    // ------------------------------------------------------------------ slots

    private Page page(int slot) {
        return pages[slot >>> PAGE_BITS];
    }

    private int takeSlot() {
        if (freeHead != NONE) {
            int slot = freeHead;
            freeHead = page(slot).next[OWNER_CHAIN][slot & PAGE_MASK];
            return slot;
        }
        int pageIndex = used >>> PAGE_BITS;
        if (pageIndex == pages.length) {
            pages = Arrays.copyOf(pages, pages.length * 2);
        }
        if (pages[pageIndex] == null) {
            pages[pageIndex] = new Page(ipv4);
        }
        return used++;
    }

    // ------------------------------------------------------------------ records

    private Allocation read(int slot, IpAddress address) {
        Page p = page(slot);
        int i = slot & PAGE_MASK;
        byte[] packed = p.text[i];
        long mac = p.mac[i];
        return new Allocation(pool, address, p.owner[i], p.environment[i], PackedText.name(packed),
                PackedText.hostname(packed), mac == NO_MAC ? null : MacAddress.of(mac),
                Instant.ofEpochSecond(p.epochSecond[i], p.nano[i]), p.allocatedBy[i]);
    }

    private IpAddress addressAt(int slot) {
        Page p = page(slot);
        int i = slot & PAGE_MASK;
        return ipv4 ? IpAddress.ofIpv4(p.low[i]) : IpAddress.ofIpv6(p.high[i], p.low[i]);
    }

    // ------------------------------------------------------------------ index keys

    /** The position of the address's entry, or the empty position where a probe for it ends. */
    private int probeAddress(IpAddress address) {
        long h = address.high();
        long l = address.low();
        int hash = addressHash(h, l);
        for (int pos = byAddress.firstProbe(hash); ; pos = byAddress.nextProbe(pos)) {
            int slot = byAddress.slotAt(pos);
            if (slot == NONE) {
                return pos;
            }
            if (byAddress.hashAt(pos) == hash) {
                Page p = page(slot);
                int i = slot & PAGE_MASK;
                if (p.low[i] == l && (ipv4 || p.high[i] == h)) {
                    return pos;
                }
            }
        }
    }

    private static int addressHash(long high, long low) {
        return Long.hashCode(low) ^ 31 * Long.hashCode(high);
    }

    /** {@link #probeKey} for the environment and the name packed in {@code text}. */
    private int probeKeyOf(String environment, byte[] text) {
        return probeKey(environment, PackedText.nameHash(text), text, true);
    }

    /**
     * The position of the key's entry, or the empty position where a probe for it ends.
     *
     * @param nameHash {@code Arrays.hashCode} of the name's UTF-8 bytes
     * @param name the name's UTF-8 bytes, or if {@code packed} a packed text holding the name
     */
    private int probeKey(String environment, int nameHash, byte[] name, boolean packed) {
        int hash = keyHash(environment, nameHash);
        for (int pos = byKey.firstProbe(hash); ; pos = byKey.nextProbe(pos)) {
            int slot = byKey.slotAt(pos);
            if (slot == NONE) {
                return pos;
            }
            if (byKey.hashAt(pos) == hash) {
                Page p = page(slot);
                int i = slot & PAGE_MASK;
                if (environment.equals(p.environment[i])
                        && (packed ? PackedText.sameName(name, p.text[i]) : PackedText.nameEquals(p.text[i], name))) {
                    return pos;
                }
            }
        }
    }

    private static int keyHash(String environment, int nameHash) {
        return 31 * environment.hashCode() + nameHash;
    }
}
