package dev.ipam.store.mapdb;

import java.util.Arrays;

/** A {@code byte[]} usable as a hash key: equal when the contents are. The array must not change. */
record ByteKey(byte[] bytes) {

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
