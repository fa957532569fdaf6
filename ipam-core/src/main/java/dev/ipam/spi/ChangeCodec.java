package dev.ipam.spi;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A stable binary encoding of the SPI's values ({@link PoolSpec}, {@link Pool}, {@link Allocation},
 * {@link Hold} and every {@link Change}) for stores that keep them as bytes: a store writes
 * {@code encodeX(value)} and gets an equal value back from {@code decodeX(bytes)}.
 *
 * <p><b>Versioning.</b> The bytes carry no version of their own: the whole encoding has one version,
 * {@link #VERSION}, which a store records once (in its file header or schema) and checks when it opens.
 * Encoded data of one version always decodes with the same version; any change to the layout below
 * comes with a new version number, so a store never misreads old bytes silently.
 *
 * <p><b>Layout</b> (version 1). Primitives: unsigned LEB128 varints, zig-zag for signed values; strings
 * as {@code varint(length + 1)} followed by UTF-8 bytes, {@code 0} standing for null; instants as
 * zig-zag epoch seconds plus a nano varint; durations likewise; addresses as a family byte (4 or 6)
 * and 4 or 16 bytes in network order; MAC addresses as a presence byte and 6 bytes; enums by name (so
 * that reordering constants never changes the meaning of stored data). A change starts with its tag
 * ({@link #POOL_CREATED} ... {@link #ACCESS_REFUSED}), followed by its fields in declaration order.
 *
 * <p><b>Thread-safety and errors.</b> The static methods are thread-safe and never block. An
 * {@link Out} or {@link In} is a cursor for one thread at a time. Decoding bytes that are not a valid
 * encoding (truncated, trailing bytes, unknown tag, bad enum name, invalid value) throws
 * {@link IllegalArgumentException} with a message naming what was being decoded and what is wrong;
 * encoding never fails for valid SPI values.
 */
public final class ChangeCodec {

    /** The version of this encoding. */
    public static final int VERSION = 1;

    /** Change tag of {@link Change.PoolCreated} (stable: part of the encoding). */
    public static final int POOL_CREATED = 1;
    /** Change tag of {@link Change.PoolDeleted}. */
    public static final int POOL_DELETED = 2;
    /** Change tag of {@link Change.Allocated}. */
    public static final int ALLOCATED = 3;
    /** Change tag of {@link Change.Released}. */
    public static final int RELEASED = 4;
    /** Change tag of {@link Change.Held}. */
    public static final int HELD = 5;
    /** Change tag of {@link Change.HoldEnded}. */
    public static final int HOLD_ENDED = 6;
    /** Change tag of {@link Change.QuarantineEnded}. */
    public static final int QUARANTINE_ENDED = 7;
    /** Change tag of {@link Change.AccessRefused}. */
    public static final int ACCESS_REFUSED = 8;

    private ChangeCodec() {
    }

    // ------------------------------------------------------------------ writer

    /** A growable output buffer. Not thread-safe. */
    public static final class Out {
        private byte[] buf;
        private int pos;

        /** An empty buffer with a small initial capacity. */
        public Out() {
            this(64);
        }

        /** An empty buffer with the given initial capacity (grown as needed). */
        public Out(int capacity) {
            buf = new byte[Math.max(capacity, 16)];
        }

        /** Empties the buffer, keeping its capacity. */
        public void reset() {
            pos = 0;
        }

        /** The number of bytes written. */
        public int size() {
            return pos;
        }

        /** A copy of the bytes written. */
        public byte[] toBytes() {
            return Arrays.copyOf(buf, pos);
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        /** One byte (the low 8 bits of {@code v}). */
        public void u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        /** A boolean as one byte, 0 or 1. */
        public void bool(boolean v) {
            u8(v ? 1 : 0);
        }

        /** Four bytes, big-endian. */
        public void i32(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        /** Eight bytes, big-endian. */
        public void i64(long v) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[pos++] = (byte) (v >>> shift);
            }
        }

        /** An unsigned LEB128 varint. */
        public void varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        /** A signed value as a zig-zag varint. */
        public void zigzag(long v) {
            varint((v << 1) ^ (v >> 63));
        }

        /** {@code len} raw bytes of {@code b} from {@code off}. */
        public void bytes(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }

        /** Appends everything written to {@code other}. */
        public void append(Out other) {
            bytes(other.buf, 0, other.pos);
        }

        /** A string or null. */
        public void str(String s) {
            if (s == null) {
                varint(0);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length + 1L);
            bytes(b, 0, b.length);
        }

        /** An instant: zig-zag epoch seconds, then the nanosecond varint. */
        public void instant(Instant t) {
            zigzag(t.getEpochSecond());
            varint(t.getNano());
        }

        /** A presence byte, then the instant if it is not null. */
        public void nullableInstant(Instant t) {
            bool(t != null);
            if (t != null) {
                instant(t);
            }
        }

        /** A duration: zig-zag seconds, then the nanosecond varint. */
        public void duration(Duration d) {
            zigzag(d.getSeconds());
            varint(d.getNano());
        }

        /** An address: family byte 4 or 6, then 4 or 16 bytes in network order. */
        public void address(IpAddress a) {
            if (a.isIpv4()) {
                u8(4);
                i32((int) a.low());
            } else {
                u8(6);
                i64(a.high());
                i64(a.low());
            }
        }

        /** A MAC address or null. */
        public void mac(MacAddress m) {
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

    /**
     * A cursor over a byte array. Not thread-safe. Reading past the end throws
     * {@link ArrayIndexOutOfBoundsException} from the primitive readers; the {@code decode} methods of
     * {@link ChangeCodec} turn that into an {@link IllegalArgumentException} naming what was decoded.
     */
    public static final class In {
        private final byte[] buf;
        private int pos;

        /** A cursor at the start of {@code buf}. */
        public In(byte[] buf) {
            this(buf, 0);
        }

        /** A cursor at offset {@code pos} of {@code buf}. */
        public In(byte[] buf, int pos) {
            this.buf = buf;
            this.pos = pos;
        }

        /** The offset of the next byte to read. */
        public int position() {
            return pos;
        }

        /** Skips {@code n} bytes. */
        public void skip(int n) {
            if (n < 0 || pos + n > buf.length) {
                throw new IllegalArgumentException("cannot skip " + n + " bytes at offset " + pos + " of " + buf.length);
            }
            pos += n;
        }

        /** Whether bytes remain after the cursor. */
        public boolean hasMore() {
            return pos < buf.length;
        }

        /** One unsigned byte. */
        public int u8() {
            return buf[pos++] & 0xFF;
        }

        /** A boolean byte; anything but 0 or 1 is refused. */
        public boolean bool() {
            int v = u8();
            if (v > 1) {
                throw new IllegalArgumentException("bad boolean byte " + v + " at offset " + (pos - 1));
            }
            return v == 1;
        }

        /** Four bytes, big-endian. */
        public int i32() {
            int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                    | (buf[pos + 3] & 0xFF);
            pos += 4;
            return v;
        }

        /** Eight bytes, big-endian. */
        public long i64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return v;
        }

        /** An unsigned LEB128 varint of at most 64 bits. */
        public long varint() {
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
                    throw new IllegalArgumentException("varint too long at offset " + pos);
                }
            }
        }

        /** A varint that must fit a non-negative int. */
        public int varint32() {
            long v = varint();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("varint out of int range: " + v + " before offset " + pos);
            }
            return (int) v;
        }

        /** A zig-zag varint (signed). */
        public long zigzag() {
            long v = varint();
            return (v >>> 1) ^ -(v & 1);
        }

        /** A string or null. */
        public String str() {
            int n = varint32();
            if (n == 0) {
                return null;
            }
            int len = n - 1;
            if (len > buf.length - pos) {
                throw new IllegalArgumentException("string of " + len + " bytes at offset " + pos
                        + " runs past the end (" + buf.length + " bytes)");
            }
            String s = new String(buf, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        /** An instant written by {@link Out#instant}. */
        public Instant instant() {
            long seconds = zigzag();
            return Instant.ofEpochSecond(seconds, nanos());
        }

        /** The nano part of an instant or duration: 0 to 999,999,999. */
        private int nanos() {
            int nanos = varint32();
            if (nanos > 999_999_999) {
                throw new IllegalArgumentException("nano part " + nanos + " out of range before offset " + pos);
            }
            return nanos;
        }

        /** An instant or null, written by {@link Out#nullableInstant}. */
        public Instant nullableInstant() {
            return bool() ? instant() : null;
        }

        /** A duration written by {@link Out#duration}. */
        public Duration duration() {
            long seconds = zigzag();
            return Duration.ofSeconds(seconds, nanos());
        }

        /** An address written by {@link Out#address}. */
        public IpAddress address() {
            int family = u8();
            if (family == 4) {
                return IpAddress.ofIpv4(i32() & 0xFFFF_FFFFL);
            }
            if (family == 6) {
                long high = i64();
                return IpAddress.ofIpv6(high, i64());
            }
            throw new IllegalArgumentException("bad address family byte " + family + " at offset " + (pos - 1));
        }

        /** A MAC address or null. */
        public MacAddress mac() {
            if (!bool()) {
                return null;
            }
            long v = 0;
            for (int i = 0; i < 6; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return MacAddress.of(v);
        }

        private <E extends Enum<E>> E enumValue(Class<E> type) {
            int at = pos;
            String name = str();
            try {
                return Enum.valueOf(type, name);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("unknown " + type.getSimpleName() + " '" + name + "' at offset " + at);
            }
        }
    }

    // ------------------------------------------------------------------ values

    /** Writes a pool spec: name, scope, CIDRs, ranges, exclusions, flags, strategy and durations. */
    public static void writeSpec(Out out, PoolSpec spec) {
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

    /** Reads a pool spec written by {@link #writeSpec}. */
    public static PoolSpec readSpec(In in) {
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
        b.defaultStrategy(in.enumValue(Strategy.class));
        b.quarantine(in.duration());
        b.stickiness(in.duration());
        b.holdTtl(in.duration());
        return b.build();
    }

    /** A pool: its spec, creation instant and creator. */
    public static byte[] encodePool(Pool pool) {
        Out out = new Out(128);
        writeSpec(out, pool.spec());
        out.instant(pool.createdAt());
        out.str(pool.createdBy());
        return out.toBytes();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not an encoded pool
     */
    public static Pool decodePool(byte[] bytes) {
        return decodeWhole("pool", bytes, in -> {
            PoolSpec spec = readSpec(in);
            Instant at = in.instant();
            return new Pool(spec, at, in.str());
        });
    }

    /** Writes an allocation: pool, address, owner, key, host name, MAC, instant and caller. */
    public static void writeAllocation(Out out, Allocation a) {
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

    /** Reads an allocation written by {@link #writeAllocation}. */
    public static Allocation readAllocation(In in) {
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

    /** An allocation on its own. */
    public static byte[] encodeAllocation(Allocation a) {
        Out out = new Out(96);
        writeAllocation(out, a);
        return out.toBytes();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not an encoded allocation
     */
    public static Allocation decodeAllocation(byte[] bytes) {
        return decodeWhole("allocation", bytes, ChangeCodec::readAllocation);
    }

    /** Writes a hold: pool, address, key, instants and caller. */
    public static void writeHold(Out out, Hold h) {
        out.str(h.pool());
        out.address(h.address());
        out.str(h.key());
        out.instant(h.heldAt());
        out.instant(h.expiresAt());
        out.str(h.heldBy());
    }

    /** Reads a hold written by {@link #writeHold}. */
    public static Hold readHold(In in) {
        String pool = in.str();
        IpAddress address = in.address();
        String key = in.str();
        Instant heldAt = in.instant();
        Instant expiresAt = in.instant();
        return new Hold(pool, address, key, heldAt, expiresAt, in.str());
    }

    /** A hold on its own. */
    public static byte[] encodeHold(Hold h) {
        Out out = new Out(64);
        writeHold(out, h);
        return out.toBytes();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not an encoded hold
     */
    public static Hold decodeHold(byte[] bytes) {
        return decodeWhole("hold", bytes, ChangeCodec::readHold);
    }

    /** The tag a change is encoded with ({@link #POOL_CREATED} ... {@link #ACCESS_REFUSED}). */
    public static int tagOf(Change change) {
        if (change instanceof Change.PoolCreated) {
            return POOL_CREATED;
        }
        if (change instanceof Change.PoolDeleted) {
            return POOL_DELETED;
        }
        if (change instanceof Change.Allocated) {
            return ALLOCATED;
        }
        if (change instanceof Change.Released) {
            return RELEASED;
        }
        if (change instanceof Change.Held) {
            return HELD;
        }
        if (change instanceof Change.HoldEnded) {
            return HOLD_ENDED;
        }
        if (change instanceof Change.QuarantineEnded) {
            return QUARANTINE_ENDED;
        }
        if (change instanceof Change.AccessRefused) {
            return ACCESS_REFUSED;
        }
        throw new IllegalArgumentException("Unknown change type " + change.getClass().getName());
    }

    /** Writes a change: its tag, then its fields. */
    public static void writeChange(Out out, Change change) {
        out.u8(tagOf(change));
        if (change instanceof Change.PoolCreated c) {
            writeSpec(out, c.spec());
            out.instant(c.at());
            out.str(c.caller());
        } else if (change instanceof Change.PoolDeleted d) {
            out.str(d.pool());
            out.instant(d.at());
            out.str(d.caller());
        } else if (change instanceof Change.Allocated a) {
            writeAllocation(out, a.allocation());
        } else if (change instanceof Change.Released r) {
            writeAllocation(out, r.allocation());
            out.instant(r.at());
            out.str(r.caller());
            out.nullableInstant(r.quarantineUntil());
        } else if (change instanceof Change.Held h) {
            writeHold(out, h.hold());
        } else if (change instanceof Change.HoldEnded e) {
            writeHold(out, e.hold());
            out.str(e.reason().name());
            out.instant(e.at());
            out.str(e.caller());
        } else if (change instanceof Change.QuarantineEnded q) {
            out.str(q.pool());
            out.address(q.address());
            out.bool(q.reused());
            out.instant(q.at());
            out.str(q.caller());
        } else if (change instanceof Change.AccessRefused r) {
            out.str(r.caller());
            out.str(r.action().name());
            out.str(r.scope().cloud());
            out.str(r.scope().zone());
            out.str(r.pool());
            out.instant(r.at());
        }
    }

    /**
     * Reads a change written by {@link #writeChange}.
     *
     * @throws IllegalArgumentException on an unknown tag or bad field
     */
    public static Change readChange(In in) {
        int at = in.position();
        int tag = in.u8();
        switch (tag) {
            case POOL_CREATED: {
                PoolSpec spec = readSpec(in);
                Instant when = in.instant();
                return new Change.PoolCreated(spec, when, in.str());
            }
            case POOL_DELETED: {
                String pool = in.str();
                Instant when = in.instant();
                return new Change.PoolDeleted(pool, when, in.str());
            }
            case ALLOCATED:
                return new Change.Allocated(readAllocation(in));
            case RELEASED: {
                Allocation a = readAllocation(in);
                Instant when = in.instant();
                String caller = in.str();
                return new Change.Released(a, when, caller, in.nullableInstant());
            }
            case HELD:
                return new Change.Held(readHold(in));
            case HOLD_ENDED: {
                Hold h = readHold(in);
                Change.HoldEndReason reason = in.enumValue(Change.HoldEndReason.class);
                Instant when = in.instant();
                return new Change.HoldEnded(h, reason, when, in.str());
            }
            case QUARANTINE_ENDED: {
                String pool = in.str();
                IpAddress address = in.address();
                boolean reused = in.bool();
                Instant when = in.instant();
                return new Change.QuarantineEnded(pool, address, reused, when, in.str());
            }
            case ACCESS_REFUSED: {
                String caller = in.str();
                Action action = in.enumValue(Action.class);
                Scope scope = Scope.of(in.str(), in.str());
                String pool = in.str();
                return new Change.AccessRefused(caller, action, scope, pool, in.instant());
            }
            default:
                throw new IllegalArgumentException("unknown change tag " + tag + " at offset " + at);
        }
    }

    /** A change on its own (how journals store it). */
    public static byte[] encodeChange(Change change) {
        Out out = new Out(128);
        writeChange(out, change);
        return out.toBytes();
    }

    /**
     * @throws IllegalArgumentException if the bytes are not one encoded change
     */
    public static Change decodeChange(byte[] bytes) {
        return decodeWhole("change", bytes, ChangeCodec::readChange);
    }

    /**
     * Decodes the change encoded in {@code bytes[offset .. offset + length)}.
     *
     * @throws IllegalArgumentException if that range is not one encoded change
     */
    public static Change decodeChange(byte[] bytes, int offset, int length) {
        In in = new In(bytes, offset);
        Change c = decode("change", bytes, in, ChangeCodec::readChange);
        if (in.position() != offset + length) {
            throw new IllegalArgumentException("Cannot decode change at offset " + offset + ": it ends at offset "
                    + in.position() + ", expected " + (offset + length));
        }
        return c;
    }

    /**
     * Decodes an encoded {@link Change.Released} (as a quarantine or last release is stored).
     *
     * @throws IllegalArgumentException if the bytes are not one encoded release
     */
    public static Change.Released decodeReleased(byte[] bytes) {
        Change c = decodeChange(bytes);
        if (c instanceof Change.Released r) {
            return r;
        }
        throw new IllegalArgumentException("Cannot decode release: the bytes hold a " + c.getClass().getSimpleName());
    }

    // ------------------------------------------------------------------ decoding guard

    /** Reads one value of an encoding. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(In in);
    }

    private static <T> T decodeWhole(String what, byte[] bytes, Reader<T> reader) {
        In in = new In(bytes);
        T value = decode(what, bytes, in, reader);
        if (in.hasMore()) {
            throw new IllegalArgumentException("Cannot decode " + what + ": " + (bytes.length - in.position())
                    + " trailing bytes after offset " + in.position() + " of " + bytes.length);
        }
        return value;
    }

    private static <T> T decode(String what, byte[] bytes, In in, Reader<T> reader) {
        if (bytes == null) {
            throw new IllegalArgumentException("Cannot decode " + what + ": no bytes (null)");
        }
        try {
            return reader.read(in);
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("Cannot decode " + what + ": truncated at offset " + in.position()
                    + " of " + bytes.length + " bytes", e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Cannot decode " + what + " (" + bytes.length + " bytes): " + e.getMessage(), e);
        }
    }
}
