package dev.hyperc.compiler.ir;

/** An SSA value: defined once, by one node or as a graph parameter, printed as {@code %id}. */
public record Value(int id, TensorType type) {
    @Override
    public String toString() { return "%" + id; }
}
