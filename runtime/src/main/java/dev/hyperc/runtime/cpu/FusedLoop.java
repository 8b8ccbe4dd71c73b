package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs a fused elementwise kernel. The output's index space is coalesced (adjacent axes merge where
 * every operand walks them contiguously), then split into rows along the last axis; each row is
 * evaluated in spans of up to {@value #CHUNK} elements, node by node, each node one vector loop
 * ({@link ElementwiseOps}), so an operator costs a tight loop rather than a call per element.
 *
 * <p>Three things keep memory traffic down, since these loops are memory-bound (Adam over a generator head):
 * <ul>
 *   <li>a node that is constant along the row (a stride-0 load, a constant, anything computed only from
 *       those) is <em>uniform</em>: evaluated once per span as a scalar and broadcast in its consumers;</li>
 *   <li>a select on a uniform condition evaluates only the branch it takes, and passes that branch's
 *       result on without a copy (the guarded optimizer update: usually "take the new value");</li>
 *   <li>a unit-stride load is read in place rather than copied into scratch, and the root writes
 *       straight into the output when the output is unit-stride.</li>
 * </ul>
 * What the root stores is flushed to zero where subnormal ({@link ElementwiseOps#flush}: the FTZ mode the JVM cannot
 * set). Every vector operation used is exactly rounded (add, mul, div, sqrt, min/max, compare), so results do
 * not depend on whether the JIT has compiled the Vector API intrinsics yet; transcendentals stay scalar
 * {@link Math} calls for the same reason.
 */
final class FusedLoop {
    static final int CHUNK = 512;

    /** A compiled node. */
    private sealed interface Node permits Load, Const, Un, Leaky, Bin, Sel, CastI, Rand {}

    private record Load(int operand) implements Node {}

    private record Const(float v) implements Node {}

    private record Un(Op.UnaryFn fn, int x) implements Node {}

    private record Leaky(float alpha, int x) implements Node {}

    private record Bin(Op.BinaryFn fn, int a, int b) implements Node {}

    private record Sel(int c, int a, int b) implements Node {}

    private record CastI(int x) implements Node {}

    private record Rand(Init.Distribution dist, float a, float b, int stream) implements Node {}

    /**
     * One thread's working memory: a scratch span per node, and where each node's value of the current span lives
     * (an array and offset, or a scalar for uniform nodes). Allocated once per thread and reused.
     */
    static final class Frame {
        final float[][] chunk;
        final float[][] arr;
        final int[] off;
        final float[] uv;
        final int[] rowBase;
        /** Stream offsets and scalars of a compiled span. */
        final int[] offsets;
        final float[] scalars;

        Frame(int nodes, int operands) {
            int n = Math.max(1, nodes);
            chunk = new float[n][CHUNK];
            arr = new float[n][];
            off = new int[n];
            uv = new float[n];
            rowBase = new int[Math.max(1, operands)];
            offsets = new int[Math.max(1, operands)];
            scalars = new float[n];
        }

        boolean fits(int nodes, int operands) { return chunk.length >= nodes && rowBase.length >= operands; }
    }

    private final Strided out;
    private final List<Strided> loads = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final int root;
    /** Coalesced index space: shape and per-operand strides (operand 0 = the output, then the loads). */
    private final int[] shape;
    private final int[][] strides;
    /** Per operand, offsets along the (merged) last axis where it is not walked linearly (its stride there is TABLE). */
    private final int[][] tables;
    private final int[] bases;
    /** Rows shorter than this merge with the rows after them. */
    static final int MIN_ROW = 64;
    /** Longest merged row (offset tables are this long at most). */
    static final int MAX_TABLE = 1 << 14;
    /** The last-axis stride of an operand read through its offset table: matches neither 0 (uniform) nor 1 (in place). */
    private static final int TABLE = Integer.MIN_VALUE;
    /** Per node: constant along a row, so computed once per span. */
    private final boolean[] uniform;
    /** Per load: read in place (unit stride, and not overlapping the output at other elements). */
    private final boolean[] inPlace;

    FusedLoop(Strided out, Expr expr, Function<BufferRef, Strided> bind) {
        this(out, expr, bind, List.of(), false);
    }

    /**
     * A loop whose axes also stay apart wherever one of {@code alsoWalk} (stride vectors over the output's shape) does
     * not walk them contiguously. The parts of a {@link dev.hyperc.compiler.lower.Kernel.FusedGroup} pass each other's
     * strides, so they all coalesce to one index space and work unit u means the same elements in every part.
     * {@code keepRows}: never merge short rows ({@link #MIN_ROW}), so that (row, column) keeps addressing the
     * output's last two axes (a product's epilogue, applied block by block).
     */
    FusedLoop(Strided out, Expr expr, Function<BufferRef, Strided> bind, List<int[]> alsoWalk, boolean keepRows) {
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
        // Short rows: a span costs ~0.1 µs of set-up whatever its length, which dominates rows of a few elements (a
        // gradient broadcast over 2×2 pixels ran at ~30 ns per element). Trailing axes merge into one row of at least
        // MIN_ROW elements (splitting an axis where a divisor allows); an operand that does not walk the merged row
        // linearly reads (or the output writes) it through a table of offsets.
        int tailAxes = 1;
        long tail = dims.get(dims.size() - 1);
        while (!keepRows && tail < MIN_ROW && tailAxes < dims.size()) {
            int k = dims.size() - 1 - tailAxes, size = dims.get(k), d = size;
            for (int div = 2; div < size; div++) {
                if (size % div == 0 && div * tail >= MIN_ROW) { d = div; break; }
            }
            if (d < size) { // split axis k into (size / d, d) and take the inner part
                int[] col = cols.get(k), outer = new int[all];
                for (int o = 0; o < all; o++) outer[o] = col[o] * d;
                dims.set(k, d);
                dims.add(k, size / d);
                cols.add(k, outer);
            }
            tail *= d;
            tailAxes++;
        }
        if (tailAxes > 1 && tail > MAX_TABLE) tailAxes = 1; // a long merged row would need a large table: keep short rows
        int outerAxes = dims.size() - tailAxes;
        shape = new int[outerAxes + 1];
        strides = new int[ops][shape.length];
        tables = new int[ops][];
        for (int k = 0; k < outerAxes; k++) {
            shape[k] = dims.get(k);
            for (int o = 0; o < ops; o++) strides[o][k] = cols.get(k)[o];
        }
        shape[outerAxes] = (int) tail;
        for (int o = 0; o < ops; o++) {
            boolean linear = true;
            for (int k = outerAxes; k < dims.size() - 1 && linear; k++) linear = cols.get(k)[o] == cols.get(k + 1)[o] * dims.get(k + 1);
            if (linear) {
                strides[o][outerAxes] = cols.get(dims.size() - 1)[o];
                continue;
            }
            strides[o][outerAxes] = TABLE;
            int[] t = new int[(int) tail];
            for (int j = 0; j < t.length; j++) {
                int rest = j, off = 0;
                for (int k = dims.size() - 1; k >= outerAxes; k--) {
                    off += (rest % dims.get(k)) * cols.get(k)[o];
                    rest /= dims.get(k);
                }
                t[j] = off;
            }
            tables[o] = t;
        }
        bases = new int[ops];
        bases[0] = out.base();
        for (int i = 0; i < loads.size(); i++) bases[i + 1] = loads.get(i).base();
        int last = shape.length - 1;
        inPlace = new boolean[loads.size()];
        for (int i = 0; i < inPlace.length; i++) inPlace[i] = strides[i + 1][last] == 1 && !overlapsOutputElsewhere(loads.get(i));
        uniform = new boolean[nodes.size()];
        for (int i = 0; i < uniform.length; i++) {
            uniform[i] = switch (nodes.get(i)) {
                case Load l -> strides[l.operand() + 1][last] == 0;
                case Const c -> true;
                case Un u -> uniform[u.x()];
                case Leaky l -> uniform[l.x()];
                case Bin b -> uniform[b.a()] && uniform[b.b()];
                case Sel s -> uniform[s.c()] && uniform[s.a()] && uniform[s.b()];
                case CastI c -> uniform[c.x()];
                case Rand r -> false;
            };
        }
    }

    /**
     * Whether a load may see elements of the output other than the one being written. Writing the root straight into
     * the output is only safe when every in-place operand sharing its memory reads exactly the element written (an
     * in-place update); anything else is copied into scratch first, before any element of the span is written.
     */
    private boolean overlapsOutputElsewhere(Strided load) {
        if (load.data() != out.data()) return false;
        if (load.base() == out.base() && java.util.Arrays.equals(load.strides(), out.strides())) return false;
        long lo1 = load.base(), hi1 = load.end(), lo2 = out.base(), hi2 = out.end();
        return lo1 < hi2 && lo2 < hi1;
    }

    private int compile(Expr e, Function<BufferRef, Strided> bind) {
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

    // ------------------------------------------------------------------ compiled form (SpanCompiler)

    /** Stream ids of the output and of each load (-1: not a stream), and the uniform nodes passed as scalars. */
    private int outStream = -1;
    private int[] loadStream;
    private int[] leafNode = new int[0], leafSlot = new int[0];

    /**
     * Whether {@link SpanCompiler} can run this loop: a unit-stride output, unit-stride (in-place) or uniform operands,
     * and only operators with an exactly rounded vector form outside the uniform nodes (those the interpreter's
     * scalar path evaluates once per span).
     */
    boolean compilable() {
        if (strides[0][shape.length - 1] != 1) return false;
        for (int i = 0; i < nodes.size(); i++) {
            if (uniform[i]) continue;
            boolean ok = switch (nodes.get(i)) {
                case Load l -> inPlace[l.operand()];
                case Un u -> SpanProgram.vectorizes(u.fn());
                case Bin b -> SpanProgram.vectorizes(b.fn());
                case Leaky l -> true;
                case Sel sel -> true;
                case Const c -> true;
                case CastI c -> false;
                case Rand r -> false;
            };
            if (!ok) return false;
        }
        return true;
    }

    /** Adds this loop to a program: its loads, its operators and the store of its root into the output. */
    void describe(SpanProgram.Builder b, boolean elideStore) {
        loadStream = new int[loads.size()];
        java.util.Arrays.fill(loadStream, -1);
        List<Integer> leaves = new ArrayList<>(), slots = new ArrayList<>();
        int[] value = new int[nodes.size()];
        java.util.Arrays.fill(value, -1);
        int v = b.add(new SpanProgram.Flush(emit(root, b, value, leaves, slots)));
        // A store the rest of the schedule never reads is left out; later parts get the value in registers.
        if (elideStore) {
            outStream = -1;
        } else {
            outStream = b.stream(SpanProgram.View.of(out));
            b.add(new SpanProgram.Store(outStream, v));
        }
        b.stored(SpanProgram.View.of(out), v, elideStore);
        leafNode = leaves.stream().mapToInt(Integer::intValue).toArray();
        leafSlot = slots.stream().mapToInt(Integer::intValue).toArray();
    }

    private int emit(int i, SpanProgram.Builder b, int[] value, List<Integer> leaves, List<Integer> slots) {
        if (value[i] >= 0) return value[i];
        int v;
        if (uniform[i]) {
            // A scalar is read from memory before the span runs, so it must not be what an earlier part writes.
            if (nodes.get(i) instanceof Load l && b.forwarded(SpanProgram.View.of(loads.get(l.operand()))) >= 0) b.markConflict();
            int slot = b.scalarSlot();
            leaves.add(i);
            slots.add(slot);
            v = b.add(new SpanProgram.Scalar(slot));
        } else {
            v = switch (nodes.get(i)) {
                case Load l -> {
                    SpanProgram.View view = SpanProgram.View.of(loads.get(l.operand()));
                    int fwd = b.forwarded(view);
                    if (fwd >= 0) yield fwd; // what an earlier part stored at this element
                    int again = b.loadedValue(view);
                    if (again >= 0) yield again; // loaded earlier in the program
                    loadStream[l.operand()] = b.stream(view);
                    yield b.load(view);
                }
                case Un u -> b.add(new SpanProgram.Un(u.fn(), emit(u.x(), b, value, leaves, slots)));
                case Leaky l -> b.add(new SpanProgram.Leaky(l.alpha(), emit(l.x(), b, value, leaves, slots)));
                case Bin bin -> {
                    int x = emit(bin.a(), b, value, leaves, slots);
                    yield b.add(new SpanProgram.Bin(bin.fn(), x, emit(bin.b(), b, value, leaves, slots)));
                }
                case Sel sel -> {
                    int c = emit(sel.c(), b, value, leaves, slots), x = emit(sel.a(), b, value, leaves, slots);
                    yield b.add(new SpanProgram.Sel(c, x, emit(sel.b(), b, value, leaves, slots)));
                }
                case Const c -> throw new AssertionError("constants are uniform");
                case CastI c -> throw new IllegalStateException("not compilable");
                case Rand r -> throw new IllegalStateException("not compilable");
            };
        }
        value[i] = v;
        return v;
    }

    /**
     * Fills this loop's stream offsets and scalars for row {@code row}, columns [c0, c0 + len) (after
     * {@link #describe}).
     */
    void prepare(int row, int c0, Frame f, int[] offsets, float[] scalars) {
        rowBases(row, f.rowBase);
        if (outStream >= 0) offsets[outStream] = f.rowBase[0] + c0;
        for (int i = 0; i < loadStream.length; i++) if (loadStream[i] >= 0) offsets[loadStream[i]] = f.rowBase[i + 1] + c0;
        for (int k = 0; k < leafNode.length; k++) scalars[leafSlot[k]] = scalar(leafNode[k], f, c0);
    }

    /** Row and first column of work unit {@code unit}, and its length. */
    int unitRow(int unit) { return unit / chunksPerRow(); }

    int unitColumn(int unit) { return (unit % chunksPerRow()) * CHUNK; }

    int unitLength(int unit) { return Math.min(CHUNK, shape[shape.length - 1] - unitColumn(unit)); }

    /** Whether work unit u of this loop covers the same elements as work unit u of {@code other}. */
    boolean sameUnits(FusedLoop other) { return java.util.Arrays.equals(shape, other.shape); }

    /** Work units: each row of the coalesced index space is cut into CHUNK-sized pieces, so one long row still parallelises. */
    int rows() {
        int r = 1;
        for (int k = 0; k < shape.length - 1; k++) r *= shape[k];
        return r * chunksPerRow();
    }

    private int chunksPerRow() { return (shape[shape.length - 1] + CHUNK - 1) / CHUNK; }

    /** A frame big enough for this loop. */
    Frame newFrame() { return new Frame(nodeCount(), operandCount()); }

    /** Evaluates work units [from, to). */
    void run(int from, int to, Frame f, long seed) {
        for (int unit = from; unit < to; unit++) runUnit(unit, f, seed);
    }

    /** Offsets per operand a frame keeps. */
    int operandCount() { return bases.length; }

    /** Evaluates work unit {@code unit}. */
    void runUnit(int unit, Frame f, long seed) {
        int per = chunksPerRow(), row = unit / per, c0 = (unit % per) * CHUNK;
        rowBases(row, f.rowBase);
        span(row, c0, Math.min(CHUNK, shape[shape.length - 1] - c0), f, seed);
    }

    /** Whether the index space kept the output's two axes apart, so {@link #runSpan} can address (row, column). */
    boolean hasRows() { return shape.length == 2; }

    /** Evaluates row {@code row}, columns [c0, c0 + len) with len ≤ {@value #CHUNK}. */
    void runSpan(int row, int c0, int len, Frame f, long seed) {
        rowBases(row, f.rowBase);
        span(row, c0, len, f, seed);
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

    private void span(int row, int c0, int len, Frame f, long seed) {
        long flat0 = (long) row * shape[shape.length - 1] + c0;
        int last = shape.length - 1;
        int os = strides[0][last];
        float[] dst = out.data();
        if (os == TABLE) { // the output is not walked linearly along the merged row
            int[] t = tables[0];
            int ob = f.rowBase[0];
            if (uniform[root]) {
                float v = ElementwiseOps.flush(scalar(root, f, c0));
                for (int j = 0; j < len; j++) dst[ob + t[c0 + j]] = v;
                return;
            }
            resolve(root, len, f, c0, flat0, seed);
            float[] res = f.arr[root];
            int ro = f.off[root];
            for (int j = 0; j < len; j++) dst[ob + t[c0 + j]] = ElementwiseOps.flush(res[ro + j]);
            return;
        }
        int ob = f.rowBase[0] + c0 * os;
        if (uniform[root]) {
            float v = ElementwiseOps.flush(scalar(root, f, c0));
            if (os == 1) java.util.Arrays.fill(dst, ob, ob + len, v);
            else for (int j = 0; j < len; j++) dst[ob + j * os] = v;
            return;
        }
        if (os == 1 && computes(root, f, c0)) {
            compute(root, dst, ob, len, f, c0, flat0, seed);
            ElementwiseOps.flush(dst, ob, len);
            return;
        }
        resolve(root, len, f, c0, flat0, seed);
        float[] res = f.arr[root];
        int ro = f.off[root];
        if (os == 1) {
            if (res != dst || ro != ob) System.arraycopy(res, ro, dst, ob, len);
            ElementwiseOps.flush(dst, ob, len);
        } else {
            for (int j = 0; j < len; j++) dst[ob + j * os] = ElementwiseOps.flush(res[ro + j]);
        }
    }

    /** Whether node i's value is computed by an operation (rather than read in place or passed on from a branch). */
    private boolean computes(int i, Frame f, int c0) {
        return switch (nodes.get(i)) {
            case Load l -> !inPlace[l.operand()];
            case Sel s -> !uniform[s.c()] || computes(scalar(s.c(), f, c0) != 0 ? s.a() : s.b(), f, c0);
            default -> true;
        };
    }

    /** The value of a uniform node for the current span. */
    private float scalar(int i, Frame f, int c0) {
        return switch (nodes.get(i)) {
            case Load l -> loads.get(l.operand()).data()[f.rowBase[l.operand() + 1] + c0 * strides[l.operand() + 1][shape.length - 1]];
            case Const c -> c.v();
            case Un u -> ElementwiseOps.unary(u.fn(), scalar(u.x(), f, c0));
            case Leaky l -> {
                float x = scalar(l.x(), f, c0);
                yield Math.max(x, l.alpha() * x);
            }
            case Bin b -> ElementwiseOps.binary(b.fn(), scalar(b.a(), f, c0), scalar(b.b(), f, c0));
            case Sel s -> scalar(s.c(), f, c0) != 0 ? scalar(s.a(), f, c0) : scalar(s.b(), f, c0);
            case CastI c -> (float) (int) scalar(c.x(), f, c0);
            case Rand r -> throw new AssertionError("noise is never uniform");
        };
    }

    /** Makes node i's value for the span available at f.arr[i], f.off[i] (for a uniform node: f.uv[i]). */
    private void resolve(int i, int len, Frame f, int c0, long flat0, long seed) {
        if (uniform[i]) {
            f.uv[i] = scalar(i, f, c0);
            return;
        }
        Node n = nodes.get(i);
        if (n instanceof Load l && inPlace[l.operand()]) {
            f.arr[i] = loads.get(l.operand()).data();
            f.off[i] = f.rowBase[l.operand() + 1] + c0;
            return;
        }
        if (n instanceof Sel s && uniform[s.c()]) {
            int taken = scalar(s.c(), f, c0) != 0 ? s.a() : s.b();
            resolve(taken, len, f, c0, flat0, seed);
            if (uniform[taken]) {
                java.util.Arrays.fill(f.chunk[i], 0, len, f.uv[taken]);
                f.arr[i] = f.chunk[i];
                f.off[i] = 0;
            } else {
                f.arr[i] = f.arr[taken];
                f.off[i] = f.off[taken];
            }
            return;
        }
        compute(i, f.chunk[i], 0, len, f, c0, flat0, seed);
        f.arr[i] = f.chunk[i];
        f.off[i] = 0;
    }

    /** Computes the non-uniform node i for the span into y[yo, yo + len). */
    private void compute(int i, float[] y, int yo, int len, Frame f, int c0, long flat0, long seed) {
        switch (nodes.get(i)) {
            case Load l -> {
                Strided src = loads.get(l.operand());
                int st = strides[l.operand() + 1][shape.length - 1];
                float[] d = src.data();
                if (st == TABLE) {
                    int[] t = tables[l.operand() + 1];
                    int b = f.rowBase[l.operand() + 1];
                    for (int j = 0; j < len; j++) y[yo + j] = d[b + t[c0 + j]];
                    return;
                }
                int b = f.rowBase[l.operand() + 1] + c0 * st;
                if (st == 1) System.arraycopy(d, b, y, yo, len);
                else for (int j = 0; j < len; j++) y[yo + j] = d[b + j * st];
            }
            case Un u -> {
                resolve(u.x(), len, f, c0, flat0, seed);
                ElementwiseOps.unary(u.fn(), f.arr[u.x()], f.off[u.x()], y, yo, len);
            }
            case Leaky lr -> {
                resolve(lr.x(), len, f, c0, flat0, seed);
                ElementwiseOps.leakyRelu(lr.alpha(), f.arr[lr.x()], f.off[lr.x()], y, yo, len);
            }
            case Bin b -> {
                resolve(b.a(), len, f, c0, flat0, seed);
                resolve(b.b(), len, f, c0, flat0, seed);
                boolean ua = uniform[b.a()], ub = uniform[b.b()];
                if (ua) ElementwiseOps.binary(b.fn(), f.uv[b.a()], f.arr[b.b()], f.off[b.b()], y, yo, len);
                else if (ub) ElementwiseOps.binary(b.fn(), f.arr[b.a()], f.off[b.a()], f.uv[b.b()], y, yo, len);
                else ElementwiseOps.binary(b.fn(), f.arr[b.a()], f.off[b.a()], f.arr[b.b()], f.off[b.b()], y, yo, len);
            }
            case Sel s -> {
                if (uniform[s.c()]) {
                    int taken = scalar(s.c(), f, c0) != 0 ? s.a() : s.b();
                    if (uniform[taken]) java.util.Arrays.fill(y, yo, yo + len, scalar(taken, f, c0));
                    else compute(taken, y, yo, len, f, c0, flat0, seed);
                    return;
                }
                resolve(s.c(), len, f, c0, flat0, seed);
                resolve(s.a(), len, f, c0, flat0, seed);
                resolve(s.b(), len, f, c0, flat0, seed);
                ElementwiseOps.select(f.arr[s.c()], f.off[s.c()], operand(s.a(), len, f), f.off[s.a()], operand(s.b(), len, f), f.off[s.b()],
                        y, yo, len);
            }
            case CastI c -> {
                resolve(c.x(), len, f, c0, flat0, seed);
                float[] x = f.arr[c.x()];
                int xo = f.off[c.x()];
                for (int j = 0; j < len; j++) y[yo + j] = (float) (int) x[xo + j];
            }
            case Rand r -> Noise.fill(y, yo, len, seed, r.stream(), flat0, r.dist(), r.a(), r.b());
            case Const c -> throw new AssertionError("constants are uniform");
        }
    }

    /** Node i's resolved value as an array (a uniform value spread over its scratch span). */
    private float[] operand(int i, int len, Frame f) {
        if (uniform[i]) {
            java.util.Arrays.fill(f.chunk[i], 0, len, f.uv[i]);
            f.off[i] = 0;
            return f.chunk[i];
        }
        return f.arr[i];
    }

    int nodeCount() { return nodes.size(); }

    /** Elements per row of the index space (after short rows merged). */
    int rowLength() { return shape[shape.length - 1]; }
}
