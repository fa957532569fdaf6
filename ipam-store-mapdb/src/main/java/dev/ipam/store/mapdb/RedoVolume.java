package dev.ipam.store.mapdb;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;

/**
 * A MapDB {@link Volume} over one file that makes every {@link #sync()} an atomic, crash-safe commit of
 * all writes since the previous one, by redo logging. MapDB's own {@code StoreDirect} runs on it;
 * {@code DB.commit()} ends in {@link #sync()}.
 *
 * <p>Writes never touch the file directly: they go to copies of the touched 4 KiB pages kept in memory,
 * which also note which 64-byte lines were written ({@link DirtyPages}). {@link #sync()}
 * <ol>
 *   <li>appends one record to the redo log ({@code <file>.redo}): the written lines of every dirty page
 *       with their positions, the file's new length and a CRC-32C, and forces the log to disk. That force
 *       is the commit point, and the only one a commit waits for;</li>
 *   <li>writes the dirty pages into the file without forcing it, and forgets them;</li>
 *   <li>once the log holds {@value #CHECKPOINT_BYTES} bytes of records, checkpoints: forces the file, then
 *       starts a new log generation (a new header, forced), which retires every record so far.</li>
 * </ol>
 * Opening ({@link #recover}) replays, in order, every complete record of the current generation into the
 * file, forces it and starts a new generation. A record counts only when its generation, its number (one
 * more than the record before) and its checksum all match; the first that does not ends the log. The file
 * bytes a record describes are exactly those its commit changed, so whatever subset of the unforced file
 * writes reached the disk before a crash, replaying the records since the last checkpoint in order
 * restores every committed byte. A commit whose record never completed wrote nothing into the file.
 *
 * <p>The log's space is written with zeros ahead of the records ({@value #LOG_EXTENT} bytes at a time),
 * so that forcing a record seldom has to force file-size metadata too. {@link #close()} checkpoints and
 * shrinks the log to its header. {@link #discard()} drops the dirty pages: a rollback. If the log write or
 * its force fails, the record's head is overwritten so that it is never replayed, and the commit can be
 * rolled back; if that fails too, or a failure comes after the commit point, the volume refuses further
 * commits ({@link #brokenReason()}) and the next {@link #recover} settles the state.
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

    /** Opens a log: "IPAMLOG2", then the generation and a CRC-32C of both. */
    private static final long LOG_MAGIC = 0x4950_414d_4c4f_4732L;
    /** The single full-page record that earlier versions of this class kept instead of a log ("IPAMREDO"). */
    private static final long SINGLE_RECORD_MAGIC = 0x4950_414d_5245_444fL;
    /** Records start after the header's own block. */
    static final int LOG_HEADER_SIZE = 4096;
    /** Record head: generation, number, new file length (longs), page count, record length (ints). */
    private static final int RECORD_HEAD = 32;
    /** Per page in a record: page number and line mask. */
    private static final int PAGE_HEAD = 16;
    private static final int CHECKSUM = 8;
    static final long CHECKPOINT_BYTES = 8L << 20;
    static final int LOG_EXTENT = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024);
    private static final VarHandle LONG_VIEW = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_VIEW = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private final Path file;
    private final Path redoFile;
    private final FileChannel channel;
    private final FileChannel redo;
    private final DirtyPages dirty = new DirtyPages();
    private volatile MappedByteBuffer[] chunks = new MappedByteBuffer[0];
    /** Bytes of the file on disk. */
    private volatile long fileLength;
    /** The length MapDB was promised (ensureAvailable), at least fileLength. */
    private long length;
    private volatile String broken;
    /** The log's generation, its last record's number and where the next record goes. */
    private long generation;
    private long lastNumber;
    private long logPosition = LOG_HEADER_SIZE;
    /** Bytes of the log file (written, zeros past the records). */
    private long logSize;
    private ByteBuffer recordBuffer = ByteBuffer.allocate(64 * 1024);
    /** Log bytes of records after which a commit checkpoints. */
    private final long checkpointBytes;
    /** Checkpoints so far, for tests. */
    private long checkpoints;

    private RedoVolume(Path file, Path redoFile, FileChannel channel, FileChannel redo, long generation,
            long checkpointBytes) throws IOException {
        this.checkpointBytes = checkpointBytes;
        this.file = file;
        this.redoFile = redoFile;
        this.channel = channel;
        this.redo = redo;
        this.generation = generation;
        this.logSize = redo.size();
        this.fileLength = channel.size();
        this.length = fileLength;
        remap();
    }

    static Path redoPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".redo");
    }

    /**
     * Opens (creating if needed) the file and its redo log, after {@linkplain #recover recovering} the
     * file, and starts a new log generation.
     */
    static RedoVolume open(Path file) throws IOException {
        return open(file, CHECKPOINT_BYTES);
    }

    /** {@link #open(Path)} with another checkpoint interval (tests use small ones). */
    static RedoVolume open(Path file, long checkpointBytes) throws IOException {
        recover(file);
        Path redoFile = redoPath(file);
        FileChannel redo = FileChannel.open(redoFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long generation = nextGeneration(readHeader(redo));
            writeHeader(redo, generation);
            return new RedoVolume(file, redoFile, channel, redo, generation, checkpointBytes);
        } catch (IOException | RuntimeException e) {
            redo.close();
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /**
     * Replays the committed records of {@code file}'s redo log, if there are any, into the file, forces
     * it, and starts a new log generation so that they are not replayed again. Changes nothing when there
     * is no log, no file or no record.
     *
     * @return whether records were replayed
     */
    static boolean recover(Path file) throws IOException {
        Path redoFile = redoPath(file);
        if (!Files.exists(redoFile) || !Files.exists(file)) {
            return false;
        }
        try (FileChannel redo = FileChannel.open(redoFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (redo.size() >= 8 && readLong(redo, 0) == SINGLE_RECORD_MAGIC) {
                return recoverSingleRecord(file, redo);
            }
            Long generation = readHeader(redo);
            if (generation == null) {
                return false;
            }
            int replayed = 0;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                long position = LOG_HEADER_SIZE;
                long newLength = 0;
                ByteBuffer record;
                while ((record = readRecord(redo, position, generation, replayed + 1)) != null) {
                    replay(record, ch);
                    newLength = record.getLong(16);
                    position += record.capacity();
                    replayed++;
                }
                if (replayed == 0) {
                    return false;
                }
                if (ch.size() < newLength) {
                    writeFully(ch, ByteBuffer.allocate(1), newLength - 1);
                }
                ch.force(true);
            }
            writeHeader(redo, generation + 1);
            return true;
        }
    }

    /** Writes the written lines of every page of {@code record} into the file. */
    private static void replay(ByteBuffer record, FileChannel ch) throws IOException {
        int pages = record.getInt(24);
        int position = RECORD_HEAD;
        for (int i = 0; i < pages; i++) {
            long page = record.getLong(position);
            long lines = record.getLong(position + 8);
            position += PAGE_HEAD;
            while (lines != 0) {
                int first = Long.numberOfTrailingZeros(lines);
                int count = Long.numberOfTrailingZeros(~(lines >>> first));
                int bytes = count << DirtyPages.LINE_SHIFT;
                ByteBuffer data = record.duplicate();
                data.position(position).limit(position + bytes);
                writeFully(ch, data, (page << PAGE_SHIFT) + ((long) first << DirtyPages.LINE_SHIFT));
                position += bytes;
                lines &= count == 64 ? 0 : ~(((1L << count) - 1) << first);
            }
        }
    }

    /**
     * The record at {@code position} when it is complete, of {@code generation}, numbered {@code number}
     * and well formed; otherwise null (the end of the log).
     */
    private static ByteBuffer readRecord(FileChannel redo, long position, long generation, long number)
            throws IOException {
        long size = redo.size();
        if (position + RECORD_HEAD + CHECKSUM > size) {
            return null;
        }
        ByteBuffer head = ByteBuffer.allocate(RECORD_HEAD);
        readFully(redo, head, position);
        int pages = head.getInt(24);
        int recordLength = head.getInt(28);
        if (head.getLong(0) != generation || head.getLong(8) != number || pages < 0
                || recordLength < RECORD_HEAD + CHECKSUM || position + recordLength > size) {
            return null;
        }
        ByteBuffer record = ByteBuffer.allocate(recordLength);
        readFully(redo, record, position);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, recordLength - CHECKSUM);
        if (record.getLong(recordLength - CHECKSUM) != crc.getValue()) {
            return null;
        }
        long expected = RECORD_HEAD + CHECKSUM;
        for (int i = 0, p = RECORD_HEAD; i < pages; i++) {
            if (p + PAGE_HEAD > recordLength - CHECKSUM) {
                return null;
            }
            int bytes = Long.bitCount(record.getLong(p + 8)) << DirtyPages.LINE_SHIFT;
            expected += PAGE_HEAD + bytes;
            p += PAGE_HEAD + bytes;
        }
        return expected == recordLength ? record : null;
    }

    /** Replays the single full-page record that earlier versions of this class wrote, then starts a log. */
    private static boolean recoverSingleRecord(Path file, FileChannel redo) throws IOException {
        long size = redo.size();
        boolean replayed = false;
        if (size >= 28) {
            ByteBuffer head = ByteBuffer.allocate(20);
            readFully(redo, head, 0);
            int count = head.getInt(16);
            long recordLength = 20L + (long) count * (8 + PAGE_SIZE) + 8;
            if (count >= 0 && recordLength <= size && recordLength <= Integer.MAX_VALUE) {
                ByteBuffer record = ByteBuffer.allocate((int) recordLength);
                readFully(redo, record, 0);
                CRC32C crc = new CRC32C();
                crc.update(record.array(), 0, (int) recordLength - 8);
                if (record.getLong((int) recordLength - 8) == crc.getValue()) {
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
                    replayed = true;
                }
            }
        }
        writeHeader(redo, nextGeneration(null));
        return replayed;
    }

    /** The generation in the log's header, or null when it has no valid header. */
    private static Long readHeader(FileChannel redo) throws IOException {
        if (redo.size() < 24) {
            return null;
        }
        ByteBuffer header = ByteBuffer.allocate(24);
        readFully(redo, header, 0);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 16);
        if (header.getLong(0) != LOG_MAGIC || header.getLong(16) != crc.getValue()) {
            return null;
        }
        return header.getLong(8);
    }

    private static long nextGeneration(Long current) {
        // Without a readable header the old generation is unknown: a random one cannot match stale records.
        return current != null ? current + 1 : ThreadLocalRandom.current().nextLong();
    }

    /** Writes a header for {@code generation} (retiring every record of older ones) and forces it. */
    private static void writeHeader(FileChannel redo, long generation) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(24);
        header.putLong(LOG_MAGIC).putLong(generation);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 16);
        header.putLong(crc.getValue()).flip();
        writeFully(redo, header, 0);
        redo.force(false);
    }

    private static long readLong(FileChannel ch, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        readFully(ch, b, position);
        return b.getLong(0);
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

    /** Whether a failure left the volume unable to commit (the file must be reopened), and why. */
    boolean isBroken() {
        return broken != null;
    }

    /** Why the volume refuses commits, or null. */
    String brokenReason() {
        return broken;
    }

    /** Checkpoints so far (see the class comment). */
    long checkpoints() {
        return checkpoints;
    }

    /** Where the next log record goes: the end of the durable records. */
    long logPosition() {
        return logPosition;
    }

    /** Drops every write since the last commit. */
    void discard() {
        dirty.clear();
        length = fileLength;
    }

    /** Commits every write since the last commit atomically and durably (see the class comment). */
    @Override
    public void sync() {
        if (broken != null) {
            throw new IllegalStateException("Cannot commit to " + file + ": " + broken + "; reopen it");
        }
        if (dirty.isEmpty() && length <= fileLength) {
            return;
        }
        long[] pages = dirty.sortedPages();
        int[] slots = new int[pages.length];
        for (int i = 0; i < pages.length; i++) {
            slots[i] = dirty.slotOf(pages[i]);
        }
        long newLength = Math.max(length, fileLength);
        if (pages.length > 0) {
            newLength = Math.max(newLength, (pages[pages.length - 1] + 1) << PAGE_SHIFT);
        }
        ByteBuffer record = encodeRecord(pages, slots, newLength);
        long position = logPosition;
        try {
            ensureLogSpace(position + record.remaining());
            writeFully(redo, record, position);
            redo.force(false);
        } catch (IOException | RuntimeException e) {
            unwriteRecord(position, e);
            throw new UncheckedIOException("Cannot write the redo log " + redoFile, e instanceof IOException io ? io
                    : new IOException(e));
        }
        // The commit point is passed: write the pages into the file (forced at the next checkpoint).
        lastNumber++;
        logPosition = position + record.limit();
        try {
            for (int i = 0; i < pages.length; i++) {
                writeFully(channel, ByteBuffer.wrap(dirty.page(slots[i])), pages[i] << PAGE_SHIFT);
            }
            if (channel.size() < newLength) {
                writeFully(channel, ByteBuffer.allocate(1), newLength - 1);
            }
            fileLength = newLength;
            length = newLength;
            dirty.clear();
            remap();
            if (logPosition - LOG_HEADER_SIZE >= checkpointBytes) {
                checkpoint();
            }
        } catch (IOException | RuntimeException e) {
            broken = "writing a commit into the file failed after its commit point (" + e
                    + "); the commit completes when the file is opened again";
            throw new UncheckedIOException("Writing committed pages into " + file + " failed after the commit point; "
                    + "the commit completes when the file is opened again", e instanceof IOException io ? io
                    : new IOException(e));
        }
    }

    /** The log record of the dirty pages (ascending, with their slots), ready to write. */
    private ByteBuffer encodeRecord(long[] pages, int[] slots, long newLength) {
        long recordLength = RECORD_HEAD + CHECKSUM;
        for (int slot : slots) {
            recordLength += PAGE_HEAD + ((long) Long.bitCount(dirty.lines(slot)) << DirtyPages.LINE_SHIFT);
        }
        if (recordLength > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("A single commit of " + pages.length + " pages is too large");
        }
        ByteBuffer record = recordBuffer.capacity() >= recordLength ? recordBuffer.clear()
                : ByteBuffer.allocate((int) recordLength);
        if (record.capacity() <= 4 * LOG_EXTENT) {
            recordBuffer = record; // keep a moderate buffer for the next commit, not a huge one
        }
        record.putLong(generation).putLong(lastNumber + 1).putLong(newLength).putInt(pages.length)
                .putInt((int) recordLength);
        for (int i = 0; i < pages.length; i++) {
            long lines = dirty.lines(slots[i]);
            byte[] content = dirty.page(slots[i]);
            record.putLong(pages[i]).putLong(lines);
            for (long rest = lines; rest != 0; rest &= rest - 1) {
                record.put(content, Long.numberOfTrailingZeros(rest) << DirtyPages.LINE_SHIFT, DirtyPages.LINE_SIZE);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, record.position());
        record.putLong(crc.getValue());
        return record.flip();
    }

    /** Writes zeros ahead so that the log's size covers {@code end}. */
    private void ensureLogSpace(long end) throws IOException {
        if (end <= logSize) {
            return;
        }
        long target = (end + LOG_EXTENT - 1) / LOG_EXTENT * LOG_EXTENT;
        for (long p = logSize; p < target; ) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), target - p));
            int n = redo.write(zeros, p);
            p += n;
        }
        logSize = target;
    }

    /**
     * After the log write or force of a record failed: the record may be on disk anyway, so overwrite its
     * head, which makes it the end of the log. If even that fails, refuse further commits.
     */
    private void unwriteRecord(long position, Exception cause) {
        try {
            writeFully(redo, ByteBuffer.allocate(RECORD_HEAD), position);
            redo.force(false);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            broken = "a failed commit's redo record could not be invalidated (" + e
                    + "); opening the file again decides whether that commit happened";
        }
    }

    /** Forces the file, then retires the log's records by starting a new generation. */
    private void checkpoint() throws IOException {
        channel.force(true);
        writeHeader(redo, generation + 1);
        generation++;
        lastNumber = 0;
        logPosition = LOG_HEADER_SIZE;
        checkpoints++;
    }

    // ------------------------------------------------------------------ pages

    /** The in-memory copy of {@code page} for writing bytes {@code [from, from + length)} of it; marks them. */
    private byte[] dirtyPage(long page, int from, int length) {
        int slot = dirty.slotOf(page);
        if (slot < 0) {
            slot = dirty.add(page);
            readClean(page << PAGE_SHIFT, dirty.page(slot), 0, PAGE_SIZE);
        }
        dirty.markWritten(slot, from, length);
        return dirty.page(slot);
    }

    /** The in-memory copy of {@code page}, or null when it was not written since the last commit. */
    private byte[] dirtyOrNull(long page) {
        if (dirty.isEmpty()) {
            return null;
        }
        int slot = dirty.slotOf(page);
        return slot < 0 ? null : dirty.page(slot);
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
            int i = (int) (offset & PAGE_MASK);
            LONG_VIEW.set(dirtyPage(offset >>> PAGE_SHIFT, i, 8), i, value);
        } else {
            for (int k = 0; k < 8; k++) {
                putByte(offset + k, (byte) (value >>> (56 - 8 * k)));
            }
        }
    }

    @Override
    public void putInt(long offset, int value) {
        if ((offset & PAGE_MASK) <= PAGE_SIZE - 4) {
            int i = (int) (offset & PAGE_MASK);
            INT_VIEW.set(dirtyPage(offset >>> PAGE_SHIFT, i, 4), i, value);
        } else {
            for (int k = 0; k < 4; k++) {
                putByte(offset + k, (byte) (value >>> (24 - 8 * k)));
            }
        }
    }

    @Override
    public void putByte(long offset, byte value) {
        int i = (int) (offset & PAGE_MASK);
        dirtyPage(offset >>> PAGE_SHIFT, i, 1)[i] = value;
    }

    @Override
    public void putData(long offset, byte[] src, int srcPos, int srcSize) {
        long off = offset;
        int pos = srcPos;
        int remaining = srcSize;
        while (remaining > 0) {
            int inPage = (int) (off & PAGE_MASK);
            int n = Math.min(remaining, PAGE_SIZE - inPage);
            System.arraycopy(src, pos, dirtyPage(off >>> PAGE_SHIFT, inPage, n), inPage, n);
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
            Arrays.fill(dirtyPage(off >>> PAGE_SHIFT, inPage, n), inPage, inPage + n, (byte) 0);
            off += n;
        }
    }

    // ------------------------------------------------------------------ Volume: reads

    @Override
    public long getLong(long offset) {
        int inPage = (int) (offset & PAGE_MASK);
        if (inPage <= PAGE_SIZE - 8) {
            byte[] p = dirtyOrNull(offset >>> PAGE_SHIFT);
            if (p != null) {
                return (long) LONG_VIEW.get(p, inPage);
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
            byte[] p = dirtyOrNull(offset >>> PAGE_SHIFT);
            if (p != null) {
                return (int) INT_VIEW.get(p, inPage);
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
        byte[] p = dirtyOrNull(offset >>> PAGE_SHIFT);
        return p != null ? p[(int) (offset & PAGE_MASK)] : cleanByte(offset);
    }

    @Override
    public void getData(long offset, byte[] dst, int dstPos, int size) {
        long off = offset;
        int pos = dstPos;
        int remaining = size;
        while (remaining > 0) {
            int inPage = (int) (off & PAGE_MASK);
            int n = Math.min(remaining, PAGE_SIZE - inPage);
            byte[] p = dirtyOrNull(off >>> PAGE_SHIFT);
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

    /**
     * Committed bytes within one 64 MiB mapping, while no page is dirty (reads outside a commit),
     * are read in place rather than copied first: a reload reads every record once. As with MapDB's
     * own memory-mapped volume, the view is not bounded by {@code size}; MapDB reads only the
     * record's bytes from it.
     */
    @Override
    public DataInput2 getDataInput(long offset, int size) {
        if (size > 0 && dirty.isEmpty() && offset + size <= fileLength
                && offset >>> CHUNK_SHIFT == (offset + size - 1) >>> CHUNK_SHIFT) {
            return new DataInput2.ByteBuffer(chunks[(int) (offset >>> CHUNK_SHIFT)], (int) (offset & (CHUNK_SIZE - 1)));
        }
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

    /**
     * Closes the file and the log. Uncommitted pages are dropped (MapDB's close only rewrites the header
     * checksum it wrote at the last commit). Unless the volume is broken, it first checkpoints and shrinks the
     * log to its header; if that fails, the records stay and the next {@link #recover} replays them.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        dirty.clear();
        chunks = new MappedByteBuffer[0];
        if (broken == null) {
            try {
                if (logPosition > LOG_HEADER_SIZE) {
                    checkpoint();
                }
                redo.truncate(LOG_HEADER_SIZE);
            } catch (IOException | RuntimeException ignored) {
                // the records stay; opening the file replays them
            }
        }
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

    /** Closes the log's channel under the volume, so that the next log write fails. For tests. */
    void breakLogForTest() throws IOException {
        redo.close();
    }

    /** Closes the channels as a crash would: no checkpoint, the log stays as it is. For tests. */
    void closeWithoutCheckpoint() throws IOException {
        closed.set(true);
        dirty.clear();
        chunks = new MappedByteBuffer[0];
        channel.close();
        redo.close();
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
