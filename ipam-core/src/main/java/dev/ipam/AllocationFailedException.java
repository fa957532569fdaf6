package dev.ipam;

/**
 * One request of an {@link IpamSession#allocateAll all-or-nothing} call failed, so none was
 * allocated. {@link #requestIndex()} names the failing request; the cause says why.
 */
public class AllocationFailedException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final int requestIndex;

    public AllocationFailedException(int requestIndex, AllocationRequest request, RuntimeException cause) {
        super("Request " + requestIndex + " (" + request + ") failed, nothing was allocated: "
                + cause.getMessage(), cause);
        this.requestIndex = requestIndex;
    }

    /** The 0-based position of the failing request in the list. */
    public int requestIndex() {
        return requestIndex;
    }
}
