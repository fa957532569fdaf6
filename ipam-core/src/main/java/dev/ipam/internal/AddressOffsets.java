package dev.ipam.internal;

/**
 * Numbers the addresses of a pool {@code 0 … count() - 1}: its ranges laid end to end, as a
 * {@link DenseOccupancy} numbers its bits. Lets an index keep entries by offset, so that
 * neighbouring addresses have neighbouring entries.
 */
interface AddressOffsets {

    /** The number of addresses, and so of offsets. */
    long count();

    /**
     * The offset of the address given as its two 64-bit halves (an IPv4 address is all in
     * {@code low}), or -1 if the address is not in the pool.
     */
    long offsetOf(long high, long low);
}
