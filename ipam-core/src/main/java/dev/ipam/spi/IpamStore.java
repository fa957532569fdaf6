package dev.ipam.spi;

import dev.ipam.address.IpAddress;
import java.time.Instant;
import java.util.List;

/**
 * The durable truth behind an {@link dev.ipam.Ipam}: it receives every committed change and gives
 * the whole state back at start-up. The library reads it fully only in {@link #load()}; afterwards
 * it only writes deltas through {@link #commit(ChangeBatch)}.
 *
 * <p>Threading: the library calls {@link #load()} once, then {@link #commit} from one thread at a
 * time (the current group-commit leader; not always the same thread), and {@link #close()} last.
 * Journal reads, history queries and listener positions may come from any thread at any time,
 * concurrently with commits: implementations must be thread-safe.
 */
public interface IpamStore extends AutoCloseable {

    /**
     * Reads the committed state. Blocks while reading.
     *
     * @throws dev.ipam.StoreException if the state cannot be read
     * @throws IllegalStateException if the store is closed
     */
    StoredState load();

    /**
     * Makes a batch of changes durable, atomically: when this returns, every change of the batch
     * survives a crash; when it throws, none is applied. The batch's sequence numbers continue the
     * store's last sequence without a gap. Blocks until durable (typically one fsync or one database
     * transaction per batch).
     *
     * @throws dev.ipam.StoreException if the batch could not be made durable, is inconsistent with
     *     the stored state, or does not continue the sequence; nothing of it was applied
     * @throws IllegalStateException if the store is closed
     */
    void commit(ChangeBatch batch);

    /**
     * Reads committed changes in sequence order, starting at {@code fromSequence}, at most
     * {@code limit} of them; an empty list when there are none (yet). Entries removed by
     * {@link #pruneHistory} are skipped.
     *
     * @throws IllegalArgumentException if {@code fromSequence < 1} or {@code limit < 1}
     * @throws dev.ipam.StoreException if the journal cannot be read
     */
    List<JournalEntry> readJournal(long fromSequence, int limit);

    /**
     * Every committed change about one address ({@link Change.Allocated}, {@link Change.Released},
     * {@link Change.Held}, {@link Change.HoldEnded}, {@link Change.QuarantineEnded}) in any pool, in
     * sequence order. Must be answered from an index, not by scanning the journal.
     *
     * @throws dev.ipam.StoreException if the journal cannot be read
     */
    List<JournalEntry> history(IpAddress address);

    /**
     * Forgets holding periods that ended before {@code cutoff}: per address and pool (pools of two
     * clouds may share an address), every entry of that pool up to its last {@link Change.Released},
     * {@link Change.HoldEnded} or {@link Change.QuarantineEnded} before the cutoff; and journal entries before the cutoff whose sequence is at most
     * {@code deliveredUpTo} (so that no listener misses them). Durable when it returns.
     */
    void pruneHistory(Instant cutoff, long deliveredUpTo);

    /**
     * The last sequence a named listener acknowledged; 0 if it never did.
     *
     * @throws dev.ipam.StoreException if it cannot be read
     */
    long listenerPosition(String listener);

    /**
     * Durably records that a named listener has handled every change up to {@code sequence}.
     *
     * @throws dev.ipam.StoreException if it cannot be written
     */
    void saveListenerPosition(String listener, long sequence);

    /** Releases the store's resources. Idempotent. Later calls of other methods throw IllegalStateException. */
    @Override
    void close();
}
