package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.runtime.cpu.kernels.Gemm;
import java.util.List;
import java.util.function.Function;

/**
 * A matmul's epilogue (bias, activation) applied to blocks of the product as the GEMM finishes them, while they are in
 * cache. The parts read the product at the element they write, so any block order is correct.
 */
final class GemmEpilogue implements Gemm.Epilogue {
    private final ElementwiseParts parts;
    /** Per thread, allocated once. */
    private final ThreadLocal<FusedLoop.Frame> frame;
    /** The step's seed, for noise in the epilogue (dropout); set before each product. */
    long seed;

    GemmEpilogue(List<Kernel.Fused> epilogue, Function<BufferRef, Strided> bind) {
        this.parts = ElementwiseParts.epilogue(epilogue, bind);
        this.frame = ThreadLocal.withInitial(parts::newFrame);
    }

    @Override
    public void apply(int i0, int i1, int j0, int j1) {
        // A single row or column is a vector: Gemm then calls this once, for all of it.
        FusedLoop.Frame f = frame.get();
        if (parts.hasRows()) parts.rect(i0, i1, j0, j1, f, seed);
        else parts.all(f, seed);
    }
}
