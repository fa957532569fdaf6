package dev.ipam.bench.scenario;

import dev.ipam.AllocationRequest;
import dev.ipam.IpamSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Threads that call {@code allocate} in a loop: a warm-up, then a measured period that starts for
 * all threads at once; each measured call's latency is recorded.
 */
final class AllocateLoop {

    /** What the threads did in the measured period. */
    record Outcome(long ops, double elapsedSeconds, long[] sortedLatencyNanos) {

        double opsPerSecond() {
            return ops / elapsedSeconds;
        }

        double percentileMicros(double p) {
            return AllocateThroughputScenario.percentile(sortedLatencyNanos, p) / 1e3;
        }

        double maxMicros() {
            return sortedLatencyNanos.length == 0 ? 0 : sortedLatencyNanos[sortedLatencyNanos.length - 1] / 1e3;
        }
    }

    /** One thread's session and request. */
    record Caller(IpamSession session, AllocationRequest request) {
    }

    private AllocateLoop() {
    }

    /**
     * Runs one thread per caller and waits for all.
     *
     * @throws IllegalStateException if a thread failed
     */
    static Outcome run(String threadName, List<Caller> callers, long warmupNanos, long measureNanos)
            throws InterruptedException {
        int threads = callers.size();
        long[] start = new long[1];
        CyclicBarrier barrier = new CyclicBarrier(threads, () -> start[0] = System.nanoTime());
        Worker[] workers = new Worker[threads];
        List<Thread> running = new ArrayList<>();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            workers[t] = new Worker(callers.get(t), barrier, start, warmupNanos, measureNanos, running, firstFailure);
            running.add(new Thread(workers[t], threadName + "-" + t));
        }
        running.forEach(Thread::start);
        for (Thread thread : running) {
            thread.join();
        }
        Throwable failure = firstFailure.get();
        if (failure != null) {
            throw new IllegalStateException("Worker failed: " + failure, failure);
        }
        long ops = 0;
        long end = 0;
        for (Worker w : workers) {
            ops += w.count;
            end = Math.max(end, w.endNanos);
        }
        long[] all = new long[(int) ops];
        int n = 0;
        for (Worker w : workers) {
            System.arraycopy(w.nanos, 0, all, n, w.count);
            n += w.count;
        }
        Arrays.sort(all);
        return new Outcome(ops, (end - start[0]) / 1e9, all);
    }

    /** One thread: allocates until its time is up, recording each call's latency. */
    private static final class Worker implements Runnable {
        final Caller caller;
        final CyclicBarrier barrier;
        final long[] start;
        final long warmupNanos;
        final long measureNanos;
        long[] nanos = new long[1 << 14];
        int count;
        long endNanos;
        /** Every worker thread: a failing worker interrupts them all, so none waits for it forever. */
        final List<Thread> everyone;
        final AtomicReference<Throwable> firstFailure;

        Worker(Caller caller, CyclicBarrier barrier, long[] start, long warmupNanos, long measureNanos,
                List<Thread> everyone, AtomicReference<Throwable> firstFailure) {
            this.everyone = everyone;
            this.firstFailure = firstFailure;
            this.caller = caller;
            this.barrier = barrier;
            this.start = start;
            this.warmupNanos = warmupNanos;
            this.measureNanos = measureNanos;
        }

        @Override
        public void run() {
            try {
                long warmupEnd = System.nanoTime() + warmupNanos;
                while (System.nanoTime() < warmupEnd && !Thread.currentThread().isInterrupted()) {
                    caller.session().allocate(caller.request());
                }
                barrier.await();
                long deadline = start[0] + measureNanos;
                long t0 = System.nanoTime();
                while (t0 < deadline && !Thread.currentThread().isInterrupted()) {
                    caller.session().allocate(caller.request());
                    long t1 = System.nanoTime();
                    if (count == nanos.length) {
                        nanos = Arrays.copyOf(nanos, count * 2);
                    }
                    nanos[count++] = t1 - t0;
                    t0 = t1;
                }
                endNanos = t0;
            } catch (Throwable e) {
                if (firstFailure.compareAndSet(null, e)) {
                    everyone.forEach(Thread::interrupt);
                }
            }
        }
    }
}
