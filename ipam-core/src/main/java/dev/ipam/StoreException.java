package dev.ipam;

/**
 * The store failed to make a change durable (or to load state). The change was undone in memory:
 * nothing of the failed call remains, and later calls work normally once the store recovers.
 */
public class StoreException extends IpamException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
