package dev.ipam;

/** How an allocation picks its address. */
public enum Strategy {
    /** The lowest free address of the pool. */
    LOWEST,
    /**
     * The next free address after the pool's cursor (the last address this strategy handed out),
     * wrapping around at the end; a just-released address is not reused at once.
     */
    NEXT_FIT,
    /** A uniformly random free address, at any fill and in pools of any size. */
    RANDOM,
    /** The address named in the request; fails if it is not free. */
    SPECIFIC,
    /**
     * The modified EUI-64 address of the request's MAC (RFC 4291 appendix A) in the pool's IPv6
     * prefix, which must be a /64 or shorter.
     */
    EUI64
}
