package dev.ipam.store.mapdb;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;

/**
 * A MapDB {@link Volume} over one file that makes every {@link #sync()} an atomic, crash-safe commit of
 * all writes since the previous one, by full-page redo logging. MapDB's own {@code StoreDirect} runs on
 * it; {@code DB.commit()} ends in {@link #sync()}.
 *
 * <p>Writes never touch the file directly: they go to copies of the touched 4 KiB pages kept in memory.
 * {@link #sync()} (1) writes every dirty page with its page number, followed by a CRC-32C of the whole
 * record, to the redo file ({@code <file>.redo}) and forces it to disk (the commit point); (2) writes the
 * pages into the file and forces it; (3) forgets the dirty pages. Opening ({@link #recover}) replays a
 * complete redo record (its checksum matches) into the file; an incomplete one is a commit that never
 * reached its commit point, whose pages were never written to the file, and is ignored. Replaying the
 * last complete record is always safe: it holds the newest image of each of its pages (any later commit
 * would have overwritten the redo file first). {@link #discard()} drops the dirty pages: a rollback.
 *
 * <p>Reads look at the dirty pages first, then at a read-only memory map of the file. Thread-safety: reads
 * may run concurrently with each other; writes, {@link #sync()} and {@link #discard()} must be exclusive
 * (MapDbStore's read-write lock guarantees both).
 */
final class RedoVolume extends Volume {

    static final int PAGE_SHIFT = 12;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final long PAGE_MASK = PAGE_SIZE - 1;
    private static final int CHUNK_SHIFT = 26; // 64 MiB read-only mappings
    private static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long REDO_MAGIC = 0x4950_414d_5245_444fL; // "IPAMREDO"

    private final Path file;
    private final Path redoFile;
    private final FileChannel channel;
    private final FileChannel redo;
    private final Map<Long, byte[]> dirty = new HashMap<>();
    private volatile MappedByteBuffer[] chunks = new MappedByteBuffer[0];
    /** Bytes of the file on disk. */
    private volatile long fileLength;
    /** The length MapDB was promised (ensureAvailable), at least fileLength. */
    private long length;
    private boolean broken;

    private RedoVolume(Path file, Path redoFile, FileChannel channel, FileChannel redo) throws IOException {
        this.file = file;
        this.redoFile = redoFile;
        this.channel = channel;
        this.redo = redo;
        this.fileLength = channel.size();
        this.length = fileLength;
        remap();
    }

    static Path redoPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".redo");
    }

    /** Opens (creating if needed) the file and its redo file. Call {@link #recover} first. */
    static RedoVolume open(Path file) throws IOException {
        Path redoFile = redoPath(file);
        FileChannel redo = FileChannel.open(redoFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            redo.close();
            throw e;
        }
        return new RedoVolume(file, redoFile, channel, redo);
    }

    /**
     * Replays a complete redo record of {@code file}, if there is one, into the file, forces it, and
     * invalidates the record.
     *
     * @return whether a record was replayed
     */
    static boolean recover(Path file) throws IOException {
        Path redoFile = redoPath(file);
        if (!Files.exists(redoFile) || !Files.exists(file)) {
            return false;
        }
        try (FileChannel redo = FileChannel.open(redoFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer record = readRecord(redo);
            if (record == null) {
                return false;
            }
            int count = record.getInt(16);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                int pos = 20;
                for (int i = 0; i < count; i++) {
                    long page = record.getLong(pos);
                    ByteBuffer data = record.duplicate();
                    data.position(pos + 8).limit(pos + 8 + PAGE_SIZE);
                    writeFully(ch, data, page << PAGE_SHIFT);
                    pos += 8 + PAGE_SIZE;
                }
                long newLength = record.getLong(8);
                if (ch.size() < newLength) {
                    writeFully(ch, ByteBuffer.allocate(1), newLength - 1);
                }
                ch.force(true);
            }
            invalidate(redo, true);
            return true;
        }
    }

    /**
     * Overwrites the redo record's magic so that it is not replayed again. Without {@code force} the
     * invalidation may be lost in a power failure, which is harmless: the record then still holds the
     * newest image of each of its pages.
     */
    private static void invalidate(FileChannel redo, boolean force) throws IOException {
        writeFully(redo, ByteBuffer.allocate(8), 0);
        if (force) {
            redo.force(false);
        }
    }

    /** The complete, checksummed record in the redo file, or null. */
    private static ByteBuffer readRecord(FileChannel redo) throws IOException {
        long size = redo.size();
        if (size < 28) {
            return null;
        }
        ByteBuffer head = ByteBuffer.allocate(20);
        readFully(redo, head, 0);
        if (head.getLong(0) != REDO_MAGIC) {
            return null;
        }
        int count = head.getInt(16);
        long recordLength = 20L + (long) count * (8 + PAGE_SIZE) + 8;
        if (count < 0 || recordLength > size || recordLength > Integer.MAX_VALUE) {
            return null;
        }
        ByteBuffer record = ByteBuffer.allocate((int) recordLength);
        readFully(redo, record, 0);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, (int) recordLength - 8);
        if (record.getLong((int) recordLength - 8) != crc.getValue()) {
            return null;
        }
        return record;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw new IOException("Unexpected end of file");
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            p += ch.write(buf, p);
        }
    }

    private void remap() throws IOException {
        long size = fileLength;
        int n = (int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
        MappedByteBuffer[] old = chunks;
        MappedByteBuffer[] next = Arrays.copyOf(old, n);
        for (int i = 0; i < n; i++) {
            long start = (long) i << CHUNK_SHIFT;
            long len = Math.min(CHUNK_SIZE, size - start);
            if (next[i] == null || next[i].capacity() != len) {
                next[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, len);
            }
        }
        chunks = next;
    }

    // ------------------------------------------------------------------ commit and rollback

    /** Whether a commit failed after its commit point (the file must be reopened to complete it). */
    boolean isBroken() {
        return broken;
    }

    /** Whether there are writes not yet committed. */
    boolean hasDirtyPages() {
        return !dirty.isEmpty();
    }

    /** Drops every write since the last commit. */
    void discard() {
        dirty.clear();
        length = fileLength;
    }

    /** Commits every write since the last commit atomically and durably (see the class comment). */
    @Override
    public void sync() {
        if (broken) {
            throw new IllegalStateException("An earlier commit of " + file + " failed after its commit point; reopen it");
        }
        if (dirty.isEmpty() && length <= fileLength) {
            return;
        }
        Long[] pages = dirty.keySet().toArray(new Long[0]);
        Arrays.sort(pages);
        long newLength = Math.max(length, fileLength);
        for (Long p : pages) {
            newLength = Math.max(newLength, (p + 1) << PAGE_SHIFT);
        }
        // 1. The redo record: magic, new length, page count, (page number, page)*, CRC-32C.
        long recordLength = 20L + (long) pages.length * (8 + PAGE_SIZE) + 8;
        if (recordLength > Integer.MAX_VALUE) {
            throw new IllegalStateException("A single commit of " + pages.length + " pages is too large");
        }
        ByteBuffer record = ByteBuffer.allocate((int) recordLength);
        record.putLong(REDO_MAGIC).putLong(newLength).putInt(pages.length);
        for (Long p : pages) {
            record.putLong(p).put(dirty.get(p));
        }
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, record.position());
        record.putLong(crc.getValue());
        record.flip();
        try {
            writeFully(redo, record, 0);
            redo.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the redo log " + redoFile, e);
        }
        // 2. The commit point is passed: write the pages into the file.
        try {
            for (Long p : pages) {
                writeFully(channel, ByteBuffer.wrap(dirty.get(p)), p << PAGE_SHIFT);
            }
            if (channel.size() < newLength) {
                writeFully(channel, ByteBuffer.allocate(1), newLength - 1);
            }
            channel.force(true);
            invalidate(redo, false);
            fileLength = newLength;
            length = newLength;
            dirty.clear();
            remap();
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw new UncheckedIOException("Writing committed pages into " + file + " failed after the commit point; "
                    + "the commit completes when the file is opened again", e instanceof IOException io ? io
                    : new IOException(e));
        }
    }

    // ------------------------------------------------------------------ pages

    private byte[] dirtyPage(long page) {
        byte[] p = dirty.get(page);
        if (p == null) {
            p = new byte[PAGE_SIZE];
            readClean(page << PAGE_SHIFT, p, 0, PAGE_SIZE);
            dirty.put(page, p);
        }
        return p;
    }

    /** Reads committed bytes (zeros past the end of the file). Does not cross a page boundary. */
    private void readClean(long offset, byte[] dst, int pos, int len) {
        long end = fileLength;
        if (offset >= end) {
            Arrays.fill(dst, pos, pos + len, (byte) 0);
            return;
        }
        int avail = (int) Math.min(len, end - offset);
        MappedByteBuffer chunk = chunks[(int) (offset >>> CHUNK_SHIFT)];
        chunk.get((int) (offset & (CHUNK_SIZE - 1)), dst, pos, avail);
        if (avail < len) {
            Arrays.fill(dst, pos + avail, pos + len, (byte) 0);
        }
    }

    private byte cleanByte(long offset) {
        if (offset >= fileLength) {
            return 0;
        }
        return chunks[(int) (offset >>> CHUNK_SHIFT)].get((int) (offset & (CHUNK_SIZE - 1)));
    }

    // ------------------------------------------------------------------ Volume: writes

    @Override
    public void ensureAvailable(long offset) {
        if (offset > length) {
            length = offset;
        }
    }

    @Override
    public void truncate(long size) {
        // MapDB's StoreDirect does not shrink its file in the paths this store uses; keep the pages.
        if (size > length) {
            length = size;
        }
    }

    @Override
    public void putLong(long offset, long value) {
        if ((offset & PAGE_MASK) <= PAGE_SIZE - 8) {
            byte[] p = dirtyPage(offset >>> PAGE_SHIFT);
            int i = (int) (offset & PAGE_MASK);
            for (int k = 7; k >= 0; k--) {
                p[i + k] = (byte) value;
                value >>>= 8;
            }
        } else {
            for (int k = 0; k < 8; k++) {
                putByte(offset + k, (byte) (value >>> (56 - 8 * k)));
            }
        }
    }

    @Override
    public void putInt(long offset, int value) {
        if ((offset & PAGE_MASK) <= PAGE_SIZE - 4) {
            byte[] p = dirtyPage(offset >>> PAGE_SHIFT);
            int i = (int) (offset & PAGE_MASK);
            p[i] = (byte) (value >>> 24);
            p[i + 1] = (byte) (value >>> 16);
            p[i + 2] = (byte) (value >>> 8);
            p[i + 3] = (byte) value;
        } else {
            for (int k = 0; k < 4; k++) {
                putByte(offset + k, (byte) (value >>> (24 - 8 * k)));
            }
        }
    }

    @Override
    public void putByte(long offset, byte value) {
        dirtyPage(offset >>> PAGE_SHIFT)[(int) (offset & PAGE_MASK)] = value;
    }

    @Override
    public void putData(long offset, byte[] src, int srcPos, int srcSize) {
        long off = offset;
        int pos = srcPos;
        int remaining = srcSize;
        while (remaining > 0) {
            int inPage = (int) (off & PAGE_MASK);
            int n = Math.min(remaining, PAGE_SIZE - inPage);
            System.arraycopy(src, pos, dirtyPage(off >>> PAGE_SHIFT), inPage, n);
            off += n;
            pos += n;
            remaining -= n;
        }
    }

    @Override
    public void putData(long offset, ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        putData(offset, b, 0, b.length);
    }

    @Override
    public void clear(long startOffset, long endOffset) {
        long off = startOffset;
        while (off < endOffset) {
            int inPage = (int) (off & PAGE_MASK);
            int n = (int) Math.min(endOffset - off, PAGE_SIZE - inPage);
            Arrays.fill(dirtyPage(off >>> PAGE_SHIFT), inPage, inPage + n, (byte) 0);
            off += n;
        }
    }

    // ------------------------------------------------------------------ Volume: reads

    @Override
    public long getLong(long offset) {
        int inPage = (int) (offset & PAGE_MASK);
        if (inPage <= PAGE_SIZE - 8) {
            byte[] p = dirty.isEmpty() ? null : dirty.get(offset >>> PAGE_SHIFT);
            if (p != null) {
                long v = 0;
                for (int k = 0; k < 8; k++) {
                    v = (v << 8) | (p[inPage + k] & 0xFF);
                }
                return v;
            }
            if (offset + 8 <= fileLength) {
                return chunks[(int) (offset >>> CHUNK_SHIFT)].getLong((int) (offset & (CHUNK_SIZE - 1)));
            }
        }
        long v = 0;
        for (int k = 0; k < 8; k++) {
            v = (v << 8) | (getByte(offset + k) & 0xFF);
        }
        return v;
    }

    @Override
    public int getInt(long offset) {
        int inPage = (int) (offset & PAGE_MASK);
        if (inPage <= PAGE_SIZE - 4) {
            byte[] p = dirty.isEmpty() ? null : dirty.get(offset >>> PAGE_SHIFT);
            if (p != null) {
                return ((p[inPage] & 0xFF) << 24) | ((p[inPage + 1] & 0xFF) << 16) | ((p[inPage + 2] & 0xFF) << 8)
                        | (p[inPage + 3] & 0xFF);
            }
            if (offset + 4 <= fileLength) {
                return chunks[(int) (offset >>> CHUNK_SHIFT)].getInt((int) (offset & (CHUNK_SIZE - 1)));
            }
        }
        int v = 0;
        for (int k = 0; k < 4; k++) {
            v = (v << 8) | (getByte(offset + k) & 0xFF);
        }
        return v;
    }

    @Override
    public byte getByte(long offset) {
        byte[] p = dirty.isEmpty() ? null : dirty.get(offset >>> PAGE_SHIFT);
        return p != null ? p[(int) (offset & PAGE_MASK)] : cleanByte(offset);
    }

    @Override
    public void getData(long offset, byte[] dst, int dstPos, int size) {
        long off = offset;
        int pos = dstPos;
        int remaining = size;
        boolean anyDirty = !dirty.isEmpty();
        while (remaining > 0) {
            int inPage = (int) (off & PAGE_MASK);
            int n = Math.min(remaining, PAGE_SIZE - inPage);
            byte[] p = anyDirty ? dirty.get(off >>> PAGE_SHIFT) : null;
            if (p != null) {
                System.arraycopy(p, inPage, dst, pos, n);
            } else {
                readClean(off, dst, pos, n);
            }
            off += n;
            pos += n;
            remaining -= n;
        }
    }

    @Override
    public DataInput2 getDataInput(long offset, int size) {
        byte[] b = new byte[size];
        getData(offset, b, 0, size);
        return new DataInput2.ByteArray(b);
    }

    @Override
    public DataInput2 getDataInputOverlap(long offset, int size) {
        return getDataInput(offset, size);
    }

    @Override
    public void putDataOverlap(long offset, byte[] src, int srcPos, int srcSize) {
        putData(offset, src, srcPos, srcSize);
    }

    // ------------------------------------------------------------------ Volume: the rest

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Uncommitted pages are dropped: MapDB's close only rewrites the header checksum it wrote at the last commit.
        dirty.clear();
        chunks = new MappedByteBuffer[0];
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            redo.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public int sliceSize() {
        return -1;
    }

    @Override
    public boolean isSliced() {
        return false;
    }

    @Override
    public long length() {
        return Math.max(length, fileLength);
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public File getFile() {
        return file.toFile();
    }

    @Override
    public boolean getFileLocked() {
        return true;
    }
}
