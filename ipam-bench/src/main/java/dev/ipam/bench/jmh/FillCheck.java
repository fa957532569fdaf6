package dev.ipam.bench.jmh;

import dev.ipam.IpamSession;
import dev.ipam.bench.Fixtures;

/** Prints the pool's real fill next to the target, so every run shows the fill it measured at. */
final class FillCheck {

    private FillCheck() {
    }

    static void report(IpamSession session, String pool, double targetPercent, String when) {
        double actual = Fixtures.fillPercent(session, pool);
        System.out.printf("%n[fill] pool %s %s: %.3f %% (target %.1f %%, %d allocated)%n", pool, when, actual,
                targetPercent, session.usage(pool).allocated());
    }
}
