package dev.ipam.spi;

import dev.ipam.StoreException;

/**
 * A {@link SharedStore} refused a commit because another instance changed the same address, key
 * or pool after the committing instance last read the journal. Nothing of the commit was applied.
 * The library catches up and retries the affected calls itself; callers see this only (as the
 * cause of a {@link StoreException}) when retries are exhausted.
 */
public class ConcurrentChangeException extends StoreException {

    private static final long serialVersionUID = 1L;

    public ConcurrentChangeException(String message) {
        super(message);
    }

    public ConcurrentChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
