package dev.ipam;

/**
 * The base of every failure the library reports about the state of pools and allocations (as
 * opposed to malformed input, which is an {@link IllegalArgumentException}). A call that throws it
 * has changed nothing.
 */
public class IpamException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public IpamException(String message) {
        super(message);
    }

    public IpamException(String message, Throwable cause) {
        super(message, cause);
    }
}
