package dev.ipam.bench;

import dev.ipam.bench.scenario.AllocateThroughputScenario;
import dev.ipam.bench.scenario.GapQueryBaselineScenario;
import dev.ipam.bench.scenario.JdbcFollowDelayScenario;
import dev.ipam.bench.scenario.JdbcReloadScenario;
import dev.ipam.bench.scenario.JdbcThroughputScenario;
import dev.ipam.bench.scenario.MapDbOpenScenario;
import dev.ipam.bench.scenario.MapDbReloadScenario;
import dev.ipam.bench.scenario.MapDbThroughputScenario;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The scenarios the runner knows, by name, in the order {@code list} shows them. */
public final class ScenarioRegistry {

    private final Map<String, Supplier<Scenario>> scenarios = new LinkedHashMap<>();

    /** The scenarios shipped with this module. Add new ones here. */
    public static ScenarioRegistry builtIn() {
        return new ScenarioRegistry()
                .register(AllocateThroughputScenario.NAME, AllocateThroughputScenario::new)
                .register(MapDbThroughputScenario.NAME, MapDbThroughputScenario::new)
                .register(MapDbReloadScenario.NAME, MapDbReloadScenario::new)
                .register(MapDbOpenScenario.NAME, MapDbOpenScenario::new)
                .register(GapQueryBaselineScenario.NAME, GapQueryBaselineScenario::new)
                .register(JdbcThroughputScenario.NAME, JdbcThroughputScenario::new)
                .register(JdbcReloadScenario.NAME, JdbcReloadScenario::new)
                .register(JdbcFollowDelayScenario.NAME, JdbcFollowDelayScenario::new);
    }

    /**
     * Adds a scenario.
     *
     * @throws IllegalArgumentException if the name is taken
     */
    public ScenarioRegistry register(String name, Supplier<Scenario> factory) {
        if (scenarios.putIfAbsent(name, factory) != null) {
            throw new IllegalArgumentException("Scenario '" + name + "' is registered twice");
        }
        return this;
    }

    /** A new instance of the named scenario, if there is one. */
    public Optional<Scenario> create(String name) {
        Supplier<Scenario> factory = scenarios.get(name);
        return factory == null ? Optional.empty() : Optional.of(factory.get());
    }

    /** Scenario names in registration order. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(scenarios.keySet()));
    }
}
