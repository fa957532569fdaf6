package dev.ipam;

/**
 * A pool cannot be created or deleted as asked: its name is taken, its ranges overlap another
 * pool of the same cloud, or it still has live allocations.
 */
public class PoolConflictException extends IpamException {

    private static final long serialVersionUID = 1L;

    public PoolConflictException(String message) {
        super(message);
    }
}
