package dev.ipam.internal;

import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * Hands the records a store reads at start-up to a sink on a second thread, so that reading and
 * decoding (the store's work, on the calling thread) overlaps with building the in-memory state
 * (the sink's work). Records travel in chunks of {@value #CHUNK}; at most {@value #QUEUED} chunks
 * wait at a time, so memory stays bounded however fast the store reads.
 *
 * <p>Use from one thread: {@link #accept} for each record, then {@link #finish()} and
 * {@link #close()}, which wait until the sink has taken every record ({@code close} alone, in
 * try-with-resources, ends the load when the caller fails). The sink sees the records in the
 * order given and runs on one thread at a time; everything it wrote is visible to the caller once
 * {@code close} returns. A
 * load of fewer than {@value #CHUNK} records starts no thread: the sink runs in {@code close}.
 * Once {@code accept} has thrown, only {@code close} may follow; a caller that catches the failure
 * and goes on anyway (a store that swallows its consumer's exceptions, say) gets it again from
 * {@code finish}, so that a load never ends normally with records dropped.
 *
 * <p>Implementation notes: the worker is started with the first full chunk. After a failure of the
 * sink the worker discards what follows; the next {@code accept} of a full chunk, or else
 * {@code close}, rethrows it once (the same exception object, so its type and message reach the
 * caller unchanged, and a {@code close} in try-with-resources does not suppress it into itself).
 * The caller's waits (a full queue, the final join) are not interruptible: the worker always
 * drains the queue up to the end marker that {@code close} puts, so they end; an interrupt that
 * arrives meanwhile is kept and set again on the calling thread. Chunks are handed over through a
 * {@link BlockingQueue}, whose put/take order every record's writes before the sink's reads, and
 * {@link Thread#join} orders the sink's writes before the caller's later reads.
 *
 * @param <T> record type
 */
final class PipelinedLoader<T> implements Consumer<T>, AutoCloseable {

    static final int CHUNK = 4096;
    static final int QUEUED = 4;
    private static final Object[] END = new Object[0];

    private final Consumer<? super T> sink;
    private final String threadName;
    private final BlockingQueue<Object[]> queue = new ArrayBlockingQueue<>(QUEUED);
    private Object[] chunk = new Object[CHUNK];
    private int filled;
    private Thread worker;
    private volatile Throwable failure;
    private boolean failureThrown;
    private boolean closed;

    PipelinedLoader(Consumer<? super T> sink, String threadName) {
        this.sink = sink;
        this.threadName = threadName;
    }

    /**
     * Queues one record for the sink; blocks while {@value #QUEUED} chunks wait.
     *
     * @throws RuntimeException or {@link Error}: the sink's failure on an earlier record, if any
     */
    @Override
    public void accept(T record) {
        chunk[filled++] = record;
        if (filled == CHUNK) {
            Object[] full = chunk;
            chunk = new Object[CHUNK];
            filled = 0;
            rethrowFailure(); // before the hand-over, so a caller that goes on finds a fresh chunk
            if (worker == null) {
                worker = new Thread(this::drain, threadName);
                worker.setDaemon(true);
                worker.start();
            }
            put(full);
        }
    }

    /**
     * Hands over the last records, waits until the sink has taken them all, and fails if the sink
     * failed on any record, even if {@code accept} has thrown that failure already. Afterwards
     * {@link #close()} does nothing.
     *
     * @throws RuntimeException or {@link Error}: the sink's failure, if it was not thrown already
     * @throws IllegalStateException wrapping the sink's failure, if {@code accept} threw it and the
     *     caller went on
     */
    void finish() {
        close();
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("a record failed to load earlier (" + f.getMessage()
                    + ") and the records after it were dropped", f);
        }
    }

    /**
     * Hands over the last records and waits until the sink has taken them all; does nothing the
     * second time.
     *
     * @throws RuntimeException or {@link Error}: the sink's failure, if it was not thrown already
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (worker == null) {
            Object[] last = chunk;
            int count = filled;
            filled = 0;
            sinkAll(last, count);
            return;
        }
        if (filled > 0) {
            put(Arrays.copyOf(chunk, filled));
            filled = 0;
        }
        put(END);
        Uninterruptibly.await(worker::join);
        rethrowFailure();
    }

    /** The worker: sinks chunks until the end marker; after a failure it only discards them. */
    private void drain() {
        while (true) {
            Object[] next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                continue; // nobody interrupts this private thread on purpose; the end marker will come
            }
            if (next == END) {
                return;
            }
            if (failure == null) {
                try {
                    sinkAll(next, next.length);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void sinkAll(Object[] records, int count) {
        for (int i = 0; i < count; i++) {
            sink.accept((T) records[i]);
        }
    }

    private void put(Object[] records) {
        Uninterruptibly.await(() -> queue.put(records));
    }

    /** Throws the sink's failure, once: a later call (such as {@code close} after {@code accept}) does not repeat it. */
    private void rethrowFailure() {
        Throwable f = failure;
        if (f == null || failureThrown) {
            return;
        }
        failureThrown = true;
        if (f instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) f;
    }
}
