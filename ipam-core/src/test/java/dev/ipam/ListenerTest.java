package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.internal.IpamEngine;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.EventListener;
import dev.ipam.spi.JournalEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listeners get every committed change, in order, off the caller's thread, at least once, resuming after restarts. */
class ListenerTest {

    /** A liveness bound for delivery, not a timing assertion. */
    private static final long PATIENCE_MILLIS = 30_000;

    private InMemoryStore store = new InMemoryStore();
    private Ipam ipam;
    private IpamSession s;

    @AfterEach
    void tearDown() {
        if (ipam != null) {
            ipam.close();
        }
    }

    private void open(String name, EventListener listener) {
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO)
                .listener(name, listener).build();
        s = ipam.as(Caller.of("test"));
    }

    private void restart(String name, EventListener listener) {
        ipam.close();
        store = store.reopen();
        open(name, listener);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PATIENCE_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Gave up waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }

    private long position(String name) {
        return ((IpamEngine) ipam).listenerPosition(name);
    }

    private void caughtUp(String name) throws InterruptedException {
        await(name + " caught up with " + ipam.lastSequence(), () -> position(name) == ipam.lastSequence());
    }

    /** Records what it gets and on which thread. */
    static final class Recorder implements EventListener {
        final List<JournalEntry> entries = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onChanges(List<JournalEntry> batch) {
            threads.add(Thread.currentThread().getName());
            entries.addAll(batch);
        }

        List<Long> sequences() {
            synchronized (entries) {
                return entries.stream().map(JournalEntry::sequence).toList();
            }
        }
    }

    private static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    @Test
    void committedChangesArriveInOrderWithoutGapsOnAnotherThread() throws Exception {
        Recorder r = new Recorder();
        open("audit", r);
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        List<Allocation> made = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            made.add(s.allocate(AllocationRequest.in("p").owner("vm-" + i).build()));
            if (i % 3 == 0) {
                s.release("p", made.get(i).address());
            }
        }
        caughtUp("audit");
        long last = ipam.lastSequence();
        assertThat(r.sequences()).isEqualTo(oneTo(last));
        assertThat(r.threads).isNotEmpty().noneMatch(t -> t.equals(Thread.currentThread().getName()));
        // The entries are the journal itself.
        assertThat(r.entries).isEqualTo(TestStores.journal(store, 1));
        assertThat(r.entries.get(0).change()).isInstanceOf(Change.PoolCreated.class);
        assertThat(r.entries.get(1).change()).isEqualTo(new Change.Allocated(made.get(0)));
    }

    @Test
    void aFailingListenerGetsTheSameEntriesAgainAndResumesWithoutLoss() throws Exception {
        List<List<Long>> attempts = Collections.synchronizedList(new ArrayList<>());
        List<Long> acknowledged = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failuresLeft = new AtomicInteger(3);
        open("flaky", batch -> {
            attempts.add(batch.stream().map(JournalEntry::sequence).toList());
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("sink down");
            }
            batch.forEach(e -> acknowledged.add(e.sequence()));
        });
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        await("first failed delivery", () -> !attempts.isEmpty());
        for (int i = 0; i < 20; i++) {
            s.allocate(AllocationRequest.in("p").owner("vm-" + i).build());
        }
        caughtUp("flaky");
        List<List<Long>> seen;
        synchronized (attempts) {
            seen = new ArrayList<>(attempts);
        }
        assertThat(seen.size()).isGreaterThanOrEqualTo(4);
        // Every failed attempt started at the same entry; each retry repeats what failed (and maybe more).
        for (int i = 0; i < 3; i++) {
            assertThat(seen.get(i).get(0)).as("attempt %d starts at 1", i).isEqualTo(1L);
            assertThat(seen.get(i + 1)).as("attempt %d repeats attempt %d", i + 1, i).startsWith(seen.get(i).toArray(Long[]::new));
        }
        assertThat(acknowledged).isEqualTo(oneTo(ipam.lastSequence()));
    }

    @Test
    void aBlockedListenerDoesNotBlockAllocations() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder r = new Recorder();
        open("slow", batch -> {
            entered.countDown();
            release.await();
            r.onChanges(batch);
        });
        try {
            s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
            assertThat(entered.await(PATIENCE_MILLIS, TimeUnit.MILLISECONDS)).as("listener called").isTrue();
            // The listener is stuck; allocations still complete, on this thread.
            for (int i = 0; i < 100; i++) {
                s.allocate(AllocationRequest.in("p").owner("vm-" + i).build());
            }
            assertThat(s.usage("p").allocated()).isEqualTo(100);
            assertThat(position("slow")).as("the stuck listener has acknowledged nothing").isZero();
            assertThat(r.entries).isEmpty();
        } finally {
            release.countDown();
        }
        caughtUp("slow");
        assertThat(r.sequences()).isEqualTo(oneTo(ipam.lastSequence()));
    }

    @Test
    void afterACleanRestartDeliveryResumesAfterTheStoredPosition() throws Exception {
        List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
        EventListener listener = batch -> batch.forEach(e -> delivered.add(e.sequence()));
        open("audit", listener);
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        for (int i = 0; i < 30; i++) {
            s.allocate(AllocationRequest.in("p").owner("vm-" + i).build());
        }
        caughtUp("audit");
        long firstRun = ipam.lastSequence();

        restart("audit", listener);
        assertThat(position("audit")).as("stored position").isEqualTo(firstRun);
        for (int i = 0; i < 30; i++) {
            s.release("p", s.allocationsOf("vm-" + i).get(0).address());
        }
        caughtUp("audit");
        assertThat(delivered).as("nothing twice, nothing missed").isEqualTo(oneTo(ipam.lastSequence()));

        // A restart with no changes in between delivers nothing again.
        restart("audit", listener);
        s.createPool(PoolSpec.builder("q", Scope.of("c", "y")).cidr("10.0.1.0/24").build());
        caughtUp("audit");
        assertThat(delivered).isEqualTo(oneTo(ipam.lastSequence()));

        // A listener under a new name starts from the beginning.
        Recorder fresh = new Recorder();
        ipam.close();
        store = store.reopen();
        ipam = Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO)
                .listener("audit", listener).listener("newcomer", fresh).build();
        s = ipam.as(Caller.of("test"));
        caughtUp("newcomer");
        assertThat(fresh.sequences()).isEqualTo(oneTo(ipam.lastSequence()));
        assertThat(delivered).isEqualTo(oneTo(ipam.lastSequence()));
    }

    @Test
    void aRestartWhileTheListenerIsStuckMissesNothing() throws Exception {
        List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch entered = new CountDownLatch(1);
        open("audit", batch -> {
            entered.countDown();
            new CountDownLatch(1).await(); // stuck until close() interrupts it
        });
        s.createPool(PoolSpec.builder("p", Scope.of("c", "z")).cidr("10.0.0.0/24").build());
        assertThat(entered.await(PATIENCE_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        for (int i = 0; i < 10; i++) {
            s.allocate(AllocationRequest.in("p").owner("vm-" + i).build());
        }
        long before = ipam.lastSequence();
        restart("audit", batch -> batch.forEach(e -> delivered.add(e.sequence())));
        caughtUp("audit");
        assertThat(ipam.lastSequence()).isEqualTo(before);
        assertThat(delivered).isEqualTo(oneTo(before));
    }
}
