package dev.ipam;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link InMemoryStore} keeps about one address: its live state in each pool that holds it
 * (an {@link Allocation}, a {@link Hold}, or the {@link Change.Released} that quarantined it) and
 * its history, oldest first. Usually one pool holds the address; two clouds' pools may share it.
 *
 * <p>Not thread-safe: the store guards it with its own lock.
 */
final class StoredAddress {

    private static final JournalEntry[] NO_HISTORY = new JournalEntry[0];

    final IpAddress address;
    /** Pool name and state, pair after pair; a freed pair is compacted away. */
    private Object[] states = new Object[2];
    private int stateCount;
    private JournalEntry[] history = NO_HISTORY;
    private int historyStart;
    private int historyEnd;

    StoredAddress(IpAddress address) {
        this.address = address;
    }

    /** The address's state in {@code pool}. */
    AddressState state(String pool) {
        int i = indexOf(pool);
        if (i < 0) {
            return AddressState.FREE;
        }
        Object value = states[i + 1];
        if (value instanceof Allocation) {
            return AddressState.ALLOCATED;
        }
        return value instanceof Hold ? AddressState.HELD : AddressState.QUARANTINED;
    }

    /** Sets the state in {@code pool}: an {@link Allocation}, a {@link Hold} or a quarantining release. */
    void put(String pool, Object value) {
        int i = indexOf(pool);
        if (i >= 0) {
            states[i + 1] = value;
            return;
        }
        if (stateCount * 2 == states.length) {
            states = Arrays.copyOf(states, states.length * 2);
        }
        states[stateCount * 2] = pool;
        states[stateCount * 2 + 1] = value;
        stateCount++;
    }

    /** Frees the address in {@code pool}. */
    void remove(String pool) {
        int i = indexOf(pool);
        if (i < 0) {
            return;
        }
        int last = (stateCount - 1) * 2;
        states[i] = states[last];
        states[i + 1] = states[last + 1];
        states[last] = null;
        states[last + 1] = null;
        stateCount--;
    }

    /** Each live state of the address, in no particular order. */
    void forEachState(Consumer<Object> action) {
        for (int i = 0; i < stateCount; i++) {
            action.accept(states[i * 2 + 1]);
        }
    }

    private int indexOf(String pool) {
        for (int i = 0; i < stateCount * 2; i += 2) {
            if (states[i].equals(pool)) {
                return i;
            }
        }
        return -1;
    }

    /** Appends a history entry; entries arrive in ascending sequence order. */
    void addHistory(JournalEntry entry) {
        if (historyEnd == history.length) {
            int size = historyEnd - historyStart;
            if (size > 0 && size * 2 <= history.length) { // room at the front: shift left
                System.arraycopy(history, historyStart, history, 0, size);
                Arrays.fill(history, size, historyEnd, null);
            } else {
                history = Arrays.copyOfRange(history, historyStart, historyStart + Math.max(2, size * 2));
            }
            historyStart = 0;
            historyEnd = size;
        }
        history[historyEnd++] = entry;
    }

    /**
     * Removes exactly this entry (by identity) from history, if it is still there. Dropped journal
     * entries are the oldest, so it is almost always the first.
     *
     * @return whether it was there
     */
    boolean removeHistory(JournalEntry entry) {
        for (int i = historyStart; i < historyEnd; i++) {
            if (history[i] == entry) {
                if (i == historyStart) {
                    history[historyStart++] = null;
                } else {
                    System.arraycopy(history, i + 1, history, i, historyEnd - i - 1);
                    history[--historyEnd] = null;
                }
                if (historyStart == historyEnd) {
                    history = NO_HISTORY;
                    historyStart = 0;
                    historyEnd = 0;
                }
                return true;
            }
        }
        return false;
    }

    /** A copy of the history, oldest first. */
    List<JournalEntry> history() {
        return Collections.unmodifiableList(Arrays.asList(Arrays.copyOfRange(history, historyStart, historyEnd)));
    }

    /**
     * Forgets, per pool (two clouds may share an address), the history up to and including the
     * pool's last period ending (release, hold end, quarantine end) before {@code cutoff}.
     */
    void pruneHistory(Instant cutoff) {
        Map<String, Integer> lastEnding = new HashMap<>();
        for (int i = historyStart; i < historyEnd; i++) {
            Change c = history[i].change();
            boolean ending = c instanceof Change.Released || c instanceof Change.HoldEnded
                    || c instanceof Change.QuarantineEnded;
            if (ending && c.at().isBefore(cutoff)) {
                lastEnding.put(c.pool(), i);
            }
        }
        if (lastEnding.isEmpty()) {
            return;
        }
        List<JournalEntry> kept = new ArrayList<>(historyEnd - historyStart);
        for (int i = historyStart; i < historyEnd; i++) {
            Integer last = lastEnding.get(history[i].change().pool());
            if (last == null || i > last) {
                kept.add(history[i]);
            }
        }
        history = kept.isEmpty() ? NO_HISTORY : kept.toArray(NO_HISTORY);
        historyStart = 0;
        historyEnd = history.length;
    }

    /** Whether the address is free in every pool and has no history left. */
    boolean isEmpty() {
        return stateCount == 0 && historyStart == historyEnd;
    }
}
