package dev.hyperc.compiler.ir;

import java.util.List;

/**
 * A function in SSA form: parameters (used by scan bodies), nodes in definition order, and named outputs.
 * Top-level graphs take no parameters; their inputs are {@link Op.Input} and {@link Op.Param} leaves.
 */
public record Graph(String name, List<Value> params, List<Node> nodes, List<Output> outputs) {
    public Graph {
        params = List.copyOf(params);
        nodes = List.copyOf(nodes);
        outputs = List.copyOf(outputs);
    }

    /** A named result of a graph. {@code role} says what the runtime does with it. */
    public record Output(String name, Value value, Role role) {}

    public enum Role {
        /** Returned to the caller (predictions, embeddings, generated weights). */
        RESULT,
        /** The scalar being minimised. */
        LOSS,
        /** A scalar reported during training and evaluation. */
        METRIC,
        /** The next value of a {@link Op.State} leaf with the same name. */
        STATE,
        /** The next value of a {@link Op.Param} leaf with the same name (the optimizer's update). */
        UPDATE,
        /** The gradient of the loss with respect to the {@link Op.Param} of the same name. */
        GRAD,
        /** A scan body's yielded value. */
        YIELD;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public Output output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("graph " + this.name + " has no output " + name));
    }
}
