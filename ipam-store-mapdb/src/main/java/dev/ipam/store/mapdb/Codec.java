package dev.ipam.store.mapdb;

import dev.ipam.Allocation;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.spi.ChangeCodec.In;
import dev.ipam.spi.ChangeCodec.Out;
import java.time.Instant;
import java.util.Arrays;

/**
 * The store's own layout on top of {@link dev.ipam.spi.ChangeCodec} (which encodes the values: pools,
 * allocations, holds, changes): MapDB keys, per-pool counts, journal chunks and allocation blocks (format
 * version {@link MapDbStore#FORMAT_VERSION}). MapDB only ever sees {@code byte[]}, {@code long}, {@code int}
 * and {@code String} values, so its default object serializer (which fails on JDK 16+) is never used.
 * Thread-safe static methods.
 */
final class Codec {

    /** Addresses per allocation block: one bit each in the block's bitmap. */
    static final int BLOCK_SIZE = 64;

    private Codec() {
    }

    // ------------------------------------------------------------------ keys

    /** Address bytes in network order preceded by nothing: 4 or 16 bytes. */
    static void putAddressBytes(byte[] key, int off, IpAddress a) {
        if (a.isIpv4()) {
            putInt(key, off, (int) a.low());
        } else {
            putLong(key, off, a.high());
            putLong(key, off + 8, a.low());
        }
    }

    static int addressLength(IpAddress a) {
        return a.isIpv4() ? 4 : 16;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    static int getInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    /** Key of a live entry (hold, quarantine): pool id, then the address bytes. */
    static byte[] poolAddressKey(int poolId, IpAddress a) {
        byte[] key = new byte[4 + addressLength(a)];
        putInt(key, 0, poolId);
        putAddressBytes(key, 4, a);
        return key;
    }

    /** The first address of the allocation block holding {@code a}. */
    static IpAddress blockBase(IpAddress a) {
        return a.isIpv4() ? IpAddress.ofIpv4(a.low() & ~(long) (BLOCK_SIZE - 1))
                : IpAddress.ofIpv6(a.high(), a.low() & ~(long) (BLOCK_SIZE - 1));
    }

    /** The index of {@code a} in its allocation block. */
    static int blockIndex(IpAddress a) {
        return (int) (a.low() & (BLOCK_SIZE - 1));
    }

    /** Key of an allocation block: pool id, then the block's first address. */
    static byte[] blockKey(int poolId, IpAddress a) {
        return poolAddressKey(poolId, blockBase(a));
    }

    /** The smallest and (exclusive-ish) largest keys starting with a pool id, for range scans. */
    static byte[] poolLow(int poolId) {
        byte[] k = new byte[4];
        putInt(k, 0, poolId);
        return k;
    }

    static byte[] poolHigh(int poolId) {
        byte[] k = new byte[5 + 16];
        putInt(k, 0, poolId);
        Arrays.fill(k, 4, k.length, (byte) 0xFF);
        return k;
    }

    /** History index key: family byte, address bytes, sequence (big-endian, so keys sort by sequence). */
    static byte[] historyKey(IpAddress a, long sequence) {
        int len = addressLength(a);
        byte[] key = new byte[1 + len + 8];
        key[0] = (byte) (a.isIpv4() ? 4 : 6);
        putAddressBytes(key, 1, a);
        putLong(key, 1 + len, sequence);
        return key;
    }

    static long historyKeySequence(byte[] key) {
        return getLong(key, key.length - 8);
    }

    /** Key of the last release of an environment key in a pool. */
    static byte[] lastReleaseKey(int poolId, String environment, String name) {
        Out out = new Out(32);
        out.i32(poolId);
        out.str(environment);
        out.str(name);
        return out.toBytes();
    }

    /** Per-pool live counts: allocated, held, quarantined. */
    static byte[] encodeCounts(long[] counts) {
        Out out = new Out(16);
        for (long c : counts) {
            out.varint(c);
        }
        return out.toBytes();
    }

    static long[] decodeCounts(byte[] bytes) {
        In in = new In(bytes);
        return new long[] {in.varint(), in.varint(), in.varint()};
    }

    // ------------------------------------------------------------------ journal chunks

    /**
     * A journal chunk holds consecutive changes of one batch: {@code varint count}, then per entry
     * {@code varint(sequence - chunkKey)}, {@code varint length} and the change. Entries may be missing
     * (pruned), which the explicit sequence offsets allow.
     */
    static byte[] encodeChunk(long chunkKey, long[] sequences, byte[][] changes, int from, int to) {
        Out out = new Out(256);
        out.varint(to - from);
        for (int i = from; i < to; i++) {
            out.varint(sequences[i] - chunkKey);
            out.varint(changes[i].length);
            out.bytes(changes[i], 0, changes[i].length);
        }
        return out.toBytes();
    }

    /** Visits the entries of a chunk. */
    interface ChunkVisitor {
        /** Returns false to stop. */
        boolean visit(long sequence, byte[] chunk, int offset, int length);
    }

    static void forEachInChunk(long chunkKey, byte[] chunk, ChunkVisitor visitor) {
        In in = new In(chunk);
        int count = in.varint32();
        for (int i = 0; i < count; i++) {
            long sequence = chunkKey + in.varint();
            int length = in.varint32();
            int offset = in.position();
            in.skip(length);
            if (!visitor.visit(sequence, chunk, offset, length)) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ allocation blocks

    /**
     * An allocation block: up to {@link #BLOCK_SIZE} allocations of consecutive addresses of one pool.
     * Layout: {@code i64 bitmap} (bit i: base + i is allocated), {@code varint n} and n strings (the
     * block's string table: every distinct owner, environment, name, host name and caller once), then per
     * allocated address in address order: owner, environment, name, hostname as {@code varint} table
     * references (0 = null, i + 1 = entry i), MAC, allocation instant, caller reference. The pool and the
     * address are implied by the key.
     */
    static byte[] encodeBlock(Allocation[] slots) {
        long bitmap = 0;
        String[] table = new String[16];
        int tableSize = 0;
        java.util.HashMap<String, Integer> index = new java.util.HashMap<>();
        Out body = new Out(64 * 24);
        for (int i = 0; i < BLOCK_SIZE; i++) {
            Allocation a = slots[i];
            if (a == null) {
                continue;
            }
            bitmap |= 1L << i;
            String[] fields = {a.owner(), a.environment(), a.name(), a.hostname()};
            for (String f : fields) {
                if (f == null) {
                    body.varint(0);
                    continue;
                }
                Integer ref = index.get(f);
                if (ref == null) {
                    ref = tableSize;
                    index.put(f, ref);
                    if (tableSize == table.length) {
                        table = Arrays.copyOf(table, tableSize * 2);
                    }
                    table[tableSize++] = f;
                }
                body.varint(ref + 1L);
            }
            body.mac(a.mac());
            body.instant(a.allocatedAt());
            String by = a.allocatedBy();
            Integer ref = index.get(by);
            if (ref == null) {
                ref = tableSize;
                index.put(by, ref);
                if (tableSize == table.length) {
                    table = Arrays.copyOf(table, tableSize * 2);
                }
                table[tableSize++] = by;
            }
            body.varint(ref + 1L);
        }
        Out out = new Out(8 + 16 * tableSize + body.size() + 4);
        out.i64(bitmap);
        out.varint(tableSize);
        for (int i = 0; i < tableSize; i++) {
            out.str(table[i]);
        }
        out.append(body);
        return out.toBytes();
    }

    static long blockBitmap(byte[] block) {
        return getLong(block, 0);
    }

    /** Something that receives decoded allocations. */
    interface AllocationSink {
        void accept(Allocation allocation);
    }

    /**
     * Decodes every allocation of a block in one pass.
     *
     * @param pool the pool's name (shared by every allocation: one String instance)
     * @param key the block key (pool id and block base address)
     */
    static void decodeBlock(String pool, byte[] key, byte[] block, AllocationSink sink) {
        boolean ipv4 = key.length == 8;
        long high = ipv4 ? 0 : getLong(key, 4);
        long lowBase = ipv4 ? getInt(key, 4) & 0xFFFF_FFFFL : getLong(key, 12);
        In in = new In(block);
        long bitmap = in.i64();
        int tableSize = in.varint32();
        String[] table = new String[tableSize];
        for (int i = 0; i < tableSize; i++) {
            table[i] = in.str();
        }
        while (bitmap != 0) {
            int i = Long.numberOfTrailingZeros(bitmap);
            bitmap &= bitmap - 1;
            String owner = ref(table, in.varint32());
            String environment = ref(table, in.varint32());
            String name = ref(table, in.varint32());
            String hostname = ref(table, in.varint32());
            MacAddress mac = in.mac();
            Instant at = in.instant();
            String by = ref(table, in.varint32());
            IpAddress address = ipv4 ? IpAddress.ofIpv4(lowBase + i) : IpAddress.ofIpv6(high, lowBase + i);
            sink.accept(new Allocation(pool, address, owner, environment, name, hostname, mac, at, by));
        }
        if (in.hasMore()) {
            throw new IllegalStateException("Trailing bytes in allocation block");
        }
    }

    private static String ref(String[] table, int ref) {
        return ref == 0 ? null : table[ref - 1];
    }

    /** Decodes a block into its slots (null where free). */
    static Allocation[] decodeBlockSlots(String pool, byte[] key, byte[] block) {
        Allocation[] slots = new Allocation[BLOCK_SIZE];
        if (block != null) {
            decodeBlock(pool, key, block, a -> slots[blockIndex(a.address())] = a);
        }
        return slots;
    }
}
