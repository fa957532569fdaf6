package dev.ipam.store.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedoVolume} against a byte-array model. Random writes of every kind, reads, commits, rollbacks
 * and (small) checkpoints, then a simulated crash that loses any subset of the file writes made since the
 * last force, sector by sector, may shorten a file grown since then, and leaves garbage after the last
 * durable log record. Recovery must restore exactly the committed bytes, cycle after cycle.
 */
class RedoVolumeTest {

    private static final int PAGE = RedoVolume.PAGE_SIZE;
    private static final int MAX_PAGES = 24;
    private static final int SECTOR = 512;

    @TempDir
    Path dir;

    @Property(tries = 60)
    void recoveryRestoresExactlyTheCommittedBytesAfterLostFileWrites(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        Path tmp = Files.createTempDirectory("redo-volume");
        try {
            Path file = tmp.resolve("store.db");
            byte[] committed = new byte[0];
            for (int cycle = 0; cycle < 5; cycle++) {
                RedoVolume volume = RedoVolume.open(file, PAGE * (1L + random.nextInt(6)));
                assertThat(Files.readAllBytes(file)).as("seed %d, cycle %d: file after recovery", seed, cycle)
                        .isEqualTo(committed);
                byte[] durable = committed.clone();
                byte[] working = Arrays.copyOf(committed, MAX_PAGES * PAGE + PAGE);
                long workingLength = committed.length;
                long checkpoints = volume.checkpoints();
                int operations = 20 + random.nextInt(150);
                for (int op = 0; op < operations; op++) {
                    int kind = random.nextInt(12);
                    if (kind <= 6) {
                        long end = write(volume, working, random);
                        workingLength = Math.max(workingLength, (end + PAGE - 1) / PAGE * PAGE);
                    } else if (kind == 7) {
                        long promised = random.nextInt(MAX_PAGES * PAGE);
                        volume.ensureAvailable(promised);
                        workingLength = Math.max(workingLength, promised);
                    } else if (kind <= 9) {
                        volume.sync();
                        committed = Arrays.copyOf(working, (int) workingLength);
                        if (volume.checkpoints() != checkpoints) {
                            checkpoints = volume.checkpoints();
                            durable = committed.clone();
                        }
                    } else if (kind == 10) {
                        volume.discard();
                        working = Arrays.copyOf(committed, working.length);
                        workingLength = committed.length;
                    } else {
                        checkReads(volume, working, random, seed);
                    }
                }
                long logEnd = volume.logPosition();
                volume.closeWithoutCheckpoint();
                loseUnforcedWrites(file, durable, random);
                writeGarbage(RedoVolume.redoPath(file), logEnd, random);
            }
            RedoVolume.recover(file);
            assertThat(Files.readAllBytes(file)).as("seed %d: file after the last recovery", seed).isEqualTo(committed);
        } finally {
            deleteTree(tmp);
        }
    }

    /** One random write into the volume and the model; returns the end offset. */
    private static long write(RedoVolume volume, byte[] model, Random random) {
        int limit = MAX_PAGES * PAGE;
        // Cluster offsets near page edges now and then: writes that straddle two pages.
        int offset = random.nextInt(4) == 0 ? Math.max(0, (1 + random.nextInt(MAX_PAGES - 1)) * PAGE - random.nextInt(9))
                : random.nextInt(limit - 8);
        switch (random.nextInt(5)) {
            case 0 -> {
                long v = random.nextLong();
                volume.putLong(offset, v);
                ByteBuffer.wrap(model).putLong(offset, v);
                return offset + 8;
            }
            case 1 -> {
                int v = random.nextInt();
                volume.putInt(offset, v);
                ByteBuffer.wrap(model).putInt(offset, v);
                return offset + 4;
            }
            case 2 -> {
                byte v = (byte) random.nextInt();
                volume.putByte(offset, v);
                model[offset] = v;
                return offset + 1;
            }
            case 3 -> {
                int length = 1 + random.nextInt(Math.min(3 * PAGE, limit - offset));
                byte[] data = new byte[length + 4];
                random.nextBytes(data);
                volume.putData(offset, data, 2, length);
                System.arraycopy(data, 2, model, offset, length);
                return offset + length;
            }
            default -> {
                int length = 1 + random.nextInt(Math.min(2 * PAGE, limit - offset));
                volume.clear(offset, offset + length);
                Arrays.fill(model, offset, offset + length, (byte) 0);
                return offset + length;
            }
        }
    }

    private static void checkReads(RedoVolume volume, byte[] model, Random random, long seed) {
        long length = volume.length();
        if (length < 16) {
            return;
        }
        int offset = random.nextInt((int) length - 8);
        assertThat(volume.getLong(offset)).as("seed %d: getLong(%d)", seed, offset)
                .isEqualTo(ByteBuffer.wrap(model).getLong(offset));
        assertThat(volume.getInt(offset)).as("seed %d: getInt(%d)", seed, offset)
                .isEqualTo(ByteBuffer.wrap(model).getInt(offset));
        int size = 1 + random.nextInt((int) Math.min(length - offset, 2L * PAGE));
        byte[] read = new byte[size];
        volume.getData(offset, read, 0, size);
        assertThat(read).as("seed %d: getData(%d, %d)", seed, offset, size)
                .isEqualTo(Arrays.copyOfRange(model, offset, offset + size));
    }

    /**
     * What a power failure may leave of the file: each sector is either as written or as it was at the last
     * force, and a file grown since then may be cut back to any length not below the forced one.
     */
    private static void loseUnforcedWrites(Path file, byte[] durable, Random random) throws IOException {
        byte[] current = Files.readAllBytes(file);
        int length = current.length;
        if (length > durable.length && random.nextBoolean()) {
            length = durable.length + random.nextInt(length - durable.length + 1);
        }
        byte[] after = Arrays.copyOf(current, length);
        for (int sector = 0; sector * SECTOR < length; sector++) {
            if (random.nextBoolean()) {
                for (int i = sector * SECTOR; i < Math.min(length, (sector + 1) * SECTOR); i++) {
                    after[i] = i < durable.length ? durable[i] : 0;
                }
            }
        }
        Files.write(file, after);
    }

    /** Whatever follows the last durable record: a torn record, stale bytes or random ones. */
    private static void writeGarbage(Path log, long position, Random random) throws IOException {
        if (random.nextInt(4) == 0) {
            return;
        }
        byte[] garbage = new byte[random.nextInt(3 * PAGE)];
        random.nextBytes(garbage);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(garbage), position);
        }
    }

    @Test
    void aCleanCloseLeavesNothingToReplay() throws IOException {
        Path file = dir.resolve("clean.db");
        RedoVolume volume = RedoVolume.open(file);
        volume.putLong(100, 42);
        volume.sync();
        volume.putLong(5000, 43);
        volume.sync();
        volume.close();
        assertThat(Files.size(RedoVolume.redoPath(file))).isEqualTo(RedoVolume.LOG_HEADER_SIZE);
        assertThat(RedoVolume.recover(file)).isFalse();
        RedoVolume reopened = RedoVolume.open(file);
        assertThat(reopened.getLong(100)).isEqualTo(42);
        assertThat(reopened.getLong(5000)).isEqualTo(43);
        reopened.close();
    }

    @Test
    void aCrashAfterCommitsIsReplayedOnce() throws IOException {
        Path file = dir.resolve("crash.db");
        RedoVolume volume = RedoVolume.open(file);
        volume.putLong(8, 7);
        volume.sync();
        volume.putLong(8, 8);
        volume.putInt(PAGE + 12, 9);
        volume.sync();
        volume.putLong(8, 99); // never committed
        volume.closeWithoutCheckpoint();
        // The file writes were lost: only the log knows the commits.
        Files.write(file, new byte[0]);
        assertThat(RedoVolume.recover(file)).isTrue();
        assertThat(RedoVolume.recover(file)).as("the records are retired once replayed").isFalse();
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        assertThat(bytes.getLong(8)).isEqualTo(8);
        assertThat(bytes.getInt(PAGE + 12)).isEqualTo(9);
        assertThat(bytes.capacity()).isEqualTo(2 * PAGE);
    }

    @Test
    void aCommitWhoseLogWriteFailsIsNeverReplayedAndTheVolumeRefusesMore() throws IOException {
        Path file = dir.resolve("failing.db");
        RedoVolume volume = RedoVolume.open(file);
        volume.putLong(8, 1);
        volume.sync();
        volume.putLong(8, 2);
        volume.breakLogForTest();
        assertThatThrownBy(volume::sync).isInstanceOf(UncheckedIOException.class).hasMessageContaining("redo log");
        // The record's head could not be overwritten either (the log is gone): commits are refused.
        assertThat(volume.isBroken()).isTrue();
        assertThat(volume.brokenReason()).contains("could not be invalidated");
        volume.putLong(8, 3);
        assertThatThrownBy(volume::sync).isInstanceOf(IllegalStateException.class).hasMessageContaining("reopen");
        volume.closeWithoutCheckpoint();
        RedoVolume.recover(file);
        assertThat(ByteBuffer.wrap(Files.readAllBytes(file)).getLong(8)).isEqualTo(1);
    }

    @Test
    void replaysTheSingleFullPageRecordOfEarlierVersions() throws IOException {
        Path file = dir.resolve("old.db");
        Files.write(file, new byte[PAGE]);
        byte[] page = new byte[PAGE];
        ByteBuffer.wrap(page).putLong(16, 1234);
        ByteBuffer record = ByteBuffer.allocate(20 + 8 + PAGE + 8);
        record.putLong(0x4950_414d_5245_444fL).putLong(3L * PAGE).putInt(1).putLong(2).put(page);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, record.position());
        record.putLong(crc.getValue());
        Files.write(RedoVolume.redoPath(file), record.array());

        assertThat(RedoVolume.recover(file)).isTrue();
        byte[] after = Files.readAllBytes(file);
        assertThat(after).hasSize(3 * PAGE);
        assertThat(ByteBuffer.wrap(after).getLong(2 * PAGE + 16)).isEqualTo(1234);
        assertThat(RedoVolume.recover(file)).isFalse();
        RedoVolume volume = RedoVolume.open(file);
        assertThat(volume.getLong(2 * PAGE + 16)).isEqualTo(1234);
        volume.close();
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
