package dev.ipam;

/** The named pool does not exist (or was deleted). */
public class PoolNotFoundException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final String pool;

    public PoolNotFoundException(String pool) {
        super("Pool '" + pool + "' does not exist");
        this.pool = pool;
    }

    /** The name that was looked up. */
    public String pool() {
        return pool;
    }
}
