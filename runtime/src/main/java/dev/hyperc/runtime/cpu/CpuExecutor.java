package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.ir.Origin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Schedule} on the JVM. Binding happens once: every buffer gets its array (parameters
 * and state from the session's stores, temporaries in one arena), and every kernel becomes a
 * prepared {@link Step} holding its bound views and scratch. A run then only executes steps: no
 * allocation on the hot path.
 */
public final class CpuExecutor {
    /** A kernel bound to memory. */
    interface Step {
        void run(long seed);

        /** As {@link #run}, writing every output (some steps leave out stores that nothing after them reads). */
        default void runStoringAll(long seed) { run(seed); }

        Origin origin();

        String name();
    }

    private final Schedule schedule;
    private final Parallel pool;
    private final float[] arena;
    private final float[][] arrays;
    private final int[] bases;
    private final List<Step> steps = new ArrayList<>();
    private final ScratchPool scratch;

    /**
     * @param params parameter arrays by name, shared with other executors of the same session
     * @param states state arrays by name, likewise
     */
    public CpuExecutor(Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, Parallel pool) {
        this.schedule = schedule;
        this.pool = pool;
        if (schedule.arenaSize() > Integer.MAX_VALUE - 64) {
            throw new IllegalStateException("this step needs " + schedule.arenaSize() + " floats of temporaries, more than one Java array holds");
        }
        this.arena = new float[(int) schedule.arenaSize()];
        this.scratch = new ScratchPool(pool.threads());
        arrays = new float[schedule.buffers().size()][];
        bases = new int[schedule.buffers().size()];
        for (Buffer b : schedule.buffers()) {
            int n = Math.toIntExact(b.size());
            switch (b.kind()) {
                case TEMP -> {
                    arrays[b.id()] = arena;
                    bases[b.id()] = (int) Math.max(0, b.arenaOffset());
                }
                case PARAM -> arrays[b.id()] = params.computeIfAbsent(b.name(), k -> new float[n]);
                case STATE -> arrays[b.id()] = states.computeIfAbsent(b.name(), k -> new float[n]);
                case INPUT -> arrays[b.id()] = new float[n];
                case CONST -> {
                    float[] c = new float[n];
                    java.util.Arrays.fill(c, schedule.constants().get(b.id()).floatValue());
                    arrays[b.id()] = c;
                }
            }
            if (arrays[b.id()].length < (b.kind() == Buffer.Kind.TEMP ? 0 : n)) {
                throw new IllegalArgumentException("buffer " + b.name() + " needs " + n + " floats but the store has " + arrays[b.id()].length);
            }
        }
        for (Kernel k : schedule.kernels()) steps.add(bind(k));
    }

    public Schedule schedule() { return schedule; }

    Strided view(BufferRef r) { return Strided.of(arrays[r.buffer()], bases[r.buffer()], r); }

    /** The array and base index backing a buffer (inputs are written here by the caller). */
    public float[] array(BufferRef r) { return arrays[r.buffer()]; }

    public int base(BufferRef r) { return Math.toIntExact(bases[r.buffer()] + r.offset()); }

    private long[] nanos;
    private long runs;

    /** Starts recording time per kernel (off by default: it costs two clock reads per kernel). */
    public void enableProfiling() { nanos = new long[steps.size()]; }

    /** Runs kernel {@code i} alone (developer timing of one kernel; the others' outputs are left as they are). */
    void runKernel(int i, long seed) { steps.get(i).run(seed); }

    /** Runs every kernel once. {@code seed} drives this run's noise. */
    public void run(long seed) {
        if (nanos == null) {
            for (Step s : steps) s.run(seed);
            return;
        }
        for (int i = 0; i < steps.size(); i++) {
            long t = System.nanoTime();
            steps.get(i).run(seed);
            nanos[i] += System.nanoTime() - t;
        }
        runs++;
    }

    /** Time per kernel (mean per run, ms) with its output view, largest first. */
    public java.util.LinkedHashMap<String, Double> profileByKernel() {
        java.util.LinkedHashMap<String, Double> out = new java.util.LinkedHashMap<>();
        if (nanos == null || runs == 0) return out;
        Integer[] order = new Integer[steps.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(nanos[b], nanos[a]));
        for (int i : order) {
            var w = dev.hyperc.compiler.lower.Kernels.writes(schedule.kernels().get(i));
            out.put("#" + i + " " + schedule.kernels().get(i).getClass().getSimpleName() + " " + (w.isEmpty() ? "" : java.util.Arrays.toString(w.get(0).shape())), nanos[i] / 1e6 / runs);
        }
        return out;
    }

    /** Time per kernel kind (mean per run, ms), largest first; empty unless profiling was enabled. */
    public java.util.LinkedHashMap<String, Double> profile() {
        java.util.Map<String, Double> byKind = new java.util.HashMap<>();
        if (nanos != null && runs > 0) {
            for (int i = 0; i < steps.size(); i++) byKind.merge(schedule.kernels().get(i).getClass().getSimpleName(), nanos[i] / 1e6 / runs, Double::sum);
        }
        java.util.LinkedHashMap<String, Double> out = new java.util.LinkedHashMap<>();
        byKind.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** Runs with a check after every kernel that its outputs are finite; names the first kernel that is not. */
    public void runChecked(long seed) {
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            s.runStoringAll(seed);
            Kernel k = schedule.kernels().get(i);
            // A group names the part (and so the op and source line) whose output is not finite.
            List<Kernel> parts = new ArrayList<>();
            switch (k) {
                case Kernel.FusedGroup g -> parts.addAll(g.parts());
                case Kernel.MatMul m -> { parts.add(new Kernel.MatMul(m.out(), m.a(), m.b(), m.origin())); parts.addAll(m.epilogue()); }
                case Kernel.Conv2d c -> { parts.add(new Kernel.Conv2d(c.out(), c.x(), c.k(), c.stride(), c.padding(), c.origin())); parts.addAll(c.epilogue()); }
                default -> parts.add(k);
            }
            for (Kernel part : parts) {
                for (BufferRef w : dev.hyperc.compiler.lower.Kernels.writes(part)) {
                    Strided v = view(w);
                    for (int j = 0, n = v.numel(); j < n; j++) {
                        float x = v.get(j);
                        if (!Float.isFinite(x)) throw new NonFiniteError(s.name(), part.origin(), x);
                    }
                }
            }
        }
    }

    /** Thrown by {@link #runChecked} with the op and source position that first produced NaN or infinity. */
    public static final class NonFiniteError extends RuntimeException {
        public final String op;
        public final Origin origin;

        NonFiniteError(String op, Origin origin, float value) {
            super(op + (origin.isKnown() ? " (model line " + origin.line() + ", column " + origin.column() + ")" : "")
                    + " produced " + value);
            this.op = op;
            this.origin = origin;
        }
    }

    public int kernelCount() { return steps.size(); }

    /** Reads a view into a fresh dense array (for outputs such as the loss). */
    public float[] read(BufferRef r) {
        Strided v = view(r);
        float[] out = new float[v.numel()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    /** Writes a dense array into a view (for inputs). */
    public void write(BufferRef r, float[] data) {
        Strided v = view(r);
        if (data.length != v.numel()) throw new IllegalArgumentException("expected " + v.numel() + " values, got " + data.length);
        if (v.contiguous()) System.arraycopy(data, 0, v.data(), v.base(), data.length);
        else for (int i = 0; i < data.length; i++) v.set(i, data[i]);
    }

    // ---------------------------------------------------------------- binding

    private Step bind(Kernel k) {
        String name = switch (k) {
            case Kernel.Fused f -> "an elementwise kernel";
            case Kernel.FusedGroup g -> "an elementwise kernel";
            case Kernel.Reduce r -> "a " + r.fn().text().replace("reduce_", "") + " reduction fused with its elementwise inputs";
            default -> k.getClass().getSimpleName();
        };
        Origin o = k.origin();
        return switch (k) {
            case Kernel.Fused f -> {
                ElementwiseParts one = new ElementwiseParts(List.of(f), this::view);
                int width = one.width(), ops = one.operands();
                yield step(name, o, seed -> one.run(pool, t -> scratch.frame(t, width, ops), seed));
            }
            case Kernel.FusedGroup g -> {
                // One pass: every part's chunk c before any part's chunk c+1, so values written by one part are read by
                // the next while still in cache (or, compiled, in registers; then dead temporaries are not stored).
                ElementwiseParts parts = new ElementwiseParts(g.parts(), this::view, deadAfter(g));
                int width = parts.width(), ops = parts.operands();
                Body body = seed -> parts.run(pool, t -> scratch.frame(t, width, ops), seed);
                if (parts.storesEverything) yield step(name, o, body);
                // Built on first use: only the NaN diagnosis runs it, and it is a second compiled loop.
                var all = new java.util.concurrent.atomic.AtomicReference<ElementwiseParts>();
                yield step(name, o, body, seed -> {
                    ElementwiseParts a = all.updateAndGet(v -> v != null ? v : new ElementwiseParts(g.parts(), this::view));
                    a.run(pool, t -> scratch.frame(t, a.width(), a.operands()), seed);
                });
            }
            case Kernel.Reduce r -> {
                ReduceLoop loop = new ReduceLoop(r, this::view);
                yield step(name, o, seed -> loop.run(seed, scratch, pool));
            }
            case Kernel.MatMul m -> {
                if (m.epilogue().isEmpty()) {
                    Runnable r = Dense.matmul(view(m.out()), view(m.a()), view(m.b()), pool);
                    yield step(name, o, seed -> r.run());
                }
                GemmEpilogue epi = new GemmEpilogue(m.epilogue(), this::view);
                Runnable r = Dense.matmul(view(m.out()), view(m.a()), view(m.b()), pool, epi);
                yield step("a matrix product with its elementwise epilogue", o, seed -> {
                    epi.seed = seed;
                    r.run();
                });
            }
            case Kernel.Conv2d c -> {
                Strided out = view(c.out()), x = view(c.x()), kk = view(c.k());
                var conv = Dense.conv(x, kk, c.stride(), c.padding());
                float[] scratch = new float[conv.scratchSize(pool.threads())];
                if (c.epilogue().isEmpty()) {
                    yield step(name, o, seed -> conv.forward(pool, x.data(), x.base(), kk.data(), kk.base(), out.data(), out.base(), scratch));
                }
                // The direct convolution's output tiles are not exposed, so the epilogue runs right after it in the same
                // step; conv outputs of the reference models fit in L2, where it finds them.
                ElementwiseParts epi = new ElementwiseParts(c.epilogue(), this::view);
                int width = epi.width(), ops = epi.operands();
                yield step("a convolution with its elementwise epilogue", o, seed -> {
                    conv.forward(pool, x.data(), x.base(), kk.data(), kk.base(), out.data(), out.base(), scratch);
                    epi.run(pool, t -> this.scratch.frame(t, width, ops), seed);
                });
            }
            case Kernel.Conv2dGradInput c -> {
                Strided out = view(c.out()), dy = view(c.dy()), kk = view(c.k());
                var conv = Dense.conv(out, kk, c.stride(), c.padding());
                float[] scratch = new float[conv.scratchSize(pool.threads())];
                yield step(name, o, seed -> conv.backwardData(pool, dy.data(), dy.base(), kk.data(), kk.base(), out.data(), out.base(), scratch));
            }
            case Kernel.Conv2dGradKernel c -> {
                Strided out = view(c.out()), x = view(c.x()), dy = view(c.dy());
                var conv = Dense.conv(x, out, c.stride(), c.padding());
                float[] scratch = new float[conv.scratchSize(pool.threads())];
                yield step(name, o, seed -> conv.backwardKernel(pool, x.data(), x.base(), dy.data(), dy.base(), out.data(), out.base(), scratch));
            }
            case Kernel.Pool2d p -> {
                Strided out = view(p.out()), x = view(p.x());
                var pl = Dense.pool(p.kind(), x, p.window(), p.stride(), p.padding());
                yield step(name, o, seed -> pl.forward(pool, x.data(), x.base(), out.data(), out.base()));
            }
            case Kernel.Pool2dGrad p -> {
                Strided out = view(p.out()), x = view(p.x()), dy = view(p.dy());
                var pl = Dense.pool(p.kind(), x, p.window(), p.stride(), p.padding());
                yield step(name, o, seed -> pl.backward(pool, x.data(), x.base(), dy.data(), dy.base(), out.data(), out.base()));
            }
            case Kernel.LogSumExp l -> {
                Strided out = view(l.out()), x = view(l.x());
                yield step(name, o, seed -> Small.logSumExp(out, x, l.axis()));
            }
            case Kernel.ArgMax a -> {
                Strided out = view(a.out()), x = view(a.x());
                yield step(name, o, seed -> Small.argMax(out, x, a.axis()));
            }
            case Kernel.Gather g -> {
                Strided out = view(g.out()), t = view(g.table()), ids = view(g.ids());
                yield step(name, o, seed -> Small.gather(out, t, ids));
            }
            case Kernel.ScatterAdd s -> {
                Strided out = view(s.out()), ids = view(s.ids()), u = view(s.updates());
                yield step(name, o, seed -> Small.scatterAdd(out, ids, u));
            }
            case Kernel.OneHot h -> {
                Strided out = view(h.out()), ids = view(h.ids());
                yield step(name, o, seed -> Small.oneHot(out, ids));
            }
            case Kernel.Copy c -> {
                Strided out = view(c.out()), in = view(c.in());
                yield step(name, o, seed -> Small.copy(out, in));
            }
            case Kernel.Fill f -> {
                Strided out = view(f.out());
                float v = (float) f.value();
                yield step(name, o, seed -> Small.fill(out, v));
            }
            case Kernel.PairwiseDist p -> {
                Strided out = view(p.out()), x = view(p.x());
                yield step(name, o, seed -> Small.pairwise(out, x));
            }
            case Kernel.NearestDist d -> {
                Strided out = view(d.out()), x = view(d.x());
                yield step(name, o, seed -> Small.nearest(out, x));
            }
            case Kernel.NearestDistGrad d -> {
                Strided out = view(d.out()), x = view(d.x()), dy = view(d.dy());
                yield step(name, o, seed -> Small.nearestGrad(out, x, dy));
            }
            case Kernel.Scan s -> {
                ScanRunner runner = new ScanRunner(s, this, pool);
                yield step(name, o, runner::run);
            }
        };
    }

    private interface Body {
        void run(long seed);
    }

    /**
     * The parts of a group whose output only the group itself reads: a temporary buffer that is no output of the
     * schedule and that no other kernel reads.
     */
    private java.util.Set<Integer> deadAfter(Kernel.FusedGroup g) {
        java.util.Set<Integer> readElsewhere = new java.util.HashSet<>();
        for (Kernel k : schedule.kernels()) {
            if (k == g) continue;
            for (BufferRef r : dev.hyperc.compiler.lower.Kernels.reads(k)) readElsewhere.add(r.buffer());
        }
        for (BufferRef r : schedule.outputs().values()) readElsewhere.add(r.buffer());
        for (BufferRef r : schedule.bodyYields()) readElsewhere.add(r.buffer());
        java.util.Set<Integer> dead = new java.util.HashSet<>();
        for (int i = 0; i < g.parts().size(); i++) {
            BufferRef out = g.parts().get(i).out();
            if (schedule.buffer(out.buffer()).kind() == Buffer.Kind.TEMP && !readElsewhere.contains(out.buffer())) dead.add(i);
        }
        return dead;
    }

    private static Step step(String name, Origin origin, Body body) {
        return step(name, origin, body, body);
    }

    private static Step step(String name, Origin origin, Body body, Body storingAll) {
        return new Step() {
            public void run(long seed) { body.run(seed); }

            public void runStoringAll(long seed) { storingAll.run(seed); }

            public Origin origin() { return origin; }

            public String name() { return name; }
        };
    }

    /** Per-thread frames for elementwise loops, allocated on first use and grown at most until every kernel has run once. */
    static final class ScratchPool {
        private final FusedLoop.Frame[] frames;

        ScratchPool(int threads) { frames = new FusedLoop.Frame[threads]; }

        FusedLoop.Frame frame(int thread, int nodes, int operands) {
            FusedLoop.Frame f = frames[thread];
            if (f == null || !f.fits(nodes, operands)) {
                f = new FusedLoop.Frame(Math.max(nodes, 8), Math.max(operands, 8));
                frames[thread] = f;
            }
            return f;
        }
    }
}
