package dev.hyperc.runtime.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.hyperc.compiler.codegen.OpenClCodegen;
import dev.hyperc.compiler.codegen.OpenClCodegen.Launch;
import dev.hyperc.compiler.codegen.OpenClCodegen.Mem;
import dev.hyperc.compiler.codegen.OpenClCodegen.ScanLoop;
import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Schedule} on an OpenCL device, with the kernels {@link OpenClCodegen} generated for it.
 *
 * <p><b>Memory.</b> Parameters and optimizer state are the {@link DeviceContext}'s shared buffers, matched by the identity
 * of their host arrays, so every executor on the same context (training step, evaluation, prediction) works on the same
 * device copy and nothing moves between them. Inputs and constants get one device buffer each, and each schedule scope
 * one arena buffer holding all its temporaries at the memory plan's offsets (offsets are baked into the kernels as
 * constants, so no offset arguments are needed); scan bodies get their own buffers. A step moves only what the caller
 * writes (inputs) and reads (loss, metrics). {@link #downloadState()} copies parameters and state back to the host
 * arrays (for checkpoints and tests).
 *
 * <p><b>Launches.</b> All kernels are built as one program (cached on disk, keyed by SHA-256 of source, device name,
 * driver version and build options, in {@code $HYPERC_CL_CACHE} or {@code ~/.cache/hyperc/opencl}). A step enqueues
 * every kernel on the context's in-order queue and calls {@code clFinish} once.
 *
 * <p><b>Profiling.</b> On a profiling context the queue records events; {@link #profileByKernel()} gives mean device
 * time per kernel and {@link #lastStepBytes()} the bytes moved between host and device by the last step.
 *
 * <p>Not thread-safe: one thread drives an executor.
 */
public final class OpenClExecutor implements AutoCloseable {
    private final DeviceContext dc;
    private final boolean ownsContext;
    private final Cl cl;
    private final Schedule schedule;
    private final OpenClCodegen.Program program;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment queue, prog;
    private final MemorySegment[] mems;
    private final boolean[] sharedMem;
    private final Map<String, MemorySegment> kernels = new HashMap<>();
    private final Map<Launch, MemorySegment[]> sizes = new HashMap<>();
    private final Map<String, float[]> params, states;
    private final MemorySegment seedArg, dynArg, evSlot;
    private final boolean profile;
    private final Map<String, long[]> kernelNanos = new LinkedHashMap<>();
    private final List<MemorySegment> pendingEvents = new ArrayList<>();
    private final List<String> pendingNames = new ArrayList<>();
    private final Map<Integer, MemorySegment> staging = new HashMap<>();
    private final Map<BufferRef, MemorySegment> readStaging = new HashMap<>();
    private long stepBytes, lastStepBytes, steps;
    private boolean closed;

    /** An executor with a context of its own on {@code device} (closed with it). */
    public OpenClExecutor(Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, Cl.Device device, boolean profile) {
        this(schedule, params, states, new DeviceContext(device, profile), true);
    }

    /** An executor on a shared context: parameters and state are the context's buffers for these host arrays. */
    public OpenClExecutor(Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, DeviceContext context) {
        this(schedule, params, states, context, false);
    }

    private OpenClExecutor(Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, DeviceContext context, boolean owns) {
        this.dc = context;
        this.ownsContext = owns;
        this.cl = context.cl();
        this.schedule = schedule;
        this.params = params;
        this.states = states;
        this.profile = context.profiling();
        this.queue = context.queue;
        this.program = OpenClCodegen.generate(schedule, options(context.device()));
        mems = new MemorySegment[program.mems().size()];
        sharedMem = new boolean[mems.length];
        seedArg = arena.allocate(JAVA_LONG);
        dynArg = arena.allocate(JAVA_INT);
        evSlot = arena.allocate(ADDRESS);
        MemorySegment p = null;
        try {
            p = context.build(program.source());
        } catch (RuntimeException e) {
            arena.close();
            if (owns) context.close();
            throw e;
        }
        this.prog = p;
        try {
            allocate();
            prepare(program.steps());
            cl.finish(queue);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The codegen options matching a device. */
    public static OpenClCodegen.Options options(Cl.Device d) {
        return new OpenClCodegen.Options(d.gpu() ? OpenClCodegen.DeviceKind.GPU : OpenClCodegen.DeviceKind.CPU, d.maxWorkGroupSize(), d.fp64());
    }

    public Schedule schedule() { return schedule; }

    public OpenClCodegen.Program program() { return program; }

    public Cl.Device device() { return dc.device(); }

    public DeviceContext context() { return dc; }

    private void allocate() {
        for (int i = 0; i < mems.length; i++) {
            Mem m = program.mems().get(i);
            long bytes = m.floats() * 4;
            String what = m.name() + " (" + m.kind().name().toLowerCase(java.util.Locale.ROOT) + ")";
            boolean persistent = m.scope() == 0 && (m.kind() == Buffer.Kind.PARAM || m.kind() == Buffer.Kind.STATE);
            if (persistent) {
                Map<String, float[]> store = m.kind() == Buffer.Kind.PARAM ? params : states;
                float[] host = store.computeIfAbsent(m.name(), k -> new float[(int) m.floats()]);
                if (host.length < m.floats()) throw new IllegalArgumentException("buffer " + m.name() + " needs " + m.floats() + " floats but the store has " + host.length);
                mems[i] = dc.shared(host, what);
                sharedMem[i] = true;
            } else {
                mems[i] = dc.allocate(bytes, what);
                cl.fill(queue, mems[i], m.kind() == Buffer.Kind.CONST ? (float) m.fill() : 0f, 0, bytes);
            }
        }
    }

    /** Copies parameters and state from the device back into the host arrays given at construction. */
    public void downloadState() {
        for (int i = 0; i < mems.length; i++) {
            Mem m = program.mems().get(i);
            if (!sharedMem[i]) continue;
            dc.download((m.kind() == Buffer.Kind.PARAM ? params : states).get(m.name()));
        }
    }

    // ---------------------------------------------------------------- launches

    private void prepare(List<OpenClCodegen.Step> steps) {
        for (OpenClCodegen.Step s : steps) {
            switch (s) {
                case Launch l -> {
                    MemorySegment k = cl.createKernel(prog, l.kernel());
                    kernels.put(l.kernel(), k);
                    MemorySegment h = arena.allocate(ADDRESS);
                    for (int i = 0; i < l.mems().length; i++) {
                        h.set(ADDRESS, 0, mems[l.mems()[i]]);
                        cl.setArg(k, i, h);
                    }
                    MemorySegment g = arena.allocate(JAVA_LONG, l.global().length);
                    for (int i = 0; i < l.global().length; i++) g.setAtIndex(JAVA_LONG, i, l.global()[i]);
                    MemorySegment lo = MemorySegment.NULL;
                    if (l.local() != null) {
                        lo = arena.allocate(JAVA_LONG, l.local().length);
                        for (int i = 0; i < l.local().length; i++) lo.setAtIndex(JAVA_LONG, i, l.local()[i]);
                    }
                    sizes.put(l, new MemorySegment[] {g, lo});
                    seedArg.set(JAVA_LONG, 0, 0);
                    dynArg.set(JAVA_INT, 0, 0);
                    cl.setArg(k, l.mems().length, seedArg);
                    cl.setArg(k, l.mems().length + 1, dynArg);
                }
                case ScanLoop sl -> {
                    prepare(sl.prologue());
                    prepare(sl.in());
                    prepare(sl.body());
                    prepare(sl.out());
                    prepare(sl.epilogue());
                }
            }
        }
    }

    private void enqueue(List<OpenClCodegen.Step> steps, long seed, int dyn) {
        for (OpenClCodegen.Step s : steps) {
            switch (s) {
                case Launch l -> {
                    MemorySegment k = kernels.get(l.kernel());
                    seedArg.set(JAVA_LONG, 0, seed);
                    dynArg.set(JAVA_INT, 0, dyn);
                    cl.setArg(k, l.mems().length, seedArg);
                    cl.setArg(k, l.mems().length + 1, dynArg);
                    MemorySegment[] gs = sizes.get(l);
                    MemorySegment ev = MemorySegment.NULL;
                    if (profile) ev = evSlot;
                    cl.enqueue(queue, k, l.global().length, gs[0], gs[1], ev, l.kernel() + " (" + l.label() + ")");
                    if (profile) {
                        pendingEvents.add(ev.get(ADDRESS, 0));
                        pendingNames.add(l.kernel() + " " + l.label());
                    }
                }
                case ScanLoop sl -> {
                    enqueue(sl.prologue(), seed, 0);
                    for (long i = 0; i < sl.steps(); i++) {
                        int t = (int) (sl.reverse() ? sl.steps() - 1 - i : i);
                        enqueue(sl.in(), seed, t);
                        enqueue(sl.body(), seed * 1_000_003L + t, 0);
                        enqueue(sl.out(), seed, t);
                    }
                    enqueue(sl.epilogue(), seed, 0);
                }
            }
        }
    }

    // ---------------------------------------------------------------- host API

    /** Writes a dense array into a top-level view (an input); non-blocking, completed by the next {@link #run}. */
    public void write(BufferRef r, float[] data) {
        if (!r.isContiguous()) throw new UnsupportedOperationException("OpenCL executor writes only dense views, not " + r);
        if (data.length != r.numel()) throw new IllegalArgumentException("expected " + r.numel() + " values, got " + data.length);
        MemorySegment s = staging.get(r.buffer());
        long need = Math.max(r.numel(), schedule.buffer(r.buffer()).size()) * 4;
        if (s == null || s.byteSize() < need) {
            s = arena.allocate(need, 64);
            staging.put(r.buffer(), s);
        }
        MemorySegment.copy(data, 0, s, JAVA_FLOAT, 0, data.length);
        long off = (program.topBase()[r.buffer()] + r.offset()) * 4;
        cl.write(queue, mems[program.topMem()[r.buffer()]], false, off, data.length * 4L, s);
        stepBytes += data.length * 4L;
        dc.countTransfer(data.length * 4L);
    }

    /** Runs every kernel once and waits (one clFinish). */
    public void run(long seed) {
        enqueue(program.steps(), seed, 0);
        cl.finish(queue);
        endStep();
    }

    /**
     * One training/inference step: writes the inputs, runs every kernel, reads the requested outputs, with a single
     * clFinish. Returns the outputs in order, dense.
     */
    public float[][] step(long seed, Map<BufferRef, float[]> inputs, List<BufferRef> outputs) {
        Pending p = enqueueStep(seed, inputs, outputs);
        cl.finish(queue);
        return p.complete();
    }

    /**
     * Enqueues a step without waiting: input writes, every kernel, output reads. The caller finishes the context's queue
     * (once, for however many executors it enqueued) and then calls {@link Pending#complete()}.
     */
    public Pending enqueueStep(long seed, Map<BufferRef, float[]> inputs, List<BufferRef> outputs) {
        for (Map.Entry<BufferRef, float[]> e : inputs.entrySet()) write(e.getKey(), e.getValue());
        enqueue(program.steps(), seed, 0);
        List<MemorySegment> segs = new ArrayList<>();
        for (BufferRef r : outputs) segs.add(enqueueRead(r));
        return new Pending(outputs, segs);
    }

    /** Reads enqueued by {@link #enqueueStep}, to be completed after the queue finished. */
    public final class Pending {
        private final List<BufferRef> outputs;
        private final List<MemorySegment> segs;

        private Pending(List<BufferRef> outputs, List<MemorySegment> segs) {
            this.outputs = outputs;
            this.segs = segs;
        }

        /** The outputs, dense, in the order asked for; ends the step's accounting. */
        public float[][] complete() {
            float[][] out = new float[outputs.size()][];
            for (int i = 0; i < out.length; i++) out[i] = gather(outputs.get(i), segs.get(i));
            endStep();
            return out;
        }
    }

    private void endStep() {
        lastStepBytes = stepBytes;
        stepBytes = 0;
        steps++;
        if (profile) {
            for (int i = 0; i < pendingEvents.size(); i++) {
                MemorySegment ev = pendingEvents.get(i);
                long ns = cl.eventNanos(ev);
                cl.releaseEvent(ev);
                long[] acc = kernelNanos.computeIfAbsent(pendingNames.get(i), k -> new long[2]);
                acc[0] += ns;
                acc[1]++;
            }
            pendingEvents.clear();
            pendingNames.clear();
        }
    }

    /** Reads a top-level view into a fresh dense array (blocking). Counts toward the last step's bytes. */
    public float[] read(BufferRef r) {
        MemorySegment s = enqueueRead(r);
        cl.finish(queue);
        lastStepBytes += readBytes(r);
        stepBytes -= readBytes(r);
        return gather(r, s);
    }

    private long readBytes(BufferRef r) { return (r.extent() - r.offset()) * 4; }

    private MemorySegment enqueueRead(BufferRef r) {
        long lo = r.offset(), n = r.extent() - lo;
        // One host segment per output view, reused every step: the arena frees only on close.
        MemorySegment s = readStaging.computeIfAbsent(r, k -> arena.allocate(Math.max(4, n * 4), 64));
        cl.read(queue, mems[program.topMem()[r.buffer()]], false, (program.topBase()[r.buffer()] + lo) * 4, n * 4, s);
        stepBytes += n * 4;
        dc.countTransfer(n * 4);
        return s;
    }

    private static float[] gather(BufferRef r, MemorySegment s) {
        float[] out = new float[Math.toIntExact(r.numel())];
        long[] sh = r.shape(), st = r.strides();
        for (int i = 0; i < out.length; i++) {
            long f = i, at = 0;
            for (int k = sh.length - 1; k >= 0; k--) {
                at += (f % sh[k]) * st[k];
                f /= sh[k];
            }
            out[i] = s.getAtIndex(JAVA_FLOAT, at);
        }
        return out;
    }

    /** Bytes moved between host and device by the last step (inputs written plus outputs read). */
    public long lastStepBytes() { return lastStepBytes; }

    public int kernelCount() { return program.kernelCount(); }

    /** Mean device time per kernel per step (ms), largest first; empty unless built with profiling. */
    public LinkedHashMap<String, Double> profileByKernel() {
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        kernelNanos.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> out.put(e.getKey(), e.getValue()[0] / 1e6 / Math.max(1, steps)));
        return out;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (MemorySegment k : kernels.values()) cl.releaseKernel(k);
        for (int i = 0; i < mems.length; i++) if (mems[i] != null && !sharedMem[i]) cl.releaseMem(mems[i]);
        if (prog != null) cl.releaseProgram(prog);
        arena.close();
        if (ownsContext) dc.close();
    }
}
