package dev.ipam;

import dev.ipam.address.IpAddress;

/** A release named an address that is not allocated in that pool. Nothing was changed. */
public class NotAllocatedException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final String pool;
    private final transient IpAddress address;

    public NotAllocatedException(String pool, IpAddress address) {
        super("Address " + address + " is not allocated in pool '" + pool + "'");
        this.pool = pool;
        this.address = address;
    }

    public String pool() {
        return pool;
    }

    public IpAddress address() {
        return address;
    }
}
