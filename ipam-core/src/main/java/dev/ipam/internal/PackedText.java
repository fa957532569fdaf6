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

    /**
     * Packs the two values, either of which may be null; null if both are. Encodes straight into
     * the packed array, with the bytes {@link String#getBytes(java.nio.charset.Charset)} gives for
     * UTF-8 (an unpaired surrogate becomes {@code '?'}), so packing a million names at start-up
     * leaves no intermediate arrays behind.
     */
    static byte[] pack(String name, String hostname) {
        if (name == null && hostname == null) {
            return null;
        }
        int nameLength = name == null ? 0 : utf8Length(name);
        int hostnameLength = hostname == null ? 0 : utf8Length(hostname);
        int lengthBytes = lengthBytes(nameLength);
        byte[] packed = new byte[1 + lengthBytes + nameLength + hostnameLength];
        packed[0] = (byte) ((name == null ? 0 : HAS_NAME) | (hostname == null ? 0 : HAS_HOSTNAME));
        int v = nameLength;
        for (int i = 1; i <= lengthBytes; i++) {
            packed[i] = (byte) (i < lengthBytes ? (v & 0x7F) | 0x80 : v);
            v >>>= 7;
        }
        int pos = 1 + lengthBytes;
        if (name != null) {
            pos = encode(name, packed, pos);
        }
        if (hostname != null) {
            encode(hostname, packed, pos);
        }
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

    /** {@code Arrays.hashCode(nameBytes(packed))}, without copying the name. */
    static int nameHash(byte[] packed) {
        int h = 1;
        if (packed != null && (packed[0] & HAS_NAME) != 0) {
            int length = readLength(packed);
            for (int i = 1 + lengthBytes(length), end = i + length; i < end; i++) {
                h = 31 * h + packed[i];
            }
        }
        return h;
    }

    /** {@code Arrays.equals(nameBytes(packed), name)}, without copying the name. */
    static boolean nameEquals(byte[] packed, byte[] name) {
        if (packed == null || (packed[0] & HAS_NAME) == 0) {
            return name.length == 0;
        }
        int length = readLength(packed);
        int start = 1 + lengthBytes(length);
        return Arrays.equals(packed, start, start + length, name, 0, name.length);
    }

    /** Whether the two packed values hold the same name (a missing and an empty name are the same). */
    static boolean sameName(byte[] a, byte[] b) {
        if (a == null || (a[0] & HAS_NAME) == 0) {
            return nameEquals(b, EMPTY);
        }
        int length = readLength(a);
        int start = 1 + lengthBytes(length);
        if (b == null || (b[0] & HAS_NAME) == 0) {
            return length == 0;
        }
        int otherLength = readLength(b);
        int otherStart = 1 + lengthBytes(otherLength);
        return Arrays.equals(a, start, start + length, b, otherStart, otherStart + otherLength);
    }

    /** The UTF-8 bytes of a name as {@link #nameBytes} gives them; empty for null. */
    static byte[] nameBytes(String name) {
        return name == null ? EMPTY : utf8(name);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The length of {@code s} in UTF-8 as {@link #encode} writes it. */
    private static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes++;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // four bytes for the pair's two chars
                i++;
            } else if (Character.isSurrogate(c)) {
                continue; // unpaired: one '?'
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }

    /** Writes {@code s} in UTF-8 at {@code pos}; returns the position after it. */
    private static int encode(String s, byte[] dst, int pos) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                dst[pos++] = (byte) c;
            } else if (c < 0x800) {
                dst[pos++] = (byte) (0xC0 | c >> 6);
                dst[pos++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                dst[pos++] = (byte) (0xF0 | cp >> 18);
                dst[pos++] = (byte) (0x80 | cp >> 12 & 0x3F);
                dst[pos++] = (byte) (0x80 | cp >> 6 & 0x3F);
                dst[pos++] = (byte) (0x80 | cp & 0x3F);
            } else if (Character.isSurrogate(c)) {
                dst[pos++] = '?';
            } else {
                dst[pos++] = (byte) (0xE0 | c >> 12);
                dst[pos++] = (byte) (0x80 | c >> 6 & 0x3F);
                dst[pos++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return pos;
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
