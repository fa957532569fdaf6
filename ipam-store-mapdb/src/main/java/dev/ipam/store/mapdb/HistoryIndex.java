package dev.ipam.store.mapdb;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.ChangeCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import org.mapdb.BTreeMap;

/**
 * The per-address history index of a {@link MapDbStore}: which committed sequences changed an address.
 *
 * <p><b>Layout.</b> One record per 64-address block (the allocation blocks' grouping, regardless of pool)
 * and committed batch that changed addresses in it. Key: {@link Codec#historyKey} of the block's first
 * address and the record's first sequence (family byte, address bytes, sequence big-endian, so a
 * block's records sort by sequence). Value:
 * the number of postings, then per posting the address's index in the block (one byte) and its sequence
 * as a varint delta from the previous one (the first from the key's sequence). A batch of n changes in one
 * block therefore inserts one B-tree record, not n. Invariants: a record's key sequence is at most each of
 * its postings' sequences, and every posting of a block's record sorts before the next record's key; a
 * record is rewritten when postings are pruned from it (key unchanged) and removed when none remain.
 *
 * <p>Files of format version 1 keep one key (family, address, sequence) per posting in a set named
 * {@code history}; when it exists it is read and pruned alongside, never added to.
 *
 * <p>Not thread-safe: the store's read-write lock guards every call. Blocks on file reads.
 */
final class HistoryIndex {

    private final BTreeMap<byte[], byte[]> records;
    /** The format-1 index, or null when the file never had one. */
    private final NavigableSet<byte[]> legacy;

    HistoryIndex(BTreeMap<byte[], byte[]> records, NavigableSet<byte[]> legacy) {
        this.records = records;
        this.legacy = legacy;
    }

    /** Collects one batch's postings per block; {@link #write} inserts them. */
    static final class Batch {
        /** Postings per block, keyed by the block's first address. */
        private final Map<IpAddress, Postings> blocks = new LinkedHashMap<>();

        /** Adds a posting; sequences must ascend across calls. */
        void add(IpAddress address, long sequence) {
            blocks.computeIfAbsent(Codec.blockBase(address), k -> new Postings()).add(Codec.blockIndex(address), sequence);
        }
    }

    /** One block's postings of a batch, in sequence order. */
    private static final class Postings {
        private byte[] indexes = new byte[4];
        private long[] sequences = new long[4];
        private int size;

        void add(int index, long sequence) {
            if (size == sequences.length) {
                indexes = Arrays.copyOf(indexes, size * 2);
                sequences = Arrays.copyOf(sequences, size * 2);
            }
            indexes[size] = (byte) index;
            sequences[size] = sequence;
            size++;
        }

        byte[] encode(long keySequence) {
            ChangeCodec.Out out = new ChangeCodec.Out(8 + 4 * size);
            out.varint(size);
            long previous = keySequence;
            for (int i = 0; i < size; i++) {
                out.u8(indexes[i] & 0xFF);
                out.varint(sequences[i] - previous);
                previous = sequences[i];
            }
            return out.toBytes();
        }
    }

    /** Inserts one record per block of the batch. */
    void write(Batch batch) {
        for (Map.Entry<IpAddress, Postings> e : batch.blocks.entrySet()) {
            Postings p = e.getValue();
            long first = p.sequences[0];
            records.put(Codec.historyKey(e.getKey(), first), p.encode(first));
        }
    }

    /** Every sequence that changed {@code address}, ascending. */
    List<Long> sequences(IpAddress address) {
        List<Long> result = new ArrayList<>();
        if (legacy != null) {
            for (byte[] key : legacy.subSet(Codec.historyKey(address, 0), true,
                    Codec.historyKey(address, Long.MAX_VALUE), true)) {
                result.add(Codec.historyKeySequence(key));
            }
        }
        int index = Codec.blockIndex(address);
        boolean fromLegacy = !result.isEmpty();
        for (Map.Entry<byte[], byte[]> e : blockRecords(address).entrySet()) {
            forEachPosting(e.getKey(), e.getValue(), (i, seq) -> {
                if (i == index) {
                    result.add(seq);
                }
            });
        }
        if (fromLegacy) {
            Collections.sort(result);
        }
        return result;
    }

    /** Whether {@code sequence} is indexed for {@code address}. */
    boolean contains(IpAddress address, long sequence) {
        if (legacy != null && legacy.contains(Codec.historyKey(address, sequence))) {
            return true;
        }
        byte[] key = Codec.historyKey(Codec.blockBase(address), sequence);
        Map.Entry<byte[], byte[]> e = records.floorEntry(key);
        if (e == null || !sameBlock(key, e.getKey())) {
            return false;
        }
        int index = Codec.blockIndex(address);
        boolean[] found = {false};
        forEachPosting(e.getKey(), e.getValue(), (i, seq) -> found[0] |= i == index && seq == sequence);
        return found[0];
    }

    /** Removes the postings of {@code address} with the given sequences; others stay. */
    void remove(IpAddress address, Set<Long> sequences) {
        if (sequences.isEmpty()) {
            return;
        }
        if (legacy != null) {
            for (long seq : sequences) {
                legacy.remove(Codec.historyKey(address, seq));
            }
        }
        int index = Codec.blockIndex(address);
        Map<byte[], byte[]> rewrites = new LinkedHashMap<>();
        for (Map.Entry<byte[], byte[]> e : blockRecords(address).entrySet()) {
            Postings kept = new Postings();
            forEachPosting(e.getKey(), e.getValue(), (i, seq) -> {
                if (i != index || !sequences.contains(seq)) {
                    kept.add(i, seq);
                }
            });
            if (kept.size < countOf(e.getValue())) {
                rewrites.put(e.getKey(), kept.size == 0 ? null : kept.encode(Codec.historyKeySequence(e.getKey())));
            }
        }
        for (Map.Entry<byte[], byte[]> r : rewrites.entrySet()) {
            if (r.getValue() == null) {
                records.remove(r.getKey());
            } else {
                records.put(r.getKey(), r.getValue());
            }
        }
    }

    private static int countOf(byte[] value) {
        return new ChangeCodec.In(value).varint32();
    }

    /** Receives one posting. */
    private interface PostingVisitor {
        void visit(int index, long sequence);
    }

    private static void forEachPosting(byte[] key, byte[] value, PostingVisitor visitor) {
        ChangeCodec.In in = new ChangeCodec.In(value);
        int n = in.varint32();
        long seq = Codec.historyKeySequence(key);
        for (int i = 0; i < n; i++) {
            int index = in.u8();
            seq += in.varint();
            visitor.visit(index, seq);
        }
    }

    /** The records of the 64-address block holding {@code address}, in sequence order. */
    private Map<byte[], byte[]> blockRecords(IpAddress address) {
        IpAddress base = Codec.blockBase(address);
        return records.subMap(Codec.historyKey(base, 0), true, Codec.historyKey(base, Long.MAX_VALUE), true);
    }

    /** Whether two record keys belong to one block: same family and first address, whatever the sequence. */
    private static boolean sameBlock(byte[] a, byte[] b) {
        return a.length == b.length && Arrays.equals(a, 0, a.length - 8, b, 0, b.length - 8);
    }
}
