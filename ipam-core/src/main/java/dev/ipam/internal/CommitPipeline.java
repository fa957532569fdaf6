package dev.ipam.internal;

import dev.ipam.StoreException;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeBatch;
import dev.ipam.spi.IpamStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 *   <li><b>Sequence numbers</b> are assigned by the leader under {@code leaderLock}, continuing the
 *       last committed one; a failed batch consumes none, so they stay gap-free.</li>
 *   <li><b>Rollback.</b> Mutators hold {@code gate} in read mode while they apply and enqueue. When
 *       a commit fails the leader takes {@code gate} in write mode, so no change is half-applied;
 *       drains what was queued meanwhile (it may depend on the failed changes); runs every undo in
 *       reverse queue order (each takes its pool lock, so readers see consistent state); and fails
 *       all those tickets with {@link StoreException}. Lock order: gate, then admin lock, then pool
 *       locks by ordinal; the leader lock is never requested while holding any of them.</li>
 * </ul>
 */
final class CommitPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(CommitPipeline.class);

    private final IpamStore store;
    private final ConcurrentLinkedQueue<Ticket> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock leaderLock = new ReentrantLock();
    private final StampedLock gate = new StampedLock();
    private final Runnable onCommitted;
    private long lastSequence; // guarded by leaderLock
    private volatile boolean closed;

    /** {@code onCommitted} runs on the leader after each successful commit; it must not block. */
    CommitPipeline(IpamStore store, long lastSequence, Runnable onCommitted) {
        this.store = store;
        this.lastSequence = lastSequence;
        this.onCommitted = onCommitted;
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
                        commitQueued();
                    }
                } finally {
                    leaderLock.unlock();
                }
                Ticket next = queue.peek();
                if (next != null) {
                    LockSupport.unpark(next.waiter);
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
        if (ticket.failure != null) {
            throw new StoreException(ticket.failure.getMessage(), ticket.failure);
        }
    }

    /** Commits everything queued as one batch. Caller holds leaderLock. */
    private void commitQueued() {
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
        try {
            store.commit(new ChangeBatch(lastSequence + 1, changes));
        } catch (RuntimeException | Error e) {
            rollBack(batch, e);
            return;
        }
        lastSequence += changes.size();
        for (Ticket t : batch) {
            complete(t, null);
        }
        onCommitted.run();
    }

    private List<Ticket> drain(List<Ticket> into) {
        Ticket t;
        while ((t = queue.poll()) != null) {
            into.add(t);
        }
        return into;
    }

    private void rollBack(List<Ticket> failed, Throwable cause) {
        LOG.warn("Store commit of {} call(s) failed; undoing them in memory", failed.size(), cause);
        StoreException failure = new StoreException("Store commit failed, the change was undone: " + cause, cause);
        StoreException dependent = new StoreException(
                "An earlier store commit failed, so this change (applied after it) was undone: " + cause, cause);
        long stamp = gate.writeLock();
        try {
            int committedPart = failed.size();
            drain(failed);
            for (int i = failed.size() - 1; i >= 0; i--) {
                try {
                    failed.get(i).undo.run();
                } catch (RuntimeException e) {
                    LOG.error("Undo of {} failed; in-memory state may disagree with the store", failed.get(i).changes, e);
                }
            }
            for (int i = 0; i < failed.size(); i++) {
                complete(failed.get(i), i < committedPart ? failure : dependent);
            }
        } finally {
            gate.unlockWrite(stamp);
        }
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
            commitQueued();
            store.close();
        } finally {
            leaderLock.unlock();
        }
    }

    /** The sequence number of the last committed change. */
    long lastSequence() {
        leaderLock.lock();
        try {
            return lastSequence;
        } finally {
            leaderLock.unlock();
        }
    }
}
