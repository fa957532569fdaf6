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
 * length prefixes), plus random valid strings; and {@code nameBytes} agrees with the name.
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
            }
        }
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
