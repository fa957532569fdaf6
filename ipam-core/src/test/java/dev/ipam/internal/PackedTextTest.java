package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link PackedText} gives back exactly what it packed, for every pairing of null, empty, ASCII,
 * non-ASCII, supplementary-plane and long values (name lengths around the 1-, 2- and 3-byte
 * length prefixes), plus random valid strings; {@code nameBytes}, {@code nameHash},
 * {@code nameEquals} and {@code sameName} agree with the name; and the bytes are those of
 * {@link String#getBytes} in UTF-8, also for strings with unpaired surrogates.
 */
class PackedTextTest {

    @Test
    void roundTripsEveryPairing() {
        List<String> values = new ArrayList<>(Arrays.asList(null, "", "vm-1", "hôte", "名前", "😀-vm",
                "n".repeat(127), "n".repeat(128), "é".repeat(8_192), "x".repeat(16_384)));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200; i++) {
            values.add(randomString(random));
        }
        for (String name : values) {
            for (String hostname : values) {
                byte[] packed = PackedText.pack(name, hostname);
                String as = "name " + abbreviate(name) + ", hostname " + abbreviate(hostname);
                assertThat(packed == null).as(as).isEqualTo(name == null && hostname == null);
                assertThat(PackedText.name(packed)).as(as).isEqualTo(name);
                assertThat(PackedText.hostname(packed)).as(as).isEqualTo(hostname);
                assertThat(PackedText.nameBytes(packed)).as(as).isEqualTo(PackedText.nameBytes(name));
                assertThat(PackedText.nameBytes(name)).as(as)
                        .isEqualTo(name == null ? new byte[0] : name.getBytes(StandardCharsets.UTF_8));
                assertThat(PackedText.nameHash(packed)).as(as).isEqualTo(Arrays.hashCode(PackedText.nameBytes(name)));
                assertThat(PackedText.nameEquals(packed, PackedText.nameBytes(name))).as(as).isTrue();
                assertThat(PackedText.nameEquals(packed, PackedText.nameBytes(hostname))).as(as)
                        .isEqualTo(Arrays.equals(PackedText.nameBytes(name), PackedText.nameBytes(hostname)));
                byte[] swapped = PackedText.pack(hostname, name);
                assertThat(PackedText.sameName(packed, swapped)).as(as)
                        .isEqualTo(Arrays.equals(PackedText.nameBytes(name), PackedText.nameBytes(hostname)));
                assertThat(PackedText.sameName(swapped, packed)).as(as).isEqualTo(PackedText.sameName(packed, swapped));
                assertThat(PackedText.sameName(packed, PackedText.pack(name, "other"))).as(as).isTrue();
            }
        }
    }

    @Test
    void packsTheBytesOfGetBytesForAnyCharsIncludingUnpairedSurrogates() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            String name = randomChars(random);
            String hostname = random.nextInt(4) == 0 ? null : randomChars(random);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] h = hostname == null ? new byte[0] : hostname.getBytes(StandardCharsets.UTF_8);
            byte[] packed = PackedText.pack(name, hostname);
            String as = "name " + name.chars().mapToObj(Integer::toHexString).toList() + ", hostname " + hostname;
            assertThat(PackedText.nameBytes(packed)).as(as).isEqualTo(n);
            assertThat(Arrays.copyOfRange(packed, packed.length - h.length, packed.length)).as(as).isEqualTo(h);
            assertThat(packed.length).as(as).isEqualTo(1 + (n.length < 128 ? 1 : n.length < 16_384 ? 2 : 3) + n.length + h.length);
        }
    }

    /** Up to 40 chars of any kind, surrogates (paired, unpaired, reversed) much more often than by chance. */
    private static String randomChars(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(40);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(5)) {
                case 0 -> sb.append((char) random.nextInt(0x80));
                case 1 -> sb.append((char) random.nextInt(0x80, 0x800));
                case 2 -> sb.append((char) random.nextInt(0x800, 0x10000));
                case 3 -> sb.append((char) random.nextInt(Character.MIN_HIGH_SURROGATE, Character.MAX_HIGH_SURROGATE + 1));
                default -> sb.append((char) random.nextInt(Character.MIN_LOW_SURROGATE, Character.MAX_LOW_SURROGATE + 1));
            }
        }
        return sb.toString();
    }

    /** Up to 300 code points from all planes, skipping surrogates (names never hold unpaired ones). */
    private static String randomString(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(300);
        for (int i = 0; i < length; i++) {
            int cp = random.nextBoolean() ? random.nextInt(0x20, 0x7F) : random.nextInt(0x80, Character.MAX_CODE_POINT + 1);
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                continue;
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() <= 20 ? "'" + s + "'" : "'" + s.substring(0, 20) + "…' (" + s.length() + ")";
    }
}
