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

    /** The address's bits and its {@link AddressTable} hash, compared without another object. */
    final long high;
    final long low;
    final boolean ipv4;
    final int hash;
    /** The next record of the same {@link AddressTable} bucket. */
    StoredAddress next;
    /** The pool of the first live state, or null when the address is free everywhere. */
    private String pool;
    private Object value;
    /** Further pools' name and state, pair after pair (two clouds may share an address); rarely used. */
    private Object[] others;
    private int otherCount;
    private JournalEntry[] history = NO_HISTORY;
    private int historyStart;
    private int historyEnd;

    StoredAddress(IpAddress address, int hash) {
        this.high = address.high();
        this.low = address.low();
        this.ipv4 = address.isIpv4();
        this.hash = hash;
    }

    boolean is(long high, long low, boolean ipv4) {
        return this.low == low && this.high == high && this.ipv4 == ipv4;
    }

    /** The address's state in {@code pool}. */
    AddressState state(String pool) {
        Object v = valueIn(pool);
        if (v == null) {
            return AddressState.FREE;
        }
        if (v instanceof Allocation) {
            return AddressState.ALLOCATED;
        }
        return v instanceof Hold ? AddressState.HELD : AddressState.QUARANTINED;
    }

    private Object valueIn(String p) {
        if (p.equals(pool)) {
            return value;
        }
        int i = indexOfOther(p);
        return i < 0 ? null : others[i + 1];
    }

    /** Sets the state in {@code pool}: an {@link Allocation}, a {@link Hold} or a quarantining release. */
    void put(String p, Object v) {
        if (pool == null || p.equals(pool)) {
            pool = p;
            value = v;
            return;
        }
        int i = indexOfOther(p);
        if (i >= 0) {
            others[i + 1] = v;
            return;
        }
        if (others == null) {
            others = new Object[2];
        } else if (otherCount * 2 == others.length) {
            others = Arrays.copyOf(others, others.length * 2);
        }
        others[otherCount * 2] = p;
        others[otherCount * 2 + 1] = v;
        otherCount++;
    }

    /** Frees the address in {@code pool}. */
    void remove(String p) {
        if (p.equals(pool)) {
            if (otherCount == 0) {
                pool = null;
                value = null;
                return;
            }
            pool = (String) others[0];
            value = others[1];
            removeOtherAt(0);
            return;
        }
        int i = indexOfOther(p);
        if (i >= 0) {
            removeOtherAt(i);
        }
    }

    private void removeOtherAt(int i) {
        int last = (otherCount - 1) * 2;
        others[i] = others[last];
        others[i + 1] = others[last + 1];
        others[last] = null;
        others[last + 1] = null;
        otherCount--;
    }

    /** Each live state of the address, in no particular order. */
    void forEachState(Consumer<Object> action) {
        if (pool != null) {
            action.accept(value);
        }
        for (int i = 0; i < otherCount; i++) {
            action.accept(others[i * 2 + 1]);
        }
    }

    private int indexOfOther(String p) {
        for (int i = 0; i < otherCount * 2; i += 2) {
            if (others[i].equals(p)) {
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
        if (historyStart == historyEnd) {
            return;
        }
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
        return pool == null && historyStart == historyEnd;
    }
}
