package dev.ipam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SharedDatabaseExampleTest {

    @Test
    @Timeout(120)
    void twoServicesShareOneDatabaseWithoutHandingAnAddressOutTwice() throws Exception {
        String first = run();
        assertThat(first)
                .contains("stack-7/web_1 via heat:    10.40.0.1")
                .contains("stack-7/web_1 via foreman: 10.40.0.1")
                .containsPattern("heat saw foreman's 10\\.40\\.0\\.\\d+ after about \\d+ ms")
                .contains("Racing services allocated 200 addresses, 200 distinct")
                .contains("After releasing: heat counts 0 allocated, foreman 0");
        // Again on the same database: the pool exists and everything was released.
        assertThat(run())
                .contains("Pool shared-east exists already")
                .contains("Racing services allocated 200 addresses, 200 distinct")
                .contains("After releasing: heat counts 0 allocated, foreman 0");
    }

    private static String run() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SharedDatabaseExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), SharedDatabaseExample.H2_URL);
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
