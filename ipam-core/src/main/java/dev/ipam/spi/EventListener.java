package dev.ipam.spi;

import java.util.List;

/**
 * Receives committed changes in sequence order, at least once: audit sinks, replication, caches.
 *
 * <p>Each listener registered with {@link dev.ipam.Ipam.Builder#listener} gets its own thread,
 * never the caller's, so a slow or failing listener never blocks allocation. Its position (the
 * last sequence it acknowledged by returning normally) is kept in the store; after a failure,
 * an outage or a restart delivery resumes right after it. A batch whose call threw is delivered
 * again (after a back-off), so implementations must tolerate duplicates, e.g. by sequence number.
 */
@FunctionalInterface
public interface EventListener {

    /**
     * Handles committed changes, ascending and without gaps. Returning acknowledges all of them.
     *
     * @throws Exception to have the same entries delivered again later
     */
    void onChanges(List<JournalEntry> entries) throws Exception;
}
