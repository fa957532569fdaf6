package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.JournalEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A journal-limited {@link InMemoryStore} drops its oldest journal entries from history too, and
 * only those: also when {@code pruneHistory} has already removed some of them from history while
 * keeping them in the journal (not yet delivered).
 */
class InMemoryStoreJournalLimitTest {

    private static final IpAddress X = IpAddress.parse("10.0.0.5");
    private static final IpAddress Y = IpAddress.parse("10.0.0.6");

    private final MutableClock clock = new MutableClock();
    private final InMemoryStore store = new InMemoryStore(6);
    private Ipam ipam;

    @AfterEach
    void tearDown() {
        if (ipam != null) {
            ipam.close();
        }
    }

    @Test
    void droppingEntriesThatHistoryPruningRemovedAlreadyKeepsTheRest() {
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).clock(clock)
                .maintenanceInterval(Duration.ZERO).build();
        IpamSession s = ipam.as(Caller.of("heat"));
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build()); // seq 1
        clock.advance(Duration.ofMinutes(1));
        s.allocate(AllocationRequest.in("p").owner("vm-a").address(X).build()); // seq 2
        s.release("p", X); // seq 3
        Instant cutoff = clock.advance(Duration.ofMinutes(1));
        s.allocate(AllocationRequest.in("p").owner("vm-b").address(X).build()); // seq 4: X's history continues

        // Forget X's first period from history, but keep the journal (nothing delivered yet).
        store.pruneHistory(cutoff, 0);
        assertThat(sequences(store.history(X))).containsExactly(4L);

        // Past the limit of 6: the oldest journal entries (1..4 or more) are dropped.
        clock.advance(Duration.ofMinutes(1));
        for (int i = 0; i < 4; i++) {
            s.allocate(AllocationRequest.in("p").owner("vm-c").address(Y).build());
            s.release("p", Y);
        }
        List<JournalEntry> journal = store.readJournal(1, 100);
        long oldestKept = journal.get(0).sequence();
        assertThat(oldestKept).isGreaterThan(4);
        // X's allocation of seq 4 left the journal, so it leaves history; nothing else of X is dropped.
        assertThat(store.history(X)).isEmpty();
        assertThat(s.find("p", X)).map(Allocation::owner).contains("vm-b");
        // Y's history is exactly its entries still in the journal.
        assertThat(sequences(store.history(Y))).isEqualTo(journal.stream()
                .filter(e -> e.change() instanceof Change.Allocated || e.change() instanceof Change.Released)
                .map(JournalEntry::sequence).toList());
    }

    private static List<Long> sequences(List<JournalEntry> entries) {
        return entries.stream().map(JournalEntry::sequence).toList();
    }
}
