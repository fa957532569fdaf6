package dev.ipam;

import java.math.BigInteger;

/** The pool has no free address for the request. */
public class PoolExhaustedException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final String pool;
    private final BigInteger capacity;
    private final long used;

    public PoolExhaustedException(String pool, BigInteger capacity, long used) {
        super("Pool '" + pool + "' is exhausted: " + used + " of " + capacity + " addresses in use");
        this.pool = pool;
        this.capacity = capacity;
        this.used = used;
    }

    public String pool() {
        return pool;
    }

    public BigInteger capacity() {
        return capacity;
    }

    /** Addresses that were not free when the request was refused. */
    public long used() {
        return used;
    }
}
