package dev.ipam.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ipam.Allocation;
import dev.ipam.PoolSpec;
import dev.ipam.Scope;
import dev.ipam.StoreException;
import dev.ipam.address.IpAddress;
import dev.ipam.spi.Change;
import dev.ipam.spi.ChangeCodec;
import dev.ipam.spi.StoredState;
import dev.ipam.store.jdbc.TestDatabases.Vendor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Stored bytes that are not a valid encoding are reported, by the codec and by the store, naming what is wrong. */
class BadPayloadTest {

    @RegisterExtension
    static final TestDatabases DATABASES = new TestDatabases();

    private static final Instant T0 = Instant.parse("2030-03-01T10:00:00Z");
    private static final Allocation X = new Allocation("p", IpAddress.parse("10.0.0.1"), "vm-1", "prod", "web_1", null, null,
            T0, "heat");

    @Test
    void theCodecRefusesBadBytesNamingTheProblem() {
        byte[] good = ChangeCodec.encodeChange(new Change.Allocated(X));
        assertThat(ChangeCodec.decodeChange(good)).isEqualTo(new Change.Allocated(X));
        assertThatThrownBy(() -> ChangeCodec.decodeChange(Arrays.copyOf(good, good.length - 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching("Cannot decode change.*(truncated|runs past the end).*");
        assertThatThrownBy(() -> ChangeCodec.decodeChange(Arrays.copyOf(good, 5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("Cannot decode change", "truncated at offset");
        assertThatThrownBy(() -> ChangeCodec.decodeChange(Arrays.copyOf(good, good.length + 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 trailing bytes");
        byte[] badTag = good.clone();
        badTag[0] = 99;
        assertThatThrownBy(() -> ChangeCodec.decodeChange(badTag)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown change tag 99");
        assertThatThrownBy(() -> ChangeCodec.decodeChange(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChangeCodec.decodeChange(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> ChangeCodec.decodeReleased(good)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Allocated");
        assertThatThrownBy(() -> ChangeCodec.decodeAllocation(ChangeCodec.encodeHold(new dev.ipam.Hold("p",
                IpAddress.parse("10.0.0.1"), null, T0, T0.plusSeconds(5), "x")))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theStoreReportsACorruptedRow() throws SQLException {
        DataSource ds = DATABASES.freshDatabase(Vendor.H2);
        try (JdbcStore store = JdbcStore.open(ds)) {
            store.commitShared(List.of(new Change.PoolCreated(PoolSpec.builder("p", Scope.of("east", "dmz")).cidr("10.0.0.0/24")
                    .build(), T0, "admin"), new Change.Allocated(X)), 0);
            try (Connection c = ds.getConnection();
                    PreparedStatement ps = c.prepareStatement("UPDATE ipam_address SET payload = ?")) {
                ps.setBytes(1, new byte[] {1, 2, 3});
                ps.executeUpdate();
            }
            try (StoredState s = store.load()) {
                assertThatThrownBy(() -> s.forEachAllocation(a -> { })).isInstanceOf(StoreException.class)
                        .hasMessageContainingAll("stored allocation", "cannot be decoded");
            }
        }
    }
}
