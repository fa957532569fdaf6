package dev.ipam.bench.scenario;

import dev.ipam.Ipam;
import dev.ipam.store.mapdb.MapDbStore;
import java.nio.file.Path;

/**
 * Child process of {@code mapdb-open} and {@code mapdb-reload --fresh-jvms}: opens an existing store
 * once in a JVM that has run nothing else, as a restarted service would, and prints on one line of
 * standard output two figures in seconds: {@code MapDbStore.open} plus {@code Ipam.builder().build()}
 * (what the in-process reopens time), and {@code build()} alone (the interval the reload targets
 * name: from {@code build()} start to ready; the store's own open comes before it).
 */
public final class MapDbOpenOnce {

    private MapDbOpenOnce() {
    }

    /**
     * Opens the store file {@code args[0]}, prints the two times and closes it.
     *
     * @param args the store file
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("Expected one argument, the store file; got " + args.length);
        }
        long start = System.nanoTime();
        MapDbStore store = MapDbStore.open(Path.of(args[0]));
        long opened = System.nanoTime();
        Ipam ipam;
        try {
            ipam = MapDbReloadScenario.build(store);
        } catch (RuntimeException | Error e) {
            store.close();
            throw e;
        }
        try (ipam) {
            long ready = System.nanoTime();
            System.out.println((ready - start) / 1e9 + " " + (ready - opened) / 1e9);
        }
    }
}
