package dev.ipam.internal;

import dev.ipam.spi.EventListener;
import dev.ipam.spi.IpamStore;
import dev.ipam.spi.JournalEntry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers committed journal entries to one {@link EventListener} on its own daemon thread.
 *
 * <p>Implementation notes: the thread reads the journal from the store after the listener's
 * stored position, calls the listener, and on normal return saves the new position. When there is
 * nothing to read it waits until {@link #wakeUp()} (called after each commit) or a poll interval
 * passes. When the listener throws, the same entries are retried after an exponential back-off
 * (capped), so a failing or slow listener never blocks callers and never loses its place.
 */
final class ListenerDispatcher implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerDispatcher.class);
    static final int BATCH = 1000;
    private static final long POLL_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String name;
    private final EventListener listener;
    private final IpamStore store;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private volatile boolean pending;
    private volatile boolean stopped;
    private volatile long position;

    ListenerDispatcher(String name, EventListener listener, IpamStore store) {
        this.name = name;
        this.listener = listener;
        this.store = store;
        this.position = store.listenerPosition(name);
        this.thread = new Thread(this, "ipam-listener-" + name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The last sequence the listener acknowledged. */
    long position() {
        return position;
    }

    String name() {
        return name;
    }

    /** New entries may be there. Never blocks. */
    void wakeUp() {
        if (lock.tryLock()) {
            try {
                pending = true;
                signal.signal();
            } finally {
                lock.unlock();
            }
        } else {
            // The dispatcher holds the lock only briefly; a missed signal costs at most one poll interval.
            pending = true;
        }
    }

    /** Stops the thread, waiting for an in-flight delivery for up to {@code timeout}. */
    void stop(Duration timeout) {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        long backoffMillis = 100;
        while (!stopped) {
            try {
                List<JournalEntry> entries = store.readJournal(position + 1, BATCH);
                if (entries.isEmpty()) {
                    awaitSignal();
                    continue;
                }
                listener.onChanges(entries);
                long last = entries.get(entries.size() - 1).sequence();
                store.saveListenerPosition(name, last);
                position = last;
                backoffMillis = 100;
            } catch (InterruptedException e) {
                if (stopped) {
                    return;
                }
            } catch (Exception | LinkageError e) {
                if (stopped) {
                    return;
                }
                LOG.warn("Listener '{}' failed after position {}; retrying in {} ms", name, position, backoffMillis, e);
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    if (stopped) {
                        return;
                    }
                }
                backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
            }
        }
    }

    private void awaitSignal() throws InterruptedException {
        lock.lock();
        try {
            if (!pending) {
                signal.awaitNanos(POLL_NANOS);
            }
            pending = false;
        } finally {
            lock.unlock();
        }
    }
}
