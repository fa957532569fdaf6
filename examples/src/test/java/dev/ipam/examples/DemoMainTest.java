package dev.ipam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DemoMainTest {

    @Test
    void demoAllocatesAnEnvironmentReleasesAndPrintsUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DemoMain.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out)
                .contains("dmz-east   10.20.0.2")
                .contains("2001:db8:20:0:211:22ff:fe33:4455")
                .contains("Released 10.20.0.3 of vm-web-2")
                .contains("dmz-east   capacity=65533 allocated=2 free=65531")
                .contains("v6-east    capacity=18446744073709551616 allocated=1");
    }
}
