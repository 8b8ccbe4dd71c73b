package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import java.util.List;

/**
 * Test helper: Adam's update of one weight as the scheduler emits it, three parts each guarded by the step's
 * finite-loss flag (m, then v, then w from the new m and v), over buffers 0 = g, 1 = m, 2 = v, 3 = w of one shape and
 * the scalars 4 = guard, 5 = step size, 6 = epsilon (broadcast to that shape).
 */
final class AdamParts {
    private AdamParts() {}

    static List<Kernel.Fused> of(long[] shape) {
        BufferRef g = BufferRef.contiguous(0, 0, shape), m = BufferRef.contiguous(1, 0, shape), v = BufferRef.contiguous(2, 0, shape),
                w = BufferRef.contiguous(3, 0, shape);
        long[] broadcast = new long[shape.length];
        Expr cond = new Expr.Load(new BufferRef(4, 0, shape, broadcast)), lr = new Expr.Load(new BufferRef(5, 0, shape, broadcast)),
                eps = new Expr.Load(new BufferRef(6, 0, shape, broadcast));
        Expr mNew = new Expr.Binary(Op.BinaryFn.ADD, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(m), new Expr.Scalar(0.9)),
                new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(g), new Expr.Scalar(0.1)));
        Expr vNew = new Expr.Binary(Op.BinaryFn.ADD, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(v), new Expr.Scalar(0.999)),
                new Expr.Binary(Op.BinaryFn.MUL, new Expr.Unary(Op.UnaryFn.SQUARE, new Expr.Load(g)), new Expr.Scalar(0.001)));
        Expr wNew = new Expr.Binary(Op.BinaryFn.SUB, new Expr.Load(w), new Expr.Binary(Op.BinaryFn.MUL, lr,
                new Expr.Binary(Op.BinaryFn.DIV, new Expr.Load(m), new Expr.Binary(Op.BinaryFn.ADD, new Expr.Unary(Op.UnaryFn.SQRT, new Expr.Load(v)), eps))));
        return List.of(new Kernel.Fused(m, new Expr.Select(cond, mNew, new Expr.Load(m)), null),
                new Kernel.Fused(v, new Expr.Select(cond, vNew, new Expr.Load(v)), null),
                new Kernel.Fused(w, new Expr.Select(cond, wNew, new Expr.Load(w)), null));
    }
}
