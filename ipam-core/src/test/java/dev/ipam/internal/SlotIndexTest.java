package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

/**
 * Checks {@link SlotIndex} on its own against a {@link HashSet} of live keys. Keys live in an
 * {@code int[]} column, as in a real table, and are hashed deliberately badly so that clusters
 * are long: {@link BadHash#MOD_4} uses {@code key % 4}; {@link BadHash#WRAPPING} gives every key a
 * home among the last four or the first four positions of the array, so clusters wrap around its
 * end and interleave with the ones starting at position 0. Random inserts, removals and slot
 * replacements run in alternating fill and drain phases; after every step the index must hold
 * exactly the slots of the live keys, each with its key's hash, and (regularly) every live key
 * must be reachable by a probe from its home.
 */
class SlotIndexTest {

    enum BadHash { MOD_4, WRAPPING }

    private static final int KEYS = 300;
    private static final int STEPS = 3600;
    private static final int PHASE = 600;
    private static final int FIND_ALL_EVERY = 25;
    private static final int FREE = -1;

    @Property(tries = 30, shrinking = ShrinkingMode.OFF)
    void holdsExactlyTheLiveKeys(@ForAll long seed, @ForAll BadHash badHash) {
        Fixture f = new Fixture(badHash);
        SplittableRandom random = new SplittableRandom(seed);
        int wrappedRemovals = 0;
        for (int step = 0; step < STEPS; step++) {
            boolean filling = (step / PHASE) % 2 == 0;
            int roll = random.nextInt(100);
            int key = random.nextInt(KEYS);
            String where = "seed " + seed + " " + badHash + " step " + step + " key " + key;
            if (roll < (filling ? 80 : 5)) {
                f.insertIfAbsent(key);
            } else if (roll < 90) {
                wrappedRemovals += f.removeIfPresent(key) ? 1 : 0;
            } else {
                f.replaceIfPresent(key);
            }
            assertThat(f.index.size()).as(where).isEqualTo(f.live.size());
            assertThat(f.find(key)).as(where).isEqualTo(f.live.contains(key) ? f.slotOfKey[key] : FREE);
            f.checkEntries(where);
            if (step % FIND_ALL_EVERY == 0) {
                f.checkFindAll(where);
            }
        }
        f.checkFindAll("seed " + seed + " end");
        if (badHash == BadHash.WRAPPING) {
            assertThat(wrappedRemovals).as("removals inside a cluster that wraps around the end").isPositive();
        }
    }

    /**
     * Hand-made clusters across the end of a 16-entry array: removals must pull wrapped entries
     * back across the end, and must leave entries that are at their home (on either side of it).
     */
    @Example
    void removalsAcrossTheEndOfTheArray() {
        Fixture f = new Fixture(BadHash.WRAPPING);
        assertThat(f.capacity()).isEqualTo(16);
        // Keys 0, 8, 16 and 24 have home 15; key 4 has home 0 and key 7 home 3.
        for (int key : new int[] {0, 8, 16, 24, 4}) {
            f.insertIfAbsent(key);
        }
        assertThat(f.positions(0, 8, 16, 24, 4)).containsExactly(15, 0, 1, 2, 3);

        f.removeIfPresent(0);
        assertThat(f.positions(8, 16, 24, 4)).containsExactly(15, 0, 1, 2);
        assertThat(f.index.slotAt(3)).isEqualTo(FREE);

        f.insertIfAbsent(7);
        f.removeIfPresent(24);
        assertThat(f.positions(8, 16, 4, 7)).containsExactly(15, 0, 1, 3);
        assertThat(f.index.slotAt(2)).isEqualTo(FREE);

        f.removeIfPresent(8);
        assertThat(f.positions(16, 4, 7)).containsExactly(15, 0, 3);

        f.removeIfPresent(16);
        assertThat(f.positions(4, 7)).containsExactly(0, 3);
        assertThat(f.index.slotAt(15)).isEqualTo(FREE);
        f.checkEntries("end");
        f.checkFindAll("end");
    }

    @Example
    void unmixInvertsMix() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            int x = random.nextInt();
            assertThat(SlotIndex.mix(unmix(x))).isEqualTo(x);
        }
        assertThat(SlotIndex.mix(unmix(-1))).isEqualTo(-1);
    }

    // ------------------------------------------------------------------ fixture

    /** An index over an int column, with the model: live keys and the slot of each. */
    private static final class Fixture {
        final BadHash badHash;
        final int[] column = new int[KEYS + 1];
        final Deque<Integer> freeSlots = new ArrayDeque<>();
        final int[] slotOfKey = new int[KEYS];
        final Set<Integer> live = new HashSet<>();
        final SlotIndex index;

        Fixture(BadHash badHash) {
            this.badHash = badHash;
            Arrays.fill(column, FREE);
            Arrays.fill(slotOfKey, FREE);
            for (int slot = column.length - 1; slot >= 0; slot--) {
                freeSlots.push(slot);
            }
            index = new SlotIndex();
        }

        int hash(int key) {
            if (badHash == BadHash.MOD_4) {
                return key % 4;
            }
            // Homes: the last four positions for key % 8 in 0..3, the first four for 4..7.
            int group = key & 7;
            return unmix(group < 4 ? ~group : group - 4);
        }

        /** Walks the probe sequence of {@code key}: the position of its entry or the empty one that ends it. */
        int probe(int key) {
            int pos = index.firstProbe(hash(key));
            for (int steps = 0; ; steps++) {
                if (steps > 1 << 16) {
                    throw new AssertionError("the probe for " + key + " does not end");
                }
                int slot = index.slotAt(pos);
                if (slot < 0 || index.hashAt(pos) == hash(key) && column[slot] == key) {
                    return pos;
                }
                pos = index.nextProbe(pos);
            }
        }

        /** The slot the index finds for {@code key}, or {@link #FREE}. */
        int find(int key) {
            return index.slotAt(probe(key));
        }

        /** The positions of the entries of live keys. */
        int[] positions(int... keys) {
            int[] positions = new int[keys.length];
            for (int i = 0; i < keys.length; i++) {
                positions[i] = probe(keys[i]);
                assertThat(index.slotAt(positions[i])).as("key %d present", keys[i]).isNotEqualTo(FREE);
            }
            return positions;
        }

        void insertIfAbsent(int key) {
            assertThat(find(key) != FREE).isEqualTo(live.contains(key));
            if (live.add(key)) {
                int slot = freeSlots.pop();
                column[slot] = key;
                slotOfKey[key] = slot;
                index.insert(hash(key), slot);
            }
        }

        /** Returns whether the removed entry was in a cluster that continues across the array's end. */
        boolean removeIfPresent(int key) {
            int pos = probe(key);
            assertThat(index.slotAt(pos) != FREE).isEqualTo(live.contains(key));
            if (!live.remove(key)) {
                return false;
            }
            boolean wraps = clusterWrapsAfter(pos);
            int slot = index.slotAt(pos);
            index.removeAt(pos);
            column[slot] = FREE;
            slotOfKey[key] = FREE;
            freeSlots.push(slot);
            return wraps;
        }

        /** Moves a live key to a fresh slot, as a table does when a new record takes over a key. */
        void replaceIfPresent(int key) {
            if (!live.contains(key)) {
                return;
            }
            int pos = probe(key);
            int oldSlot = index.slotAt(pos);
            int newSlot = freeSlots.pop();
            column[newSlot] = key;
            index.replaceAt(pos, newSlot);
            column[oldSlot] = FREE;
            freeSlots.push(oldSlot);
            slotOfKey[key] = newSlot;
        }

        private boolean clusterWrapsAfter(int pos) {
            for (int p = pos, next = index.nextProbe(p); index.slotAt(next) != FREE; p = next, next = index.nextProbe(next)) {
                if (next < p) {
                    return true;
                }
            }
            return false;
        }

        /** The array length, found by walking the probe order once around; checked against {@link SlotIndex#capacity}. */
        int capacity() {
            int n = 1;
            for (int pos = index.nextProbe(0); pos != 0; pos = index.nextProbe(pos)) {
                n++;
            }
            assertThat(index.capacity()).isEqualTo(n);
            return n;
        }

        /** Every occupied position holds the slot of a distinct live key, and there are as many as live keys. */
        void checkEntries(String where) {
            int capacity = capacity();
            int occupied = 0;
            boolean[] seen = new boolean[column.length];
            for (int pos = 0; pos < capacity; pos++) {
                int slot = index.slotAt(pos);
                if (slot == FREE) {
                    continue;
                }
                occupied++;
                int key = column[slot];
                if (key == FREE || seen[slot] || slotOfKey[key] != slot || index.hashAt(pos) != hash(key)) {
                    throw new AssertionError(where + ": position " + pos + " holds slot " + slot
                            + " (key " + key + ", duplicate " + seen[slot] + ", hash " + index.hashAt(pos) + ")");
                }
                seen[slot] = true;
            }
            assertThat(occupied).as(where + ": occupied positions").isEqualTo(live.size());
            assertThat(occupied * 100L).as(where + ": load").isLessThanOrEqualTo((long) capacity * SlotIndex.MAX_LOAD_PERCENT);
        }

        /** Every live key is reachable from its home; absent keys end at an empty position. */
        void checkFindAll(String where) {
            for (int key = 0; key < KEYS; key++) {
                int expected = live.contains(key) ? slotOfKey[key] : FREE;
                if (find(key) != expected) {
                    throw new AssertionError(where + ": key " + key + " found at slot " + find(key) + ", expected " + expected);
                }
            }
        }
    }

    // ------------------------------------------------------------------ hashing

    private static final int INVERSE_C1 = inverse(0x85ebca6b);
    private static final int INVERSE_C2 = inverse(0xc2b2ae35);

    /** The inverse of {@link SlotIndex#mix}, to choose hashes whose first probe is a given position. */
    static int unmix(int h) {
        h ^= h >>> 16;
        h *= INVERSE_C2;
        h ^= h >>> 13;
        h ^= h >>> 26;
        h *= INVERSE_C1;
        h ^= h >>> 16;
        return h;
    }

    /** The multiplicative inverse of an odd number modulo 2^32 (Newton's iteration). */
    private static int inverse(int odd) {
        int x = odd;
        for (int i = 0; i < 5; i++) {
            x *= 2 - odd * x;
        }
        return x;
    }
}
