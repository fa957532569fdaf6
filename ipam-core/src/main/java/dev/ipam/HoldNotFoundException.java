package dev.ipam;

/** No live hold matches: it never existed, was confirmed or cancelled, or has expired. */
public class HoldNotFoundException extends IpamException {

    private static final long serialVersionUID = 1L;

    public HoldNotFoundException(String message) {
        super(message);
    }
}
