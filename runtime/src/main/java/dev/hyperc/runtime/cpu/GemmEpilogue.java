package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.runtime.cpu.kernels.Gemm;
import java.util.List;
import java.util.function.Function;

/**
 * A matmul's epilogue (bias, activation) applied to blocks of the product as the GEMM finishes them, while they are in
 * cache. The output is a dense matrix; the epilogue reads it at the element it writes, so any block order is correct.
 */
final class GemmEpilogue implements Gemm.Epilogue {
    private final FusedLoop loop;
    private final int nodes;
    private final ThreadLocal<float[][]> scratch;
    /** The step's seed, for noise in the epilogue (dropout); set before each product. */
    long seed;

    GemmEpilogue(Strided out, Expr epilogue, Function<BufferRef, Strided> bind) {
        // A stride vector that no axis pair satisfies keeps rows and columns apart, so blocks map to (row, column span).
        this.loop = new FusedLoop(out, epilogue, bind, List.of(new int[] {0, 1}));
        this.nodes = loop.nodeCount();
        this.scratch = ThreadLocal.withInitial(() -> new float[nodes][FusedLoop.CHUNK]);
    }

    @Override
    public void apply(int i0, int i1, int j0, int j1) {
        float[][] s = scratch.get();
        if (!loop.hasRows()) {
            // A single row or column: the product is a vector, and Gemm applies the epilogue once to all of it.
            loop.run(0, loop.rows(), s, seed);
            return;
        }
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j += FusedLoop.CHUNK) loop.runSpan(i, j, Math.min(FusedLoop.CHUNK, j1 - j), s, seed);
        }
    }
}
