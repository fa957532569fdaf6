package dev.ipam.store.mapdb;

import dev.ipam.Allocation;
import dev.ipam.Hold;
import dev.ipam.Pool;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ChangeCodec;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * The embedded default {@link IpamStore}: one MapDB 3.1 file on local disk. Open it with
 * {@link #open(Path)} and hand it to {@code Ipam.builder().store(...)}, which owns it from then on.
 *
 * <p><b>Contract.</b> Thread-safe. {@link #commit} blocks until the batch is durable: it validates the
 * whole batch against the stored state (every address moves between free, allocated, held and
 * quarantined by the allowed transitions only, as {@link dev.ipam.InMemoryStore} checks, and a pool may be
 * deleted once the batch's earlier changes have emptied it), applies it and commits once; the commit is
 * on disk when the call returns. On any failure it rolls back and throws {@link StoreException}: nothing
 * of the batch remains. Reads ({@link #readJournal}, {@link #history}, {@link #listenerPosition},
 * {@link #load}) may run from any thread; they see only committed data and wait while a commit is being
 * written (typically a few milliseconds). Every method except {@link #close()} throws
 * {@link IllegalStateException} once the store is closed. A file is open in one store at a time (in any
 * process), enforced by an exclusive lock on {@code <file>.lock}.
 *
 * <p><b>Implementation notes.</b> Layout (format version {@value #FORMAT_VERSION}; every value is a
 * {@code byte[]}, {@code long}, {@code int} or {@code String}: values are encoded with
 * {@link ChangeCodec} version 1, keys, chunks and blocks by the package's own codec; MapDB's object
 * serializer is never used):
 * <ul>
 *   <li>{@code meta}: magic {@value #MAGIC}, format version, last sequence, next pool id, history prune
 *       watermark;</li>
 *   <li>{@code poolIds} (name to id), {@code pools} (id to pool; ids ascend in creation order and are
 *       never reused) and {@code poolCounts} (id to allocated/held/quarantined counts);</li>
 *   <li>{@code blocks}: live allocations, 64 consecutive addresses of a pool per record, keyed by pool id
 *       and block base address, with a per-block string table: reload decodes compact records in one
 *       pass, and a change rewrites one small block (the delta), never a pool;</li>
 *   <li>{@code holds}, {@code quarantines}: one record per pool id and address; {@code lastReleases}: one
 *       per pool id, environment and name;</li>
 *   <li>{@code journal}: the changes of a batch in chunks keyed by their first sequence;
 *       {@code detached}: entries pruned from the journal that history still needs;</li>
 *   <li>{@code historyBlocks}: the per-address history index ({@code HistoryIndex}), one record per
 *       64-address block and batch, so a batch of consecutive addresses adds one record, not one per
 *       change; {@link #history} range-scans it and never scans the journal (format-1 files also keep
 *       their {@code history} set of one key per change, read and pruned alongside);</li>
 *   <li>{@code listeners}: listener positions.</li>
 * </ul>
 * Durability. MapDB 3.1.0's own transactions ({@code transactionEnable()}) write and sync a write-ahead
 * log but never replay it when a file is opened, so a process killed while a commit is being copied into
 * the file leaves it torn (the crash test saw acknowledged allocations replaced by stale data that way).
 * This store therefore runs MapDB's {@code StoreDirect} on its own volume ({@code RedoVolume}): every
 * write goes to in-memory copies of 4 KiB pages; {@code DB.commit()}, called exactly once per batch, ends
 * in the volume's sync, which appends the written 64-byte lines of the dirty pages with a CRC-32C to the
 * redo log {@code <file>.redo} and forces it (the commit point, the one force a commit waits for), then
 * writes the pages into the file unforced. Every 8 MiB of log the file is forced and the log restarts.
 * Opening the file replays the log's complete records in order and ignores an incomplete last one, whose
 * pages never reached the file. A failure before the commit point drops the dirty pages and reopens MapDB
 * over the committed file (rollback); a failure after it makes the store refuse further writes until it is
 * reopened, which completes the commit. Readers and the single writer are separated by a read-write lock.
 */
public final class MapDbStore implements IpamStore {

    /**
     * The on-disk format version this class writes. It also reads format 1 (whose history index is one key
     * per change) and marks such a file as format 2 when it opens it, because new history then goes to
     * the per-block index that format-1 readers do not know.
     */
    public static final int FORMAT_VERSION = 2;

    /** The oldest format version this class reads. */
    private static final int OLDEST_READABLE_VERSION = 1;
    /** The format-1 history index: one key (family, address, sequence) per change. */
    private static final String LEGACY_HISTORY = "history";

    /** The magic string in the {@code meta} map that identifies an ipam store. */
    public static final String MAGIC = "dev.ipam.store.mapdb";

    private static final String META_MAGIC = "magic";
    private static final String META_VERSION = "formatVersion";
    private static final String META_LAST_SEQUENCE = "lastSequence";
    private static final String META_NEXT_POOL_ID = "nextPoolId";
    private static final String META_HISTORY_WATERMARK = "historyPruneWatermark";

    /** At most this many changes per journal chunk. */
    private static final int CHUNK_ENTRIES = 64;
    /** A chunk is closed once its encoded changes exceed this many bytes. */
    private static final int CHUNK_BYTES = 16 * 1024;

    private static final int ALLOCATED = 0;
    private static final int HELD = 1;
    private static final int QUARANTINED = 2;

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final RedoVolume volume;
    // The DB and its collections are replaced when a failed transaction is rolled back.
    private DB db;
    private BTreeMap<String, byte[]> meta;
    private BTreeMap<String, Integer> poolIds;
    private BTreeMap<Integer, byte[]> pools;
    private BTreeMap<Integer, byte[]> poolCounts;
    private BTreeMap<byte[], byte[]> blocks;
    private BTreeMap<byte[], byte[]> holds;
    private BTreeMap<byte[], byte[]> quarantines;
    private BTreeMap<byte[], byte[]> lastReleases;
    private BTreeMap<Long, byte[]> journal;
    private BTreeMap<Long, byte[]> detached;
    private HistoryIndex history;
    private BTreeMap<String, Long> listeners;

    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private volatile boolean closed;
    /** Set when MapDB failed while writing a commit to disk: the file state is then unknown. */
    private volatile String broken;
    private long lastSequence;

    private MapDbStore(Path path, FileChannel lockChannel, FileLock fileLock, RedoVolume volume, DB db) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.volume = volume;
        this.db = db;
        openCollections();
        if (meta.get(META_MAGIC) == null) {
            meta.put(META_MAGIC, MAGIC.getBytes(StandardCharsets.UTF_8));
            meta.put(META_VERSION, longBytes(FORMAT_VERSION));
            meta.put(META_LAST_SEQUENCE, longBytes(0));
            meta.put(META_NEXT_POOL_ID, longBytes(1));
            meta.put(META_HISTORY_WATERMARK, longBytes(0));
            db.commit();
        } else if (metaLong(META_VERSION) < FORMAT_VERSION) {
            meta.put(META_VERSION, longBytes(FORMAT_VERSION));
            db.commit();
        }
        this.lastSequence = metaLong(META_LAST_SEQUENCE);
    }

    private void openCollections() {
        this.meta = db.treeMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        this.poolIds = db.treeMap("poolIds", Serializer.STRING, Serializer.INTEGER).createOrOpen();
        this.pools = db.treeMap("pools", Serializer.INTEGER, Serializer.BYTE_ARRAY).createOrOpen();
        this.poolCounts = db.treeMap("poolCounts", Serializer.INTEGER, Serializer.BYTE_ARRAY).createOrOpen();
        this.blocks = db.treeMap("blocks", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
                .valuesOutsideNodesEnable().createOrOpen();
        this.holds = db.treeMap("holds", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        this.quarantines = db.treeMap("quarantines", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        this.lastReleases = db.treeMap("lastReleases", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        this.journal = db.treeMap("journal", Serializer.LONG, Serializer.BYTE_ARRAY)
                .valuesOutsideNodesEnable().createOrOpen();
        this.detached = db.treeMap("detached", Serializer.LONG, Serializer.BYTE_ARRAY).createOrOpen();
        NavigableSet<byte[]> legacyHistory = db.exists(LEGACY_HISTORY)
                ? db.treeSet(LEGACY_HISTORY, Serializer.BYTE_ARRAY).open() : null;
        this.history = new HistoryIndex(db.treeMap("historyBlocks", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
                .createOrOpen(), legacyHistory);
        this.listeners = db.treeMap("listeners", Serializer.STRING, Serializer.LONG).createOrOpen();
    }

    /**
     * Rolls the open transaction back: drops every page written since the last commit and reopens MapDB
     * over the committed file (MapDB's StoreDirect keeps some structure in memory, so it is rebuilt).
     */
    private void rollback() {
        volume.discard();
        db = DBMaker.volumeDB(volume, true).make();
        openCollections();
    }

    // ------------------------------------------------------------------ opening

    /**
     * Opens the store in {@code file}, creating it (and missing parent directories) when the file does
     * not exist. Blocks while opening. The returned store holds an exclusive lock on {@code file + ".lock"}
     * until it is closed.
     *
     * @throws StoreException naming the file if it is locked by another open store (in this or another
     *     process), is not a MapDB file, is a MapDB file that is not an ipam store, has a format version
     *     this class does not read, or cannot be read; the file is then left untouched
     * @throws NullPointerException if {@code file} is null
     */
    public static MapDbStore open(Path file) {
        return open(file, RedoVolume.CHECKPOINT_BYTES);
    }

    /** {@link #open(Path)} with another checkpoint interval of the redo log (tests use small ones). */
    static MapDbStore open(Path file, long checkpointBytes) {
        Path path = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
        Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
        FileChannel channel = null;
        FileLock lock = null;
        try {
            Path parent = path.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StoreException("Cannot open ipam store " + path
                        + ": it is already open in this JVM (close the other MapDbStore first)");
            }
            if (lock == null) {
                throw new StoreException("Cannot open ipam store " + path
                        + ": it is already open in another process (" + lockPath + " is locked)");
            }
            boolean exists = Files.exists(path);
            if (exists) {
                RedoVolume.recover(path);
                if (Files.size(path) == 0 && Files.exists(RedoVolume.redoPath(path))) {
                    exists = false; // a creation interrupted before its first commit
                } else {
                    checkExisting(path);
                }
            }
            RedoVolume volume = RedoVolume.open(path, checkpointBytes);
            try {
                DB db = DBMaker.volumeDB(volume, exists).make();
                return new MapDbStore(path, channel, lock, volume, db);
            } catch (RuntimeException | Error e) {
                volume.close();
                throw e;
            }
        } catch (StoreException e) {
            release(channel, lock);
            throw e;
        } catch (IOException | RuntimeException e) {
            release(channel, lock);
            throw new StoreException("Cannot open ipam store " + path + ": " + e, e);
        }
    }

    private static void release(FileChannel channel, FileLock lock) {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** Checks, without changing a byte, that an existing file is an ipam store of a format we read. */
    private static void checkExisting(Path path) throws IOException {
        long size = Files.size(path);
        byte[] header = new byte[16];
        int read;
        try (InputStream in = Files.newInputStream(path)) {
            read = in.readNBytes(header, 0, header.length);
        }
        // MapDB 3 store files start with the byte 'J' (74) followed by the store type 3 (StoreDirect / WAL).
        if (size < 16 || read < 16 || header[0] != 74 || header[1] != 3) {
            throw new StoreException("Cannot open ipam store " + path + ": the file is not a MapDB store file"
                    + (size == 0 ? " (it is empty)" : "") + ", so not an ipam store; it was left untouched");
        }
        DB check;
        try {
            // Memory-mapped: the default volume reads the header with one system call per int.
            check = DBMaker.fileDB(path.toFile()).fileMmapEnable().readOnly().fileLockDisable().make();
        } catch (RuntimeException e) {
            throw new StoreException("Cannot open ipam store " + path + ": MapDB cannot read the file ("
                    + e + "); it was left untouched", e);
        }
        try {
            Iterable<String> names = check.getAllNames();
            if (!names.iterator().hasNext()) {
                return; // an empty MapDB file (a creation interrupted before its first commit): initialised below
            }
            byte[] magic = null;
            byte[] version = null;
            if (check.exists("meta")) {
                try {
                    BTreeMap<String, byte[]> m = check.treeMap("meta", Serializer.STRING, Serializer.BYTE_ARRAY).open();
                    magic = m.get(META_MAGIC);
                    version = m.get(META_VERSION);
                } catch (RuntimeException e) {
                    magic = null;
                }
            }
            if (magic == null || !MAGIC.equals(new String(magic, StandardCharsets.UTF_8)) || version == null
                    || version.length != 8) {
                throw new StoreException("Cannot open ipam store " + path
                        + ": it is a MapDB file but not an ipam store (no '" + MAGIC + "' marker); it was left untouched");
            }
            long v = Codec.getLong(version, 0);
            if (v < OLDEST_READABLE_VERSION || v > FORMAT_VERSION) {
                throw new StoreException("Cannot open ipam store " + path + ": its format version is " + v
                        + " but this ipam-store-mapdb reads format versions " + OLDEST_READABLE_VERSION + " to "
                        + FORMAT_VERSION + " only; it was left untouched");
            }
        } finally {
            check.close();
        }
    }

    // ------------------------------------------------------------------ load

    /**
     * Reads the pools and the last sequence now; the {@code forEach} methods of the returned state read
     * the live entries when called (streamed, never collected into one list), so call them before the
     * next commit. Each may be called more than once. Blocks while reading.
     *
     * @throws StoreException if the file cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public StoredState load() {
        rw.readLock().lock();
        try {
            ensureOpen();
            return readState();
        } finally {
            rw.readLock().unlock();
        }
    }

    private StoredState readState() {
        try {
            List<Pool> poolList = new ArrayList<>();
            Map<Integer, String> names = new HashMap<>();
            for (Map.Entry<Integer, byte[]> e : pools.entrySet()) {
                Pool p = ChangeCodec.decodePool(e.getValue());
                poolList.add(p);
                names.put(e.getKey(), p.name());
            }
            return new State(lastSequence, List.copyOf(poolList), names);
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw readFailure("load", e);
        }
    }

    private final class State implements StoredState {
        private final long last;
        private final List<Pool> poolList;
        private final Map<Integer, String> names;

        State(long last, List<Pool> poolList, Map<Integer, String> names) {
            this.last = last;
            this.poolList = poolList;
            this.names = names;
        }

        @Override
        public long lastSequence() {
            return last;
        }

        @Override
        public List<Pool> pools() {
            return poolList;
        }

        private String poolName(byte[] key) {
            String name = names.get(Codec.getInt(key, 0));
            if (name == null) {
                throw new StoreException("Store " + path + " holds an entry of unknown pool id " + Codec.getInt(key, 0));
            }
            return name;
        }

        @Override
        public void forEachAllocation(Consumer<Allocation> action) {
            read(() -> {
                Iterator<Map.Entry<byte[], byte[]>> it = blocks.entryIterator();
                while (it.hasNext()) {
                    Map.Entry<byte[], byte[]> e = it.next();
                    Codec.decodeBlock(poolName(e.getKey()), e.getKey(), e.getValue(), action::accept);
                }
            });
        }

        @Override
        public void forEachHold(Consumer<Hold> action) {
            read(() -> {
                for (byte[] v : holds.values()) {
                    action.accept(ChangeCodec.decodeHold(v));
                }
            });
        }

        @Override
        public void forEachQuarantine(Consumer<Change.Released> action) {
            read(() -> {
                for (byte[] v : quarantines.values()) {
                    action.accept(ChangeCodec.decodeReleased(v));
                }
            });
        }

        @Override
        public void forEachLastRelease(Consumer<Change.Released> action) {
            read(() -> {
                for (byte[] v : lastReleases.values()) {
                    action.accept(ChangeCodec.decodeReleased(v));
                }
            });
        }
    }

    private void read(Runnable body) {
        rw.readLock().lock();
        try {
            ensureOpen();
            try {
                body.run();
            } catch (StoreException e) {
                throw e;
            } catch (RuntimeException e) {
                throw readFailure("read", e);
            }
        } finally {
            rw.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ commit

    /**
     * Validates the batch against the stored state, applies it and commits one MapDB transaction; returns
     * once the transaction is synced to disk. Blocks meanwhile (readers wait too).
     *
     * @throws StoreException if the batch does not continue the last sequence, is inconsistent with the
     *     stored state (an address change from a state that does not allow it, an unknown or existing pool,
     *     deleting a pool that is not empty), or cannot be written; nothing of it was applied
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void commit(ChangeBatch batch) {
        Objects.requireNonNull(batch, "batch");
        rw.writeLock().lock();
        try {
            ensureOpen();
            ensureNotBroken();
            if (batch.firstSequence() != lastSequence + 1) {
                throw new StoreException("Batch starts at sequence " + batch.firstSequence()
                        + " but the store's last sequence is " + lastSequence);
            }
            Plan plan = validate(batch);
            try {
                apply(batch, plan);
                db.commit();
            } catch (RuntimeException | Error e) {
                failed(e);
                if (e instanceof Error err) {
                    throw err;
                }
                throw new StoreException("Commit of sequences " + batch.firstSequence() + ".." + batch.lastSequence()
                        + " to " + path + " failed; nothing of the batch was applied: " + e, e);
            }
            lastSequence = batch.lastSequence();
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** A key of a pool-and-address state during validation. */
    private record Slot(int poolId, IpAddress address) {
    }

    /** What validation found out and apply needs. */
    private static final class Plan {
        /** The pool id each change refers to (-1 for an access refusal without a known pool). */
        final int[] poolIdOf;
        /** Pools created by the batch: id to pool. */
        final Map<Integer, Pool> created = new LinkedHashMap<>();
        /** Pools deleted by the batch: id to name. */
        final Map<Integer, String> deleted = new LinkedHashMap<>();
        /** Block bytes read while validating (null values: no block). */
        final Map<ByteKey, byte[]> blockCache = new HashMap<>();
        /** Net count changes per pool id: allocated, held, quarantined. */
        final Map<Integer, long[]> countDeltas = new HashMap<>();
        /** Stored counts per pool id, read once per batch (never changed: apply copies them). */
        final Map<Integer, long[]> storedCounts = new HashMap<>();
        int nextPoolId;

        Plan(int size) {
            poolIdOf = new int[size];
        }
    }

    /** A byte[] usable as a hash key. */
    private record ByteKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** Checks the whole batch against the stored data plus the batch's own earlier changes; writes nothing. */
    private Plan validate(ChangeBatch batch) {
        List<Change> changes = batch.changes();
        Plan plan = new Plan(changes.size());
        plan.nextPoolId = (int) metaLong(META_NEXT_POOL_ID);
        Map<String, Integer> live = new HashMap<>(); // pool name -> id, or -1 when deleted in this batch
        Map<Slot, AddressState> states = new HashMap<>();
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            if (change instanceof Change.AccessRefused) {
                plan.poolIdOf[i] = -1;
                continue;
            }
            String pool = change.pool();
            Integer id = live.get(pool);
            if (id == null) {
                Integer stored = poolIds.get(pool);
                id = stored == null ? -1 : stored;
                live.put(pool, id);
            }
            if (change instanceof Change.PoolCreated c) {
                if (id >= 0) {
                    throw new StoreException("Pool '" + pool + "' already exists");
                }
                int newId = plan.nextPoolId++;
                plan.created.put(newId, new Pool(c.spec(), c.at(), c.caller()));
                live.put(pool, newId);
                plan.poolIdOf[i] = newId;
                continue;
            }
            if (id < 0) {
                throw new StoreException("Pool '" + pool + "' does not exist");
            }
            plan.poolIdOf[i] = id;
            if (change instanceof Change.PoolDeleted) {
                long[] stored = plan.created.containsKey(id) ? new long[3] : storedCounts(id);
                long[] delta = plan.countDeltas.getOrDefault(id, new long[3]);
                for (int k = 0; k < 3; k++) {
                    if (stored[k] + delta[k] != 0) {
                        throw new StoreException("Pool '" + pool + "' is not empty and cannot be deleted ("
                                + (stored[0] + delta[0]) + " allocated, " + (stored[1] + delta[1]) + " held, "
                                + (stored[2] + delta[2]) + " quarantined)");
                    }
                }
                plan.deleted.put(id, pool);
                plan.created.remove(id);
                live.put(pool, -1);
                continue;
            }
            IpAddress address = addressOf(change);
            Slot slot = new Slot(id, address);
            final int poolId = id;
            AddressState current = states.get(slot);
            if (current == null) {
                current = plan.created.containsKey(poolId) ? AddressState.FREE : storedState(plan, poolId, address);
            }
            AddressState expected = AddressState.requiredBy(change);
            AddressState next = AddressState.resultOf(change);
            if (current != expected) {
                throw new StoreException("Change " + change.getClass().getSimpleName() + " of " + address + " in pool '"
                        + pool + "' expects the address " + expected + " but it is " + current);
            }
            states.put(slot, next);
            long[] delta = plan.countDeltas.computeIfAbsent(poolId, k -> new long[3]);
            if (current != AddressState.FREE) {
                delta[current.ordinal() - 1]--;
            }
            if (next != AddressState.FREE) {
                delta[next.ordinal() - 1]++;
            }
        }
        return plan;
    }

    private long[] storedCounts(int poolId) {
        byte[] b = poolCounts.get(poolId);
        return b == null ? new long[3] : Codec.decodeCounts(b);
    }

    private AddressState storedState(Plan plan, int poolId, IpAddress address) {
        ByteKey blockKey = new ByteKey(Codec.blockKey(poolId, address));
        byte[] block;
        if (plan.blockCache.containsKey(blockKey)) {
            block = plan.blockCache.get(blockKey);
        } else {
            block = blocks.get(blockKey.bytes());
            plan.blockCache.put(blockKey, block);
        }
        if (block != null && (Codec.blockBitmap(block) & (1L << Codec.blockIndex(address))) != 0) {
            return AddressState.ALLOCATED;
        }
        // The stored counts say whether the pool has any hold or quarantine to look up.
        long[] counts = plan.storedCounts.computeIfAbsent(poolId, this::storedCounts);
        byte[] key = Codec.poolAddressKey(poolId, address);
        if (counts[HELD] > 0 && holds.containsKey(key)) {
            return AddressState.HELD;
        }
        return counts[QUARANTINED] > 0 && quarantines.containsKey(key) ? AddressState.QUARANTINED : AddressState.FREE;
    }

    /** Writes the batch into the open MapDB transaction. */
    private void apply(ChangeBatch batch, Plan plan) {
        List<Change> changes = batch.changes();
        int n = changes.size();
        Map<ByteKey, Allocation[]> dirtyBlocks = new LinkedHashMap<>();
        HistoryIndex.Batch postings = new HistoryIndex.Batch();
        long[] sequences = new long[n];
        byte[][] encoded = new byte[n][];
        ChangeCodec.Out out = new ChangeCodec.Out(256);
        for (int i = 0; i < n; i++) {
            Change change = changes.get(i);
            long sequence = batch.firstSequence() + i;
            sequences[i] = sequence;
            out.reset();
            ChangeCodec.writeChange(out, change);
            encoded[i] = out.toBytes();
            int poolId = plan.poolIdOf[i];
            if (change instanceof Change.PoolCreated c) {
                Pool pool = new Pool(c.spec(), c.at(), c.caller());
                poolIds.put(c.pool(), poolId);
                pools.put(poolId, ChangeCodec.encodePool(pool));
                poolCounts.put(poolId, Codec.encodeCounts(new long[3]));
                continue;
            }
            if (change instanceof Change.PoolDeleted d) {
                deletePool(poolId, d.pool(), dirtyBlocks);
                continue;
            }
            if (change instanceof Change.AccessRefused) {
                continue;
            }
            IpAddress address = addressOf(change);
            if (change instanceof Change.Allocated a) {
                blockSlots(plan, dirtyBlocks, poolId, change.pool(), address)[Codec.blockIndex(address)] = a.allocation();
            } else if (change instanceof Change.Released r) {
                blockSlots(plan, dirtyBlocks, poolId, change.pool(), address)[Codec.blockIndex(address)] = null;
                if (r.quarantineUntil() != null) {
                    quarantines.put(Codec.poolAddressKey(poolId, address), encoded[i]);
                }
                Allocation released = r.allocation();
                if (released.environment() != null) {
                    lastReleases.put(Codec.lastReleaseKey(poolId, released.environment(), released.name()), encoded[i]);
                }
            } else if (change instanceof Change.Held h) {
                holds.put(Codec.poolAddressKey(poolId, address), ChangeCodec.encodeHold(h.hold()));
            } else if (change instanceof Change.HoldEnded) {
                holds.remove(Codec.poolAddressKey(poolId, address));
            } else if (change instanceof Change.QuarantineEnded) {
                quarantines.remove(Codec.poolAddressKey(poolId, address));
            }
            postings.add(address, sequence);
        }
        history.write(postings);
        for (Map.Entry<ByteKey, Allocation[]> e : dirtyBlocks.entrySet()) {
            Allocation[] slots = e.getValue();
            boolean empty = true;
            for (Allocation a : slots) {
                if (a != null) {
                    empty = false;
                    break;
                }
            }
            if (empty) {
                blocks.remove(e.getKey().bytes());
            } else {
                blocks.put(e.getKey().bytes(), Codec.encodeBlock(slots));
            }
        }
        for (Map.Entry<Integer, long[]> e : plan.countDeltas.entrySet()) {
            int poolId = e.getKey();
            if (plan.deleted.containsKey(poolId) || !pools.containsKey(poolId)) {
                continue;
            }
            long[] counts = plan.storedCounts.computeIfAbsent(poolId, this::storedCounts).clone();
            for (int k = 0; k < 3; k++) {
                counts[k] += e.getValue()[k];
            }
            poolCounts.put(poolId, Codec.encodeCounts(counts));
        }
        // The journal, in chunks of consecutive changes.
        int from = 0;
        while (from < n) {
            int to = from;
            int bytes = 0;
            while (to < n && to - from < CHUNK_ENTRIES && bytes < CHUNK_BYTES) {
                bytes += encoded[to].length;
                to++;
            }
            journal.put(sequences[from], Codec.encodeChunk(sequences[from], sequences, encoded, from, to));
            from = to;
        }
        meta.put(META_LAST_SEQUENCE, longBytes(batch.lastSequence()));
        meta.put(META_NEXT_POOL_ID, longBytes(plan.nextPoolId));
    }

    private Allocation[] blockSlots(Plan plan, Map<ByteKey, Allocation[]> dirty, int poolId, String pool, IpAddress address) {
        ByteKey key = new ByteKey(Codec.blockKey(poolId, address));
        Allocation[] slots = dirty.get(key);
        if (slots == null) {
            byte[] block = plan.blockCache.containsKey(key) ? plan.blockCache.get(key) : blocks.get(key.bytes());
            slots = Codec.decodeBlockSlots(pool, key.bytes(), block);
            dirty.put(key, slots);
        }
        return slots;
    }

    private void deletePool(int poolId, String name, Map<ByteKey, Allocation[]> dirtyBlocks) {
        poolIds.remove(name);
        pools.remove(poolId);
        poolCounts.remove(poolId);
        byte[] lo = Codec.poolLow(poolId);
        byte[] hi = Codec.poolHigh(poolId);
        for (BTreeMap<byte[], byte[]> m : List.of(blocks, holds, quarantines, lastReleases)) {
            List<byte[]> keys = new ArrayList<>();
            Iterator<byte[]> it = m.keyIterator(lo, true, hi, true);
            while (it.hasNext()) {
                keys.add(it.next());
            }
            keys.forEach(m::remove);
        }
        dirtyBlocks.keySet().removeIf(k -> Codec.getInt(k.bytes(), 0) == poolId);
    }

    private static IpAddress addressOf(Change change) {
        return AddressState.addressOf(change);
    }

    // ------------------------------------------------------------------ journal and history

    /**
     * Committed changes from {@code fromSequence} on, at most {@code limit}, skipping pruned entries.
     * Waits while a commit is being written.
     *
     * @throws IllegalArgumentException if {@code fromSequence < 1} or {@code limit < 1}
     * @throws StoreException if the file cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public List<JournalEntry> readJournal(long fromSequence, int limit) {
        rw.readLock().lock();
        try {
            ensureOpen();
            if (fromSequence < 1 || limit < 1) {
                throw new IllegalArgumentException("fromSequence " + fromSequence + " and limit " + limit
                        + " must be at least 1");
            }
            return readJournalLocked(fromSequence, limit);
        } finally {
            rw.readLock().unlock();
        }
    }

    private List<JournalEntry> readJournalLocked(long fromSequence, int limit) {
        try {
            List<JournalEntry> result = new ArrayList<>(Math.min(limit, 1024));
            Long start = journal.floorKey(fromSequence);
            Iterator<Map.Entry<Long, byte[]>> it = journal.entryIterator(start == null ? fromSequence : start, true, null, false);
            while (it.hasNext() && result.size() < limit) {
                Map.Entry<Long, byte[]> e = it.next();
                Codec.forEachInChunk(e.getKey(), e.getValue(), (seq, chunk, off, len) -> {
                    if (seq >= fromSequence) {
                        result.add(new JournalEntry(seq, ChangeCodec.decodeChange(chunk, off, len)));
                    }
                    return result.size() < limit;
                });
            }
            return result;
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw readFailure("readJournal", e);
        }
    }

    /**
     * Every committed change about {@code address} in any pool, in sequence order, answered by a range scan
     * of the history index. The scan reads every record of the address's 64-address block (one per batch
     * that changed addresses in it, until {@link #pruneHistory} removes them), so its cost grows with the
     * block's history, not only the address's. Waits while a commit is being written.
     *
     * @throws StoreException if the file cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public List<JournalEntry> history(IpAddress address) {
        Objects.requireNonNull(address, "address");
        rw.readLock().lock();
        try {
            ensureOpen();
            try {
                List<JournalEntry> result = new ArrayList<>();
                for (long seq : history.sequences(address)) {
                    result.add(new JournalEntry(seq, changeAt(seq)));
                }
                return result;
            } catch (StoreException e) {
                throw e;
            } catch (RuntimeException e) {
                throw readFailure("history", e);
            }
        } finally {
            rw.readLock().unlock();
        }
    }

    /** The change with a sequence, from the journal or from the entries detached from it. */
    private Change changeAt(long seq) {
        Map.Entry<Long, byte[]> chunk = journal.floorEntry(seq);
        Change[] found = new Change[1];
        if (chunk != null) {
            Codec.forEachInChunk(chunk.getKey(), chunk.getValue(), (s, bytes, off, len) -> {
                if (s == seq) {
                    found[0] = ChangeCodec.decodeChange(bytes, off, len);
                    return false;
                }
                return s < seq;
            });
        }
        if (found[0] == null) {
            byte[] d = detached.get(seq);
            if (d == null) {
                throw new StoreException("Store " + path + " is inconsistent: the history index names sequence " + seq
                        + ", which is neither in the journal nor kept for history");
            }
            found[0] = ChangeCodec.decodeChange(d);
        }
        return found[0];
    }

    /**
     * Forgets history and journal entries as {@link IpamStore#pruneHistory} documents. Incremental: each
     * call looks only at journal entries it has not looked at before (a watermark in {@code meta}), which
     * assumes that change times ascend with sequence numbers up to small inversions (entries stamped
     * slightly out of order are pruned by a later call). Durable when it returns; blocks commits and reads
     * meanwhile.
     *
     * @throws StoreException if the file cannot be read or written
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void pruneHistory(Instant cutoff, long deliveredUpTo) {
        Objects.requireNonNull(cutoff, "cutoff");
        rw.writeLock().lock();
        try {
            ensureOpen();
            ensureNotBroken();
            try {
                pruneHistoryIndex(cutoff);
                pruneJournal(cutoff, deliveredUpTo);
                db.commit();
            } catch (RuntimeException e) {
                failed(e);
                throw new StoreException("Pruning history of " + path + " failed: " + e, e);
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    private static boolean isEnding(Change c) {
        return c instanceof Change.Released || c instanceof Change.HoldEnded || c instanceof Change.QuarantineEnded;
    }

    private void pruneHistoryIndex(Instant cutoff) {
        long watermark = metaLong(META_HISTORY_WATERMARK);
        Set<IpAddress> candidates = new LinkedHashSet<>();
        long[] considered = {watermark};
        Long start = journal.floorKey(watermark + 1);
        Iterator<Map.Entry<Long, byte[]>> it = journal.entryIterator(start == null ? watermark + 1 : start, true, null, false);
        boolean[] stop = {false};
        while (it.hasNext() && !stop[0]) {
            Map.Entry<Long, byte[]> e = it.next();
            Codec.forEachInChunk(e.getKey(), e.getValue(), (seq, chunk, off, len) -> {
                if (seq <= watermark) {
                    return true;
                }
                Change c = ChangeCodec.decodeChange(chunk, off, len);
                if (!c.at().isBefore(cutoff)) {
                    stop[0] = true;
                    return false;
                }
                if (isEnding(c)) {
                    candidates.add(addressOf(c));
                }
                considered[0] = seq;
                return true;
            });
        }
        for (IpAddress address : candidates) {
            // Per pool: pools of two clouds may share an address, and one's ended period says
            // nothing about the other's.
            List<Long> seqs = history.sequences(address);
            List<Change> changes = new ArrayList<>(seqs.size());
            Map<String, Integer> lastEnding = new HashMap<>();
            for (int i = 0; i < seqs.size(); i++) {
                Change c = changeAt(seqs.get(i));
                changes.add(c);
                if (c.at().isBefore(cutoff) && isEnding(c)) {
                    lastEnding.put(c.pool(), i);
                }
            }
            Set<Long> forgotten = new HashSet<>();
            for (int i = 0; i < seqs.size(); i++) {
                Integer last = lastEnding.get(changes.get(i).pool());
                if (last != null && i <= last) {
                    long seq = seqs.get(i);
                    forgotten.add(seq);
                    detached.remove(seq);
                }
            }
            history.remove(address, forgotten);
        }
        if (considered[0] != watermark) {
            meta.put(META_HISTORY_WATERMARK, longBytes(considered[0]));
        }
    }

    private void pruneJournal(Instant cutoff, long deliveredUpTo) {
        Iterator<Map.Entry<Long, byte[]>> it = journal.entryIterator();
        List<Long> removeChunks = new ArrayList<>();
        Map<Long, byte[]> rewrite = new TreeMap<>();
        boolean stop = false;
        while (it.hasNext() && !stop) {
            Map.Entry<Long, byte[]> e = it.next();
            long chunkKey = e.getKey();
            if (chunkKey > deliveredUpTo) {
                break;
            }
            List<Long> keptSeqs = new ArrayList<>();
            List<byte[]> kept = new ArrayList<>();
            boolean[] stopped = {false};
            Codec.forEachInChunk(chunkKey, e.getValue(), (seq, chunk, off, len) -> {
                byte[] bytes = Arrays.copyOfRange(chunk, off, off + len);
                if (stopped[0] || seq > deliveredUpTo) {
                    keptSeqs.add(seq);
                    kept.add(bytes);
                    return true;
                }
                Change c = ChangeCodec.decodeChange(bytes);
                if (!c.at().isBefore(cutoff)) {
                    stopped[0] = true;
                    keptSeqs.add(seq);
                    kept.add(bytes);
                    return true;
                }
                IpAddress address = addressOf(c);
                if (address != null && history.contains(address, seq)) {
                    detached.put(seq, bytes);
                }
                return true;
            });
            stop = stopped[0];
            if (kept.isEmpty()) {
                removeChunks.add(chunkKey);
            } else if (kept.size() < countEntries(e.getValue())) {
                long[] seqs = keptSeqs.stream().mapToLong(Long::longValue).toArray();
                byte[][] values = kept.toArray(new byte[0][]);
                long newKey = seqs[0];
                removeChunks.add(chunkKey);
                rewrite.put(newKey, Codec.encodeChunk(newKey, seqs, values, 0, seqs.length));
            }
        }
        removeChunks.forEach(journal::remove);
        rewrite.forEach(journal::put);
    }

    private static int countEntries(byte[] chunk) {
        return new ChangeCodec.In(chunk).varint32();
    }

    // ------------------------------------------------------------------ listeners

    /**
     * The last sequence the named listener acknowledged, 0 if none.
     *
     * @throws StoreException if the file cannot be read
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public long listenerPosition(String listener) {
        Objects.requireNonNull(listener, "listener");
        rw.readLock().lock();
        try {
            ensureOpen();
            try {
                Long p = listeners.get(listener);
                return p == null ? 0 : p;
            } catch (RuntimeException e) {
                throw readFailure("listenerPosition", e);
            }
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * Durably records a listener's position (one MapDB commit). Blocks until synced.
     *
     * @throws StoreException if it cannot be written
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public void saveListenerPosition(String listener, long sequence) {
        Objects.requireNonNull(listener, "listener");
        rw.writeLock().lock();
        try {
            ensureOpen();
            ensureNotBroken();
            try {
                listeners.put(listener, sequence);
                db.commit();
            } catch (RuntimeException e) {
                failed(e);
                throw new StoreException("Saving the position of listener '" + listener + "' in " + path + " failed: " + e, e);
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * The stored allocated, held and quarantined counts of a pool (for consistency checks in tests), or
     * null if there is no such pool.
     */
    long[] storedCounts(String pool) {
        rw.readLock().lock();
        try {
            ensureOpen();
            Integer id = poolIds.get(pool);
            return id == null ? null : storedCounts(id);
        } finally {
            rw.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** The store's file. */
    public Path path() {
        return path;
    }

    /**
     * Closes the MapDB file and releases the lock file. Idempotent; waits for a commit in progress. Later
     * calls of every other method throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                db.close();
            } finally {
                release(lockChannel, fileLock);
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "MapDbStore[" + path + (closed ? ", closed" : "") + "]";
    }

    /** After a failed write: roll back, or refuse further writes when the failure came after the commit point. */
    private void failed(Throwable e) {
        if (volume.isBroken()) {
            broken = volume.brokenReason();
            return;
        }
        try {
            rollback();
        } catch (RuntimeException r) {
            e.addSuppressed(r);
            broken = "rolling back a failed commit failed (" + r + ")";
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("MapDbStore " + path + " is closed");
        }
    }

    private void ensureNotBroken() {
        String reason = broken;
        if (reason != null) {
            throw new StoreException("MapDbStore " + path + " refuses further writes: " + reason
                    + "; close it and open the file again");
        }
    }

    private StoreException readFailure(String what, RuntimeException e) {
        return new StoreException(what + " of ipam store " + path + " failed: " + e, e);
    }

    private long metaLong(String key) {
        byte[] b = meta.get(key);
        if (b == null || b.length != 8) {
            throw new StoreException("Store " + path + " lacks its '" + key + "' entry");
        }
        return Codec.getLong(b, 0);
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        Codec.putLong(b, 0, v);
        return b;
    }
}
