package dev.hyperc.runtime;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.compiler.step.TrainingStep;
import dev.hyperc.runtime.cpu.CpuExecutor;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A model's learned state on a device, with the compiled executables that use it. Parameters and
 * optimizer state live in the session across steps; each executable (training step, evaluation,
 * prediction, weight generation) is scheduled once per batch size and its memory reused.
 *
 * <p>Thread-safety: all methods are synchronized; one session runs one call at a time. Use several
 * sessions for parallel work. Close the session to release its worker threads (and device memory).
 */
public final class Session implements AutoCloseable {
    /** How a session runs. {@code threads <= 0} means all cores. */
    public record Options(int threads, long seed, boolean checkFinite) {
        public static Options defaults() { return new Options(0, 0, false); }

        public Options withSeed(long s) { return new Options(threads, s, checkFinite); }

        public Options withThreads(int t) { return new Options(t, seed, checkFinite); }

        public Options withCheckFinite(boolean c) { return new Options(threads, seed, c); }
    }

    /** The loss and metrics of one step or one evaluated batch. */
    public record StepResult(double loss, Map<String, Double> metrics) {}

    private final Model model;
    private final Options options;
    private final Parallel pool;
    private final Map<String, float[]> params = new LinkedHashMap<>();
    private final Map<String, float[]> states = new LinkedHashMap<>();
    private final Map<String, CpuExecutor> executors = new HashMap<>();
    private long steps;
    private boolean closed;

    Session(Model model, Options options) {
        this.model = model;
        this.options = options;
        this.pool = new Parallel(options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors());
        initialise();
    }

    public Model model() { return model; }

    /** Number of training steps taken. */
    public synchronized long steps() { return steps; }

    /** Parameters by name (copies). */
    public synchronized Map<String, HostTensor> parameters() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Node n : model.ir().graph("train").nodes()) {
            if (n.op() instanceof Op.Param p && params.containsKey(p.name())) {
                out.put(p.name(), HostTensor.f32(shape(p.type().shape(), 1), params.get(p.name()).clone()));
            }
        }
        return out;
    }

    /** Initialises every parameter from its initializer, seeded by the session seed and the parameter's name. */
    private void initialise() {
        for (Graph g : model.ir().graphs()) {
            for (Node n : g.nodes()) {
                if (n.op() instanceof Op.Param p) params.computeIfAbsent(p.name(), k -> init(p.init(), p.type().shape(), k));
                if (n.op() instanceof Op.State s) states.computeIfAbsent(s.name(), k -> init(s.init(), s.type().shape(), k));
            }
        }
    }

    private float[] init(dev.hyperc.compiler.ir.Init init, Shape shape, String name) {
        Random rng = new Random(options.seed() * 0x9E3779B97F4A7C15L ^ name.hashCode());
        DTensor t = ReferenceEvaluator.initialise(init, ReferenceEvaluator.concreteShape(shape, 1), rng);
        float[] f = new float[t.numel()];
        for (int i = 0; i < f.length; i++) f[i] = (float) t.data()[i];
        return f;
    }

    // ---------------------------------------------------------------- running

    /** One training step on a batch (inputs by name); {@code lr} is the learning rate for this step. */
    public synchronized StepResult trainStep(Map<String, HostTensor> batch, double lr) {
        checkOpen();
        Graph step = model.trainingStep().graph("step");
        // Optimizer state (moments, step counter) is created lazily with its initial values.
        for (Node n : step.nodes()) if (n.op() instanceof Op.State s) states.computeIfAbsent(s.name(), k -> init(s.init(), s.type().shape(), k));
        Map<String, HostTensor> in = new HashMap<>(batch);
        in.put(TrainingStep.LR, HostTensor.scalar((float) lr));
        CpuExecutor ex = executor("step", step, in);
        bind(ex, in);
        run(ex, mix(options.seed(), steps));
        steps++;
        return result(ex, step);
    }

    /**
     * Re-runs the last training step's batch with a finiteness check after every kernel, to name the op
     * that first produced NaN or infinity. The step changes nothing when its loss is not finite, so the
     * model is as it was before that step. Throws {@link CpuExecutor.NonFiniteError} when found.
     */
    public synchronized void diagnose(Map<String, HostTensor> batch, double lr) {
        checkOpen();
        Graph step = model.trainingStep().graph("step");
        Map<String, HostTensor> in = new HashMap<>(batch);
        in.put(TrainingStep.LR, HostTensor.scalar((float) lr));
        CpuExecutor ex = executor("step", step, in);
        bind(ex, in);
        ex.runChecked(mix(options.seed(), Math.max(0, steps - 1)));
    }

    /** Loss and metrics on a batch in inference mode (batch-norm running statistics, no dropout). */
    public synchronized StepResult evaluate(Map<String, HostTensor> batch) {
        checkOpen();
        Graph eval = model.ir().graph("eval");
        CpuExecutor ex = executor("eval", eval, batch);
        bind(ex, batch);
        run(ex, mix(options.seed() + 1, steps));
        return result(ex, eval);
    }

    /** The model's declared outputs for a batch of inputs. */
    public synchronized Map<String, HostTensor> predict(Map<String, HostTensor> inputs) {
        checkOpen();
        Graph g = model.ir().graph("predict");
        CpuExecutor ex = executor("predict", g, inputs);
        bind(ex, inputs);
        run(ex, mix(options.seed() + 2, steps));
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) {
            if (o.name().startsWith("generated.")) continue;
            out.put(o.name(), read(ex, o, g));
        }
        return out;
    }

    /**
     * The target weights the hypernetwork generates for a conditioning (e.g. {@code task}), split by
     * layout into named tensors: layout name → (parameter name → tensor). Per-sample weights keep their
     * leading axes.
     */
    public synchronized Map<String, Map<String, HostTensor>> generate(Map<String, HostTensor> conditioning) {
        checkOpen();
        Graph g = Compiler.generateGraph(model.compiled());
        CpuExecutor ex = executor("generate", g, conditioning);
        bind(ex, conditioning);
        run(ex, mix(options.seed() + 3, steps));
        Map<String, Map<String, HostTensor>> out = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) {
            String layoutName = o.name().substring("generated.".length());
            Layout layout = model.layouts().stream().filter(l -> l.target().equals(layoutName)).findFirst().orElseThrow();
            out.put(layoutName, WeightSplit.split(layout, read(ex, o, g)));
        }
        return out;
    }

    private void run(CpuExecutor ex, long seed) {
        if (options.checkFinite()) ex.runChecked(seed);
        else ex.run(seed);
    }

    private StepResult result(CpuExecutor ex, Graph g) {
        double loss = Double.NaN;
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) {
            if (o.role() == Graph.Role.LOSS) loss = ex.read(ex.schedule().outputs().get("loss:" + o.name()))[0];
            if (o.role() == Graph.Role.METRIC) metrics.put(o.name(), (double) ex.read(ex.schedule().outputs().get("metric:" + o.name()))[0]);
        }
        return new StepResult(loss, metrics);
    }

    private HostTensor read(CpuExecutor ex, Graph.Output o, Graph g) {
        BufferRef r = ex.schedule().outputs().get(o.role().text() + ":" + o.name());
        float[] data = ex.read(r);
        int[] shape = new int[r.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = (int) r.shape()[i];
        if (o.value().type().dtype() == DType.I32) {
            int[] ints = new int[data.length];
            for (int i = 0; i < ints.length; i++) ints[i] = (int) data[i];
            return HostTensor.i32(shape, ints);
        }
        return HostTensor.f32(shape, data);
    }

    /** The executor of graph {@code name} for the batch size these inputs imply. */
    private CpuExecutor executor(String name, Graph g, Map<String, HostTensor> inputs) {
        long batch = batchSize(g, inputs);
        return executors.computeIfAbsent(name + "@" + batch, k -> {
            Schedule s = Scheduler.lower(g, batch);
            return new CpuExecutor(s, params, states, pool);
        });
    }

    /** B from the first input whose declared shape mentions it; 1 when none does. */
    private static long batchSize(Graph g, Map<String, HostTensor> inputs) {
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.Input in)) continue;
            Shape s = in.type().shape();
            HostTensor t = inputs.get(in.name());
            if (t == null) throw new IllegalArgumentException("missing input '" + in.name() + "' " + in.type());
            if (t.rank() != s.rank()) {
                throw new IllegalArgumentException("input '" + in.name() + "' must be " + in.type() + " but has shape " + java.util.Arrays.toString(t.shape()));
            }
            for (int i = 0; i < s.rank(); i++) {
                Dim d = s.dim(i);
                if (d.batch()) {
                    if (t.shape()[i] % d.coeff() != 0) throw new IllegalArgumentException("input '" + in.name() + "' axis " + i + " is not a multiple of " + d.coeff());
                    return t.shape()[i] / d.coeff();
                }
            }
        }
        return 1;
    }

    private void bind(CpuExecutor ex, Map<String, HostTensor> inputs) {
        for (Map.Entry<String, BufferRef> e : ex.schedule().inputs().entrySet()) {
            HostTensor t = inputs.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("missing input '" + e.getKey() + "'");
            long[] want = e.getValue().shape();
            if (want.length != t.rank()) throw new IllegalArgumentException("input '" + e.getKey() + "' has rank " + t.rank() + ", expected " + want.length);
            for (int i = 0; i < want.length; i++) {
                if (want[i] != t.shape()[i]) {
                    throw new IllegalArgumentException("input '" + e.getKey() + "' has shape " + java.util.Arrays.toString(t.shape())
                            + " but this batch needs " + java.util.Arrays.toString(want));
                }
            }
            float[] dst = ex.array(e.getValue());
            int base = ex.base(e.getValue());
            if (t.isF32()) System.arraycopy(t.f32(), 0, dst, base, t.numel());
            else {
                int[] src = t.i32();
                for (int i = 0; i < src.length; i++) {
                    if (Math.abs(src[i]) >= (1 << 24)) throw new IllegalArgumentException("input '" + e.getKey() + "': id " + src[i] + " is too large (ids must be below 2^24)");
                    dst[base + i] = src[i];
                }
            }
        }
    }

    static int[] shape(Shape s, long batch) {
        int[] out = new int[s.rank()];
        for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(s.dim(i).size(batch));
        return out;
    }

    static long mix(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        return z ^ (z >>> 27);
    }

    // ---------------------------------------------------------------- state for checkpoints

    /** Every tensor of learned and optimizer state, for checkpoints (copies). */
    public synchronized Map<String, float[]> snapshot() {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put("param:" + k, v.clone()));
        states.forEach((k, v) -> out.put("state:" + k, v.clone()));
        return out;
    }

    /** Restores a {@link #snapshot()}; sizes must match. */
    public synchronized void restore(Map<String, float[]> snapshot, long stepCount) {
        for (Map.Entry<String, float[]> e : snapshot.entrySet()) {
            String k = e.getKey();
            Map<String, float[]> store = k.startsWith("param:") ? params : k.startsWith("state:") ? states : null;
            if (store == null) continue;
            String name = k.substring(6);
            float[] dst = store.computeIfAbsent(name, n -> new float[e.getValue().length]);
            if (dst.length != e.getValue().length) {
                throw new IllegalArgumentException("checkpoint tensor " + name + " has " + e.getValue().length + " values, the model needs " + dst.length);
            }
            // Copy in place: executors hold these arrays.
            System.arraycopy(e.getValue(), 0, dst, 0, dst.length);
        }
        steps = stepCount;
    }

    /** Kernel count of the training step for a batch size (for fusion regression tests). */
    public synchronized int trainingKernels(Map<String, HostTensor> batch) {
        Map<String, HostTensor> in = new HashMap<>(batch);
        in.put(TrainingStep.LR, HostTensor.scalar(0));
        return executor("step", model.trainingStep().graph("step"), in).kernelCount();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("session is closed");
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            pool.close();
            executors.clear();
        }
    }

    static List<String> names(Map<String, ?> m) { return List.copyOf(m.keySet()); }
}
