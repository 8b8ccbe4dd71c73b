package dev.hyperc.compiler.ir;

import java.util.List;

/**
 * A compiled model: its graphs ({@code train}: the training-mode forward pass with loss and metrics;
 * {@code predict}: inference) and the parameter layouts of its target networks.
 */
public record IrModule(String model, List<Layout> layouts, List<Graph> graphs) {
    public static final int FORMAT_VERSION = 1;

    public IrModule {
        layouts = List.copyOf(layouts);
        graphs = List.copyOf(graphs);
    }

    public Graph graph(String name) {
        return graphs.stream().filter(g -> g.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("module " + model + " has no graph " + name));
    }
}
