package dev.ipam.spi;

/**
 * The durable truth behind an {@link dev.ipam.Ipam}: it receives every committed change and gives
 * the whole state back at start-up. The library reads it fully only in {@link #load()}; afterwards
 * it only writes deltas through {@link #commit(ChangeBatch)}.
 *
 * <p>Threading: the library calls {@link #load()} once, then {@link #commit} from one thread at a
 * time (the current group-commit leader; not always the same thread), and {@link #close()} last.
 * Implementations must still be safe if those calls come from different threads.
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

    /** Releases the store's resources. Idempotent. Later calls of other methods throw IllegalStateException. */
    @Override
    void close();
}
