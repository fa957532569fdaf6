package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AddressState;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.StoredState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link InMemoryStore} against a plain model of its contract: random valid and invalid batches,
 * two pools of different clouds over the same addresses, history pruning and (with a journal
 * limit) dropping of old journal entries. After every step the stored state, the journal and every
 * address's history must equal the model's.
 */
class InMemoryStoreModelTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final String[] POOLS = {"a", "b"};
    private static final int ADDRESSES = 12;

    /** The contract, written as directly as possible. */
    private static final class Model {
        final Map<String, Pool> pools = new LinkedHashMap<>();
        final Map<List<Object>, Object> states = new HashMap<>(); // (pool, address) -> Allocation | Hold | Released
        final Map<List<Object>, Change.Released> lastReleases = new HashMap<>();
        final List<JournalEntry> journal = new ArrayList<>();
        final Map<IpAddress, List<JournalEntry>> history = new HashMap<>();
        final int journalLimit;

        Model(int journalLimit) {
            this.journalLimit = journalLimit;
        }

        AddressState state(String pool, IpAddress address) {
            Object value = states.get(List.of(pool, address));
            if (value == null) {
                return AddressState.FREE;
            }
            if (value instanceof Allocation) {
                return AddressState.ALLOCATED;
            }
            return value instanceof Hold ? AddressState.HELD : AddressState.QUARANTINED;
        }

        void commit(long sequence, Change change) {
            JournalEntry entry = new JournalEntry(sequence, change);
            journal.add(entry);
            IpAddress address = AddressState.addressOf(change);
            if (address != null) {
                history.computeIfAbsent(address, a -> new ArrayList<>()).add(entry);
            }
            String pool = change.pool();
            List<Object> key = List.of(pool, address == null ? "" : address);
            if (change instanceof Change.PoolCreated c) {
                pools.put(pool, new Pool(c.spec(), c.at(), c.caller()));
            } else if (change instanceof Change.PoolDeleted) {
                pools.remove(pool);
                lastReleases.keySet().removeIf(k -> k.get(0).equals(pool));
            } else if (change instanceof Change.Allocated a) {
                states.put(key, a.allocation());
            } else if (change instanceof Change.Released r) {
                states.remove(key);
                if (r.quarantineUntil() != null) {
                    states.put(key, r);
                }
                if (r.allocation().environment() != null) {
                    lastReleases.put(List.of(pool, r.allocation().environment(), r.allocation().name()), r);
                }
            } else if (change instanceof Change.Held h) {
                states.put(key, h.hold());
            } else if (change instanceof Change.HoldEnded || change instanceof Change.QuarantineEnded) {
                states.remove(key);
            }
        }

        /** A copy of this model's pools and states with {@code changes} applied. */
        Model after(List<Change> changes) {
            Model copy = new Model(journalLimit);
            copy.pools.putAll(pools);
            copy.states.putAll(states);
            long sequence = 0;
            for (Change c : changes) {
                copy.commit(++sequence, c);
            }
            return copy;
        }

        void afterBatch() {
            if (journal.size() > journalLimit) {
                List<JournalEntry> dropped = journal.subList(0, journal.size() - journalLimit / 2);
                for (JournalEntry e : dropped) {
                    IpAddress address = AddressState.addressOf(e.change());
                    if (address != null) {
                        history.get(address).remove(e);
                    }
                }
                dropped.clear();
            }
        }

        void prune(Instant cutoff, long deliveredUpTo) {
            for (List<JournalEntry> entries : history.values()) {
                Map<String, Integer> lastEnding = new HashMap<>();
                for (int i = 0; i < entries.size(); i++) {
                    Change c = entries.get(i).change();
                    if ((c instanceof Change.Released || c instanceof Change.HoldEnded || c instanceof Change.QuarantineEnded)
                            && c.at().isBefore(cutoff)) {
                        lastEnding.put(c.pool(), i);
                    }
                }
                List<JournalEntry> kept = new ArrayList<>();
                for (int i = 0; i < entries.size(); i++) {
                    Integer last = lastEnding.get(entries.get(i).change().pool());
                    if (last == null || i > last) {
                        kept.add(entries.get(i));
                    }
                }
                entries.retainAll(kept);
            }
            journal.removeIf(e -> e.sequence() <= deliveredUpTo && e.change().at().isBefore(cutoff));
        }
    }

    @Property(tries = 60)
    void agreesWithAModelWithoutJournalLimit(@ForAll long seed) {
        run(new Random(seed), new InMemoryStore(), new Model(Integer.MAX_VALUE));
    }

    @Property(tries = 60)
    void agreesWithAModelWithAJournalLimit(@ForAll long seed) {
        Random random = new Random(seed);
        int limit = 1 + random.nextInt(40);
        run(random, new InMemoryStore(limit), new Model(limit));
    }

    private static void run(Random random, InMemoryStore store, Model model) {
        long sequence = 0;
        long now = 0;
        for (String pool : POOLS) {
            Change created = new Change.PoolCreated(PoolSpec.builder(pool, Scope.of("cloud-" + pool, "z"))
                    .cidr("10.0.0.0/28").build(), at(now), "admin");
            store.commit(new ChangeBatch(++sequence, List.of(created)));
            model.commit(sequence, created);
            model.afterBatch();
        }
        for (int step = 0; step < 300; step++) {
            now += 1 + random.nextInt(3);
            int roll = random.nextInt(100);
            if (roll < 6) {
                Instant cutoff = at(random.nextInt((int) now + 1));
                long deliveredUpTo = random.nextInt((int) sequence + 1);
                store.pruneHistory(cutoff, deliveredUpTo);
                model.prune(cutoff, deliveredUpTo);
            } else if (roll < 14) {
                // Valid changes, then one that the state after them refuses: the whole batch must fail.
                long first = sequence + 1;
                List<Change> batch = new ArrayList<>(validChanges(random, model, now, random.nextInt(3), false));
                batch.add(invalidChange(random, model.after(batch), now));
                assertThatThrownBy(() -> store.commit(new ChangeBatch(first, batch))).as("batch %s", batch)
                        .isInstanceOf(StoreException.class);
            } else {
                List<Change> batch = validChanges(random, model, now, 1 + random.nextInt(random.nextInt(5) == 0 ? 6 : 1),
                        step / 50 % 2 == 1);
                if (batch.isEmpty()) {
                    continue;
                }
                store.commit(new ChangeBatch(sequence + 1, batch));
                for (Change c : batch) {
                    model.commit(++sequence, c);
                }
                model.afterBatch();
            }
            assertAgrees(store, model);
        }
    }

    /**
     * Up to {@code count} changes that are valid one after the other; the model is not changed
     * (its states are copied while planning). While {@code draining}, most changes free an address.
     */
    private static List<Change> validChanges(Random random, Model model, long now, int count, boolean draining) {
        Map<List<Object>, Object> states = new HashMap<>(model.states);
        Set<String> pools = new HashSet<>(model.pools.keySet());
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String pool = POOLS[random.nextInt(POOLS.length)];
            if (!pools.contains(pool)) {
                changes.add(new Change.PoolCreated(PoolSpec.builder(pool, Scope.of("cloud-" + pool, "z"))
                        .cidr("10.0.0.0/28").build(), at(now), "admin"));
                pools.add(pool);
                continue;
            }
            List<List<Object>> live = states.keySet().stream().filter(k -> k.get(0).equals(pool)).toList();
            if (live.isEmpty() && random.nextInt(4) == 0) {
                changes.add(new Change.PoolDeleted(pool, at(now), "admin"));
                pools.remove(pool);
                continue;
            }
            // In draining phases most changes end a live state, so pools empty out and get deleted.
            IpAddress address = draining && !live.isEmpty() && random.nextInt(4) != 0
                    ? (IpAddress) live.get(random.nextInt(live.size())).get(1) : address(random.nextInt(ADDRESSES));
            List<Object> key = List.of(pool, address);
            Object value = states.get(key);
            Change change;
            if (value == null) {
                if (random.nextInt(4) == 0) {
                    Hold hold = new Hold(pool, address, null, at(now), at(now + 30), "foreman");
                    change = new Change.Held(hold);
                    states.put(key, hold);
                } else {
                    String env = random.nextBoolean() ? "env" + random.nextInt(2) : null;
                    Allocation allocation = new Allocation(pool, address, "vm-" + random.nextInt(5), env,
                            env == null ? null : "n" + random.nextInt(2), null, null, at(now), "heat");
                    change = new Change.Allocated(allocation);
                    states.put(key, allocation);
                }
            } else if (value instanceof Allocation a) {
                boolean quarantine = random.nextBoolean();
                Change.Released released = new Change.Released(a, at(now), "heat", quarantine ? at(now + 60) : null);
                change = released;
                if (quarantine) {
                    states.put(key, released);
                } else {
                    states.remove(key);
                }
            } else if (value instanceof Hold h) {
                change = new Change.HoldEnded(h, Change.HoldEndReason.values()[0], at(now), "foreman");
                states.remove(key);
            } else {
                change = new Change.QuarantineEnded(pool, address, false, at(now), Change.SYSTEM);
                states.remove(key);
            }
            changes.add(change);
        }
        return changes;
    }

    /** A change that the model's current state refuses. */
    private static Change invalidChange(Random random, Model model, long now) {
        String pool = POOLS[random.nextInt(POOLS.length)];
        if (!model.pools.containsKey(pool)) {
            return new Change.PoolDeleted(pool, at(now), "admin");
        }
        IpAddress address = address(random.nextInt(ADDRESSES));
        AddressState state = model.state(pool, address);
        if (state == AddressState.FREE) {
            return random.nextBoolean() ? new Change.QuarantineEnded(pool, address, false, at(now), Change.SYSTEM)
                    : new Change.Released(new Allocation(pool, address, "vm-x", null, null, null, null, at(now), "heat"),
                            at(now), "heat", null);
        }
        if (random.nextBoolean()) {
            return new Change.PoolDeleted(pool, at(now), "admin");
        }
        return new Change.Allocated(new Allocation(pool, address, "vm-x", null, null, null, null, at(now), "heat"));
    }

    private static void assertAgrees(InMemoryStore store, Model model) {
        StoredState loaded = store.load();
        assertThat(loaded.pools()).containsExactlyElementsOf(model.pools.values());
        Set<Object> stored = new HashSet<>();
        loaded.forEachAllocation(stored::add);
        loaded.forEachHold(stored::add);
        loaded.forEachQuarantine(stored::add);
        assertThat(stored).isEqualTo(new HashSet<>(model.states.values()));
        Set<Change.Released> lastReleases = new HashSet<>();
        loaded.forEachLastRelease(lastReleases::add);
        assertThat(lastReleases).isEqualTo(new HashSet<>(model.lastReleases.values()));
        assertThat(store.readJournal(1, Integer.MAX_VALUE)).isEqualTo(model.journal);
        for (int i = 0; i < ADDRESSES; i++) {
            IpAddress address = address(i);
            assertThat(store.history(address)).as("history of %s", address)
                    .isEqualTo(model.history.getOrDefault(address, List.of()));
        }
    }

    private static IpAddress address(int i) {
        return IpAddress.parse("10.0.0.1").plus(i);
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }
}
