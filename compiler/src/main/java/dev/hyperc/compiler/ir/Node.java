package dev.hyperc.compiler.ir;

import java.util.List;

/** One operation applied to earlier values. Only {@link Op.Scan} defines more than one result. */
public record Node(List<Value> results, Op op, List<Value> operands, Origin origin) {
    public Node {
        results = List.copyOf(results);
        operands = List.copyOf(operands);
    }

    public Node(Value result, Op op, List<Value> operands, Origin origin) {
        this(List.of(result), op, operands, origin);
    }

    /** The single result of a single-result node. */
    public Value result() {
        if (results.size() != 1) throw new IllegalStateException(op.mnemonic() + " has " + results.size() + " results");
        return results.get(0);
    }
}
