package dev.ipam.internal;

import dev.ipam.StoreException;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.ConcurrentChangeException;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import dev.ipam.spi.SharedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes in-memory changes durable with group commit, and undoes them if the store fails.
 *
 * <h2>Implementation notes (the concurrency of the library lives here)</h2>
 * <ul>
 *   <li><b>Apply, then commit.</b> A mutating call applies its change to the in-memory state under
 *       the pool lock(s) and, still under them, {@link #enqueue enqueues} a {@link Ticket} with the
 *       changes and an undo action. It then releases the locks and {@link #await awaits} the ticket.
 *       So per pool, queue order equals apply order.</li>
 *   <li><b>Leader/follower group commit.</b> There is no committer thread. A waiting caller that
 *       wins {@code leaderLock} becomes the leader: it drains the whole queue (its own ticket and
 *       everyone else's that arrived so far), commits it as one {@link ChangeBatch}, marks the
 *       tickets done and unparks their waiters. Callers that lose park; when a leader finishes it
 *       unparks the waiter at the head of the queue, which leads the next batch. A lone caller leads
 *       its own batch with no thread hand-off; many callers share one store commit.</li>
 *   <li><b>Gathering.</b> Right after a commit, its callers are woken and come back with their
 *       next change one by one; a leader that drained at once would commit a few of them and leave
 *       the rest for another full commit. So a leader whose previous batch held more tickets than
 *       are queued now first waits, yielding the processor, until as many are queued, for at most
 *       a quarter of the previous commit's duration (and 250 µs). Only commits of 100 µs or more
 *       (a disk or network round trip) are worth it: with a fast store the wait would cost more
 *       than it saves. A lone caller never waits, and a wait that ends short shrinks the next
 *       one's target.</li>
 *   <li><b>Sequence numbers</b> are assigned by the leader under {@code leaderLock}, continuing the
 *       last committed one; a failed batch consumes none, so they stay gap-free.</li>
 *   <li><b>Rollback.</b> Mutators hold {@code gate} in read mode while they apply and enqueue. When
 *       a commit fails the leader takes {@code gate} in write mode, so no change is half-applied;
 *       drains what was queued meanwhile (it may depend on the failed changes); runs every undo in
 *       reverse queue order (each takes its pool lock, so readers see consistent state); and fails
 *       all those tickets with {@link StoreException}. Lock order: gate, then admin lock, then pool
 *       locks by ordinal; the leader lock is never requested while holding any of them.</li>
 *   <li><b>Shared stores.</b> With a {@link SharedStore} the store numbers the batch after whatever
 *       other instances committed, and refuses it ({@link ConcurrentChangeException}) if it touches
 *       something another instance changed after {@code seenThrough}. Other instances' changes are
 *       applied to memory only by a leader holding {@code gate} in write mode with nothing queued
 *       (so no pending change of ours can be undone over them): after a refused batch is undone,
 *       and when {@link #follow} finds foreign journal entries. Refused tickets fail with
 *       {@link ConcurrentChangeException}, which {@link Session} retries on the caught-up state.
 *       When the store names the first change it refused, the tickets wholly before it passed
 *       every check: the leader undoes only the tickets from the refused one on (and whatever was
 *       queued meanwhile), commits the accepted ones on their own with the same {@code seenThrough},
 *       and only then catches up; so one caller that lost a race does not make its whole batch retry.
 *       Because a shared store only accepts changes to addresses whose latest change we have seen,
 *       foreign changes apply in sequence order on top of our own.</li>
 * </ul>
 */
final class CommitPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(CommitPipeline.class);
    /** The longest a leader waits for the callers of its previous batch (see {@link #gatherFollowers}). */
    private static final long MAX_GATHER_NANOS = 250_000;
    /** Commits faster than this (no disk or network round trip) are not worth waiting for callers. */
    private static final long MIN_GATHER_COMMIT_NANOS = 100_000;

    private final IpamStore store;
    private final ConcurrentLinkedQueue<Ticket> queue = new ConcurrentLinkedQueue<>();
    /** Tickets enqueued and not drained yet. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Tickets of the last committed batch, and how long its store commit took; guarded by leaderLock. */
    private int lastBatchTickets;
    private long lastCommitNanos;
    private final ReentrantLock leaderLock = new ReentrantLock();
    private final StampedLock gate = new StampedLock();
    private final Runnable onCommitted;
    private long lastSequence; // guarded by leaderLock

    // Shared stores only; all guarded by leaderLock.
    private final SharedStore shared;
    private final Consumer<Change> applyForeign;
    /** Every change up to this sequence is reflected in memory. */
    private long seenThrough;
    /** Our own committed sequence ranges beyond {@link #seenThrough} (first to last). */
    private final TreeMap<Long, Long> ownAhead = new TreeMap<>();
    /** Changes of other instances applied so far; written under leaderLock, read by anyone. */
    private volatile long foreignApplied;
    /** {@link System#nanoTime()} of the last refused commit, 0 if none. */
    private volatile long lastRefusalNanos;
    /** How long after a refusal {@link #contended()} stays true. */
    private static final long CONTENTION_WINDOW_NANOS = 1_000_000_000L;

    private volatile boolean closed;

    /**
     * {@code onCommitted} runs on the leader after each successful commit and after foreign changes
     * were applied; it must not block. {@code applyForeign} applies another instance's change to
     * memory (shared stores only); it runs on the leader with the gate held in write mode.
     */
    CommitPipeline(IpamStore store, long lastSequence, Runnable onCommitted, Consumer<Change> applyForeign) {
        this.store = store;
        this.lastSequence = lastSequence;
        this.seenThrough = lastSequence;
        this.onCommitted = onCommitted;
        this.shared = store instanceof SharedStore s ? s : null;
        this.applyForeign = applyForeign;
    }

    /** Changes of one call, the undo of their in-memory effect, and the call's waiting thread. */
    static final class Ticket {
        final List<Change> changes;
        final Runnable undo;
        final Thread waiter = Thread.currentThread();
        StoreException failure; // written before done, read after done
        volatile boolean done;

        Ticket(List<Change> changes, Runnable undo) {
            this.changes = changes;
            this.undo = undo;
        }
    }

    /**
     * Enters a mutation: returns a stamp to pass to {@link #exitMutation}. Blocks while a rollback
     * runs.
     *
     * @throws IllegalStateException if closed
     */
    long enterMutation() {
        long stamp = gate.readLock();
        if (closed) {
            gate.unlockRead(stamp);
            throw new IllegalStateException("This Ipam is closed");
        }
        return stamp;
    }

    void exitMutation(long stamp) {
        gate.unlockRead(stamp);
    }

    /** Queues applied changes; call between enter and exit, under the pool lock(s). */
    Ticket enqueue(List<Change> changes, Runnable undo) {
        Ticket ticket = new Ticket(changes, undo);
        queue.add(ticket);
        queued.incrementAndGet();
        return ticket;
    }

    /**
     * Blocks until the ticket's changes are durable, leading a group commit if no one else does.
     * Interrupts are remembered and restored, not acted on: the change is already applied and must
     * be resolved either way.
     *
     * @throws StoreException if the commit failed (the changes were undone)
     */
    void await(Ticket ticket) {
        boolean interrupted = false;
        while (!ticket.done) {
            if (leaderLock.tryLock()) {
                try {
                    if (!ticket.done) {
                        gatherFollowers();
                        commitQueued(false);
                    }
                } finally {
                    unlockLeader();
                }
            } else {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (ticket.failure instanceof ConcurrentChangeException conflict) {
            throw new ConcurrentChangeException(conflict.getMessage(), conflict);
        }
        if (ticket.failure != null) {
            throw new StoreException(ticket.failure.getMessage(), ticket.failure);
        }
    }

    /**
     * Releases the leader lock and wakes the caller at the head of the queue: it may have parked
     * because the lock was taken, and must now lead (or find its ticket done).
     */
    private void unlockLeader() {
        leaderLock.unlock();
        Ticket next = queue.peek();
        if (next != null) {
            LockSupport.unpark(next.waiter);
        }
    }

    /** Commits everything queued as one batch. Caller holds leaderLock, and the gate in write mode if {@code gateHeld}. */
    private void commitQueued(boolean gateHeld) {
        List<Ticket> batch = drain(new ArrayList<>());
        if (batch.isEmpty()) {
            return;
        }
        List<Change> changes = new ArrayList<>(batch.size());
        for (Ticket t : batch) {
            changes.addAll(t.changes);
        }
        if (changes.isEmpty()) { // only barriers: everything queued before them is already durable
            batch.forEach(t -> complete(t, null));
            return;
        }
        boolean timed = batch.size() > 1; // only a shared batch sets a gathering wait
        long started = timed ? System.nanoTime() : 0;
        try {
            if (shared == null) {
                store.commit(new ChangeBatch(lastSequence + 1, changes));
                lastSequence += changes.size();
            } else {
                committedShared(shared.commitShared(changes, seenThrough), changes.size());
            }
            lastBatchTickets = batch.size();
            if (timed) {
                lastCommitNanos = System.nanoTime() - started;
            }
        } catch (ConcurrentChangeException e) {
            int accepted = ticketsBefore(batch, e.refusedChange());
            if (accepted > 0) {
                commitAcceptedPart(batch, accepted, e, gateHeld);
            } else {
                rollBack(batch, e, gateHeld);
            }
            return;
        } catch (RuntimeException | Error e) {
            rollBack(batch, e, gateHeld);
            return;
        }
        for (Ticket t : batch) {
            complete(t, null);
        }
        onCommitted.run();
    }

    /** How many leading tickets of {@code batch} hold only changes before index {@code refused} (0 if it is -1). */
    private static int ticketsBefore(List<Ticket> batch, int refused) {
        int changesSoFar = 0;
        for (int i = 0; i < batch.size(); i++) {
            changesSoFar += batch.get(i).changes.size();
            if (changesSoFar > refused) {
                return i;
            }
        }
        return 0; // an index past the end is not a valid answer: treat the whole batch as refused
    }

    /**
     * A shared store refused {@code batch} at a change of ticket {@code accepted}: the tickets before
     * it passed every check. Undoes the refused tickets (and whatever was queued meanwhile) and
     * commits the accepted ones on their own, so that one caller that lost a race does not make
     * every caller in its batch retry. Caller holds leaderLock.
     */
    private void commitAcceptedPart(List<Ticket> batch, int accepted, ConcurrentChangeException cause, boolean gateHeld) {
        lastRefusalNanos = System.nanoTime() | 1;
        long stamp = gateHeld ? 0 : gate.writeLock();
        try {
            List<Ticket> refused = drain(new ArrayList<>(batch.subList(accepted, batch.size())));
            undo(refused);
            List<Ticket> kept = new ArrayList<>(batch.subList(0, accepted));
            List<Change> changes = new ArrayList<>();
            for (Ticket t : kept) {
                changes.addAll(t.changes);
            }
            boolean committed;
            try {
                committedShared(shared.commitShared(changes, seenThrough), changes.size());
                committed = true;
            } catch (RuntimeException | Error e) {
                rollBack(kept, e, true);
                committed = false;
            }
            catchUpQuietly();
            StoreException failure = new ConcurrentChangeException("Another instance changed it first: " + cause.getMessage(), cause);
            for (Ticket t : refused) {
                complete(t, failure);
            }
            if (committed) {
                for (Ticket t : kept) {
                    complete(t, null);
                }
                onCommitted.run();
            }
        } finally {
            if (!gateHeld) {
                gate.unlockWrite(stamp);
            }
        }
    }

    /** Runs the undo actions of {@code tickets} in reverse order. Caller holds the gate in write mode. */
    private static void undo(List<Ticket> tickets) {
        for (int i = tickets.size() - 1; i >= 0; i--) {
            try {
                tickets.get(i).undo.run();
            } catch (RuntimeException e) {
                LOG.error("Undo of {} failed; in-memory state may disagree with the store", tickets.get(i).changes, e);
            }
        }
    }

    private List<Ticket> drain(List<Ticket> into) {
        Ticket t;
        int n = 0;
        while ((t = queue.poll()) != null) {
            into.add(t);
            n++;
        }
        queued.addAndGet(-n);
        return into;
    }

    /**
     * Lets the callers of the last batch rejoin before this one is drained: if it had more tickets
     * than are queued now and its commit took at least {@value #MIN_GATHER_COMMIT_NANOS} ns, waits
     * (yielding the processor) until as many are queued, for at most a quarter of the last commit's
     * duration and {@value #MAX_GATHER_NANOS} ns. A lone caller never waits. Caller holds leaderLock.
     */
    private void gatherFollowers() {
        int expected = lastBatchTickets;
        if (expected <= 1 || lastCommitNanos < MIN_GATHER_COMMIT_NANOS || queued.get() >= expected) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(MAX_GATHER_NANOS, lastCommitNanos / 4);
        while (queued.get() < expected && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
    }

    private void committedShared(long first, int count) {
        long last = first + count - 1;
        if (first == seenThrough + 1) {
            seenThrough = last; // nobody else committed in between
        } else {
            ownAhead.put(first, last);
        }
        lastSequence = Math.max(lastSequence, last);
    }

    private void rollBack(List<Ticket> failed, Throwable cause, boolean gateHeld) {
        boolean conflict = cause instanceof ConcurrentChangeException;
        if (conflict) {
            lastRefusalNanos = System.nanoTime() | 1;
        }
        StoreException failure;
        StoreException dependent;
        if (conflict) {
            LOG.debug("Another instance changed what {} call(s) touched; undoing them to retry", failed.size(), cause);
            failure = new ConcurrentChangeException("Another instance changed it first: " + cause.getMessage(), cause);
            dependent = failure;
        } else {
            LOG.warn("Store commit of {} call(s) failed; undoing them in memory", failed.size(), cause);
            failure = new StoreException("Store commit failed, the change was undone: " + cause, cause);
            dependent = new StoreException(
                    "An earlier store commit failed, so this change (applied after it) was undone: " + cause, cause);
        }
        long stamp = gateHeld ? 0 : gate.writeLock();
        try {
            int committedPart = failed.size();
            drain(failed);
            undo(failed);
            if (conflict) {
                catchUpQuietly();
            }
            for (int i = 0; i < failed.size(); i++) {
                complete(failed.get(i), i < committedPart ? failure : dependent);
            }
        } finally {
            if (!gateHeld) {
                gate.unlockWrite(stamp);
            }
        }
    }

    // ------------------------------------------------------------------ other instances (shared stores)

    /**
     * Reads the journal for other instances' changes and applies them to memory (shared stores; a
     * no-op otherwise). Commits what is queued first. Blocks mutations only if there is something
     * foreign to apply. Called by the follower thread, and by calls that found state missing.
     *
     * @return whether any foreign change was applied
     * @throws dev.ipam.StoreException if the journal cannot be read
     */
    boolean follow() {
        if (shared == null || closed) {
            return false;
        }
        leaderLock.lock();
        try {
            List<JournalEntry> next = store.readJournal(seenThrough + 1, 1_000);
            boolean foreign = false;
            for (JournalEntry e : next) {
                if (!isOwn(e.sequence())) {
                    foreign = true;
                    break;
                }
            }
            if (!foreign) {
                if (!next.isEmpty()) {
                    advanceOver(next.get(next.size() - 1).sequence());
                }
                return false;
            }
            long stamp = gate.writeLock();
            try {
                if (closed) {
                    return false;
                }
                commitQueued(true);
                catchUp();
            } finally {
                gate.unlockWrite(stamp);
            }
        } finally {
            unlockLeader();
        }
        onCommitted.run();
        return true;
    }

    private void catchUpQuietly() {
        try {
            catchUp();
        } catch (RuntimeException e) {
            LOG.warn("Could not read other instances' changes after a refused commit; retrying later", e);
        }
    }

    /** Applies every foreign change after seenThrough. Caller holds leaderLock and the gate in write mode, nothing queued. */
    private void catchUp() {
        while (true) {
            List<JournalEntry> entries = store.readJournal(seenThrough + 1, 1_000);
            if (entries.isEmpty()) {
                return;
            }
            for (JournalEntry e : entries) {
                if (e.sequence() != seenThrough + 1) {
                    LOG.warn("Journal entries {} to {} were pruned before this instance read them; its state may "
                            + "lag until it is restarted", seenThrough + 1, e.sequence() - 1);
                }
                if (!isOwn(e.sequence())) {
                    foreignApplied++;
                    try {
                        applyForeign.accept(e.change());
                    } catch (RuntimeException ex) {
                        LOG.error("Could not apply change {} of another instance: {}", e.sequence(), e.change(), ex);
                    }
                }
                advanceOver(e.sequence());
            }
        }
    }

    /**
     * How many changes of other instances this pipeline has applied so far. A caller that reads it
     * before deciding and again after {@link #follow()} learns whether its decision may have been
     * made on state that has changed since, whoever applied the change.
     */
    long foreignApplied() {
        return foreignApplied;
    }

    /**
     * Whether the shared store refused a commit of this pipeline within the last second: other
     * instances are racing for the same addresses, so callers should not all pick the very lowest.
     */
    boolean contended() {
        long last = lastRefusalNanos;
        return last != 0 && System.nanoTime() - last < CONTENTION_WINDOW_NANOS;
    }

    private boolean isOwn(long sequence) {
        Map.Entry<Long, Long> range = ownAhead.floorEntry(sequence);
        return range != null && range.getValue() >= sequence;
    }

    private void advanceOver(long sequence) {
        seenThrough = Math.max(seenThrough, sequence);
        ownAhead.headMap(seenThrough, true).entrySet().removeIf(r -> r.getValue() <= seenThrough);
        lastSequence = Math.max(lastSequence, seenThrough);
    }

    private static void complete(Ticket ticket, StoreException failure) {
        ticket.failure = failure;
        ticket.done = true;
        if (ticket.waiter != Thread.currentThread()) {
            LockSupport.unpark(ticket.waiter);
        }
    }

    /** Stops new mutations, commits what is queued and closes the store. Idempotent. */
    void close() {
        long stamp = gate.writeLock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            gate.unlockWrite(stamp);
        }
        leaderLock.lock();
        try {
            commitQueued(false);
            store.close();
        } finally {
            unlockLeader();
        }
    }

    /** The sequence number of the last committed change. */
    long lastSequence() {
        leaderLock.lock();
        try {
            return lastSequence;
        } finally {
            unlockLeader();
        }
    }
}
