package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Kernels;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Elementwise kernels over one shape run element-interleaved: every part's work unit u before any part's unit u + 1
 * (a {@link Kernel.FusedGroup}, or a product's epilogue). The parts' loops are coalesced over each other's strides,
 * so unit u covers the same elements in every part, and a value one part writes is read by the next while in cache.
 */
final class ElementwiseParts {
    private final FusedLoop[] loops;
    private final int width, operands;
    private final long numel;
    /** All parts as one compiled loop, or null where some part needs the interpreter. */
    private final SpanCompiler.CompiledSpan compiled;
    private final float[][] streams;

    /** The parts of a kernel or group, run over all their elements. */
    ElementwiseParts(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind) {
        this(parts, bind, List.of(), false, Compile.WHEN_LARGE, java.util.Set.of());
    }

    /**
     * As above; the parts numbered in {@code deadAfter} write temporaries that nothing after the group reads, so when
     * the parts run compiled those stores are left out and later parts take the values from registers (multitask's
     * head gradient, 6 MB a step, is consumed by its Adam parts this way). See {@link #storesEverything}.
     */
    ElementwiseParts(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind, java.util.Set<Integer> deadAfter) {
        this(parts, bind, List.of(), false, Compile.WHEN_LARGE, deadAfter);
    }

    /** A product's epilogue, applied to blocks ({@link #rect}): its rows stay the product's rows. */
    static ElementwiseParts epilogue(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind) {
        // A stride vector that no axis pair satisfies keeps rows and columns apart, so blocks map to (row, column span).
        return new ElementwiseParts(parts, bind, List.of(new int[] {0, 1}), true, Compile.WHEN_LARGE, java.util.Set.of());
    }

    ElementwiseParts(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind, Compile compile) {
        this(parts, bind, List.of(), false, compile, java.util.Set.of());
    }

    /** When the parts run as one compiled loop ({@link SpanCompiler}) rather than on the interpreter. */
    enum Compile {
        /** Kernels of at least {@link SpanCompiler#MIN_ELEMENTS} elements: the default. */
        WHEN_LARGE,
        /** Whenever the parts can be compiled (tests that compare the two paths). */
        ALWAYS,
        NEVER
    }

    /**
     * {@code extraWalks}: more stride vectors that must keep their axes apart (e.g. rows and columns of a product);
     * {@code keepRows}: short rows are not merged (see {@link FusedLoop}).
     */
    private ElementwiseParts(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind, List<int[]> extraWalks, boolean keepRows, Compile compile,
                             java.util.Set<Integer> deadAfter) {
        List<int[]> walks = new ArrayList<>(extraWalks);
        for (Kernel.Fused f : parts) {
            walks.add(bind.apply(f.out()).strides());
            for (BufferRef r : Kernels.loads(f.expr())) walks.add(bind.apply(r).strides());
        }
        loops = new FusedLoop[parts.size()];
        int w = 0, ops = 0;
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new FusedLoop(bind.apply(parts.get(i).out()), parts.get(i).expr(), bind, walks, keepRows);
            w = Math.max(w, loops[i].nodeCount());
            ops = Math.max(ops, loops[i].operandCount());
            if (!loops[i].sameUnits(loops[0])) throw new IllegalStateException("parts coalesced differently: " + parts);
        }
        numel = parts.get(0).out().numel();
        boolean all = switch (compile) {
            case WHEN_LARGE -> numel >= SpanCompiler.MIN_ELEMENTS;
            case ALWAYS -> true;
            case NEVER -> false;
        };
        for (FusedLoop l : loops) all &= l.compilable();
        SpanProgram program = null;
        boolean elided = false;
        if (all) {
            SpanProgram.Builder b = describe(deadAfter);
            elided = !deadAfter.isEmpty() && !b.conflict();
            program = elided ? b.build() : describe(java.util.Set.of()).build();
        }
        if (program != null && program.insns().size() <= SpanCompiler.MAX_INSNS) {
            compiled = SpanCompiler.compile(program);
            streams = program.streams().toArray(float[][]::new);
            w = Math.max(w, program.scalars());
            ops = Math.max(ops, streams.length);
        } else {
            compiled = null;
            streams = null;
        }
        width = w;
        operands = ops;
        storesEverything = compiled == null || !elided;
    }

    private SpanProgram.Builder describe(java.util.Set<Integer> deadAfter) {
        SpanProgram.Builder b = new SpanProgram.Builder();
        for (int i = 0; i < loops.length; i++) loops[i].describe(b, deadAfter.contains(i));
        return b;
    }

    /**
     * Whether every part's output is written to memory. When not, a run leaves the dead temporaries stale, so a run that
     * inspects every output (the NaN check, {@link CpuExecutor#runChecked}) uses parts built without dead-after.
     */
    final boolean storesEverything;

    /** Whether the parts run as one compiled loop. */
    boolean isCompiled() { return compiled != null; }

    /** The compiled loop's streams (arrays it reads or writes at per-span offsets); 0 when not compiled. */
    int streamCount() { return streams == null ? 0 : streams.length; }

    private void compiledSpan(int row, int c0, int len, FusedLoop.Frame f) {
        for (FusedLoop l : loops) l.prepare(row, c0, f, f.offsets, f.scalars);
        compiled.span(streams, f.offsets, f.scalars, len);
    }

    /** Scratch slots a thread needs: the nodes of the part with the most, or the compiled loop's scalars if more. */
    int width() { return width; }

    /** Offsets a thread needs: the operands of the part with the most, or the compiled loop's streams if more. */
    int operands() { return operands; }

    /** A frame big enough for every part. */
    FusedLoop.Frame newFrame() { return new FusedLoop.Frame(width, operands); }

    /** All elements, split over the pool's threads when large enough. */
    void run(Parallel pool, java.util.function.IntFunction<FusedLoop.Frame> frameOfThread, long seed) {
        int rows = loops[0].rows();
        if (rows >= 2 && numel >= 8192) pool.forChunks(rows, (t, a, b) -> units(a, b, frameOfThread.apply(t), seed));
        else units(0, rows, frameOfThread.apply(0), seed);
    }

    private void units(int from, int to, FusedLoop.Frame f, long seed) {
        if (compiled != null) {
            // A compiled loop needs no scratch, so the units of one row run as one span: a call per span costs as much
            // as ~100 elements (setting up each part's offsets and the loop's constants).
            FusedLoop l0 = loops[0];
            for (int u = from; u < to; ) {
                int row = l0.unitRow(u), c0 = l0.unitColumn(u), len = 0;
                for (; u < to && l0.unitRow(u) == row; u++) len += l0.unitLength(u);
                compiledSpan(row, c0, len, f);
            }
            return;
        }
        for (int u = from; u < to; u++) for (FusedLoop l : loops) l.runUnit(u, f, seed);
    }

    /** Whether {@link #rect} can address (row, column) of a matrix. */
    boolean hasRows() { return loops[0].hasRows(); }

    /** Rows [i0, i1), columns [j0, j1) of a matrix-shaped index space, on the calling thread. */
    void rect(int i0, int i1, int j0, int j1, FusedLoop.Frame f, long seed) {
        for (int i = i0; i < i1; i++) {
            if (compiled != null) { // no scratch: the whole row of the block as one span
                compiledSpan(i, j0, j1 - j0, f);
                continue;
            }
            for (int j = j0; j < j1; j += FusedLoop.CHUNK) {
                int len = Math.min(FusedLoop.CHUNK, j1 - j);
                for (FusedLoop l : loops) l.runSpan(i, j, len, f, seed);
            }
        }
    }

    /** Every element on the calling thread, part after part. */
    void all(FusedLoop.Frame f, long seed) { units(0, loops[0].rows(), f, seed); }
}
