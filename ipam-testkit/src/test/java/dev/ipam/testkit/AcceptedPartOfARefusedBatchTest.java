package dev.ipam.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ipam.Allocation;
import dev.ipam.AllocationRequest;
import dev.ipam.Caller;
import dev.ipam.Ipam;
import dev.ipam.IpamSession;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.AccessPolicy;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.SharedStore;
import dev.ipam.spi.StoredState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When a shared store refuses a batch at one change, the calls wholly before it are committed on
 * their own at once (before the instance catches up), and only the later ones are decided again.
 */
class AcceptedPartOfARefusedBatchTest {

    private static final Scope SCOPE = Scope.of("east", "dmz");

    @Test
    @Timeout(60)
    void callsBeforeTheRefusedOneCommitOnTheirOwnBeforeTheInstanceCatchesUp() throws Exception {
        SharedMemoryStore.Database db = new SharedMemoryStore.Database();
        RecordingStore recording = new RecordingStore(db.connect());
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try (Ipam a = instance(db.connect()); Ipam b = instance(recording)) {
            IpamSession sa = a.as(Caller.of("a"));
            IpamSession sb = b.as(Caller.of("b"));
            sa.createPool(PoolSpec.builder("p", SCOPE).cidr("10.0.0.0/24").build());
            sb.allocate(request("warm-up", "10.0.0.10")); // b catches up on the missing pool
            Allocation taken = sa.allocate(request("vm-a", "10.0.0.100")); // b does not know yet

            // b's next commit waits, so that three more calls queue behind it and form one batch:
            // 10.0.0.60 (fine), 10.0.0.100 (taken by a: refused), 10.0.0.70 (fine).
            recording.holdNextCommit();
            Future<Allocation> first = threads.submit(() -> sb.allocate(request("vm-1", "10.0.0.50")));
            recording.awaitHeldCommit();
            Future<Allocation> accepted = submitAndWaitUntilQueued(threads, () -> sb.allocate(request("vm-2", "10.0.0.60")));
            Future<Object> refused = submitAndWaitUntilQueued(threads, () -> {
                try {
                    return sb.allocate(request("vm-3", "10.0.0.100"));
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Future<Allocation> later = submitAndWaitUntilQueued(threads, () -> sb.allocate(request("vm-4", "10.0.0.70")));
            recording.releaseHeldCommit();

            assertThat(first.get(30, TimeUnit.SECONDS).address()).isEqualTo(IpAddress.parse("10.0.0.50"));
            assertThat(accepted.get(30, TimeUnit.SECONDS).address()).isEqualTo(IpAddress.parse("10.0.0.60"));
            assertThat(later.get(30, TimeUnit.SECONDS).address()).isEqualTo(IpAddress.parse("10.0.0.70"));
            assertThat(refused.get(30, TimeUnit.SECONDS)).asString().contains("10.0.0.100").contains("vm-a");
            assertThat(sb.find("p", taken.address())).contains(taken);

            // The refused batch, then at once its accepted part alone, then the catch-up.
            int refusal = recording.events.indexOf("refused [10.0.0.60, 10.0.0.100, 10.0.0.70] at 1");
            assertThat(refusal).as("events %s", recording.events).isNotNegative();
            assertThat(recording.events.subList(refusal + 1, refusal + 3))
                    .as("events %s", recording.events)
                    .containsExactly("committed [10.0.0.60]", "read journal");
        } finally {
            threads.shutdownNow();
        }
    }

    private static AllocationRequest request(String owner, String address) {
        return AllocationRequest.in("p").owner(owner).address(address).build();
    }

    private static Ipam instance(SharedStore store) {
        return Ipam.builder().store(store).accessPolicy(AccessPolicy.allowAll()).maintenanceInterval(Duration.ZERO).build();
    }

    /** Submits a call and waits until its thread parks (it has queued its change and awaits the commit). */
    private static <T> Future<T> submitAndWaitUntilQueued(ExecutorService threads, java.util.concurrent.Callable<T> call)
            throws InterruptedException {
        Thread[] runner = new Thread[1];
        CountDownLatch started = new CountDownLatch(1);
        Future<T> future = threads.submit(() -> {
            runner[0] = Thread.currentThread();
            started.countDown();
            return call.call();
        });
        started.await();
        while (runner[0].getState() != Thread.State.WAITING && !future.isDone()) {
            Thread.sleep(1);
        }
        return future;
    }

    /**
     * A shared store that records commits and journal reads, never follows on its own (so only
     * refusals and misses make the instance catch up), and can hold one commit until released.
     */
    private static final class RecordingStore implements SharedStore {
        final List<String> events = new CopyOnWriteArrayList<>();
        private final SharedStore delegate;
        private final AtomicBoolean holdNext = new AtomicBoolean();
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        RecordingStore(SharedStore delegate) {
            this.delegate = delegate;
        }

        void holdNextCommit() {
            holdNext.set(true);
        }

        void awaitHeldCommit() throws InterruptedException {
            held.await();
        }

        void releaseHeldCommit() {
            release.countDown();
        }

        @Override
        public long commitShared(List<Change> changes, long seenThrough) {
            if (holdNext.compareAndSet(true, false)) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            List<String> addresses = changes.stream().map(c -> String.valueOf(dev.ipam.spi.AddressState.addressOf(c))).toList();
            try {
                long first = delegate.commitShared(changes, seenThrough);
                events.add("committed " + addresses);
                return first;
            } catch (ConcurrentChangeException e) {
                events.add("refused " + addresses + " at " + e.refusedChange());
                throw e;
            }
        }

        @Override
        public Duration followInterval() {
            return Duration.ofHours(1);
        }

        @Override
        public List<JournalEntry> readJournal(long fromSequence, int limit) {
            events.add("read journal");
            return delegate.readJournal(fromSequence, limit);
        }

        @Override
        public StoredState load() {
            return delegate.load();
        }

        @Override
        public void commit(ChangeBatch batch) {
            delegate.commit(batch);
        }

        @Override
        public List<JournalEntry> history(IpAddress address) {
            return delegate.history(address);
        }

        @Override
        public void pruneHistory(Instant cutoff, long deliveredUpTo) {
            delegate.pruneHistory(cutoff, deliveredUpTo);
        }

        @Override
        public long listenerPosition(String listener) {
            return delegate.listenerPosition(listener);
        }

        @Override
        public void saveListenerPosition(String listener, long sequence) {
            delegate.saveListenerPosition(listener, sequence);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
