package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PipelinedLoaderTest {

    private static final int CHUNK = PipelinedLoader.CHUNK;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 10 * CHUNK + 7})
    void theSinkGetsEveryRecordInOrderOnASecondThreadOnlyForLargeLoads(int count) {
        List<Integer> received = new ArrayList<>();
        Set<String> threads = new HashSet<>();
        try (PipelinedLoader<Integer> loader = new PipelinedLoader<>(i -> {
            received.add(i);
            threads.add(Thread.currentThread().getName());
        }, "loader-test")) {
            for (int i = 0; i < count; i++) {
                loader.accept(i);
            }
        }
        assertThat(received).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(received.get(i)).isEqualTo(i);
        }
        if (count >= CHUNK) {
            assertThat(threads).containsExactly("loader-test");
        } else if (count > 0) {
            assertThat(threads).containsExactly(Thread.currentThread().getName());
        }
        assertThat(loaderThreadsAlive()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {5, CHUNK + 3, 7 * CHUNK + 1})
    void aSinkFailureReachesTheCallerUnchangedAndOnce(int failAt) {
        IllegalStateException boom = new IllegalStateException("duplicate " + failAt);
        List<Integer> received = new ArrayList<>();
        Throwable thrown = catchThrowable(() -> {
            try (PipelinedLoader<Integer> loader = new PipelinedLoader<>(i -> {
                if (i == failAt) {
                    throw boom;
                }
                received.add(i);
            }, "loader-test")) {
                for (int i = 0; i < 10 * CHUNK; i++) {
                    loader.accept(i);
                }
            }
        });
        assertThat(thrown).isSameAs(boom);
        assertThat(thrown.getSuppressed()).isEmpty();
        assertThat(received).hasSize(failAt); // nothing after the failure reached the sink
        assertThat(loaderThreadsAlive()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"5, true", "5, false", "4099, true", "4099, false", "12289, true", "12289, false"})
    void aCallerThatSwallowsTheFailureGetsItAgainFromFinish(int failAt, boolean goOn) {
        // A failure in chunk c reaches accept by chunk c + 6 at the latest (at most QUEUED chunks
        // wait), so with ten chunks every failAt here is thrown by accept, not first by finish.
        IllegalStateException boom = new IllegalStateException("duplicate " + failAt);
        List<Integer> received = new ArrayList<>();
        PipelinedLoader<Integer> loader = new PipelinedLoader<>(i -> {
            if (i == failAt) {
                throw boom;
            }
            received.add(i);
        }, "loader-test");
        int swallowed = 0;
        for (int i = 0; i < 10 * CHUNK; i++) {
            try {
                loader.accept(i);
            } catch (IllegalStateException e) {
                assertThat(e).isSameAs(boom);
                swallowed++;
                if (!goOn) {
                    break;
                }
            }
        }
        assertThat(swallowed).isEqualTo(1);
        assertThatThrownBy(loader::finish).isInstanceOf(IllegalStateException.class).hasCause(boom)
                .hasMessageContaining("duplicate " + failAt).hasMessageContaining("dropped");
        loader.close(); // the second end does nothing
        assertThat(received).hasSize(failAt);
        assertThat(loaderThreadsAlive()).isZero();
    }

    @Test
    void finishThrowsAFailureNotYetThrownUnchangedAndCloseThenDoesNothing() {
        IllegalStateException boom = new IllegalStateException("last chunk");
        PipelinedLoader<Integer> loader = new PipelinedLoader<>(i -> {
            if (i == 2 * CHUNK + 1) {
                throw boom;
            }
        }, "loader-test");
        for (int i = 0; i < 2 * CHUNK + 2; i++) {
            loader.accept(i);
        }
        assertThatThrownBy(loader::finish).isSameAs(boom);
        loader.close();
        assertThat(loaderThreadsAlive()).isZero();
    }

    @Test
    void aCallerFailureStillEndsTheWorker() {
        List<Integer> received = new ArrayList<>();
        assertThatThrownBy(() -> {
            try (PipelinedLoader<Integer> loader = new PipelinedLoader<>(received::add, "loader-test")) {
                for (int i = 0; i < 3 * CHUNK + 5; i++) {
                    loader.accept(i);
                }
                throw new IllegalArgumentException("store read failed");
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessage("store read failed");
        assertThat(received).hasSize(3 * CHUNK + 5);
        assertThat(loaderThreadsAlive()).isZero();
    }

    @Test
    void anInterruptOfTheCallerWhileItWaitsNeitherStopsNorFailsTheLoadAndStaysSet() throws Exception {
        CountDownLatch sinkStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> received = new ArrayList<>();
        AtomicReference<Throwable> callerFailure = new AtomicReference<>();
        AtomicReference<Boolean> interruptedAfterwards = new AtomicReference<>();
        int count = 10 * CHUNK;
        Thread caller = new Thread(() -> {
            try (PipelinedLoader<Integer> loader = new PipelinedLoader<>(i -> {
                sinkStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException("the worker was interrupted", e);
                }
                received.add(i);
            }, "loader-test")) {
                for (int i = 0; i < count; i++) {
                    loader.accept(i); // blocks once the queue is full
                }
            } catch (Throwable t) {
                callerFailure.set(t);
            }
            interruptedAfterwards.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        assertThat(sinkStarted.await(30, TimeUnit.SECONDS)).isTrue();
        while (caller.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        caller.interrupt();
        Thread.sleep(50);
        release.countDown();
        caller.join(30_000);

        assertThat(caller.isAlive()).isFalse();
        assertThat(callerFailure.get()).isNull();
        assertThat(received).hasSize(count);
        assertThat(interruptedAfterwards.get()).isTrue();
        assertThat(loaderThreadsAlive()).isZero();
    }

    private static long loaderThreadsAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("loader-test") && t.isAlive()).count();
    }
}
