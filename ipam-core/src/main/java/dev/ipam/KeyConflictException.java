package dev.ipam;

/**
 * A request's {@code (environment, name)} key already holds an allocation that the request
 * contradicts (for example it asks for a different specific address). Nothing was changed.
 */
public class KeyConflictException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final transient Allocation existing;

    public KeyConflictException(String message, Allocation existing) {
        super(message);
        this.existing = existing;
    }

    /** The allocation the key holds. */
    public Allocation existing() {
        return existing;
    }
}
