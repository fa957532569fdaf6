package dev.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleBasedAccessPolicyTest {

    private static final String CONFIG = """
            # caller   actions                 scope
            heat-*     read,allocate,release   east/*
            foreman    read,hold,allocate      */dmz   # Foreman only in DMZ zones
            ops-admin  *                       */*
            """;

    @ParameterizedTest
    @CsvSource({
        "heat-prod, ALLOCATE, east, dmz, true",
        "heat-prod, RELEASE, east, app, true",
        "heat-prod, ADMIN, east, app, false",
        "heat-prod, ALLOCATE, west, app, false",
        "heat, ALLOCATE, east, app, false",
        "foreman, HOLD, west, dmz, true",
        "foreman, HOLD, west, app, false",
        "foreman, RELEASE, west, dmz, false",
        "ops-admin, ADMIN, any, thing, true",
        "stranger, READ, east, dmz, false",
    })
    void configRulesDecidePerCallerActionAndScope(String caller, Action action, String cloud, String zone, boolean allowed) {
        RuleBasedAccessPolicy policy = RuleBasedAccessPolicy.parse(CONFIG);
        assertThat(policy.permits(Caller.of(caller), action, Scope.of(cloud, zone))).isEqualTo(allowed);
    }

    @Test
    void builderAndConfigAgree() {
        RuleBasedAccessPolicy built = RuleBasedAccessPolicy.builder()
                .allow("heat-*", EnumSet.of(Action.READ, Action.ALLOCATE, Action.RELEASE), "east/*")
                .allow("foreman", EnumSet.of(Action.READ, Action.HOLD, Action.ALLOCATE), "*/dmz")
                .allow("ops-admin", EnumSet.allOf(Action.class), "*/*")
                .build();
        assertThat(built.rules()).isEqualTo(RuleBasedAccessPolicy.parse(CONFIG).rules());
    }

    @Test
    void globsMatchRunsAnywhere() {
        assertThat(RuleBasedAccessPolicy.glob("a*b*c", "aXXbYYc")).isTrue();
        assertThat(RuleBasedAccessPolicy.glob("a*b*c", "aXXbYY")).isFalse();
        assertThat(RuleBasedAccessPolicy.glob("*", "")).isTrue();
        assertThat(RuleBasedAccessPolicy.glob("heat-*", "heat-")).isTrue();
        assertThat(RuleBasedAccessPolicy.glob("heat", "heat-1")).isFalse();
    }

    @Test
    void badConfigLinesAreNamed() {
        assertThatThrownBy(() -> RuleBasedAccessPolicy.parse("heat-* allocate"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 1").hasMessageContaining("3 fields");
        assertThatThrownBy(() -> RuleBasedAccessPolicy.parse("# c\nheat-* allocat east/*"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2").hasMessageContaining("'allocat'");
        assertThatThrownBy(() -> RuleBasedAccessPolicy.parse("heat-* read east"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cloud/zone");
    }
}
