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

    /** {@code extraWalks}: more stride vectors that must keep their axes apart (e.g. rows and columns of a product). */
    ElementwiseParts(List<Kernel.Fused> parts, Function<BufferRef, Strided> bind, List<int[]> extraWalks) {
        List<int[]> walks = new ArrayList<>(extraWalks);
        for (Kernel.Fused f : parts) {
            walks.add(bind.apply(f.out()).strides());
            for (BufferRef r : Kernels.loads(f.expr())) walks.add(bind.apply(r).strides());
        }
        loops = new FusedLoop[parts.size()];
        int w = 0, ops = 0;
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new FusedLoop(bind.apply(parts.get(i).out()), parts.get(i).expr(), bind, walks);
            w = Math.max(w, loops[i].nodeCount());
            ops = Math.max(ops, loops[i].operandCount());
            if (!loops[i].sameUnits(loops[0])) throw new IllegalStateException("parts coalesced differently: " + parts);
        }
        width = w;
        operands = ops;
        numel = parts.get(0).out().numel();
    }

    /** Scratch slots a thread needs. */
    int width() { return width; }

    /** Operands of the part with the most. */
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
        for (int u = from; u < to; u++) for (FusedLoop l : loops) l.runUnit(u, f, seed);
    }

    /** Whether {@link #rect} can address (row, column) of a matrix. */
    boolean hasRows() { return loops[0].hasRows(); }

    /** Rows [i0, i1), columns [j0, j1) of a matrix-shaped index space, on the calling thread. */
    void rect(int i0, int i1, int j0, int j1, FusedLoop.Frame f, long seed) {
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j += FusedLoop.CHUNK) {
                int len = Math.min(FusedLoop.CHUNK, j1 - j);
                for (FusedLoop l : loops) l.runSpan(i, j, len, f, seed);
            }
        }
    }

    /** Every element on the calling thread, part after part. */
    void all(FusedLoop.Frame f, long seed) { units(0, loops[0].rows(), f, seed); }
}
