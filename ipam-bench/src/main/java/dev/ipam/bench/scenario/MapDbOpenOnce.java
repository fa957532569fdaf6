package dev.ipam.bench.scenario;

import dev.ipam.Ipam;
import java.nio.file.Path;

/**
 * Child process of {@code mapdb-reload --fresh-jvms}: opens an existing store once in a JVM that
 * has run nothing else, as a restarted service would, and prints on one line of standard output
 * the seconds that {@code MapDbStore.open} plus {@code Ipam.builder().build()} took (what the
 * scenario's in-process reopens time too).
 */
public final class MapDbOpenOnce {

    private MapDbOpenOnce() {
    }

    /**
     * Opens the store file {@code args[0]}, prints the build time in seconds and closes it.
     *
     * @param args the store file
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("Expected one argument, the store file; got " + args.length);
        }
        long start = System.nanoTime();
        try (Ipam ipam = MapDbReloadScenario.open(Path.of(args[0]))) {
            System.out.println((System.nanoTime() - start) / 1e9);
        }
    }
}
