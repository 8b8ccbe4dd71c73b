package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every op's gradient rule, in one place (tinygrad's gradient table is the model). A rule gets the
 * node, its operands and results, and the cotangent of its (single) result, and returns one cotangent
 * per operand: a value, or null where no gradient flows (integer operands, masks, constants).
 *
 * <p>The switch is exhaustive over the sealed {@link Op} hierarchy, so a new op does not compile
 * until it has a rule here. Ops without a derivative say so with {@link #nondifferentiable}, which
 * the caller reports only when a parameter actually reaches the loss through them.
 */
final class GradRules {
    private GradRules() {}

    /** Thrown by a rule for an op that has no derivative; the caller turns it into a {@link GradientError} with the op's origin. */
    static final class NoDerivative extends RuntimeException {
        NoDerivative(String why) {
            super(why, null, false, false);
        }
    }

    static List<Value> nondifferentiable(String why) {
        throw new NoDerivative(why);
    }

    /**
     * Why an op has no derivative, or null if it has one. Checked along the whole path before any
     * rule runs, so the error names the first such op a parameter's value passes through.
     */
    static String noDerivative(Node n) {
        return switch (n.op()) {
            case Op.ArgMax a -> "argmax is piecewise constant: it has no useful derivative";
            case Op.OneHot o -> "one_hot of integer ids has no derivative";
            case Op.Binary b when b.fn().isComparison() -> "the comparison '" + b.fn().text() + "' is piecewise constant: it has no useful derivative";
            case Op.Unary u when u.fn() == Op.UnaryFn.STEP -> "step is piecewise constant: it has no useful derivative";
            case Op.Cast c when c.to() == DType.I32 || n.operands().get(0).type().dtype() == DType.I32 -> "a cast between f32 and i32 has no derivative";
            case Op.Pool2dGrad p when p.kind() == Op.PoolKind.MAX -> "second derivatives through max pooling are not supported";
            case Op.NearestDistGrad d -> "second derivatives of nn_dist are not supported";
            default -> null;
        };
    }

    static List<Value> vjp(Emit e, Node n, Value dy) {
        List<Value> in = n.operands();
        Value x = in.isEmpty() ? null : in.get(0);
        Value y = n.results().get(0);
        return switch (n.op()) {
            case Op.Input i -> List.of();
            case Op.Param p -> List.of();
            case Op.State s -> List.of();
            case Op.Noise s -> List.of();
            case Op.Const c -> List.of();
            case Op.Unary u -> List.of(unary(e, u.fn(), x, y, dy));
            case Op.LeakyRelu l -> {
                // d/dx = 1 for x > 0, alpha otherwise: alpha + (1 - alpha)·step(x).
                Value slope = e.add(e.scalar(l.alpha()), e.mul(e.scalar(1 - l.alpha()), e.unary(Op.UnaryFn.STEP, x)));
                yield List.of(e.mul(dy, slope));
            }
            case Op.Binary b -> binary(e, b.fn(), x, in.get(1), y, dy);
            case Op.Select s -> {
                Value zero = e.zeros(dy.type());
                yield Arrays.asList(null,
                        e.unbroadcast(e.op(new Op.Select(), x, dy, zero), in.get(1).type().shape()),
                        e.unbroadcast(e.op(new Op.Select(), x, zero, dy), in.get(2).type().shape()));
            }
            case Op.Cast c -> {
                if (c.to() == DType.F32 && x.type().dtype() == DType.F32) yield List.of(dy);
                yield nondifferentiable("a cast between f32 and i32 has no derivative");
            }
            case Op.StopGradient s -> Arrays.asList((Value) null);
            case Op.Reduce r -> List.of(reduce(e, r, x, y, dy));
            case Op.ArgMax a -> nondifferentiable("argmax is piecewise constant: it has no useful derivative");
            case Op.LogSumExp l -> {
                // d lse / dx = softmax(x) = exp(x - lse), taken from the stable result.
                int ax = l.axis() < 0 ? l.axis() + x.type().rank() : l.axis();
                int[] axes = {ax};
                Value soft = e.unary(Op.UnaryFn.EXP, e.sub(x, e.unreduce(y, axes, x.type().shape())));
                yield List.of(e.mul(e.unreduce(dy, axes, x.type().shape()), soft));
            }
            case Op.MatMul m -> {
                Value a = x, b = in.get(1);
                Value da = e.op(new Op.MatMul(), dy, e.swapLast(b));
                Value db = e.op(new Op.MatMul(), e.swapLast(a), dy);
                yield List.of(e.unbroadcast(da, a.type().shape()), e.unbroadcast(db, b.type().shape()));
            }
            case Op.Conv2d c -> List.of(
                    e.op(new Op.Conv2dGradInput(c.stride(), c.padding(), x.type().shape()), dy, in.get(1)),
                    e.op(new Op.Conv2dGradKernel(c.stride(), c.padding(), in.get(1).type().shape()), x, dy));
            case Op.Conv2dGradInput c -> {
                // Linear in (dy, k): its adjoint is the forward convolution and the kernel gradient.
                Value g = dy;
                yield List.of(
                        e.op(new Op.Conv2d(c.stride(), c.padding()), g, in.get(1)),
                        e.op(new Op.Conv2dGradKernel(c.stride(), c.padding(), in.get(1).type().shape()), g, x));
            }
            case Op.Conv2dGradKernel c -> List.of(
                    e.op(new Op.Conv2dGradInput(c.stride(), c.padding(), x.type().shape()), in.get(1), dy),
                    e.op(new Op.Conv2d(c.stride(), c.padding()), x, dy));
            case Op.Pool2d p -> List.of(e.op(new Op.Pool2dGrad(p.kind(), p.window(), p.stride(), p.padding()), x, dy));
            case Op.Pool2dGrad p -> {
                if (p.kind() == Op.PoolKind.AVG) {
                    // Average-pool's gradient is linear in dy and its adjoint is average pooling itself.
                    yield Arrays.asList(null, e.op(new Op.Pool2d(p.kind(), p.window(), p.stride(), p.padding()), dy));
                }
                yield nondifferentiable("second derivatives through max pooling are not supported");
            }
            case Op.Gather g -> Arrays.asList(
                    e.op(new Op.ScatterAdd(x.type().shape().dim(0).fixed()), in.get(1), dy), null);
            case Op.ScatterAdd s -> Arrays.asList(null, e.op(new Op.Gather(), dy, x));
            case Op.OneHot o -> nondifferentiable("one_hot of integer ids has no derivative");
            case Op.Reshape r -> List.of(e.reshape(dy, x.type().shape()));
            case Op.Slice s -> List.of(e.op(new Op.Unslice(s.axis(), s.start(), s.step(), x.type().shape().dim(s.axis()).fixed()), dy));
            case Op.Unslice u -> {
                long len = x.type().shape().dim(u.axis()).fixed();
                yield List.of(e.op(new Op.Slice(u.axis(), u.start(), u.start() + (len - 1) * u.step() + 1, u.step()), dy));
            }
            case Op.Transpose t -> {
                int[] inv = new int[t.perm().length];
                for (int i = 0; i < inv.length; i++) inv[t.perm()[i]] = i;
                yield List.of(e.transpose(dy, inv));
            }
            case Op.Broadcast b -> List.of(e.unbroadcast(dy, x.type().shape()));
            case Op.Concat c -> {
                List<Value> out = new ArrayList<>();
                long off = 0;
                for (Value v : in) {
                    long len = v.type().shape().dim(c.axis()).fixed();
                    out.add(e.op(new Op.Slice(c.axis(), off, off + len, 1), dy));
                    off += len;
                }
                yield out;
            }
            case Op.PairwiseDist p -> List.of(pairwise(e, x, y, dy));
            case Op.NearestDist d -> List.of(e.op(new Op.NearestDistGrad(), x, dy));
            case Op.NearestDistGrad d -> nondifferentiable("second derivatives of nn_dist are not supported");
            case Op.Scan s -> throw new IllegalStateException("scan gradients are formed by ScanGrad, not by a local rule");
        };
    }

    private static Value unary(Emit e, Op.UnaryFn fn, Value x, Value y, Value dy) {
        return switch (fn) {
            case NEG -> e.neg(dy);
            case EXP -> e.mul(dy, y);
            case LOG -> e.div(dy, x);
            case SQRT -> e.div(e.mul(dy, e.scalar(0.5)), y);
            case RSQRT -> e.mul(dy, e.mul(e.scalar(-0.5), e.mul(y, e.unary(Op.UnaryFn.SQUARE, y))));
            case TANH -> e.mul(dy, e.sub(e.scalar(1), e.unary(Op.UnaryFn.SQUARE, y)));
            case SIGMOID -> e.mul(dy, e.mul(y, e.sub(e.scalar(1), y)));
            case RELU -> e.mul(dy, e.unary(Op.UnaryFn.STEP, x));
            case ABS -> e.mul(dy, e.sub(e.unary(Op.UnaryFn.STEP, x), e.unary(Op.UnaryFn.STEP, e.neg(x))));
            case SQUARE -> e.mul(dy, e.mul(e.scalar(2), x));
            case RECIP -> e.neg(e.mul(dy, e.unary(Op.UnaryFn.SQUARE, y)));
            case STEP -> throw new NoDerivative("step is piecewise constant: it has no useful derivative");
        };
    }

    private static List<Value> binary(Emit e, Op.BinaryFn fn, Value a, Value b, Value y, Value dy) {
        Shape sa = a.type().shape(), sb = b.type().shape();
        return switch (fn) {
            case ADD -> List.of(e.unbroadcast(dy, sa), e.unbroadcast(dy, sb));
            case SUB -> List.of(e.unbroadcast(dy, sa), e.unbroadcast(e.neg(dy), sb));
            case MUL -> List.of(e.unbroadcast(e.mul(dy, b), sa), e.unbroadcast(e.mul(dy, a), sb));
            case DIV -> List.of(e.unbroadcast(e.div(dy, b), sa), e.unbroadcast(e.neg(e.div(e.mul(dy, y), b)), sb));
            case MAX, MIN -> {
                // The larger (smaller) operand takes the gradient; on a tie the first operand does.
                Value first = e.binary(fn == Op.BinaryFn.MAX ? Op.BinaryFn.GE : Op.BinaryFn.LE, a, b);
                yield List.of(e.unbroadcast(e.mul(dy, first), sa), e.unbroadcast(e.mul(dy, e.sub(e.scalar(1), first)), sb));
            }
            case POW -> {
                // d a^b / da = b·a^(b-1) = b·y/a; d a^b / db = y·log a.
                Value da = e.mul(dy, e.mul(b, e.binary(Op.BinaryFn.POW, a, e.sub(b, e.scalar(1)))));
                Value db = e.mul(dy, e.mul(y, e.unary(Op.UnaryFn.LOG, a)));
                yield List.of(e.unbroadcast(da, sa), e.unbroadcast(db, sb));
            }
            case GT, GE, LT, LE, EQ -> nondifferentiable("the comparison '" + fn.text() + "' is piecewise constant: it has no useful derivative");
        };
    }

    private static Value reduce(Emit e, Op.Reduce r, Value x, Value y, Value dy) {
        Shape full = x.type().shape();
        Value g = e.unreduce(dy, r.axes(), full);
        return switch (r.fn()) {
            case SUM -> g;
            case MEAN -> e.div(g, e.count(full, r.axes()));
            case MAX, MIN -> {
                // Routes the gradient to the elements equal to the extreme (all of them on a tie).
                Value hit = e.binary(Op.BinaryFn.EQ, x, e.unreduce(y, r.axes(), full));
                yield e.mul(g, hit);
            }
        };
    }

    /**
     * d_ij = |x_i − x_j|. With G = (g + gᵀ)/d (0 where d = 0): dx = x·rowsum(G) − G·x.
     * Pairs at distance 0 (the diagonal) contribute nothing, which is the subgradient we choose.
     */
    private static Value pairwise(Emit e, Value x, Value d, Value g) {
        Value sym = e.add(g, e.transpose(g, new int[] {1, 0}));
        Value safe = e.binary(Op.BinaryFn.MAX, d, e.scalar(1e-30));
        Value pos = e.binary(Op.BinaryFn.GT, d, e.scalar(0));
        Value w = e.op(new Op.Select(), pos, e.div(sym, safe), e.zeros(d.type()));
        Dim n = x.type().shape().dim(0);
        Value rows = e.reshape(e.op(new Op.Reduce(Op.ReduceFn.SUM, new int[] {1}), w), Shape.of(n, Dim.of(1)));
        return e.sub(e.mul(x, rows), e.op(new Op.MatMul(), w, x));
    }
}
