package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Op;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise operators of {@link FusedLoop} over spans: y[yo + j] = op(a[ao + j], b[bo + j]) for j < n, with
 * either operand possibly a scalar. The switch on the operator sits outside each loop, so every loop is a
 * straight Vector API loop with a constant operator (an operator chosen inside the loop would defeat the
 * intrinsics). The scalar forms define the semantics: the vector loops compute exactly the same values, lane by
 * lane, since every vector operation used is exactly rounded; transcendentals and pow are scalar {@link Math}.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    static float unary(Op.UnaryFn fn, float x) {
        return switch (fn) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case RELU -> Math.max(x, 0f);
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RECIP -> 1f / x;
            case STEP -> x > 0 ? 1f : 0f;
        };
    }

    static float binary(Op.BinaryFn fn, float a, float b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) Math.pow(a, b);
            case GT -> a > b ? 1f : 0f;
            case GE -> a >= b ? 1f : 0f;
            case LT -> a < b ? 1f : 0f;
            case LE -> a <= b ? 1f : 0f;
            case EQ -> a == b ? 1f : 0f;
        };
    }

    static void unary(Op.UnaryFn fn, float[] x, int xo, float[] y, int yo, int n) {
        int j = switch (fn) {
            case NEG -> neg(x, xo, y, yo, n);
            case SQRT -> sqrt(x, xo, y, yo, n);
            case RSQRT -> rsqrt(x, xo, y, yo, n);
            case RELU -> relu(x, xo, y, yo, n);
            case ABS -> abs(x, xo, y, yo, n);
            case SQUARE -> square(x, xo, y, yo, n);
            case RECIP -> recip(x, xo, y, yo, n);
            case STEP -> step(x, xo, y, yo, n);
            case EXP, LOG, TANH, SIGMOID -> 0;
        };
        for (; j < n; j++) y[yo + j] = unary(fn, x[xo + j]);
    }

    // One small method per operator and operand form: the Vector API only compiles to vector instructions when C2
    // inlines all of its calls into the loop, and one large method with every loop in it runs out of inlining budget
    // (measured: 4x slower). Each returns how far it got; the caller finishes the tail with the scalar form.

    private static int neg(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            v.neg().intoArray(y, yo + j);
        }
        return j;
    }

    private static int sqrt(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            v.sqrt().intoArray(y, yo + j);
        }
        return j;
    }

    private static int rsqrt(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            ONE.div(v.sqrt()).intoArray(y, yo + j);
        }
        return j;
    }

    private static int relu(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            v.max(ZERO).intoArray(y, yo + j);
        }
        return j;
    }

    private static int abs(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            v.abs().intoArray(y, yo + j);
        }
        return j;
    }

    private static int square(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            v.mul(v).intoArray(y, yo + j);
        }
        return j;
    }

    private static int recip(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            ONE.div(v).intoArray(y, yo + j);
        }
        return j;
    }

    private static int step(float[] x, int xo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) {
            FloatVector v = va(x, xo, j);
            ZERO.blend(ONE, v.compare(VectorOperators.GT, ZERO)).intoArray(y, yo + j);
        }
        return j;
    }

    static void leakyRelu(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int ub = S.loopBound(n), j = 0;
        for (; j < ub; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + j);
            v.max(v.mul(alpha)).intoArray(y, yo + j);
        }
        for (; j < n; j++) y[yo + j] = Math.max(x[xo + j], alpha * x[xo + j]);
    }

    /** Both operands arrays. */
    static void binary(Op.BinaryFn fn, float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = switch (fn) {
            case ADD -> addAA(a, ao, b, bo, y, yo, n);
            case SUB -> subAA(a, ao, b, bo, y, yo, n);
            case MUL -> mulAA(a, ao, b, bo, y, yo, n);
            case DIV -> divAA(a, ao, b, bo, y, yo, n);
            case MAX -> maxAA(a, ao, b, bo, y, yo, n);
            case MIN -> minAA(a, ao, b, bo, y, yo, n);
            case GT -> gtAA(a, ao, b, bo, y, yo, n);
            case GE -> geAA(a, ao, b, bo, y, yo, n);
            case LT -> ltAA(a, ao, b, bo, y, yo, n);
            case LE -> leAA(a, ao, b, bo, y, yo, n);
            case EQ -> eqAA(a, ao, b, bo, y, yo, n);
            case POW -> 0;
        };
        for (; j < n; j++) y[yo + j] = binary(fn, a[ao + j], b[bo + j]);
    }

    private static int addAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).add(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int subAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).sub(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int mulAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).mul(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int divAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).div(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int maxAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).max(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int minAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).min(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int gtAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.GT, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int geAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.GE, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int ltAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.LT, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int leAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.LE, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int eqAA(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.EQ, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    /** Array op scalar. */
    static void binary(Op.BinaryFn fn, float[] a, int ao, float s, float[] y, int yo, int n) {
        int j = switch (fn) {
            case ADD -> addAS(a, ao, s, y, yo, n);
            case SUB -> subAS(a, ao, s, y, yo, n);
            case MUL -> mulAS(a, ao, s, y, yo, n);
            case DIV -> divAS(a, ao, s, y, yo, n);
            case MAX -> maxAS(a, ao, s, y, yo, n);
            case MIN -> minAS(a, ao, s, y, yo, n);
            case GT -> gtAS(a, ao, s, y, yo, n);
            case GE -> geAS(a, ao, s, y, yo, n);
            case LT -> ltAS(a, ao, s, y, yo, n);
            case LE -> leAS(a, ao, s, y, yo, n);
            case EQ -> eqAS(a, ao, s, y, yo, n);
            case POW -> 0;
        };
        for (; j < n; j++) y[yo + j] = binary(fn, a[ao + j], s);
    }

    private static int addAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).add(b).intoArray(y, yo + j);
        return j;
    }

    private static int subAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).sub(b).intoArray(y, yo + j);
        return j;
    }

    private static int mulAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).mul(b).intoArray(y, yo + j);
        return j;
    }

    private static int divAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).div(b).intoArray(y, yo + j);
        return j;
    }

    private static int maxAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).max(b).intoArray(y, yo + j);
        return j;
    }

    private static int minAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) va(a, ao, j).min(b).intoArray(y, yo + j);
        return j;
    }

    private static int gtAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.GT, b)).intoArray(y, yo + j);
        return j;
    }

    private static int geAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.GE, b)).intoArray(y, yo + j);
        return j;
    }

    private static int ltAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.LT, b)).intoArray(y, yo + j);
        return j;
    }

    private static int leAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.LE, b)).intoArray(y, yo + j);
        return j;
    }

    private static int eqAS(float[] a, int ao, float s, float[] y, int yo, int n) {
        FloatVector b = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(va(a, ao, j).compare(VectorOperators.EQ, b)).intoArray(y, yo + j);
        return j;
    }

    /** Scalar op array. */
    static void binary(Op.BinaryFn fn, float s, float[] b, int bo, float[] y, int yo, int n) {
        int j = switch (fn) {
            case ADD -> addSA(s, b, bo, y, yo, n);
            case SUB -> subSA(s, b, bo, y, yo, n);
            case MUL -> mulSA(s, b, bo, y, yo, n);
            case DIV -> divSA(s, b, bo, y, yo, n);
            case MAX -> maxSA(s, b, bo, y, yo, n);
            case MIN -> minSA(s, b, bo, y, yo, n);
            case GT -> gtSA(s, b, bo, y, yo, n);
            case GE -> geSA(s, b, bo, y, yo, n);
            case LT -> ltSA(s, b, bo, y, yo, n);
            case LE -> leSA(s, b, bo, y, yo, n);
            case EQ -> eqSA(s, b, bo, y, yo, n);
            case POW -> 0;
        };
        for (; j < n; j++) y[yo + j] = binary(fn, s, b[bo + j]);
    }

    private static int addSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.add(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int subSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.sub(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int mulSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.mul(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int divSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.div(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int maxSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.max(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int minSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) a.min(va(b, bo, j)).intoArray(y, yo + j);
        return j;
    }

    private static int gtSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(a.compare(VectorOperators.GT, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int geSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(a.compare(VectorOperators.GE, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int ltSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(a.compare(VectorOperators.LT, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int leSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(a.compare(VectorOperators.LE, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    private static int eqSA(float s, float[] b, int bo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, s);
        int j = 0;
        for (int ub = S.loopBound(n); j < ub; j += L) ones(a.compare(VectorOperators.EQ, va(b, bo, j))).intoArray(y, yo + j);
        return j;
    }

    /**
     * The value an elementwise kernel stores: x, or a zero of x's sign where x is subnormal (flush-to-zero). The JVM cannot set the
     * FPU's FTZ/DAZ modes, and on x86 every operation with a subnormal operand or result takes a microcode assist
     * (~100 cycles): a training step whose gradients or optimizer moments have decayed into the subnormal range ran
     * 1.7–2.5x slower (multitask_mnist on one repeated batch: 12 ms instead of 5). Flushing what kernels store keeps
     * subnormals from spreading into later kernels, which read each operand many times. GPUs flush by default too.
     */
    static float flush(float x) { return Math.abs(x) < Float.MIN_NORMAL ? x * 0f : x; } // x · 0 keeps the sign, as FTZ does

    /** {@link #flush} over y[yo, yo + n), in place. */
    static void flush(float[] y, int yo, int n) {
        int ub = S.loopBound(n), j = 0;
        for (; j < ub; j += L) {
            FloatVector v = va(y, yo, j);
            v.blend(v.mul(ZERO), v.abs().compare(VectorOperators.LT, Float.MIN_NORMAL)).intoArray(y, yo + j);
        }
        for (; j < n; j++) y[yo + j] = flush(y[yo + j]);
    }

    /** y = c != 0 ? a : b. */
    static void select(float[] c, int co, float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int ub = S.loopBound(n), j = 0;
        for (; j < ub; j += L) va(a, ao, j).blend(va(b, bo, j), va(c, co, j).compare(VectorOperators.EQ, 0f)).intoArray(y, yo + j);
        for (; j < n; j++) y[yo + j] = c[co + j] != 0 ? a[ao + j] : b[bo + j];
    }

    private static FloatVector va(float[] x, int xo, int j) { return FloatVector.fromArray(S, x, xo + j); }

    private static final FloatVector ZERO = FloatVector.zero(S), ONE = FloatVector.broadcast(S, 1f);

    private static FloatVector ones(VectorMask<Float> m) { return ZERO.blend(ONE, m); }
}
