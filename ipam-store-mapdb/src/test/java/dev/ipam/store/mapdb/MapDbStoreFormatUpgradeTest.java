package dev.ipam.store.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.Allocation;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.JournalEntry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * A format-1 file (history index: one key per change in a set named {@code history}) opens, answers the
 * same history, is marked format 2, takes new history in the per-block index, and prunes both.
 */
class MapDbStoreFormatUpgradeTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final List<IpAddress> ADDRESSES = List.of(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.2"),
            IpAddress.parse("10.0.0.70"));

    @TempDir
    Path dir;

    @Test
    void aFormatOneFileKeepsItsHistoryAndIsUpgraded() {
        Path file = dir.resolve("old.db");
        MapDbStore store = MapDbStore.open(file);
        long seq = 1;
        store.commit(new ChangeBatch(seq++, List.of(new Change.PoolCreated(
                PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build(), T0, "admin"))));
        List<Allocation> first = new ArrayList<>();
        List<Change> batch = new ArrayList<>();
        for (IpAddress a : ADDRESSES) {
            Allocation alloc = allocation(a, "vm-old-" + a, 10);
            first.add(alloc);
            batch.add(new Change.Allocated(alloc));
        }
        store.commit(new ChangeBatch(seq, batch));
        seq += batch.size();
        store.commit(new ChangeBatch(seq++, List.of(new Change.Released(first.get(0), T0.plusSeconds(20), "admin", null))));
        Map<IpAddress, List<JournalEntry>> before = histories(store);
        store.close();

        rewriteAsFormatOne(file);

        store = MapDbStore.open(file);
        assertThat(histories(store)).as("history read from the format-1 index").isEqualTo(before);
        Allocation again = allocation(ADDRESSES.get(0), "vm-new", 30);
        store.commit(new ChangeBatch(seq++, List.of(new Change.Allocated(again))));
        List<JournalEntry> history = store.history(ADDRESSES.get(0));
        assertThat(history).hasSize(3);
        assertThat(history.subList(0, 2)).isEqualTo(before.get(ADDRESSES.get(0)));
        assertThat(history.get(2).change()).isEqualTo(new Change.Allocated(again));
        store.close();
        assertThat(formatVersion(file)).isEqualTo(MapDbStore.FORMAT_VERSION);

        // Pruning forgets the ended period from the format-1 set; the rest stays, across a restart.
        store = MapDbStore.open(file);
        store.pruneHistory(T0.plusSeconds(25), seq - 1);
        assertThat(store.history(ADDRESSES.get(0))).extracting(JournalEntry::sequence).containsExactly(seq - 1);
        assertThat(store.history(ADDRESSES.get(1))).isEqualTo(before.get(ADDRESSES.get(1)));
        store.close();
        store = MapDbStore.open(file);
        assertThat(store.history(ADDRESSES.get(0))).extracting(JournalEntry::sequence).containsExactly(seq - 1);
        assertThat(store.history(ADDRESSES.get(2))).isEqualTo(before.get(ADDRESSES.get(2)));
        store.close();
    }

    private static Allocation allocation(IpAddress address, String owner, long second) {
        return new Allocation("p", address, owner, null, null, null, null, T0.plusSeconds(second), "admin");
    }

    private static Map<IpAddress, List<JournalEntry>> histories(MapDbStore store) {
        Map<IpAddress, List<JournalEntry>> result = new LinkedHashMap<>();
        for (IpAddress a : ADDRESSES) {
            List<JournalEntry> h = store.history(a);
            assertThat(h).isNotEmpty();
            result.put(a, h);
        }
        return result;
    }

    /** Moves every posting into format 1's one-key-per-change set and marks the file format 1. */
    private static void rewriteAsFormatOne(Path file) {
        DB db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
        try {
            BTreeMap<byte[], byte[]> records = db.treeMap("historyBlocks", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
                    .open();
            NavigableSet<byte[]> legacy = db.treeSet("history", Serializer.BYTE_ARRAY).createOrOpen();
            HistoryIndex current = new HistoryIndex(records, null);
            for (IpAddress a : ADDRESSES) {
                for (long s : current.sequences(a)) {
                    legacy.add(Codec.historyKey(a, s));
                }
            }
            records.clear();
            BTreeMap<String, byte[]> meta = db.treeMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).open();
            meta.put("formatVersion", MapDbStoreFormatUpgradeTest.longBytes(1));
            db.commit();
        } finally {
            db.close();
        }
    }

    private static long formatVersion(Path file) {
        DB db = DBMaker.fileDB(file.toFile()).readOnly().make();
        try {
            return Codec.getLong(db.treeMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).open().get("formatVersion"), 0);
        } finally {
            db.close();
        }
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        Codec.putLong(b, 0, v);
        return b;
    }
}
