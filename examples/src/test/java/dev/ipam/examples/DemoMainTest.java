package dev.ipam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoMainTest {

    @Test
    void demoAllocatesAnEnvironmentReleasesAndPrintsUsage(@TempDir Path dir) {
        String first = runDemo(dir.resolve("ipam.db"));
        assertThat(first)
                .contains("dmz-east   10.20.0.2")
                .contains("2001:db8:20:0:211:22ff:fe33:4455")
                .contains("Released 10.20.0.3 of vm-web-2")
                .contains("dmz-east   capacity=65533 allocated=2 free=65531")
                .contains("v6-east    capacity=18446744073709551616 allocated=1");
        // A second run on the same file: pools exist, the environment's keys keep their addresses,
        // and the released VM gets its previous address back.
        String second = runDemo(dir.resolve("ipam.db"));
        assertThat(second)
                .contains("dmz-east   10.20.0.3                          vm-web-2")
                .contains("Released 10.20.0.3 of vm-web-2")
                .contains("dmz-east   capacity=65533 allocated=2 free=65531");
    }

    private static String runDemo(Path file) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DemoMain.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), file);
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
