package dev.hyperc.compiler.lower;

import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;

/**
 * The body of a fused elementwise kernel: a tree evaluated at each output index. Loads read their
 * buffer through its strides (stride 0 broadcasts), so bias adds and scalings need no copies.
 * Backends turn a tree into a loop (CPU: block-wise vector interpretation; OpenCL: generated C).
 */
public sealed interface Expr {
    record Load(BufferRef ref) implements Expr {}

    record Scalar(double value) implements Expr {}

    record Unary(Op.UnaryFn fn, Expr x) implements Expr {}

    record LeakyRelu(double alpha, Expr x) implements Expr {}

    record Binary(Op.BinaryFn fn, Expr a, Expr b) implements Expr {}

    record Select(Expr cond, Expr a, Expr b) implements Expr {}

    /** f32 → i32 truncates toward zero; i32 → f32 is exact (values are stored as f32 anyway). */
    record Cast(boolean toInt, Expr x) implements Expr {}

    /**
     * Fresh random numbers: element i of noise stream {@code stream} in a step depends only on the step's
     * seed, the stream and i, so results do not depend on thread count or evaluation order.
     */
    record Noise(Init.Distribution distribution, double a, double b, int stream) implements Expr {}

    static int size(Expr e) {
        return switch (e) {
            case Load l -> 1;
            case Scalar s -> 1;
            case Unary u -> 1 + size(u.x());
            case LeakyRelu l -> 1 + size(l.x());
            case Binary b -> 1 + size(b.a()) + size(b.b());
            case Select s -> 1 + size(s.cond()) + size(s.a()) + size(s.b());
            case Cast c -> 1 + size(c.x());
            case Noise n -> 1;
        };
    }
}
