package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.StoreException;
import dev.ipam.spi.ConcurrentChangeException;

import org.junit.jupiter.api.Test;

/**
 * How widely a call picks among free addresses after it lost races on a shared store, and how
 * often it tries.
 */
class SpreadTest {

    @Test
    void anUncontendedFirstAttemptTakesExactlyTheFirstFreeAddress() {
        assertThat(Session.spreadFor(1, false)).isEqualTo(1);
    }

    @Test
    void retriesWidenTheChoiceUpToTheMaximum() {
        assertThat(Session.spreadFor(2, false)).isEqualTo(16);
        assertThat(Session.spreadFor(3, false)).isEqualTo(64);
        assertThat(Session.spreadFor(4, false)).isEqualTo(Session.MAX_SPREAD);
        assertThat(Session.spreadFor(Session.MAX_ATTEMPTS, false)).isEqualTo(Session.MAX_SPREAD);
    }

    @Test
    void whileCommitsAreRefusedEveryAttemptPicksAmongTheWidestChoice() {
        assertThat(Session.spreadFor(1, true)).isEqualTo(Session.MAX_SPREAD);
        assertThat(Session.spreadFor(2, true)).isEqualTo(Session.MAX_SPREAD);
    }

    @Test
    void aCallTriesAgainUntilItsLastAttemptThenGivesUpNamingTheRefusal() {
        ConcurrentChangeException refusal = new ConcurrentChangeException("10.1.0.41 was changed at sequence 1115");
        for (int attempt = 1; attempt < Session.MAX_ATTEMPTS; attempt++) {
            Session.retryAfterConflict(attempt, refusal); // returns after its back-off
        }
        assertThatThrownBy(() -> Session.retryAfterConflict(Session.MAX_ATTEMPTS, refusal))
                .isInstanceOf(StoreException.class).isNotInstanceOf(ConcurrentChangeException.class)
                .hasMessageContaining("Gave up after " + Session.MAX_ATTEMPTS + " attempts")
                .hasMessageContaining("10.1.0.41 was changed at sequence 1115").hasCause(refusal);
    }
}
