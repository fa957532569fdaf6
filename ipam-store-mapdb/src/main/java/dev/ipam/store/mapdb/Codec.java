package dev.ipam.store.mapdb;

import dev.ipam.Action;
import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.Strategy;
import dev.ipam.address.AddressRange;
import dev.ipam.address.Cidr;
import dev.ipam.address.IpAddress;
import dev.ipam.address.MacAddress;
import dev.ipam.spi.Change;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The hand-written binary encoding of everything the store keeps (format version
 * {@link MapDbStore#FORMAT_VERSION}). MapDB only ever sees {@code byte[]}, {@code long}, {@code int} and
 * {@code String} values, so its default object serializer (which fails on JDK 16+) is never used.
 *
 * <p>Primitives: unsigned LEB128 varints, zig-zag for signed values; strings as {@code varint(length + 1)}
 * followed by UTF-8 bytes, {@code 0} standing for null; instants as zig-zag epoch seconds plus a nano
 * varint; addresses as a family byte (4 or 6) and 4 or 16 bytes in network order; enums by name (so that
 * reordering constants never changes the meaning of stored data). Not thread-safe: one {@link Out} or
 * {@link In} per thread.
 */
final class Codec {

    // Change tags (stable: part of the format).
    static final int POOL_CREATED = 1;
    static final int POOL_DELETED = 2;
    static final int ALLOCATED = 3;
    static final int RELEASED = 4;
    static final int HELD = 5;
    static final int HOLD_ENDED = 6;
    static final int QUARANTINE_ENDED = 7;
    static final int ACCESS_REFUSED = 8;

    /** Addresses per allocation block: one bit each in the block's bitmap. */
    static final int BLOCK_SIZE = 64;

    private Codec() {
    }

    // ------------------------------------------------------------------ writer

    /** A growable output buffer. */
    static final class Out {
        byte[] buf;
        int pos;

        Out() {
            this(64);
        }

        Out(int capacity) {
            buf = new byte[capacity];
        }

        void reset() {
            pos = 0;
        }

        byte[] toBytes() {
            return Arrays.copyOf(buf, pos);
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void bool(boolean v) {
            u8(v ? 1 : 0);
        }

        void i32(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        void i64(long v) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[pos++] = (byte) (v >>> shift);
            }
        }

        void varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void zigzag(long v) {
            varint((v << 1) ^ (v >> 63));
        }

        void bytes(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }

        void str(String s) {
            if (s == null) {
                varint(0);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length + 1L);
            bytes(b, 0, b.length);
        }

        void instant(Instant t) {
            zigzag(t.getEpochSecond());
            varint(t.getNano());
        }

        void nullableInstant(Instant t) {
            bool(t != null);
            if (t != null) {
                instant(t);
            }
        }

        void duration(Duration d) {
            zigzag(d.getSeconds());
            varint(d.getNano());
        }

        void address(IpAddress a) {
            if (a.isIpv4()) {
                u8(4);
                i32((int) a.low());
            } else {
                u8(6);
                i64(a.high());
                i64(a.low());
            }
        }

        void mac(MacAddress m) {
            bool(m != null);
            if (m != null) {
                long v = m.value();
                ensure(6);
                for (int shift = 40; shift >= 0; shift -= 8) {
                    buf[pos++] = (byte) (v >>> shift);
                }
            }
        }
    }

    // ------------------------------------------------------------------ reader

    /** A cursor over a byte array. */
    static final class In {
        final byte[] buf;
        int pos;

        In(byte[] buf) {
            this(buf, 0);
        }

        In(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        boolean hasMore() {
            return pos < buf.length;
        }

        int u8() {
            return buf[pos++] & 0xFF;
        }

        boolean bool() {
            int v = u8();
            if (v > 1) {
                throw new IllegalStateException("bad boolean byte " + v + " at " + (pos - 1));
            }
            return v == 1;
        }

        int i32() {
            int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                    | (buf[pos + 3] & 0xFF);
            pos += 4;
            return v;
        }

        long i64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return v;
        }

        long varint() {
            long v = 0;
            int shift = 0;
            while (true) {
                byte b = buf[pos++];
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return v;
                }
                shift += 7;
                if (shift > 63) {
                    throw new IllegalStateException("varint too long at " + pos);
                }
            }
        }

        int varint32() {
            long v = varint();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalStateException("varint out of int range: " + v);
            }
            return (int) v;
        }

        long zigzag() {
            long v = varint();
            return (v >>> 1) ^ -(v & 1);
        }

        String str() {
            int n = varint32();
            if (n == 0) {
                return null;
            }
            int len = n - 1;
            String s = new String(buf, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        /** Skips a string without decoding it. */
        void skipStr() {
            int n = varint32();
            if (n > 0) {
                pos += n - 1;
            }
        }

        Instant instant() {
            long seconds = zigzag();
            return Instant.ofEpochSecond(seconds, varint32());
        }

        Instant nullableInstant() {
            return bool() ? instant() : null;
        }

        Duration duration() {
            long seconds = zigzag();
            return Duration.ofSeconds(seconds, varint32());
        }

        IpAddress address() {
            int family = u8();
            if (family == 4) {
                return IpAddress.ofIpv4(i32() & 0xFFFF_FFFFL);
            }
            if (family == 6) {
                long high = i64();
                return IpAddress.ofIpv6(high, i64());
            }
            throw new IllegalStateException("bad address family byte " + family + " at " + (pos - 1));
        }

        MacAddress mac() {
            if (!bool()) {
                return null;
            }
            long v = 0;
            for (int i = 0; i < 6; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return MacAddress.of(v);
        }
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

    // ------------------------------------------------------------------ values

    static void writeSpec(Out out, PoolSpec spec) {
        out.str(spec.name());
        out.str(spec.scope().cloud());
        out.str(spec.scope().zone());
        out.varint(spec.cidrs().size());
        for (Cidr c : spec.cidrs()) {
            out.address(c.network());
            out.u8(c.prefixLength());
        }
        writeRanges(out, spec.ranges());
        writeRanges(out, spec.exclusions());
        out.bool(spec.reserveNetworkAndBroadcast());
        out.str(spec.defaultStrategy().name());
        out.duration(spec.quarantine());
        out.duration(spec.stickiness());
        out.duration(spec.holdTtl());
    }

    private static void writeRanges(Out out, List<AddressRange> ranges) {
        out.varint(ranges.size());
        for (AddressRange r : ranges) {
            out.address(r.first());
            out.address(r.last());
        }
    }

    static PoolSpec readSpec(In in) {
        String name = in.str();
        Scope scope = Scope.of(in.str(), in.str());
        PoolSpec.Builder b = PoolSpec.builder(name, scope);
        int cidrs = in.varint32();
        for (int i = 0; i < cidrs; i++) {
            IpAddress network = in.address();
            b.cidr(Cidr.of(network, in.u8()));
        }
        int ranges = in.varint32();
        for (int i = 0; i < ranges; i++) {
            IpAddress first = in.address();
            b.range(AddressRange.of(first, in.address()));
        }
        int exclusions = in.varint32();
        for (int i = 0; i < exclusions; i++) {
            IpAddress first = in.address();
            b.exclude(AddressRange.of(first, in.address()));
        }
        b.reserveNetworkAndBroadcast(in.bool());
        b.defaultStrategy(Strategy.valueOf(in.str()));
        b.quarantine(in.duration());
        b.stickiness(in.duration());
        b.holdTtl(in.duration());
        return b.build();
    }

    static byte[] encodePool(Pool pool) {
        Out out = new Out(128);
        writeSpec(out, pool.spec());
        out.instant(pool.createdAt());
        out.str(pool.createdBy());
        return out.toBytes();
    }

    static Pool decodePool(byte[] bytes) {
        In in = new In(bytes);
        PoolSpec spec = readSpec(in);
        Instant at = in.instant();
        return new Pool(spec, at, in.str());
    }

    static void writeAllocation(Out out, Allocation a) {
        out.str(a.pool());
        out.address(a.address());
        out.str(a.owner());
        out.str(a.environment());
        out.str(a.name());
        out.str(a.hostname());
        out.mac(a.mac());
        out.instant(a.allocatedAt());
        out.str(a.allocatedBy());
    }

    static Allocation readAllocation(In in) {
        String pool = in.str();
        IpAddress address = in.address();
        String owner = in.str();
        String environment = in.str();
        String name = in.str();
        String hostname = in.str();
        MacAddress mac = in.mac();
        Instant at = in.instant();
        return new Allocation(pool, address, owner, environment, name, hostname, mac, at, in.str());
    }

    static void writeHold(Out out, Hold h) {
        out.str(h.pool());
        out.address(h.address());
        out.str(h.key());
        out.instant(h.heldAt());
        out.instant(h.expiresAt());
        out.str(h.heldBy());
    }

    static Hold readHold(In in) {
        String pool = in.str();
        IpAddress address = in.address();
        String key = in.str();
        Instant heldAt = in.instant();
        Instant expiresAt = in.instant();
        return new Hold(pool, address, key, heldAt, expiresAt, in.str());
    }

    static byte[] encodeHold(Hold h) {
        Out out = new Out(64);
        writeHold(out, h);
        return out.toBytes();
    }

    static Hold decodeHold(byte[] bytes) {
        return readHold(new In(bytes));
    }

    static void writeChange(Out out, Change change) {
        if (change instanceof Change.PoolCreated c) {
            out.u8(POOL_CREATED);
            writeSpec(out, c.spec());
            out.instant(c.at());
            out.str(c.caller());
        } else if (change instanceof Change.PoolDeleted d) {
            out.u8(POOL_DELETED);
            out.str(d.pool());
            out.instant(d.at());
            out.str(d.caller());
        } else if (change instanceof Change.Allocated a) {
            out.u8(ALLOCATED);
            writeAllocation(out, a.allocation());
        } else if (change instanceof Change.Released r) {
            out.u8(RELEASED);
            writeAllocation(out, r.allocation());
            out.instant(r.at());
            out.str(r.caller());
            out.nullableInstant(r.quarantineUntil());
        } else if (change instanceof Change.Held h) {
            out.u8(HELD);
            writeHold(out, h.hold());
        } else if (change instanceof Change.HoldEnded e) {
            out.u8(HOLD_ENDED);
            writeHold(out, e.hold());
            out.str(e.reason().name());
            out.instant(e.at());
            out.str(e.caller());
        } else if (change instanceof Change.QuarantineEnded q) {
            out.u8(QUARANTINE_ENDED);
            out.str(q.pool());
            out.address(q.address());
            out.bool(q.reused());
            out.instant(q.at());
            out.str(q.caller());
        } else if (change instanceof Change.AccessRefused r) {
            out.u8(ACCESS_REFUSED);
            out.str(r.caller());
            out.str(r.action().name());
            out.str(r.scope().cloud());
            out.str(r.scope().zone());
            out.str(r.pool());
            out.instant(r.at());
        } else {
            throw new IllegalArgumentException("Unknown change type " + change.getClass().getName());
        }
    }

    static Change readChange(In in) {
        int tag = in.u8();
        switch (tag) {
            case POOL_CREATED: {
                PoolSpec spec = readSpec(in);
                Instant at = in.instant();
                return new Change.PoolCreated(spec, at, in.str());
            }
            case POOL_DELETED: {
                String pool = in.str();
                Instant at = in.instant();
                return new Change.PoolDeleted(pool, at, in.str());
            }
            case ALLOCATED:
                return new Change.Allocated(readAllocation(in));
            case RELEASED: {
                Allocation a = readAllocation(in);
                Instant at = in.instant();
                String caller = in.str();
                return new Change.Released(a, at, caller, in.nullableInstant());
            }
            case HELD:
                return new Change.Held(readHold(in));
            case HOLD_ENDED: {
                Hold h = readHold(in);
                Change.HoldEndReason reason = Change.HoldEndReason.valueOf(in.str());
                Instant at = in.instant();
                return new Change.HoldEnded(h, reason, at, in.str());
            }
            case QUARANTINE_ENDED: {
                String pool = in.str();
                IpAddress address = in.address();
                boolean reused = in.bool();
                Instant at = in.instant();
                return new Change.QuarantineEnded(pool, address, reused, at, in.str());
            }
            case ACCESS_REFUSED: {
                String caller = in.str();
                Action action = Action.valueOf(in.str());
                Scope scope = Scope.of(in.str(), in.str());
                String pool = in.str();
                return new Change.AccessRefused(caller, action, scope, pool, in.instant());
            }
            default:
                throw new IllegalStateException("Unknown change tag " + tag + " at " + (in.pos - 1));
        }
    }

    static byte[] encodeChange(Change change) {
        Out out = new Out(128);
        writeChange(out, change);
        return out.toBytes();
    }

    static Change decodeChange(byte[] bytes) {
        In in = new In(bytes);
        Change c = readChange(in);
        if (in.hasMore()) {
            throw new IllegalStateException("Trailing bytes after change");
        }
        return c;
    }

    static byte[] encodeReleased(Change.Released r) {
        return encodeChange(r);
    }

    static Change.Released decodeReleased(byte[] bytes) {
        return (Change.Released) decodeChange(bytes);
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
            int offset = in.pos;
            in.pos += length;
            if (!visitor.visit(sequence, chunk, offset, length)) {
                return;
            }
        }
    }

    static Change decodeChange(byte[] chunk, int offset, int length) {
        In in = new In(chunk, offset);
        Change c = readChange(in);
        if (in.pos != offset + length) {
            throw new IllegalStateException("Change length mismatch");
        }
        return c;
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
        Out out = new Out(8 + 16 * tableSize + body.pos + 4);
        out.i64(bitmap);
        out.varint(tableSize);
        for (int i = 0; i < tableSize; i++) {
            out.str(table[i]);
        }
        out.bytes(body.buf, 0, body.pos);
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
