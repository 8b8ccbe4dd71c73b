package dev.hyperc.runtime.task;

import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.runtime.opencl.Cl;
import dev.hyperc.runtime.opencl.DeviceContext;
import dev.hyperc.runtime.opencl.OpenClError;
import dev.hyperc.runtime.opencl.OpenClExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link ImmutableTaskGraph}s on an OpenCL device. Configure it ({@link #withDevice}, {@link #withProfiler},
 * {@link #withWarmUp}), then {@link #execute} it once per step: bound {@code EVERY_EXECUTION} arrays go in, every
 * kernel of every task runs on one in-order queue, {@code EVERY_EXECUTION} outputs come back, and the host waits
 * once ({@code clFinish}) for all of it.
 *
 * <p>Plans built {@link #withContext on one context} share device buffers for the same host arrays, so a
 * training-step plan and an evaluation plan over one set of weights hold those weights on the device once.
 *
 * <p>Not thread-safe. Close it to release the device memory and programs it holds (and its context, if it made one).
 */
public final class ExecutionPlan implements AutoCloseable {
    private final List<ImmutableTaskGraph> graphs;
    private Cl.Device device;
    private DeviceContext context;
    private boolean ownsContext, profile, closed;
    private List<Compiled> compiled;
    private boolean firstDone;
    private long executions;
    private ExecutionResult last;

    /** A task of a graph, compiled for the device, with its bindings resolved to buffer views. */
    private record Compiled(String name, OpenClExecutor executor, Map<BufferRef, float[]> everyIn, Map<BufferRef, float[]> firstIn,
                            List<BufferRef> outRefs, List<float[]> outArrays) {}

    public ExecutionPlan(ImmutableTaskGraph... graphs) {
        if (graphs.length == 0) throw new IllegalArgumentException("an execution plan needs at least one task graph");
        this.graphs = List.of(graphs);
    }

    /** Runs on this device (default: the preferred one, a GPU if there is one). */
    public ExecutionPlan withDevice(Cl.Device d) {
        checkNotBuilt();
        this.device = d;
        return this;
    }

    /** Runs on an existing context, sharing its buffers with the other plans on it; the plan does not close it. */
    public ExecutionPlan withContext(DeviceContext c) {
        checkNotBuilt();
        this.context = c;
        this.device = c.device();
        return this;
    }

    /** Records per-kernel device time (needs a profiling context when one is given). */
    public ExecutionPlan withProfiler(boolean on) {
        checkNotBuilt();
        this.profile = on;
        return this;
    }

    /** Generates, builds and allocates now, and moves the FIRST_EXECUTION data, so the first execute is a normal one. */
    public ExecutionPlan withWarmUp() {
        build();
        return this;
    }

    public Cl.Device device() {
        if (device == null) {
            Cl.Result<Cl.Device> d = Cl.preferredDevice();
            device = d.value().orElseThrow(() -> new OpenClError(d.reason()));
        }
        return device;
    }

    private void checkNotBuilt() {
        if (compiled != null) throw new IllegalStateException("the plan is already built; configure it before warm-up or the first execute");
    }

    private void build() {
        if (closed) throw new IllegalStateException("execution plan is closed");
        if (compiled != null) return;
        if (context == null) {
            context = new DeviceContext(device(), profile);
            ownsContext = true;
        }
        List<Compiled> out = new ArrayList<>();
        try {
            for (ImmutableTaskGraph g : graphs) {
                for (TaskGraph.Task t : g.tasks()) out.add(compile(g, t));
            }
        } catch (RuntimeException e) {
            for (Compiled c : out) c.executor().close();
            if (ownsContext) context.close();
            context = ownsContext ? null : context;
            throw e;
        }
        compiled = out;
        for (Compiled c : compiled) {
            for (var e : c.firstIn().entrySet()) c.executor().write(e.getKey(), e.getValue());
        }
        context.finish();
        firstDone = true;
    }

    private Compiled compile(ImmutableTaskGraph g, TaskGraph.Task t) {
        Map<String, float[]> params = new HashMap<>(), states = new HashMap<>();
        for (Buffer b : t.schedule().buffers()) {
            if (b.kind() != Buffer.Kind.PARAM && b.kind() != Buffer.Kind.STATE) continue;
            float[] a = ImmutableTaskGraph.find(g.toDevice(), b.name()).array();
            (b.kind() == Buffer.Kind.PARAM ? params : states).put(b.name(), a);
        }
        OpenClExecutor ex = new OpenClExecutor(t.schedule(), params, states, context);
        Map<BufferRef, float[]> every = new LinkedHashMap<>(), first = new LinkedHashMap<>();
        for (var in : t.schedule().inputs().entrySet()) {
            TaskGraph.Binding b = ImmutableTaskGraph.find(g.toDevice(), in.getKey());
            (b.mode() == DataTransferMode.EVERY_EXECUTION ? every : first).put(in.getValue(), b.array());
        }
        List<BufferRef> refs = new ArrayList<>();
        List<float[]> arrays = new ArrayList<>();
        for (TaskGraph.Binding b : g.toHost()) {
            BufferRef r = t.schedule().outputs().get(b.name());
            if (r != null && b.mode() == DataTransferMode.EVERY_EXECUTION) {
                refs.add(r);
                arrays.add(b.array());
            }
        }
        return new Compiled(g.name() + "." + t.name(), ex, every, first, refs, arrays);
    }

    /** One execution with seed 0. */
    public ExecutionResult execute() { return execute(0); }

    /**
     * Runs every task once, in order, with {@code seed} for noise and dropout; one {@code clFinish}. Returns what moved
     * and, with the profiler on, the device time per kernel.
     */
    public ExecutionResult execute(long seed) {
        build();
        long before = context.bytesMoved();
        List<OpenClExecutor.Pending> pending = new ArrayList<>();
        for (Compiled c : compiled) {
            Map<BufferRef, float[]> in = c.everyIn();
            if (!firstDone) {
                in = new LinkedHashMap<>(in);
                in.putAll(c.firstIn());
            }
            pending.add(c.executor().enqueueStep(seed, in, c.outRefs()));
        }
        context.finish();
        for (int i = 0; i < compiled.size(); i++) {
            float[][] got = pending.get(i).complete();
            List<float[]> dst = compiled.get(i).outArrays();
            for (int k = 0; k < got.length; k++) System.arraycopy(got[k], 0, dst.get(k), 0, got[k].length);
        }
        firstDone = true;
        executions++;
        Map<String, Double> kernels = new LinkedHashMap<>();
        if (profile) for (Compiled c : compiled) c.executor().profileByKernel().forEach((k, v) -> kernels.put(c.name() + "/" + k, v));
        last = new ExecutionResult(context.bytesMoved() - before, kernels, executions);
        return last;
    }

    /** Copies UNDER_DEMAND (or any device-resident) bound arrays back from the device now. */
    public void transferToHost(float[]... arrays) {
        build();
        Map<float[], Boolean> want = new IdentityHashMap<>();
        for (float[] a : arrays) want.put(a, true);
        for (float[] a : want.keySet()) {
            if (!context.isShared(a)) throw new IllegalArgumentException("transferToHost: array of " + a.length + " floats is not resident on the device");
            context.download(a);
        }
    }

    /** Copies bound arrays from the host to the device again (e.g. after restoring a checkpoint into them). */
    public void transferToDevice(float[]... arrays) {
        build();
        for (float[] a : arrays) {
            if (!context.isShared(a)) throw new IllegalArgumentException("transferToDevice: array of " + a.length + " floats is not resident on the device");
            context.upload(a);
        }
    }

    /** Kernels launched per execution, over all tasks. */
    public int kernelCount() {
        build();
        return compiled.stream().mapToInt(c -> c.executor().kernelCount()).sum();
    }

    /** The generated OpenCL C of each task, by task. */
    public Map<String, String> sources() {
        build();
        Map<String, String> out = new LinkedHashMap<>();
        for (Compiled c : compiled) out.put(c.name(), c.executor().program().source());
        return out;
    }

    public DeviceContext context() {
        build();
        return context;
    }

    /** The result of the last execution; null before the first. */
    public ExecutionResult lastResult() { return last; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (compiled != null) for (Compiled c : compiled) c.executor().close();
        if (ownsContext && context != null) context.close();
    }
}
