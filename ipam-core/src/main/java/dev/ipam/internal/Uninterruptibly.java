package dev.ipam.internal;

/**
 * Runs a blocking wait to its end regardless of interrupts: for waits that are known to end (a
 * worker that always drains its queue, a thread that always finishes) and must not be abandoned
 * half-way. An interrupt that arrives meanwhile is kept and set again on the thread before
 * returning.
 */
final class Uninterruptibly {

    /** A wait that may be interrupted. */
    @FunctionalInterface
    interface Wait {
        void run() throws InterruptedException;
    }

    private Uninterruptibly() {
    }

    /** Runs {@code wait} again after each interrupt until it completes. */
    static void await(Wait wait) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    wait.run();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
