package dev.ipam.store.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * {@link HistoryIndex} against a map of sorted sets. Random batches over a few addresses that share blocks
 * (IPv4 and IPv6, neighbouring blocks, an IPv4-mapped IPv6 twin), some written in format 1's one-key-per-
 * change set first, then random prunes; after every step each address's sequences and every
 * {@code contains} answer must match the model.
 */
class HistoryIndexTest {

    private static final List<IpAddress> ADDRESSES = List.of(
            IpAddress.parse("10.0.0.0"), IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.63"),
            IpAddress.parse("10.0.0.64"), IpAddress.parse("10.0.0.127"), IpAddress.parse("10.0.1.5"),
            IpAddress.parse("255.255.255.255"), IpAddress.parse("::ffff:10.0.0.1"),
            IpAddress.parse("2001:db8::1"), IpAddress.parse("2001:db8::3f"), IpAddress.parse("2001:db8::40"),
            IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

    @Property(tries = 60)
    void answersLikeTheModel(@ForAll long seed) {
        Random random = new Random(seed);
        DB db = DBMaker.memoryDB().make();
        try {
            boolean withLegacy = random.nextBoolean();
            NavigableSet<byte[]> legacy = withLegacy ? db.treeSet("history", Serializer.BYTE_ARRAY).createOrOpen() : null;
            BTreeMap<byte[], byte[]> records = db.treeMap("historyBlocks", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
                    .createOrOpen();
            HistoryIndex index = new HistoryIndex(records, legacy);
            Map<IpAddress, TreeSet<Long>> model = new LinkedHashMap<>();
            ADDRESSES.forEach(a -> model.put(a, new TreeSet<>()));
            long start = 1 + (random.nextBoolean() ? 0 : random.nextInt(1 << 20));
            long sequence = start;
            List<Long> written = new ArrayList<>();
            if (withLegacy) {
                for (int i = random.nextInt(40); i > 0; i--) {
                    IpAddress a = pick(random);
                    legacy.add(Codec.historyKey(a, sequence));
                    model.get(a).add(sequence);
                    written.add(sequence);
                    sequence += 1 + random.nextInt(3);
                }
            }
            for (int step = 0; step < 40; step++) {
                if (random.nextInt(4) == 0) {
                    IpAddress a = pick(random);
                    Set<Long> forget = new HashSet<>();
                    for (long s : model.get(a)) {
                        if (random.nextBoolean()) {
                            forget.add(s);
                        }
                    }
                    if (random.nextInt(5) == 0) {
                        forget.add(sequence + 1000); // never indexed: ignored
                    }
                    index.remove(a, forget);
                    model.get(a).removeAll(forget);
                } else {
                    HistoryIndex.Batch batch = new HistoryIndex.Batch();
                    for (int i = 1 + random.nextInt(20); i > 0; i--) {
                        IpAddress a = pick(random);
                        batch.add(a, sequence);
                        model.get(a).add(sequence);
                        written.add(sequence);
                        // Gaps: access refusals and pool changes take sequences without postings.
                        sequence += 1 + (random.nextInt(8) == 0 ? random.nextInt(300) : 0);
                    }
                    index.write(batch);
                }
                for (IpAddress a : ADDRESSES) {
                    TreeSet<Long> expected = model.get(a);
                    assertThat(index.sequences(a)).as("seed %d step %d: sequences of %s", seed, step, a)
                            .containsExactlyElementsOf(expected);
                    // This address's sequences, a sample of every address's (so also other addresses'
                    // postings in the same record) with their neighbours, and a few anywhere.
                    Set<Long> probes = new HashSet<>(expected);
                    for (int i = 0; i < 40 && !written.isEmpty(); i++) {
                        long s = written.get(random.nextInt(written.size()));
                        probes.add(s - 1);
                        probes.add(s);
                        probes.add(s + 1);
                    }
                    for (int i = 0; i < 20; i++) {
                        probes.add(start - 2 + (long) random.nextInt((int) (sequence - start + 3)));
                    }
                    for (long s : probes) {
                        assertThat(index.contains(a, s)).as("seed %d step %d: contains(%s, %d)", seed, step, a, s)
                                .isEqualTo(expected.contains(s));
                    }
                }
            }
            // Nothing left behind: removing everything leaves no record.
            for (IpAddress a : ADDRESSES) {
                index.remove(a, new HashSet<>(model.get(a)));
                assertThat(index.sequences(a)).isEmpty();
            }
            assertThat(records).as("seed %d: records after removing every posting", seed).isEmpty();
            if (legacy != null) {
                assertThat(legacy).isEmpty();
            }
        } finally {
            db.close();
        }
    }

    @Property(tries = 20)
    void aBatchOfConsecutiveAddressesWritesOneRecordPerBlock(@ForAll long seed) {
        Random random = new Random(seed);
        DB db = DBMaker.memoryDB().make();
        try {
            BTreeMap<byte[], byte[]> records = db.treeMap("h", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
            HistoryIndex index = new HistoryIndex(records, null);
            int first = random.nextInt(1000);
            int count = 1 + random.nextInt(200);
            HistoryIndex.Batch batch = new HistoryIndex.Batch();
            List<IpAddress> addresses = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                IpAddress a = IpAddress.ofIpv4(0x0A000000L + first + i);
                addresses.add(a);
                batch.add(a, 100 + i);
            }
            index.write(batch);
            int blocks = (first + count - 1) / Codec.BLOCK_SIZE - first / Codec.BLOCK_SIZE + 1;
            assertThat(records).hasSize(blocks);
            for (int i = 0; i < count; i++) {
                assertThat(index.sequences(addresses.get(i))).containsExactly(100L + i);
            }
        } finally {
            db.close();
        }
    }

    private static IpAddress pick(Random random) {
        return ADDRESSES.get(random.nextInt(ADDRESSES.size()));
    }
}
