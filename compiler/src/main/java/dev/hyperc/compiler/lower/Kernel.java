package dev.hyperc.compiler.lower;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import java.util.List;

/**
 * One unit of work in a {@link Schedule}: what a backend launches. Every kernel writes only its
 * {@code out} views and reads only its inputs; {@code origin} is the source position it came from
 * (for NaN reports and profiles).
 */
public sealed interface Kernel {
    Origin origin();

    /** out[i] = expr(i) for every index of out. */
    record Fused(BufferRef out, Expr expr, Origin origin) implements Kernel {}

    /**
     * Elementwise kernels over one shape run as one loop: element i of every part, in order, before element i+1.
     * Equivalent to running the parts one after another because a part reads another part's output only at the same
     * element, through the very view that part writes (the scheduler only groups such kernels). Adam's parameter and
     * moment updates are the case this is for: one pass over the weights instead of three.
     */
    record FusedGroup(List<Fused> parts, Origin origin) implements Kernel {
        public FusedGroup {
            parts = List.copyOf(parts);
            if (parts.size() < 2) throw new IllegalArgumentException("a group needs two or more parts");
        }

        public long[] shape() { return parts.get(0).out().shape(); }
    }

    /** out = reduce over {@code axes} of expr evaluated on {@code inShape} (elementwise producers fused in). */
    record Reduce(Op.ReduceFn fn, BufferRef out, Expr in, long[] inShape, int[] axes, Origin origin) implements Kernel {}

    /**
     * out[..., M, N] = a[..., M, K] · b[..., K, N] with broadcast batch axes (stride 0), then the {@code epilogue}
     * parts (elementwise kernels over out's shape, possibly none) on each block of out as soon as it is final, while it
     * is in cache. The parts read out, and each other's outputs, only at the element they write (a {@link FusedGroup}'s
     * rule), so running them block by block equals running them after the whole product. A dense layer's bias and
     * activation are the case this is for. Epilogues are for matrices (rank 2).
     */
    record MatMul(BufferRef out, BufferRef a, BufferRef b, List<Fused> epilogue, Origin origin) implements Kernel {
        public MatMul {
            epilogue = List.copyOf(epilogue);
        }

        public MatMul(BufferRef out, BufferRef a, BufferRef b, Origin origin) { this(out, a, b, List.of(), origin); }
    }

    /** y = conv(x, k) (NCHW; a leading group axis for per-sample kernels), then the {@code epilogue} parts, as for {@link MatMul}. */
    record Conv2d(BufferRef out, BufferRef x, BufferRef k, int[] stride, int[] padding, List<Fused> epilogue, Origin origin) implements Kernel {
        public Conv2d {
            epilogue = List.copyOf(epilogue);
        }

        public Conv2d(BufferRef out, BufferRef x, BufferRef k, int[] stride, int[] padding, Origin origin) {
            this(out, x, k, stride, padding, List.of(), origin);
        }
    }

    record Conv2dGradInput(BufferRef out, BufferRef dy, BufferRef k, int[] stride, int[] padding, Origin origin) implements Kernel {}

    record Conv2dGradKernel(BufferRef out, BufferRef x, BufferRef dy, int[] stride, int[] padding, Origin origin) implements Kernel {}

    record Pool2d(Op.PoolKind kind, BufferRef out, BufferRef x, int[] window, int[] stride, int[] padding, Origin origin) implements Kernel {}

    record Pool2dGrad(Op.PoolKind kind, BufferRef out, BufferRef x, BufferRef dy, int[] window, int[] stride, int[] padding, Origin origin)
            implements Kernel {}

    record LogSumExp(BufferRef out, BufferRef x, int axis, Origin origin) implements Kernel {}

    record ArgMax(BufferRef out, BufferRef x, int axis, Origin origin) implements Kernel {}

    record Gather(BufferRef out, BufferRef table, BufferRef ids, Origin origin) implements Kernel {}

    /** out = zeros; out[ids[i]] += updates[i]. */
    record ScatterAdd(BufferRef out, BufferRef ids, BufferRef updates, Origin origin) implements Kernel {}

    record OneHot(BufferRef out, BufferRef ids, Origin origin) implements Kernel {}

    /** out = in, elementwise through both views (materialises views and concat pieces). */
    record Copy(BufferRef out, BufferRef in, Origin origin) implements Kernel {}

    record Fill(BufferRef out, double value, Origin origin) implements Kernel {}

    record PairwiseDist(BufferRef out, BufferRef x, Origin origin) implements Kernel {}

    record NearestDist(BufferRef out, BufferRef x, Origin origin) implements Kernel {}

    record NearestDistGrad(BufferRef out, BufferRef x, BufferRef dy, Origin origin) implements Kernel {}

    /**
     * A recurrence: the body schedule runs once per step. Before the loop the carries and captures are
     * copied into the body's parameter buffers; each step copies sequence element t in, runs the body,
     * then copies the yielded carries back and emission t out.
     */
    record Scan(Schedule body, List<BufferRef> carryInit, List<BufferRef> sequences, List<BufferRef> captures,
                List<BufferRef> carryOut, List<BufferRef> emitOut, boolean reverse, long steps, Origin origin) implements Kernel {}
}
