package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;

/** Small helpers that gradient rules use to append nodes. Each returns its operand unchanged when the op would be a no-op. */
final class Emit {
    final GraphBuilder b;

    Emit(GraphBuilder b) {
        this.b = b;
    }

    Value op(Op op, Value... in) { return b.add(op, in); }

    Value unary(Op.UnaryFn fn, Value x) { return b.add(new Op.Unary(fn), x); }

    Value binary(Op.BinaryFn fn, Value x, Value y) { return b.add(new Op.Binary(fn), x, y); }

    Value add(Value x, Value y) { return binary(Op.BinaryFn.ADD, x, y); }

    Value sub(Value x, Value y) { return binary(Op.BinaryFn.SUB, x, y); }

    Value mul(Value x, Value y) { return binary(Op.BinaryFn.MUL, x, y); }

    Value div(Value x, Value y) { return binary(Op.BinaryFn.DIV, x, y); }

    Value neg(Value x) { return unary(Op.UnaryFn.NEG, x); }

    Value scalar(double v) { return b.add(new Op.Const(v, TensorType.f32(Shape.SCALAR))); }

    Value zeros(TensorType t) { return b.add(new Op.Const(0, t)); }

    Value reshape(Value x, Shape s) {
        return x.type().shape().equals(s) ? x : b.add(new Op.Reshape(s), x);
    }

    Value transpose(Value x, int[] perm) {
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
        return identity ? x : b.add(new Op.Transpose(perm), x);
    }

    /** Swaps the last two axes. */
    Value swapLast(Value x) {
        int r = x.type().rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[r - 1] = r - 2;
        perm[r - 2] = r - 1;
        return transpose(x, perm);
    }

    Value broadcastTo(Value x, Shape s) {
        return x.type().shape().equals(s) ? x : b.add(new Op.Broadcast(s), x);
    }

    /** Sums a cotangent of a broadcast result back to the operand's shape: the transpose of broadcasting. */
    Value unbroadcast(Value g, Shape to) {
        Shape from = g.type().shape();
        if (from.equals(to)) return g;
        int extra = from.rank() - to.rank();
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < from.rank(); i++) {
            if (i < extra) axes.add(i);
            else if (to.dim(i - extra).equals(Dim.of(1)) && !from.dim(i).equals(Dim.of(1))) axes.add(i);
        }
        Value s = axes.isEmpty() ? g : b.add(new Op.Reduce(Op.ReduceFn.SUM, axes.stream().mapToInt(Integer::intValue).toArray()), g);
        return reshape(s, to);
    }

    /** Inserts size-1 axes where a reduction removed them, then broadcasts back to {@code full}. */
    Value unreduce(Value g, int[] axes, Shape full) {
        Shape kept = full;
        for (int a : axes) kept = kept.with(a, Dim.of(1));
        return broadcastTo(reshape(g, kept), full);
    }

    /** The number of elements a reduction over {@code axes} combined, as a scalar (a constant unless B is involved). */
    Value count(Shape full, int[] axes) {
        Dim n = Dim.of(1);
        for (int a : axes) n = n.times(full.dim(a));
        if (n.isFixed()) return scalar(n.fixed());
        // The batch size is only known at run time: count by summing ones, which constant folding cannot remove.
        List<Dim> dims = new ArrayList<>();
        for (int a : axes) dims.add(full.dim(a));
        int[] all = new int[dims.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return b.add(new Op.Reduce(Op.ReduceFn.SUM, all), b.add(new Op.Const(1, TensorType.f32(new Shape(dims)))));
    }
}
