package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.Expr;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a fused elementwise kernel. The output's index space is coalesced (adjacent axes merge where
 * every operand walks them contiguously), then split into rows along the last axis; each row is
 * evaluated in chunks, node by node, over small scratch arrays, so each operator is a tight loop the
 * JIT vectorises rather than a virtual call per element.
 */
final class FusedLoop {
    static final int CHUNK = 512;

    /** A compiled node: evaluates a chunk into its slot. */
    private sealed interface Node permits Load, Const, Un, Leaky, Bin, Sel, CastI, Rand {}

    private record Load(int operand) implements Node {}

    private record Const(float v) implements Node {}

    private record Un(Op.UnaryFn fn, int x) implements Node {}

    private record Leaky(float alpha, int x) implements Node {}

    private record Bin(Op.BinaryFn fn, int a, int b) implements Node {}

    private record Sel(int c, int a, int b) implements Node {}

    private record CastI(int x) implements Node {}

    private record Rand(Init.Distribution dist, float a, float b, int stream) implements Node {}

    private final Strided out;
    private final List<Strided> loads = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final int root;
    /** Coalesced index space: shape and per-operand strides (operand -1 = the output). */
    private final int[] shape;
    private final int[][] strides;
    private final int[] bases;

    FusedLoop(Strided out, Expr expr, java.util.function.Function<dev.hyperc.compiler.lower.BufferRef, Strided> bind) {
        this(out, expr, bind, List.of());
    }

    /**
     * A loop whose axes also stay apart wherever one of {@code alsoWalk} (stride vectors over the output's shape) does
     * not walk them contiguously. The parts of a {@link dev.hyperc.compiler.lower.Kernel.FusedGroup} pass each other's
     * strides, so they all coalesce to one index space and work unit u means the same elements in every part.
     */
    FusedLoop(Strided out, Expr expr, java.util.function.Function<dev.hyperc.compiler.lower.BufferRef, Strided> bind, List<int[]> alsoWalk) {
        this.out = out;
        this.root = compile(expr, bind);
        int rank = out.rank();
        int ops = loads.size() + 1;
        int all = ops + alsoWalk.size();
        int[][] st = new int[all][];
        st[0] = out.strides();
        for (int i = 0; i < loads.size(); i++) st[i + 1] = loads.get(i).strides();
        for (int i = 0; i < alsoWalk.size(); i++) st[ops + i] = alsoWalk.get(i);
        // Coalesce axes k-1 and k when every operand's stride[k-1] == stride[k] * shape[k].
        List<Integer> dims = new ArrayList<>();
        List<int[]> cols = new ArrayList<>();
        for (int k = 0; k < rank; k++) {
            if (out.shape()[k] == 1) continue;
            int[] col = new int[all];
            for (int o = 0; o < all; o++) col[o] = st[o][k];
            if (!dims.isEmpty()) {
                int prev = dims.size() - 1;
                boolean merge = true;
                for (int o = 0; o < all && merge; o++) merge = cols.get(prev)[o] == col[o] * out.shape()[k];
                if (merge) {
                    dims.set(prev, dims.get(prev) * out.shape()[k]);
                    cols.set(prev, col);
                    continue;
                }
            }
            dims.add(out.shape()[k]);
            cols.add(col);
        }
        if (dims.isEmpty()) {
            dims.add(1);
            cols.add(new int[all]);
        }
        shape = dims.stream().mapToInt(Integer::intValue).toArray();
        strides = new int[ops][shape.length];
        for (int k = 0; k < shape.length; k++) for (int o = 0; o < ops; o++) strides[o][k] = cols.get(k)[o];
        bases = new int[ops];
        bases[0] = out.base();
        for (int i = 0; i < loads.size(); i++) bases[i + 1] = loads.get(i).base();
    }

    private int compile(Expr e, java.util.function.Function<dev.hyperc.compiler.lower.BufferRef, Strided> bind) {
        Node n = switch (e) {
            case Expr.Load l -> {
                loads.add(bind.apply(l.ref()));
                yield new Load(loads.size() - 1);
            }
            case Expr.Scalar s -> new Const((float) s.value());
            case Expr.Unary u -> new Un(u.fn(), compile(u.x(), bind));
            case Expr.LeakyRelu l -> new Leaky((float) l.alpha(), compile(l.x(), bind));
            case Expr.Binary b -> {
                int a = compile(b.a(), bind);
                yield new Bin(b.fn(), a, compile(b.b(), bind));
            }
            case Expr.Select s -> {
                int c = compile(s.cond(), bind), a = compile(s.a(), bind);
                yield new Sel(c, a, compile(s.b(), bind));
            }
            case Expr.Cast c -> c.toInt() ? new CastI(compile(c.x(), bind)) : nodes.get(compile(c.x(), bind));
            case Expr.Noise nz -> new Rand(nz.distribution(), (float) nz.a(), (float) nz.b(), nz.stream());
        };
        nodes.add(n);
        return nodes.size() - 1;
    }

    /** Whether work unit u of this loop covers the same elements as work unit u of {@code other}. */
    boolean sameUnits(FusedLoop other) { return java.util.Arrays.equals(shape, other.shape); }

    /** Work units: each row of the coalesced index space is cut into CHUNK-sized pieces, so one long row still parallelises. */
    int rows() {
        int r = 1;
        for (int k = 0; k < shape.length - 1; k++) r *= shape[k];
        return r * chunksPerRow();
    }

    private int chunksPerRow() { return (shape[shape.length - 1] + CHUNK - 1) / CHUNK; }

    /** Evaluates work units [from, to); {@code scratch} holds one CHUNK-sized array per node. */
    void run(int from, int to, float[][] scratch, long seed) {
        int[] rowBase = new int[operandCount()];
        for (int unit = from; unit < to; unit++) runUnit(unit, scratch, rowBase, seed);
    }

    /** Offsets per operand a caller keeps to evaluate units or spans without allocating. */
    int operandCount() { return bases.length; }

    /** Evaluates work unit {@code unit}; {@code rowBase} is scratch of at least {@link #operandCount()} ints. */
    void runUnit(int unit, float[][] scratch, int[] rowBase, long seed) {
        int per = chunksPerRow(), row = unit / per, c0 = (unit % per) * CHUNK;
        rowBases(row, rowBase);
        span(row, c0, Math.min(CHUNK, shape[shape.length - 1] - c0), rowBase, scratch, seed);
    }

    /** Whether the index space kept the output's two axes apart, so {@link #runSpan} can address (row, column). */
    boolean hasRows() { return shape.length == 2; }

    /** Evaluates row {@code row}, columns [c0, c0 + len) with len ≤ {@value #CHUNK}; {@code rowBase} as for {@link #runUnit}. */
    void runSpan(int row, int c0, int len, float[][] scratch, int[] rowBase, long seed) {
        rowBases(row, rowBase);
        span(row, c0, len, rowBase, scratch, seed);
    }

    /** Offsets of row {@code row} (a multi-index over the outer axes, innermost outer axis first) in every operand. */
    private void rowBases(int row, int[] rowBase) {
        for (int o = 0; o < bases.length; o++) rowBase[o] = bases[o];
        int r = row;
        for (int k = shape.length - 2; k >= 0; k--) {
            int i = r % shape[k];
            r /= shape[k];
            for (int o = 0; o < bases.length; o++) rowBase[o] += i * strides[o][k];
        }
    }

    private void span(int row, int c0, int len, int[] rowBase, float[][] scratch, long seed) {
        long flat0 = (long) row * shape[shape.length - 1] + c0;
        for (int i = 0; i < nodes.size(); i++) eval(i, nodes.get(i), scratch, len, rowBase, c0, flat0, seed);
        float[] res = scratch[root];
        int os = strides[0][shape.length - 1];
        int ob = rowBase[0] + c0 * os;
        float[] dst = out.data();
        if (os == 1) System.arraycopy(res, 0, dst, ob, len);
        else for (int j = 0; j < len; j++) dst[ob + j * os] = res[j];
    }

    private void eval(int slot, Node n, float[][] s, int len, int[] rowBase, int c0, long flat0, long seed) {
        float[] y = s[slot];
        switch (n) {
            case Load l -> {
                Strided src = loads.get(l.operand());
                int st = strides[l.operand() + 1][shape.length - 1];
                int b = rowBase[l.operand() + 1] + c0 * st;
                float[] d = src.data();
                if (st == 1) System.arraycopy(d, b, y, 0, len);
                else if (st == 0) java.util.Arrays.fill(y, 0, len, d[b]);
                else for (int j = 0; j < len; j++) y[j] = d[b + j * st];
            }
            case Const c -> java.util.Arrays.fill(y, 0, len, c.v());
            case Un u -> unary(u.fn(), s[u.x()], y, len);
            case Leaky l -> {
                float[] x = s[l.x()];
                float a = l.alpha();
                for (int j = 0; j < len; j++) y[j] = Math.max(x[j], a * x[j]);
            }
            case Bin b -> binary(b.fn(), s[b.a()], s[b.b()], y, len);
            case Sel c -> {
                float[] cc = s[c.c()], a = s[c.a()], bb = s[c.b()];
                for (int j = 0; j < len; j++) y[j] = cc[j] != 0 ? a[j] : bb[j];
            }
            case CastI c -> {
                float[] x = s[c.x()];
                for (int j = 0; j < len; j++) y[j] = (float) (int) x[j];
            }
            case Rand r -> Noise.fill(y, len, seed, r.stream(), flat0, r.dist(), r.a(), r.b());
        }
    }

    static void unary(Op.UnaryFn fn, float[] x, float[] y, int n) {
        switch (fn) {
            case NEG -> { for (int j = 0; j < n; j++) y[j] = -x[j]; }
            case EXP -> { for (int j = 0; j < n; j++) y[j] = (float) Math.exp(x[j]); }
            case LOG -> { for (int j = 0; j < n; j++) y[j] = (float) Math.log(x[j]); }
            case SQRT -> { for (int j = 0; j < n; j++) y[j] = (float) Math.sqrt(x[j]); }
            case RSQRT -> { for (int j = 0; j < n; j++) y[j] = (float) (1.0 / Math.sqrt(x[j])); }
            case TANH -> { for (int j = 0; j < n; j++) y[j] = (float) Math.tanh(x[j]); }
            case SIGMOID -> { for (int j = 0; j < n; j++) y[j] = (float) (1.0 / (1.0 + Math.exp(-x[j]))); }
            case RELU -> { for (int j = 0; j < n; j++) y[j] = Math.max(x[j], 0f); }
            case ABS -> { for (int j = 0; j < n; j++) y[j] = Math.abs(x[j]); }
            case SQUARE -> { for (int j = 0; j < n; j++) y[j] = x[j] * x[j]; }
            case RECIP -> { for (int j = 0; j < n; j++) y[j] = 1f / x[j]; }
            case STEP -> { for (int j = 0; j < n; j++) y[j] = x[j] > 0 ? 1f : 0f; }
        }
    }

    static void binary(Op.BinaryFn fn, float[] a, float[] b, float[] y, int n) {
        switch (fn) {
            case ADD -> { for (int j = 0; j < n; j++) y[j] = a[j] + b[j]; }
            case SUB -> { for (int j = 0; j < n; j++) y[j] = a[j] - b[j]; }
            case MUL -> { for (int j = 0; j < n; j++) y[j] = a[j] * b[j]; }
            case DIV -> { for (int j = 0; j < n; j++) y[j] = a[j] / b[j]; }
            case MAX -> { for (int j = 0; j < n; j++) y[j] = Math.max(a[j], b[j]); }
            case MIN -> { for (int j = 0; j < n; j++) y[j] = Math.min(a[j], b[j]); }
            case POW -> { for (int j = 0; j < n; j++) y[j] = (float) Math.pow(a[j], b[j]); }
            case GT -> { for (int j = 0; j < n; j++) y[j] = a[j] > b[j] ? 1f : 0f; }
            case GE -> { for (int j = 0; j < n; j++) y[j] = a[j] >= b[j] ? 1f : 0f; }
            case LT -> { for (int j = 0; j < n; j++) y[j] = a[j] < b[j] ? 1f : 0f; }
            case LE -> { for (int j = 0; j < n; j++) y[j] = a[j] <= b[j] ? 1f : 0f; }
            case EQ -> { for (int j = 0; j < n; j++) y[j] = a[j] == b[j] ? 1f : 0f; }
        }
    }

    int nodeCount() { return nodes.size(); }
}
