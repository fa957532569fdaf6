package dev.ipam;

import dev.ipam.address.IpAddress;
import java.util.Optional;

/**
 * A specific address (asked for directly, or derived from a MAC) cannot be handed out: it is not
 * part of the pool, or it is taken. When taken, {@link #holder()} is the current allocation.
 */
public class AddressUnavailableException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final String pool;
    private final transient IpAddress address;
    private final transient Allocation holder;

    public AddressUnavailableException(String pool, IpAddress address, Allocation holder) {
        super("Address " + address + " in pool '" + pool + "' is already allocated to owner '"
                + holder.owner() + "'" + (holder.hostname() == null ? "" : " (" + holder.hostname() + ")"));
        this.pool = pool;
        this.address = address;
        this.holder = holder;
    }

    public AddressUnavailableException(String pool, IpAddress address, String reason) {
        super("Address " + address + " in pool '" + pool + "' is unavailable: " + reason);
        this.pool = pool;
        this.address = address;
        this.holder = null;
    }

    public String pool() {
        return pool;
    }

    public IpAddress address() {
        return address;
    }

    /** The allocation that holds the address, when that is why it is unavailable. */
    public Optional<Allocation> holder() {
        return Optional.ofNullable(holder);
    }
}
