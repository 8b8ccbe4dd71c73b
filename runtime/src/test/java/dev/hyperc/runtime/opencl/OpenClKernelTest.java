package dev.hyperc.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.codegen.OpenClCodegen;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.runtime.cpu.CpuExecutor;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every kernel kind on OpenCL against the CPU executor, on odd shapes (not multiples of the vector width or block
 * size). Tolerance: 1e-4 · max(1, |cpu|) (f32 with a different summation order).
 */
class OpenClKernelTest {
    static final Origin O = Origin.NONE;

    /** A tiny schedule builder: every buffer is an INPUT of its own, the first one created by {@link #out} is read back. */
    static final class B {
        final List<Buffer> buffers = new ArrayList<>();
        final List<Kernel> kernels = new ArrayList<>();
        final Map<String, BufferRef> inputs = new HashMap<>();
        final Random rng = new Random(42);
        final Map<BufferRef, float[]> data = new HashMap<>();

        BufferRef in(long... shape) { return in(false, 0, shape); }

        /** Random ids in [0, range). */
        BufferRef ids(int range, long... shape) { return in(true, range, shape); }

        private BufferRef in(boolean ids, int range, long... shape) {
            BufferRef r = BufferRef.contiguous(buffers.size(), 0, shape);
            buffers.add(new Buffer(buffers.size(), r.numel(), Buffer.Kind.INPUT, "b" + buffers.size(), -1));
            inputs.put("b" + r.buffer(), r);
            float[] d = new float[(int) r.numel()];
            for (int i = 0; i < d.length; i++) d[i] = ids ? rng.nextInt(range) : (float) rng.nextGaussian();
            data.put(r, d);
            return r;
        }

        BufferRef out(long... shape) {
            BufferRef r = BufferRef.contiguous(buffers.size(), 0, shape);
            buffers.add(new Buffer(buffers.size(), r.numel(), Buffer.Kind.INPUT, "b" + buffers.size(), -1));
            return r;
        }

        Schedule schedule() {
            return new Schedule(buffers, kernels, inputs, Map.of(), Map.of(), Map.of(), Map.of(), List.of(), List.of(), 0, 1, Map.of(), Map.of());
        }
    }

    /** Runs the schedule on both backends and compares the given outputs. */
    static void check(B b, List<BufferRef> outs, double tol) {
        Cl.Device dev = OpenClTestSupport.device();
        Schedule s = b.schedule();
        try (Parallel pool = new Parallel(2); OpenClExecutor cl = new OpenClExecutor(s, new HashMap<>(), new HashMap<>(), dev, false)) {
            CpuExecutor cpu = new CpuExecutor(s, new HashMap<>(), new HashMap<>(), pool);
            for (Map.Entry<BufferRef, float[]> e : b.data.entrySet()) {
                cpu.write(e.getKey(), e.getValue());
                cl.write(e.getKey(), e.getValue());
            }
            cpu.run(7);
            cl.run(7);
            for (BufferRef o : outs) {
                float[] want = cpu.read(o), got = cl.read(o);
                for (int i = 0; i < want.length; i++) {
                    int at = i;
                    assertTrue(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])) || (Float.isNaN(want[i]) && Float.isNaN(got[i])),
                            () -> b.kernels.get(0).getClass().getSimpleName() + " " + o + "[" + at + "]: opencl " + got[at] + " vs cpu " + want[at]);
                }
            }
        }
    }

    static void one(Function<B, Kernel> k) {
        B b = new B();
        Kernel kk = k.apply(b);
        b.kernels.add(kk);
        check(b, dev.hyperc.compiler.lower.Kernels.writes(kk), 1e-4);
    }

    static Expr load(BufferRef r) { return new Expr.Load(r); }

    /** product = a·b with epilogue u = product + bias (broadcast over rows), v = relu(u); checks product, u and v. */
    static void epilogueCase(long m, long n, Function<B, BufferRef> a, Function<B, BufferRef> bOp) {
        B b = new B();
        BufferRef prod = b.out(m, n), u = b.out(m, n), v = b.out(m, n), bias = b.in(n);
        List<Kernel.Fused> epi = List.of(
                new Kernel.Fused(u, new Expr.Binary(Op.BinaryFn.ADD, load(prod), load(bias.broadcast(new long[] {m, n}))), O),
                new Kernel.Fused(v, new Expr.Unary(Op.UnaryFn.RELU, load(u)), O));
        Kernel k = new Kernel.MatMul(prod, a.apply(b), bOp.apply(b), epi, O);
        b.kernels.add(k);
        check(b, dev.hyperc.compiler.lower.Kernels.writes(k), 1e-4);
    }

    @Test
    void fusedWithBroadcastTransposeAndSelect() {
        one(b -> {
            BufferRef x = b.in(5, 7), bias = b.in(7), t = b.in(7, 5), out = b.out(5, 7);
            Expr e = new Expr.Binary(Op.BinaryFn.ADD, new Expr.Unary(Op.UnaryFn.RELU, new Expr.Binary(Op.BinaryFn.MUL, load(x), load(bias.broadcast(new long[] {5, 7})))),
                    new Expr.Select(new Expr.Binary(Op.BinaryFn.GT, load(t.transpose(new int[] {1, 0})), new Expr.Scalar(0)),
                            new Expr.Unary(Op.UnaryFn.TANH, load(x)), new Expr.LeakyRelu(0.1, new Expr.Unary(Op.UnaryFn.SIGMOID, load(x)))));
            return new Kernel.Fused(out, e, O);
        });
    }

    @Test
    void fusedUnaryAndBinaryFunctions() {
        for (Op.UnaryFn fn : Op.UnaryFn.values()) {
            one(b -> {
                BufferRef x = b.in(3, 11), out = b.out(3, 11);
                Expr arg = fn == Op.UnaryFn.LOG || fn == Op.UnaryFn.SQRT || fn == Op.UnaryFn.RSQRT
                        ? new Expr.Binary(Op.BinaryFn.ADD, new Expr.Unary(Op.UnaryFn.ABS, load(x)), new Expr.Scalar(0.5)) : load(x);
                return new Kernel.Fused(out, new Expr.Unary(fn, arg), O);
            });
        }
        for (Op.BinaryFn fn : Op.BinaryFn.values()) {
            one(b -> {
                BufferRef x = b.in(13), y = b.in(13), out = b.out(13);
                Expr a = fn == Op.BinaryFn.POW ? new Expr.Unary(Op.UnaryFn.ABS, load(x)) : load(x);
                return new Kernel.Fused(out, new Expr.Binary(fn, a, load(y)), O);
            });
        }
        one(b -> new Kernel.Fused(b.out(9), new Expr.Cast(true, new Expr.Binary(Op.BinaryFn.MUL, load(b.in(9)), new Expr.Scalar(3))), O));
    }

    @Test
    void noiseIsBitExactWithTheCpuBackend() {
        for (Init.Distribution d : Init.Distribution.values()) {
            B b = new B();
            BufferRef out = b.out(3, 37);
            b.kernels.add(new Kernel.Fused(out, new Expr.Noise(d, d == Init.Distribution.UNIFORM ? -1 : 0.5, 2, 3), O));
            check(b, List.of(out), d == Init.Distribution.UNIFORM ? 0 : 1e-6);
        }
    }

    @Test
    void reductions() {
        for (Op.ReduceFn fn : Op.ReduceFn.values()) {
            one(b -> {
                BufferRef x = b.in(5, 13, 3);
                return new Kernel.Reduce(fn, b.out(5, 3), new Expr.Unary(Op.UnaryFn.SQUARE, load(x)), new long[] {5, 13, 3}, new int[] {1}, O);
            });
            one(b -> new Kernel.Reduce(fn, b.out(1), load(b.in(7, 9)), new long[] {7, 9}, new int[] {0, 1}, O));
            one(b -> new Kernel.Reduce(fn, b.out(9), load(b.in(7, 9).transpose(new int[] {1, 0}).transpose(new int[] {1, 0})), new long[] {7, 9},
                    new int[] {0}, O));
        }
    }

    @Test
    void matmulShapesAndLayouts() {
        one(b -> new Kernel.MatMul(b.out(37, 45), b.in(37, 29), b.in(29, 45), O)); // vector path with a column tail and a row tail
        one(b -> new Kernel.MatMul(b.out(5, 3), b.in(5, 7), b.in(7, 3), O)); // narrower than a vector
        one(b -> new Kernel.MatMul(b.out(9, 21), b.in(9, 33), b.in(21, 33).transpose(new int[] {1, 0}), O)); // a·bᵀ, 4×4 blocks with tails
        one(b -> new Kernel.MatMul(b.out(2, 21), b.in(2, 47), b.in(21, 47).transpose(new int[] {1, 0}), O)); // a·bᵀ, fewer than 4 rows
        one(b -> new Kernel.MatMul(b.out(9, 3), b.in(9, 16), b.in(3, 16).transpose(new int[] {1, 0}), O)); // a·bᵀ, fewer than 4 columns, no K tail
        one(b -> new Kernel.MatMul(b.out(3, 6, 5), b.in(3, 6, 40), b.in(3, 5, 40).transpose(new int[] {0, 2, 1}), O)); // batched a·bᵀ
        one(b -> new Kernel.MatMul(b.out(9, 21), b.in(33, 9).transpose(new int[] {1, 0}), b.in(33, 21), O)); // aᵀ·b
        one(b -> new Kernel.MatMul(b.out(3, 9, 19), b.in(3, 9, 11), b.in(11, 19).broadcast(new long[] {3, 11, 19}), O)); // broadcast batch
        one(b -> new Kernel.MatMul(b.out(2, 3, 5, 17), b.in(2, 1, 5, 6).broadcast(new long[] {2, 3, 5, 6}), b.in(3, 6, 17), O));
        // With an epilogue (bias, then relu of the biased value: two parts, as a training step's dense layer has), on
        // every matmul path; the epilogue outputs are compared too.
        for (long[] mnk : new long[][] {{37, 45, 29}, {5, 3, 7}, {1, 40, 9}, {9, 1, 20}}) {
            epilogueCase(mnk[0], mnk[1], b -> b.in(mnk[0], mnk[2]), b -> b.in(mnk[2], mnk[1]));
        }
        epilogueCase(9, 21, b -> b.in(9, 33), b -> b.in(21, 33).transpose(new int[] {1, 0})); // a·bᵀ dot path
    }

    @Test
    void convolutionsAndPooling() {
        int[] s = {2, 1}, p = {1, 1, 0, 0};
        // x [2,3,9,7], k [4,3,3,2]: ho = (9+2-3)/2+1 = 5, wo = (7-2)/1+1 = 6
        one(b -> new Kernel.Conv2d(b.out(2, 4, 5, 6), b.in(2, 3, 9, 7), b.in(4, 3, 3, 2), s, p, O));
        one(b -> new Kernel.Conv2dGradInput(b.out(2, 3, 9, 7), b.in(2, 4, 5, 6), b.in(4, 3, 3, 2), s, p, O));
        one(b -> new Kernel.Conv2dGradKernel(b.out(4, 3, 3, 2), b.in(2, 3, 9, 7), b.in(2, 4, 5, 6), s, p, O));
        one(b -> new Kernel.Conv2d(b.out(2, 1, 4, 5, 6), b.in(2, 1, 3, 9, 7), b.in(2, 4, 3, 3, 2), s, p, O)); // grouped (per-sample kernels)
        one(b -> { // with an epilogue: per-channel bias, then tanh
            BufferRef y = b.out(2, 4, 5, 6), u = b.out(2, 4, 5, 6), bias = b.in(4);
            BufferRef biasB = new BufferRef(bias.buffer(), bias.offset(), new long[] {2, 4, 5, 6}, new long[] {0, 1, 0, 0});
            return new Kernel.Conv2d(y, b.in(2, 3, 9, 7), b.in(4, 3, 3, 2), s, p, List.of(
                    new Kernel.Fused(u, new Expr.Unary(Op.UnaryFn.TANH, new Expr.Binary(Op.BinaryFn.ADD, load(y), load(biasB))), O)), O);
        });
        int[] w = {2, 3}, ps = {2, 2}, pp = {0, 0, 1, 1};
        // x [2,3,7,9]: ho = (7-2)/2+1 = 3, wo = (9+2-3)/2+1 = 5
        for (Op.PoolKind kind : Op.PoolKind.values()) {
            one(b -> new Kernel.Pool2d(kind, b.out(2, 3, 3, 5), b.in(2, 3, 7, 9), w, ps, pp, O));
            one(b -> new Kernel.Pool2dGrad(kind, b.out(2, 3, 7, 9), b.in(2, 3, 7, 9), b.in(2, 3, 3, 5), w, ps, pp, O));
        }
    }

    @Test
    void smallKernels() {
        one(b -> new Kernel.LogSumExp(b.out(6), b.in(6, 11), 1, O));
        one(b -> new Kernel.LogSumExp(b.out(11), b.in(6, 11), 0, O));
        one(b -> new Kernel.ArgMax(b.out(6), b.in(6, 11), 1, O));
        one(b -> new Kernel.Gather(b.out(9, 5), b.in(7, 5), b.ids(7, 9), O));
        one(b -> new Kernel.ScatterAdd(b.out(7, 5), b.ids(7, 9), b.in(9, 5), O));
        one(b -> new Kernel.OneHot(b.out(9, 7), b.ids(7, 9), O));
        one(b -> new Kernel.Copy(b.out(7, 5), b.in(5, 7).transpose(new int[] {1, 0}), O));
        one(b -> new Kernel.Copy(b.out(3, 7), b.in(6, 7).slice(0, 1, 6, 2), O));
        one(b -> new Kernel.Fill(b.out(17), 2.5, O));
        one(b -> new Kernel.PairwiseDist(b.out(6, 6), b.in(6, 3), O));
        one(b -> new Kernel.NearestDist(b.out(6), b.in(6, 3), O));
        one(b -> new Kernel.NearestDistGrad(b.out(6, 3), b.in(6, 3), b.in(6), O));
    }

    @Test
    void generatedSourceIsDeterministic() {
        B b = new B();
        b.kernels.add(new Kernel.MatMul(b.out(37, 45), b.in(37, 29), b.in(29, 45), O));
        String s1 = OpenClCodegen.source(b.schedule(), OpenClCodegen.Options.cpu()), s2 = OpenClCodegen.source(b.schedule(), OpenClCodegen.Options.cpu());
        assertEquals(s1, s2);
        assertTrue(s1.contains("vload16"), s1);
        String gpu = OpenClCodegen.source(b.schedule(), new OpenClCodegen.Options(OpenClCodegen.DeviceKind.GPU, 256, true));
        assertTrue(gpu.contains("__local float As[16][16]"), gpu);
    }

    @Test
    void gpuTiledMatmulRunsOnAnyDevice() {
        // The GPU code path is plain OpenCL C: run it on whatever device there is (PoCL included) to keep it honest.
        Cl.Device dev = OpenClTestSupport.device();
        B b = new B();
        BufferRef out = b.out(37, 45);
        b.kernels.add(new Kernel.MatMul(out, b.in(37, 29), b.in(29, 45), O));
        OpenClCodegen.Program p = OpenClCodegen.generate(b.schedule(), new OpenClCodegen.Options(OpenClCodegen.DeviceKind.GPU,
                Math.min(256, dev.maxWorkGroupSize()), dev.fp64()));
        Cl cl = Cl.get();
        MemorySegment ctx = cl.createContext(dev);
        try {
            MemorySegment prog = cl.buildFromSource(ctx, dev, p.source(), "-cl-std=CL1.2");
            cl.releaseProgram(prog);
        } finally {
            cl.releaseContext(ctx);
        }
    }

    @Test
    void buildFailureShowsLogAndNumberedSource() {
        Cl.Device dev = OpenClTestSupport.device();
        Cl cl = Cl.get();
        MemorySegment ctx = cl.createContext(dev);
        try {
            String bad = "__kernel void broken(__global float* x) {\n    x[0] = undefined_thing;\n}\n";
            OpenClError e = assertThrows(OpenClError.class, () -> cl.buildFromSource(ctx, dev, bad, "-cl-std=CL1.2"));
            assertEquals(Cl.CL_BUILD_PROGRAM_FAILURE, e.code);
            assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_thing"), e.getMessage());
            assertTrue(e.getMessage().contains("2|     x[0] = undefined_thing;"), e.getMessage());
            assertTrue(e.getMessage().contains("--- build log ---"), e.getMessage());
        } finally {
            cl.releaseContext(ctx);
        }
    }

    /** A built program is stored under the SHA-256 of source, device, driver and options, and a rebuild loads it. */
    @Test
    void programsAreCachedOnDiskByContent() throws Exception {
        Cl.Device dev = OpenClTestSupport.device();
        java.nio.file.Path dir = DeviceContext.cacheDir();
        // Surefire sets HYPERC_CL_CACHE, so there is always a directory here.
        assertTrue(dir != null, "no cache directory (no HOME and no HYPERC_CL_CACHE)");
        // A source no other test builds: a constant unique to this run.
        String src = "__kernel void cached(__global float* x) { x[0] = " + System.nanoTime() % 100000 + ".0f; }\n";
        String key = DeviceContext.sha256(src + "\u0000" + dev.name() + "\u0000" + dev.driverVersion() + "\u0000" + DeviceContext.BUILD_OPTIONS);
        java.nio.file.Path file = dir.resolve(key + ".bin");
        assertTrue(!java.nio.file.Files.exists(file));
        try (DeviceContext c = new DeviceContext(dev, false)) {
            Cl.get().releaseProgram(c.build(src));
            assertTrue(java.nio.file.Files.size(file) > 0, "cache file " + file);
            Cl.get().releaseProgram(c.build(src)); // from the binary this time
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void devicesAreListed() {
        Cl.Device dev = OpenClTestSupport.device();
        List<Cl.Device> all = Cl.get().devices();
        assertTrue(all.contains(dev));
        assertTrue(dev.computeUnits() > 0 && dev.maxWorkGroupSize() > 0 && dev.globalMem() > 0, dev.toString());
        assertEquals("CL_MEM_OBJECT_ALLOCATION_FAILURE", Cl.errorName(-4));
        assertEquals("CL_PLATFORM_NOT_FOUND_KHR", Cl.errorName(-1001));
    }
}
