package dev.ipam.spi;

import dev.ipam.StoreException;

/**
 * A {@link SharedStore} refused a commit because another instance changed the same address, key
 * or pool after the committing instance last read the journal. Nothing of the commit was applied.
 * The library catches up and retries the affected calls itself; callers see this only (as the
 * cause of a {@link StoreException}) when retries are exhausted.
 *
 * <p>A store may say which change it refused first ({@link #refusedChange()}): every change
 * before it passed the store's checks, so the library can commit those on their own instead of
 * retrying them too.
 */
public class ConcurrentChangeException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** The index of the first refused change in the committed list, or -1. */
    private final int refusedChange;

    /** A refusal that does not say which change was refused. */
    public ConcurrentChangeException(String message) {
        super(message);
        this.refusedChange = -1;
    }

    /** A refusal caused by a database error, for example a unique key violation. */
    public ConcurrentChangeException(String message, Throwable cause) {
        super(message, cause);
        this.refusedChange = -1;
    }

    /**
     * A refusal of the change at {@code refusedChange} (its index in the list given to
     * {@link SharedStore#commitShared}); the changes before it passed every check.
     *
     * @throws IllegalArgumentException if {@code refusedChange} is negative
     */
    public ConcurrentChangeException(String message, int refusedChange) {
        super(message);
        if (refusedChange < 0) {
            throw new IllegalArgumentException("refusedChange must not be negative, was " + refusedChange);
        }
        this.refusedChange = refusedChange;
    }

    /**
     * The index of the first change the store refused in the list given to
     * {@link SharedStore#commitShared}, or -1 if the store does not say. The changes before it
     * passed every check of the refused commit.
     */
    public int refusedChange() {
        return refusedChange;
    }
}
