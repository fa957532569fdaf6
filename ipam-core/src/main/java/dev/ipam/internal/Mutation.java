package dev.ipam.internal;

import dev.ipam.spi.Change;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes one call applies in memory, each with its exact undo, collected while the call holds
 * its pool locks. Confined to the calling thread until it is handed to the pipeline.
 */
final class Mutation {

    final Instant now;
    final String caller;
    /**
     * How many of the lowest (or next-fit) free addresses a pick may choose among: 1 normally; more
     * when the call lost races on a shared store, so that racing instances drift apart.
     */
    final int spread;
    private final List<Change> changes = new ArrayList<>(2);
    private final List<PoolState> undoPools = new ArrayList<>(2);
    private final List<Runnable> undos = new ArrayList<>(2);
    private boolean barrier;

    Mutation(Instant now, String caller) {
        this(now, caller, 1);
    }

    Mutation(Instant now, String caller, int spread) {
        this.now = now;
        this.caller = caller;
        this.spread = spread;
    }

    /** Records an applied change of {@code pool}; {@code undo} reverts it and runs under the pool's lock. */
    void record(Change change, PoolState pool, Runnable undo) {
        changes.add(change);
        undoPools.add(pool);
        undos.add(undo);
    }

    /**
     * Marks that the call returns state another call applied (an idempotent repeat), so it must
     * still wait until everything queued before it is durable.
     */
    void needBarrier() {
        barrier = true;
    }

    boolean needsTicket() {
        return barrier || !changes.isEmpty();
    }

    int mark() {
        return changes.size();
    }

    /** Undoes the changes recorded after {@code mark}, newest first; the caller still holds the locks. */
    void rollbackTo(int mark) {
        for (int i = changes.size() - 1; i >= mark; i--) {
            undos.get(i).run();
            undos.remove(i);
            undoPools.remove(i);
            changes.remove(i);
        }
    }

    List<Change> changes() {
        return List.copyOf(changes);
    }

    /** One action that undoes everything, newest first, each under its pool's lock. */
    Runnable undoAll() {
        List<PoolState> pools = List.copyOf(undoPools);
        List<Runnable> actions = List.copyOf(undos);
        return () -> {
            for (int i = actions.size() - 1; i >= 0; i--) {
                PoolState p = pools.get(i);
                p.lock.lock();
                try {
                    actions.get(i).run();
                } finally {
                    p.lock.unlock();
                }
            }
        };
    }
}
