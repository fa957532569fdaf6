package dev.ipam.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An allocation's name and host name packed into one byte array, which costs one object instead
 * of two strings: a flags byte (which of the two are present), the name's length in UTF-8 bytes
 * (1 to 5 bytes, 7 bits each, low first), the name's UTF-8 bytes, then the host name's UTF-8 bytes
 * to the end. Neither present packs to null. Names are valid UTF-16 (no unpaired surrogates), so
 * they round-trip exactly. Stateless.
 */
final class PackedText {

    private static final int HAS_NAME = 1;
    private static final int HAS_HOSTNAME = 2;
    private static final byte[] EMPTY = new byte[0];

    private PackedText() {
    }

    /** Packs the two values, either of which may be null; null if both are. */
    static byte[] pack(String name, String hostname) {
        if (name == null && hostname == null) {
            return null;
        }
        byte[] n = name == null ? EMPTY : utf8(name);
        byte[] h = hostname == null ? EMPTY : utf8(hostname);
        int lengthBytes = lengthBytes(n.length);
        byte[] packed = new byte[1 + lengthBytes + n.length + h.length];
        packed[0] = (byte) ((name == null ? 0 : HAS_NAME) | (hostname == null ? 0 : HAS_HOSTNAME));
        int v = n.length;
        for (int i = 1; i <= lengthBytes; i++) {
            packed[i] = (byte) (i < lengthBytes ? (v & 0x7F) | 0x80 : v);
            v >>>= 7;
        }
        System.arraycopy(n, 0, packed, 1 + lengthBytes, n.length);
        System.arraycopy(h, 0, packed, 1 + lengthBytes + n.length, h.length);
        return packed;
    }

    /** The name, or null. */
    static String name(byte[] packed) {
        if (packed == null || (packed[0] & HAS_NAME) == 0) {
            return null;
        }
        int length = readLength(packed);
        return new String(packed, 1 + lengthBytes(length), length, StandardCharsets.UTF_8);
    }

    /** The host name, or null. */
    static String hostname(byte[] packed) {
        if (packed == null || (packed[0] & HAS_HOSTNAME) == 0) {
            return null;
        }
        int length = readLength(packed);
        int start = 1 + lengthBytes(length) + length;
        return new String(packed, start, packed.length - start, StandardCharsets.UTF_8);
    }

    /** The name's UTF-8 bytes; empty if there is no name (so a missing and an empty name are one key). */
    static byte[] nameBytes(byte[] packed) {
        if (packed == null || (packed[0] & HAS_NAME) == 0) {
            return EMPTY;
        }
        int length = readLength(packed);
        int start = 1 + lengthBytes(length);
        return Arrays.copyOfRange(packed, start, start + length);
    }

    /** The UTF-8 bytes of a name as {@link #nameBytes} gives them; empty for null. */
    static byte[] nameBytes(String name) {
        return name == null ? EMPTY : utf8(name);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int readLength(byte[] packed) {
        int value = 0;
        for (int i = 1, shift = 0; ; i++, shift += 7) {
            int b = packed[i];
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
    }

    private static int lengthBytes(int length) {
        int bytes = 1;
        while ((length >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }
}
