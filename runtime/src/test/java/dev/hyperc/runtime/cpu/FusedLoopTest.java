package dev.hyperc.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The vector loops of {@link ElementwiseOps} against their scalar forms, bit for bit, and {@link FusedLoop}'s shortcuts
 * (uniform nodes, selects on a uniform condition, operands read in place, direct writes) against plain per-element
 * evaluation, including views that overlap the output.
 */
class FusedLoopTest {
    private static final int[] LENGTHS = {1, 2, 7, 15, 16, 17, 31, 33, 64, 100, 511, 512};

    private static float[] data(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (r.nextInt(14)) {
                case 12 -> (float) (r.nextGaussian() * 1e-20); // products of two of these are subnormal
                case 13 -> Float.MIN_VALUE * (r.nextInt(9) - 4); // subnormal (or zero) operands
                case 0 -> 0f;
                case 1 -> -0f;
                case 2 -> Float.NaN;
                case 3 -> Float.POSITIVE_INFINITY;
                case 4 -> 1f;
                default -> (float) (r.nextGaussian() * 3);
            };
        }
        return x;
    }

    private static void assertSameBits(float expected, float actual, String what) {
        if (Float.isNaN(expected) && Float.isNaN(actual)) return;
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": expected " + expected + ", got " + actual);
    }

    @Test
    void vectorLoopsEqualTheScalarFormsBitForBit() {
        Random r = new Random(7);
        for (int n : LENGTHS) {
            // Offsets that are not multiples of the vector length, as in-place operands have.
            float[] a = data(r, n + 5), b = data(r, n + 3), y = new float[n + 9];
            float s = (float) r.nextGaussian();
            for (Op.BinaryFn fn : Op.BinaryFn.values()) {
                ElementwiseOps.binary(fn, a, 5, b, 3, y, 9, n);
                for (int j = 0; j < n; j++) assertSameBits(ElementwiseOps.binary(fn, a[5 + j], b[3 + j]), y[9 + j], fn + " AA n=" + n + " j=" + j);
                ElementwiseOps.binary(fn, a, 5, s, y, 9, n);
                for (int j = 0; j < n; j++) assertSameBits(ElementwiseOps.binary(fn, a[5 + j], s), y[9 + j], fn + " AS n=" + n + " j=" + j);
                ElementwiseOps.binary(fn, s, b, 3, y, 9, n);
                for (int j = 0; j < n; j++) assertSameBits(ElementwiseOps.binary(fn, s, b[3 + j]), y[9 + j], fn + " SA n=" + n + " j=" + j);
            }
            for (Op.UnaryFn fn : Op.UnaryFn.values()) {
                ElementwiseOps.unary(fn, a, 5, y, 9, n);
                for (int j = 0; j < n; j++) assertSameBits(ElementwiseOps.unary(fn, a[5 + j]), y[9 + j], fn + " n=" + n + " j=" + j);
            }
            float[] c = data(r, n);
            ElementwiseOps.select(c, 0, a, 5, b, 3, y, 9, n);
            for (int j = 0; j < n; j++) assertSameBits(c[j] != 0 ? a[5 + j] : b[3 + j], y[9 + j], "select n=" + n + " j=" + j);
            ElementwiseOps.leakyRelu(0.1f, a, 5, y, 9, n);
            for (int j = 0; j < n; j++) assertSameBits(Math.max(a[5 + j], 0.1f * a[5 + j]), y[9 + j], "leaky n=" + n + " j=" + j);
        }
    }

    /** Buffers by id; buffer 0 is the output's. */
    private static Function<BufferRef, Strided> binder(float[][] buffers) {
        return ref -> Strided.of(buffers[ref.buffer()], 0, ref);
    }

    private static void runAll(FusedLoop loop) {
        FusedLoop.Frame f = loop.newFrame();
        loop.run(0, loop.rows(), f, 1);
    }

    @Test
    void guardedUpdateTakesTheBranchItsUniformConditionNames() {
        long[] shape = {3, 1030};
        for (float guard : new float[] {1f, 0f}) {
            float[] p = new float[3 * 1030], g = new float[3 * 1030];
            Random r = new Random(3);
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) r.nextGaussian();
                g[i] = (float) r.nextGaussian();
            }
            float[] before = p.clone();
            float[][] bufs = {p, g, {guard}, {0.5f}};
            BufferRef pr = BufferRef.contiguous(0, 0, shape), gr = BufferRef.contiguous(1, 0, shape);
            BufferRef cond = new BufferRef(2, 0, shape, new long[] {0, 0}), lr = new BufferRef(3, 0, shape, new long[] {0, 0});
            // p = guard ? p - lr * g : p, written in place
            Expr e = new Expr.Select(new Expr.Load(cond),
                    new Expr.Binary(Op.BinaryFn.SUB, new Expr.Load(pr), new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(lr), new Expr.Load(gr))),
                    new Expr.Load(pr));
            runAll(new FusedLoop(Strided.of(p, 0, pr), e, binder(bufs)));
            for (int i = 0; i < p.length; i++) {
                float want = guard != 0 ? before[i] - 0.5f * g[i] : before[i];
                assertSameBits(want, p[i], "guard " + guard + " element " + i);
            }
        }
    }

    @Test
    void operandsOverlappingTheOutputAtOtherElementsAreReadBeforeAnyWrite() {
        // out[i] = x[i + shift] * 2 (the root reads the view itself), where out and x are views of one array, within one work unit (the scheduler
        // never overlaps live buffers across units; in-place updates read exactly the element they write).
        for (int shift : new int[] {1, -1, 17, -17}) {
            int n = FusedLoop.CHUNK - 20;
            float[] mem = new float[n + 40];
            for (int i = 0; i < mem.length; i++) mem[i] = i * 0.25f;
            float[] orig = mem.clone();
            int outBase = 20, inBase = 20 + shift;
            float[][] bufs = {mem};
            BufferRef out = BufferRef.contiguous(0, outBase, new long[] {n});
            BufferRef in = BufferRef.contiguous(0, inBase, new long[] {n});
            Expr e = new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(in), new Expr.Scalar(2));
            runAll(new FusedLoop(Strided.of(mem, 0, out), e, binder(bufs)));
            for (int i = 0; i < n; i++) assertSameBits(orig[inBase + i] * 2, mem[outBase + i], "shift " + shift + " element " + i);
        }
    }

    @Test
    void stridedAndBroadcastOperandsAndTransposedOutput() {
        int rows = 37, cols = 45;
        Random r = new Random(11);
        float[] x = data(r, rows * cols), bias = data(r, cols), col = data(r, rows), out = new float[rows * cols];
        float[][] bufs = {out, x, bias, col};
        long[] shape = {rows, cols};
        // out viewed transposed: element (i, j) of the kernel lands at out[j * rows + i].
        BufferRef outT = new BufferRef(0, 0, shape, new long[] {1, rows});
        BufferRef xr = BufferRef.contiguous(1, 0, shape);
        BufferRef xt = new BufferRef(1, 0, shape, new long[] {1, rows}); // reads x transposed: a strided load
        BufferRef b = new BufferRef(2, 0, shape, new long[] {0, 1});
        BufferRef c = new BufferRef(3, 0, shape, new long[] {1, 0});
        Expr e = new Expr.Select(new Expr.Binary(Op.BinaryFn.GT, new Expr.Load(xr), new Expr.Load(c)),
                new Expr.Unary(Op.UnaryFn.RELU, new Expr.Binary(Op.BinaryFn.ADD, new Expr.Load(xr), new Expr.Load(b))),
                new Expr.Binary(Op.BinaryFn.DIV, new Expr.Load(xt), new Expr.Unary(Op.UnaryFn.SQRT, new Expr.Load(c))));
        runAll(new FusedLoop(Strided.of(out, 0, outT), e, binder(bufs)));
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float xv = x[i * cols + j];
                float want = xv > col[i] ? Math.max(xv + bias[j], 0f) : x[j * rows + i] / (float) Math.sqrt(col[i]);
                assertSameBits(ElementwiseOps.flush(want), out[j * rows + i], "(" + i + "," + j + ")");
            }
        }
    }

    @Test
    void shortRowsMergeAcrossAxesAndBroadcastOperandsReadThroughTables() {
        // [5, 7, 3, 2] coalesces to rows of 3·2 = 6; 35 = 5·7 has no divisor d < 35 with 6·d ≥ 64, so the whole space
        // becomes one row of 210. b is one value per (n, c), broadcast over the pixels; c one per pixel.
        Random r = new Random(21);
        int n = 5, ch = 7, h = 3, w = 2, total = n * ch * h * w;
        long[] shape = {n, ch, h, w};
        float[] a = data(r, total), bv = data(r, n * ch), cv = data(r, h * w);
        for (boolean transposedOut : new boolean[] {false, true}) {
            float[] out = new float[total];
            float[][] bufs = {out, a, bv, cv};
            // transposed: element (i, c, p, q) lands at out[((q·h + p)·ch + c)·n + i]
            BufferRef o = transposedOut ? new BufferRef(0, 0, shape, new long[] {1, n, (long) n * ch, (long) n * ch * h}) : BufferRef.contiguous(0, 0, shape);
            Expr e = new Expr.Binary(Op.BinaryFn.ADD,
                    new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(BufferRef.contiguous(1, 0, shape)), new Expr.Load(new BufferRef(2, 0, shape, new long[] {ch, 1, 0, 0}))),
                    new Expr.Load(new BufferRef(3, 0, shape, new long[] {0, 0, w, 1})));
            FusedLoop loop = new FusedLoop(Strided.of(out, 0, o), e, binder(bufs));
            org.junit.jupiter.api.Assertions.assertEquals(total, loop.rowLength(), "short rows merged into one");
            runAll(loop);
            for (int i = 0; i < n; i++) for (int c = 0; c < ch; c++) for (int p = 0; p < h; p++) for (int q = 0; q < w; q++) {
                int flat = ((i * ch + c) * h + p) * w + q;
                float want = ElementwiseOps.flush(a[flat] * bv[i * ch + c] + cv[p * w + q]);
                int at = transposedOut ? ((q * h + p) * ch + c) * n + i : flat;
                assertSameBits(want, out[at], "transposed " + transposedOut + " (" + i + "," + c + "," + p + "," + q + ")");
            }
        }
        // An axis with a divisor splits: [4096, 4] takes 16 of the 4096 rows at a time (16 · 4 = 64).
        long[] tall = {4096, 4};
        float[][] bufs = {new float[4096 * 4], data(r, 4096)};
        FusedLoop loop = new FusedLoop(Strided.of(bufs[0], 0, BufferRef.contiguous(0, 0, tall)),
                new Expr.Unary(Op.UnaryFn.NEG, new Expr.Load(new BufferRef(1, 0, tall, new long[] {1, 0}))), binder(bufs));
        org.junit.jupiter.api.Assertions.assertEquals(64, loop.rowLength());
        runAll(loop);
        for (int i = 0; i < 4096 * 4; i++) assertSameBits(ElementwiseOps.flush(-bufs[1][i / 4]), bufs[0][i], "tall element " + i);
    }

    @Test
    void groupPartsSeeEachOthersOutputsAtTheSameElement() {
        // m = 0.9 m + 0.1 g; p = p - m (reads the new m), as Adam's parts do.
        int n = 2049;
        Random r = new Random(5);
        float[] m = data(r, n), g = data(r, n), p = data(r, n);
        float[] m0 = m.clone(), p0 = p.clone();
        float[][] bufs = {m, g, p};
        long[] shape = {n};
        BufferRef mr = BufferRef.contiguous(0, 0, shape), gr = BufferRef.contiguous(1, 0, shape), pr = BufferRef.contiguous(2, 0, shape);
        Kernel.Fused mPart = new Kernel.Fused(mr, new Expr.Binary(Op.BinaryFn.ADD, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(mr), new Expr.Scalar(0.9)),
                new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(gr), new Expr.Scalar(0.1))), null);
        Kernel.Fused pPart = new Kernel.Fused(pr, new Expr.Binary(Op.BinaryFn.SUB, new Expr.Load(pr), new Expr.Load(mr)), null);
        ElementwiseParts parts = new ElementwiseParts(List.of(mPart, pPart), binder(bufs));
        try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
            FusedLoop.Frame[] frames = {parts.newFrame(), parts.newFrame()};
            parts.run(pool, t -> frames[t], 1);
        }
        for (int i = 0; i < n; i++) {
            float mi = ElementwiseOps.flush(m0[i] * 0.9f + g[i] * 0.1f); // stored values are flushed
            assertSameBits(mi, m[i], "m " + i);
            assertSameBits(ElementwiseOps.flush(p0[i] - mi), p[i], "p " + i);
        }
    }

    @Test
    void columnSumsSplitOverThreadsEqualTheSerialSumsInDouble() {
        // A bias gradient: sum over the batch axis of [rows, cols], cols large enough to be split over threads.
        int rows = 5, cols = 9001;
        Random r = new Random(13);
        float[] x = data(r, rows * cols);
        for (int i = 0; i < x.length; i++) if (!Float.isFinite(x[i])) x[i] = 0.5f;
        long[] shape = {rows, cols};
        float[][] bufs = {new float[cols], x};
        Kernel.Reduce k = new Kernel.Reduce(Op.ReduceFn.SUM, BufferRef.contiguous(0, 0, new long[] {cols}), new Expr.Load(BufferRef.contiguous(1, 0, shape)),
                shape, new int[] {0}, null);
        for (int threads : new int[] {1, 2}) {
            java.util.Arrays.fill(bufs[0], Float.NaN);
            try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(threads)) {
                new ReduceLoop(k, binder(bufs)).run(1, new CpuExecutor.ScratchPool(threads), pool);
            }
            for (int j = 0; j < cols; j++) {
                double sum = 0;
                for (int i = 0; i < rows; i++) sum += x[i * cols + j];
                assertSameBits(ElementwiseOps.flush((float) sum), bufs[0][j], threads + " threads, column " + j);
            }
        }
    }

    /** A random expression over loads of the given refs; {@code vectorOnly} keeps to operators the compiler takes. */
    private static Expr randomExpr(Random r, List<BufferRef> refs, int depth, boolean vectorOnly) {
        if (depth == 0 || r.nextInt(5) == 0) {
            return r.nextInt(6) == 0 ? new Expr.Scalar(r.nextGaussian()) : new Expr.Load(refs.get(r.nextInt(refs.size())));
        }
        switch (r.nextInt(4)) {
            case 0 -> {
                Op.UnaryFn[] fns = Op.UnaryFn.values();
                Op.UnaryFn fn = fns[r.nextInt(fns.length)];
                if (vectorOnly && !SpanProgram.vectorizes(fn)) fn = Op.UnaryFn.SQRT;
                return new Expr.Unary(fn, randomExpr(r, refs, depth - 1, vectorOnly));
            }
            case 1 -> {
                return new Expr.Select(randomExpr(r, refs, depth - 1, vectorOnly), randomExpr(r, refs, depth - 1, vectorOnly),
                        randomExpr(r, refs, depth - 1, vectorOnly));
            }
            case 2 -> {
                return new Expr.LeakyRelu(0.2, randomExpr(r, refs, depth - 1, vectorOnly));
            }
            default -> {
                Op.BinaryFn[] fns = Op.BinaryFn.values();
                Op.BinaryFn fn = fns[r.nextInt(fns.length)];
                if (vectorOnly && !SpanProgram.vectorizes(fn)) fn = Op.BinaryFn.MUL;
                return new Expr.Binary(fn, randomExpr(r, refs, depth - 1, vectorOnly), randomExpr(r, refs, depth - 1, vectorOnly));
            }
        }
    }

    @Test
    void subnormalResultsAreStoredAsZerosOfTheirSign() {
        float[] x = {1e-20f, -1e-20f, 3e-19f, -3e-19f, 1e-10f, 0f, -0f, 1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.NaN};
        int n = 70_000; // over SpanCompiler.MIN_ELEMENTS, to cover both paths through the kernel runner
        long[] shape = {n};
        for (ElementwiseParts.Compile mode : ElementwiseParts.Compile.values()) {
            float[][] bufs = {new float[n], new float[n]};
            for (int i = 0; i < n; i++) bufs[0][i] = x[i % x.length];
            // y = x · 1e-20: subnormal for |x| ≤ 3e-19; x + 0 for the subnormal inputs themselves
            Expr e = new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(BufferRef.contiguous(0, 0, shape)), new Expr.Scalar(1e-20));
            ElementwiseParts parts = new ElementwiseParts(List.of(new Kernel.Fused(BufferRef.contiguous(1, 0, shape), e, null)), binder(bufs), mode);
            try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
                FusedLoop.Frame[] f = {parts.newFrame(), parts.newFrame()};
                parts.run(pool, t -> f[t], 1);
            }
            for (int i = 0; i < n; i++) {
                float exact = x[i % x.length] * 1e-20f;
                float want = Math.abs(exact) < Float.MIN_NORMAL ? Math.copySign(0f, exact) : exact;
                assertSameBits(want, bufs[1][i], mode + " (compiled: " + parts.isCompiled() + ") element " + i + " = " + x[i % x.length] + " · 1e-20");
            }
        }
    }

    @Test
    void deadTemporariesOfACompiledGroupAreNotStoredAndLaterPartsStillSeeTheirValues() {
        // t = x · y (dead after the group); m = 0.9 m + t; p = p − m · t: the head gradient and two of Adam's parts.
        int n = 20_000; // compiled (over SpanCompiler.MIN_ELEMENTS)
        long[] shape = {n};
        Random r = new Random(8);
        for (boolean conflicting : new boolean[] {false, true}) {
            float[][] bufs = {data(r, n), data(r, n), new float[n + 1], data(r, n), data(r, n)};
            java.util.Arrays.fill(bufs[2], 42f); // t: stays 42 where its store is left out
            float[][] ref = new float[5][];
            for (int i = 0; i < 5; i++) ref[i] = bufs[i].clone();
            BufferRef x = BufferRef.contiguous(0, 0, shape), y = BufferRef.contiguous(1, 0, shape), t = BufferRef.contiguous(2, 0, shape);
            BufferRef m = BufferRef.contiguous(3, 0, shape), p = BufferRef.contiguous(4, 0, shape);
            // the conflicting variant reads t through another view (shifted by one): it must then be stored after all
            BufferRef tRead = conflicting ? BufferRef.contiguous(2, 1, shape) : t;
            List<Kernel.Fused> parts = List.of(
                    new Kernel.Fused(t, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x), new Expr.Load(y)), null),
                    new Kernel.Fused(m, new Expr.Binary(Op.BinaryFn.ADD, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(m), new Expr.Scalar(0.9)),
                            new Expr.Load(t)), null),
                    new Kernel.Fused(p, new Expr.Binary(Op.BinaryFn.SUB, new Expr.Load(p), new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(m),
                            new Expr.Load(tRead))), null));
            ElementwiseParts elided = new ElementwiseParts(parts, binder(bufs), java.util.Set.of(0));
            ElementwiseParts plain = new ElementwiseParts(parts, binder(ref), ElementwiseParts.Compile.NEVER);
            org.junit.jupiter.api.Assertions.assertTrue(elided.isCompiled());
            assertEquals(conflicting, elided.storesEverything, "stores left out only without a conflicting read");
            try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
                FusedLoop.Frame[] fa = {elided.newFrame(), elided.newFrame()}, fb = {plain.newFrame(), plain.newFrame()};
                elided.run(pool, th -> fa[th], 1);
                plain.run(pool, th -> fb[th], 1);
            }
            for (int i = 0; i < n; i++) {
                if (conflicting) { // reading another element of t is outside the group contract; only check that t was stored
                    assertSameBits(ElementwiseOps.flush(bufs[0][i] * bufs[1][i]), bufs[2][i], "t " + i + " (conflicting)");
                    continue;
                }
                assertSameBits(ref[3][i], bufs[3][i], "m " + i);
                assertSameBits(ref[4][i], bufs[4][i], "p " + i);
                assertSameBits(42f, bufs[2][i], "t " + i + " was stored");
            }
        }
    }

    @Test
    void compiledLoopsEqualTheInterpreterBitForBit() {
        Random r = new Random(17);
        int compiledCases = 0, mustCompile = 0;
        for (int trial = 0; trial < 120; trial++) {
            int rows = 1 + r.nextInt(4), cols = 1 + r.nextInt(1300);
            long[] shape = {rows, cols};
            float[][] bufs = new float[6][];
            for (int i = 0; i < 6; i++) bufs[i] = data(r, rows * cols);
            // Operands: two dense, a row broadcast (a bias), a column broadcast, a scalar; outputs into buffers 4 and 5.
            List<BufferRef> refs = List.of(BufferRef.contiguous(0, 0, shape), BufferRef.contiguous(1, 0, shape),
                    new BufferRef(2, 0, shape, new long[] {0, 1}), new BufferRef(3, 0, shape, new long[] {1, 0}),
                    new BufferRef(3, 0, shape, new long[] {0, 0}));
            boolean vectorOnly = trial % 4 != 3;
            // Short rows merge, and then broadcast operands are read through tables, which only the interpreter does.
            boolean shouldCompile = vectorOnly && (cols >= FusedLoop.MIN_ROW || rows == 1);
            if (shouldCompile) mustCompile++;
            List<Kernel.Fused> parts = List.of(
                    new Kernel.Fused(BufferRef.contiguous(4, 0, shape), randomExpr(r, refs, 4, vectorOnly), null),
                    // reads the first part's output at the element it writes, as a group may
                    new Kernel.Fused(BufferRef.contiguous(5, 0, shape), new Expr.Binary(Op.BinaryFn.SUB,
                            new Expr.Load(BufferRef.contiguous(4, 0, shape)), randomExpr(r, refs, 3, vectorOnly)), null));
            float[][] a = new float[6][], b = new float[6][];
            for (int i = 0; i < 6; i++) {
                a[i] = bufs[i].clone();
                b[i] = bufs[i].clone();
            }
            ElementwiseParts compiled = new ElementwiseParts(parts, binder(a), ElementwiseParts.Compile.ALWAYS);
            ElementwiseParts interpreted = new ElementwiseParts(parts, binder(b), ElementwiseParts.Compile.NEVER);
            if (shouldCompile && !compiled.isCompiled()) throw new AssertionError("expected a compiled loop for " + parts);
            if (compiled.isCompiled()) compiledCases++;
            try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
                FusedLoop.Frame[] fa = {compiled.newFrame(), compiled.newFrame()}, fb = {interpreted.newFrame(), interpreted.newFrame()};
                compiled.run(pool, t -> fa[t], 1);
                interpreted.run(pool, t -> fb[t], 1);
            }
            for (int o = 4; o < 6; o++) {
                for (int i = 0; i < rows * cols; i++) assertSameBits(b[o][i], a[o][i], "trial " + trial + " output " + o + " element " + i + " of " + parts);
            }
        }
        // Every vector-only trial with long rows ran compiled (checked above); some others fell back to the interpreter.
        org.junit.jupiter.api.Assertions.assertTrue(mustCompile >= 80 && compiledCases >= mustCompile && compiledCases < 120,
                compiledCases + " of 120 trials ran compiled, " + mustCompile + " had to");
    }

    /**
     * A compiled epilogue runs each row of a block as one span ({@link ElementwiseParts#rect}), whatever the block's
     * width: blocks of odd sizes, some wider than {@link FusedLoop#CHUNK}, must give the interpreter's bits.
     */
    @Test
    void compiledEpilogueBlocksEqualTheInterpreterBitForBit() {
        Random r = new Random(23);
        int rows = 13, cols = 1500;
        long[] shape = {rows, cols};
        float[][] bufs = new float[6][];
        for (int i = 0; i < 6; i++) bufs[i] = data(r, rows * cols);
        List<BufferRef> refs = List.of(BufferRef.contiguous(0, 0, shape), BufferRef.contiguous(1, 0, shape),
                new BufferRef(2, 0, shape, new long[] {0, 1}), new BufferRef(3, 0, shape, new long[] {0, 0}));
        List<Kernel.Fused> parts = List.of(
                new Kernel.Fused(BufferRef.contiguous(4, 0, shape), randomExpr(r, refs, 4, true), null),
                new Kernel.Fused(BufferRef.contiguous(5, 0, shape), new Expr.Binary(Op.BinaryFn.MUL,
                        new Expr.Load(BufferRef.contiguous(4, 0, shape)), randomExpr(r, refs, 3, true)), null));
        float[][] a = new float[6][], b = new float[6][];
        for (int i = 0; i < 6; i++) {
            a[i] = bufs[i].clone();
            b[i] = bufs[i].clone();
        }
        ElementwiseParts epilogue = ElementwiseParts.epilogue(parts, binder(a));
        org.junit.jupiter.api.Assertions.assertTrue(epilogue.isCompiled() && epilogue.hasRows(), "a compiled epilogue with rows");
        FusedLoop.Frame f = epilogue.newFrame();
        int[][] blocks = {{0, 5, 0, 1100}, {5, 13, 0, 1100}, {0, 13, 1100, 1101}, {0, 13, 1101, 1500}};
        for (int[] k : blocks) epilogue.rect(k[0], k[1], k[2], k[3], f, 1);
        ElementwiseParts interpreted = new ElementwiseParts(parts, binder(b), ElementwiseParts.Compile.NEVER);
        try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(1)) {
            FusedLoop.Frame g = interpreted.newFrame();
            interpreted.run(pool, t -> g, 1);
        }
        for (int o = 4; o < 6; o++) {
            for (int i = 0; i < rows * cols; i++) assertSameBits(b[o][i], a[o][i], "output " + o + " element " + i + " of " + parts);
        }
    }

    /**
     * A view loaded twice in a compiled program is loaded once, and loads and stores of one view share a stream: Adam's
     * three guarded parts (each reads what it writes in both branches of its guard, two read the gradient) need four
     * streams, one per array, not eleven. The result must still equal the interpreter's bit for bit.
     */
    @Test
    void aViewLoadedTwiceIsOneStreamInACompiledProgram() {
        int rows = 3, cols = 20000;
        long[] shape = {rows, cols};
        Random r = new Random(5);
        float[][] bufs = {data(r, rows * cols), data(r, rows * cols), data(r, rows * cols), data(r, rows * cols), {1f}, {1e-3f}, {1e-8f}};
        List<Kernel.Fused> parts = AdamParts.of(shape);
        float[][] a = new float[bufs.length][], b = new float[bufs.length][];
        for (int i = 0; i < bufs.length; i++) {
            a[i] = bufs[i].clone();
            b[i] = bufs[i].clone();
        }
        ElementwiseParts compiled = new ElementwiseParts(parts, binder(a), ElementwiseParts.Compile.ALWAYS);
        org.junit.jupiter.api.Assertions.assertTrue(compiled.isCompiled(), "compiled");
        assertEquals(4, compiled.streamCount(), "streams of the compiled Adam parts");
        ElementwiseParts interpreted = new ElementwiseParts(parts, binder(b), ElementwiseParts.Compile.NEVER);
        try (var pool = new dev.hyperc.runtime.cpu.kernels.Parallel(2)) {
            FusedLoop.Frame[] fa = {compiled.newFrame(), compiled.newFrame()}, fb = {interpreted.newFrame(), interpreted.newFrame()};
            compiled.run(pool, t -> fa[t], 1);
            interpreted.run(pool, t -> fb[t], 1);
        }
        for (int o = 1; o < 4; o++) {
            for (int i = 0; i < rows * cols; i++) assertSameBits(b[o][i], a[o][i], "output " + o + " element " + i);
        }
    }
}
