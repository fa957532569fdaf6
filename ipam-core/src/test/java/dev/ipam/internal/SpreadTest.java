package dev.ipam.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How widely a call picks among free addresses after it lost races on a shared store. */
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
}
