package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;

/**
 * Evaluates ops whose operands are all {@code const} fills. A fill stays a fill under every pure
 * elementwise op (broadcasting included), every view, and the reductions, so each folded node becomes
 * one {@code const} of its result type, keeping its result value and source position (a NaN the folded
 * value holds is then still reported at the line that wrote it).
 *
 * <p>Arithmetic is done in double and the double is stored: the runtime rounds a constant to f32 when
 * it materialises it, and source constants are scalars, so the only difference from f32 evaluation is
 * rounding of the intermediate results, which at worst makes the folded value more accurate.
 *
 * <p>Not folded: ops that could fail at run time (gather and scatter_add with out-of-range ids), ops whose
 * result is not a fill (one_hot, matmul, convolutions, pooling, unslice of a non-zero fill), casts to
 * i32 of non-integral values (the runtime's rounding mode is its own business), and noise, which is not
 * constant at all. Scan bodies are folded inside; constants captured from outside are not sunk into them.
 */
public final class ConstantFolding implements Pass {
    @Override
    public String name() { return "constant-folding"; }

    @Override
    public Graph run(Graph g) { return Rewriter.rewrite(g, this::run, ConstantFolding::fold); }

    private static void fold(Node n, Rewriter r) {
        Double v = value(n, r);
        if (v == null) r.keep(n);
        else r.rebuild(n, new Op.Const(v, n.result().type()));
    }

    /** The fill value of {@code n}'s result, or null when it cannot be folded. */
    private static Double value(Node n, Rewriter r) {
        if (n.op() instanceof Op.Leaf || n.op() instanceof Op.Scan || n.operands().isEmpty()) return null;
        double[] in = new double[n.operands().size()];
        for (int i = 0; i < in.length; i++) {
            Op.Const c = r.constOf(n.operands().get(i));
            if (c == null) return null;
            in[i] = c.value();
        }
        Shape s = n.operands().get(0).type().shape();
        return switch (n.op()) {
            case Op.Unary u -> unary(u.fn(), in[0]);
            case Op.LeakyRelu l -> Math.max(in[0], l.alpha() * in[0]);
            case Op.Binary b -> binary(b.fn(), in[0], in[1]);
            case Op.Select _ -> in[0] != 0 ? in[1] : in[2];
            case Op.Cast c -> cast(c.to(), in[0]);
            case Op.StopGradient _ -> in[0];
            case Op.View _ -> in[0];
            case Op.Reduce red -> reduce(red, s, in[0]);
            case Op.LogSumExp lse -> logSumExp(s.dim(s.axis(lse.axis())), in[0]);
            // every element is a maximum, and ties go to the first
            case Op.ArgMax _ -> 0.0;
            case Op.Concat _ -> allEqual(in) ? in[0] : null;
            // unslice places its operand in zeros: a fill only when the operand is +0 (not -0) itself
            case Op.Unslice _ -> Double.compare(in[0], 0.0) == 0 ? 0.0 : null;
            default -> null;
        };
    }

    private static double unary(Op.UnaryFn fn, double x) {
        return switch (fn) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case RELU -> x > 0 ? x : 0.0;
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RECIP -> 1 / x;
            case STEP -> x > 0 ? 1.0 : 0.0;
        };
    }

    private static double binary(Op.BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
            case GT -> a > b ? 1.0 : 0.0;
            case GE -> a >= b ? 1.0 : 0.0;
            case LT -> a < b ? 1.0 : 0.0;
            case LE -> a <= b ? 1.0 : 0.0;
            case EQ -> a == b ? 1.0 : 0.0;
        };
    }

    /**
     * A reduction of a fill. Mean, max and min give the fill itself for any non-empty extent, batch
     * axes included (a batch has at least one sample). Sum needs the element count, which is unknown
     * when a reduced axis depends on B; empty reductions are left to the runtime's conventions.
     */
    private static Double reduce(Op.Reduce red, Shape s, double x) {
        long count = 1;
        boolean batch = false;
        for (int a : red.axes()) {
            Dim d = s.dim(a);
            batch |= d.batch();
            count = Math.multiplyExact(count, d.coeff());
        }
        if (count == 0) return null;
        if (red.fn() != Op.ReduceFn.SUM) return x;
        return batch ? null : x * count;
    }

    /** log Σ exp(x) over n equal elements is x + log n. */
    private static Double logSumExp(Dim d, double x) {
        return d.batch() || d.coeff() == 0 ? null : x + Math.log(d.coeff());
    }

    /** To f32 the value is unchanged (an i32 fill is integral); to i32 only integral values fold, -0 becoming 0. */
    private static Double cast(DType to, double x) {
        if (to == DType.F32) return x;
        return x == Math.rint(x) && Math.abs(x) <= Integer.MAX_VALUE ? (double) (long) x : null;
    }

    private static boolean allEqual(double[] xs) {
        for (double x : xs) if (Double.compare(x, xs[0]) != 0) return false;
        return true;
    }
}
