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
import dev.hyperc.runtime.opencl.Cl;
import dev.hyperc.runtime.opencl.DeviceContext;
import dev.hyperc.runtime.opencl.OpenClError;
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
 * <p>On OpenCL ({@link Backend#OPENCL}, or {@link Backend#AUTO} with a GPU) the parameters and optimizer
 * state are uploaded once and stay on the device, shared by all the session's executables; a step moves
 * only its batch in and its loss and metrics out. The host copies are brought up to date when asked for
 * ({@link #parameters()}, {@link #snapshot()}), and {@link #restore} sends restored values back.
 *
 * <p>Thread-safety: all methods are synchronized; one session runs one call at a time. Use several
 * sessions for parallel work. Close the session to release its worker threads and device memory.
 */
public final class Session implements AutoCloseable {
    /**
     * How a session runs. {@code threads <= 0} means all cores. {@code checkFinite} checks every kernel's
     * output for NaN/Inf (CPU backend; on OpenCL a non-finite loss is diagnosed with {@link #diagnose}).
     */
    public record Options(int threads, long seed, boolean checkFinite, Backend backend) {
        public Options(int threads, long seed, boolean checkFinite) { this(threads, seed, checkFinite, Backend.CPU); }

        public static Options defaults() { return new Options(0, 0, false, Backend.CPU); }

        public Options withSeed(long s) { return new Options(threads, s, checkFinite, backend); }

        public Options withThreads(int t) { return new Options(t, seed, checkFinite, backend); }

        public Options withCheckFinite(boolean c) { return new Options(threads, seed, c, backend); }

        public Options withBackend(Backend b) { return new Options(threads, seed, checkFinite, b); }
    }

    /** The loss and metrics of one step or one evaluated batch. */
    public record StepResult(double loss, Map<String, Double> metrics) {}

    private final Model model;
    private final Options options;
    private final Parallel pool;
    private final Map<String, float[]> params = new LinkedHashMap<>();
    private final Map<String, float[]> states = new LinkedHashMap<>();
    private final Map<String, Runner> executors = new HashMap<>();
    /** The device context on OpenCL; null on the CPU backend. */
    private final DeviceContext device;
    private final String backendNote;
    /** Whether the device holds newer parameters and state than the host arrays. */
    private boolean hostStale;
    private long steps;
    private boolean closed;

    Session(Model model, Options options) {
        this.model = model;
        this.options = options;
        Backend b = options.backend() == null ? Backend.CPU : options.backend();
        Cl.Device dev = null;
        String note = "";
        if (b == Backend.OPENCL) {
            Cl.Result<Cl.Device> d = Cl.preferredDevice();
            dev = d.value().orElseThrow(() -> new OpenClError(d.reason()));
        } else if (b == Backend.AUTO) {
            Cl.Result<Cl.Device> d = Cl.preferredDevice();
            if (d.value().isEmpty()) note = "using the CPU backend: " + d.reason();
            else if (!d.value().get().gpu()) note = "using the CPU backend: the only OpenCL device is a CPU (" + d.value().get().name()
                    + "), where the JVM backend is faster; --device opencl uses it anyway";
            else dev = d.value().get();
        }
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        this.pool = new Parallel(threads);
        this.device = dev == null ? null : new DeviceContext(dev, false);
        this.backendNote = note;
        initialise();
    }

    /** Where this session runs, in words: "cpu (N threads)" or "opencl: device". */
    public String backend() {
        return device == null ? "cpu (" + pool.threads() + " threads)" : "opencl: " + device.device().name() + " (" + device.device().platformName() + ")";
    }

    /** Why {@link Backend#AUTO} chose the CPU backend; empty when it did not. */
    public String backendNote() { return backendNote; }

    /** Whether this session runs on an OpenCL device. */
    public boolean onDevice() { return device != null; }

    public Model model() { return model; }

    /** Number of training steps taken. */
    public synchronized long steps() { return steps; }

    /** Parameters by name (copies). */
    public synchronized Map<String, HostTensor> parameters() {
        syncHost();
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
        Runner ex = executor("step", step, in);
        bind(ex, in);
        run(ex, mix(options.seed(), steps));
        steps++;
        if (device != null) hostStale = true;
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
        if (device == null) {
            Runner ex = executor("step", step, in);
            bind(ex, in);
            ex.run(mix(options.seed(), Math.max(0, steps - 1)), true);
            return;
        }
        // On a device, replay the step on the CPU backend, which can check after every kernel. It works on the host
        // copies, which are put back afterwards: a finite CPU loss would otherwise update them behind the device's back.
        Map<String, float[]> saved = snapshot();
        try {
            Runner ex = cpuExecutor("step", step, in);
            bind(ex, in);
            ex.run(mix(options.seed(), Math.max(0, steps - 1)), true);
        } finally {
            restore(saved, steps);
        }
    }

    /** Loss and metrics on a batch in inference mode (batch-norm running statistics, no dropout). */
    public synchronized StepResult evaluate(Map<String, HostTensor> batch) {
        checkOpen();
        Graph eval = model.ir().graph("eval");
        Runner ex = executor("eval", eval, batch);
        bind(ex, batch);
        run(ex, mix(options.seed() + 1, steps));
        return result(ex, eval);
    }

    /** The model's declared outputs for a batch of inputs. */
    public synchronized Map<String, HostTensor> predict(Map<String, HostTensor> inputs) {
        checkOpen();
        Graph g = model.ir().graph("predict");
        Runner ex = executor("predict", g, inputs);
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
        Runner ex = executor("generate", g, conditioning);
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

    private void run(Runner ex, long seed) {
        ex.run(seed, options.checkFinite());
    }

    private StepResult result(Runner ex, Graph g) {
        double loss = Double.NaN;
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) {
            if (o.role() == Graph.Role.LOSS) loss = ex.read("loss:" + o.name())[0];
            if (o.role() == Graph.Role.METRIC) metrics.put(o.name(), (double) ex.read("metric:" + o.name())[0]);
        }
        return new StepResult(loss, metrics);
    }

    private HostTensor read(Runner ex, Graph.Output o, Graph g) {
        String key = o.role().text() + ":" + o.name();
        BufferRef r = ex.schedule().outputs().get(key);
        float[] data = ex.read(key);
        int[] shape = new int[r.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = (int) r.shape()[i];
        if (o.value().type().dtype() == DType.I32) {
            int[] ints = new int[data.length];
            for (int i = 0; i < ints.length; i++) ints[i] = (int) data[i];
            return HostTensor.i32(shape, ints);
        }
        return HostTensor.f32(shape, data);
    }

    /** The executor of graph {@code name} for the batch size these inputs imply, on the session's backend. */
    private Runner executor(String name, Graph g, Map<String, HostTensor> inputs) {
        if (device == null) return cpuExecutor(name, g, inputs);
        long batch = batchSize(g, inputs);
        return executors.computeIfAbsent(name + "@" + batch, k -> {
            Schedule s = Scheduler.lower(g, batch);
            return new ClRunner(k, s, params, states, device, key -> transfers(name, key));
        });
    }

    /** The outputs a device runner sends back on every execution; updates and state stay on the device. */
    private static boolean transfers(String graph, String key) {
        if (key.startsWith("loss:") || key.startsWith("metric:")) return true;
        if (!key.startsWith("result:")) return false;
        // Prediction does not return the (per-sample, large) generated weights; generation returns only them.
        return graph.equals("generate") || !key.startsWith("result:generated.");
    }

    private Runner cpuExecutor(String name, Graph g, Map<String, HostTensor> inputs) {
        long batch = batchSize(g, inputs);
        return executors.computeIfAbsent("cpu:" + name + "@" + batch, k -> new CpuRunner(new CpuExecutor(Scheduler.lower(g, batch), params, states, pool)));
    }

    /** Brings the host copies of parameters and state up to date with the device. */
    private void syncHost() {
        if (device != null && hostStale) {
            device.downloadAll();
            hostStale = false;
        }
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

    private void bind(Runner ex, Map<String, HostTensor> inputs) {
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
            ex.bind(e.getKey(), t);
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
        syncHost();
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put("param:" + k, v.clone()));
        states.forEach((k, v) -> out.put("state:" + k, v.clone()));
        return out;
    }

    /** Restores a {@link #snapshot()}; sizes must match. */
    public synchronized void restore(Map<String, float[]> snapshot, long stepCount) {
        syncHost();
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
        if (device != null) device.uploadAll();
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
            for (Runner r : executors.values()) if (r instanceof ClRunner c) c.close();
            executors.clear();
            if (device != null) device.close();
        }
    }

    /** Bytes the last training step moved between host and device (0 on the CPU backend). */
    public synchronized long lastStepBytes(Map<String, HostTensor> batch) {
        Map<String, HostTensor> in = new HashMap<>(batch);
        in.put(TrainingStep.LR, HostTensor.scalar(0));
        return executor("step", model.trainingStep().graph("step"), in) instanceof ClRunner c ? c.lastBytes() : 0;
    }

    static List<String> names(Map<String, ?> m) { return List.copyOf(m.keySet()); }
}
