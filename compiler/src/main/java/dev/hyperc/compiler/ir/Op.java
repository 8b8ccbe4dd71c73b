package dev.hyperc.compiler.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The closed set of IR operations. Each op states its shape rule in {@link #resultTypes}; the
 * verifier re-runs the rule on every node after every pass, so a pass that breaks a shape fails
 * at once. Views ({@link View}) only reinterpret memory and never become kernels; everything else computes.
 *
 * <p>All ops produce one result except {@link Scan}, which yields its final carries and the stacked
 * per-step emissions.
 */
public sealed interface Op {
    /** The op's name in the text format. */
    String mnemonic();

    /** The shape rule: result types from operand types, or a {@link ShapeError}. */
    List<TensorType> resultTypes(List<TensorType> in);

    /** Number of operands the op takes, or -1 for variadic. */
    int arity();

    /** Ops that only reinterpret their operand's memory. */
    sealed interface View extends Op permits Reshape, Slice, Transpose, Broadcast {}

    /** Ops with no operands: where values enter a graph. */
    sealed interface Leaf extends Op permits Input, Param, State, Noise, Const {
        TensorType type();

        @Override
        default List<TensorType> resultTypes(List<TensorType> in) { return List.of(type()); }

        @Override
        default int arity() { return 0; }
    }

    // ---------------------------------------------------------------- leaves

    /** Data fed per step. {@code i32} inputs hold ids or labels. */
    record Input(String name, TensorType type) implements Leaf {
        public String mnemonic() { return "input"; }
    }

    /** A learned tensor, created by {@code init}. */
    record Param(String name, TensorType type, Init init) implements Leaf {
        public String mnemonic() { return "param"; }
    }

    /** Non-learned state carried across steps (batch-norm running statistics). */
    record State(String name, TensorType type, Init init) implements Leaf {
        public String mnemonic() { return "state"; }
    }

    /** Fresh random numbers every step: {@code uniform(a, b)} or {@code normal(mean=a, std=b)}. */
    record Noise(Init.Distribution distribution, double a, double b, TensorType type) implements Leaf {
        public String mnemonic() { return "noise"; }
    }

    /** A tensor filled with one value. */
    record Const(double value, TensorType type) implements Leaf {
        public String mnemonic() { return "const"; }
    }

    // ---------------------------------------------------------------- elementwise

    enum UnaryFn {
        NEG, EXP, LOG, SQRT, RSQRT, TANH, SIGMOID, RELU, ABS, SQUARE, RECIP,
        /** 1 where x > 0, else 0: the derivative of relu, kept explicit so that it is not a hidden kink. */
        STEP;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** Shape rule: result has the operand's type; operand must be f32. */
    record Unary(UnaryFn fn) implements Op {
        public String mnemonic() { return fn.text(); }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            requireF32(this, in.get(0));
            return List.of(in.get(0));
        }
    }

    /** max(x, alpha·x). */
    record LeakyRelu(double alpha) implements Op {
        public String mnemonic() { return "leaky_relu"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            requireF32(this, in.get(0));
            return List.of(in.get(0));
        }
    }

    enum BinaryFn {
        ADD, SUB, MUL, DIV, MAX, MIN, POW, GT, GE, LT, LE, EQ;

        public boolean isComparison() { return ordinal() >= GT.ordinal(); }

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * Shape rule: NumPy broadcasting of the two operand shapes. Both operands share a dtype.
     * Arithmetic keeps the dtype (f32 only); comparisons give f32 1.0/0.0 so masks multiply directly.
     */
    record Binary(BinaryFn fn) implements Op {
        public String mnemonic() { return fn.text(); }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType a = in.get(0), b = in.get(1);
            if (a.dtype() != b.dtype()) throw new ShapeError(fn.text() + " needs operands of one dtype, got " + a + " and " + b);
            if (!fn.isComparison()) requireF32(this, a);
            return List.of(TensorType.f32(Shape.broadcast(a.shape(), b.shape())));
        }
    }

    /** select(c, a, b): a where c != 0 else b; all three broadcast. */
    record Select() implements Op {
        public String mnemonic() { return "select"; }

        public int arity() { return 3; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            for (TensorType t : in) requireF32(this, t);
            return List.of(TensorType.f32(Shape.broadcast(in.get(0).shape(), Shape.broadcast(in.get(1).shape(), in.get(2).shape()))));
        }
    }

    /** Converts the element type; the shape is unchanged. */
    record Cast(DType to) implements Op {
        public String mnemonic() { return "cast"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) { return List.of(new TensorType(to, in.get(0).shape())); }
    }

    /** Identity in the forward pass; its gradient is zero. */
    record StopGradient() implements Op {
        public String mnemonic() { return "stop_gradient"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) { return List.of(in.get(0)); }
    }

    // ---------------------------------------------------------------- reductions

    enum ReduceFn {
        SUM, MEAN, MAX, MIN;

        public String text() { return "reduce_" + name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** Shape rule: the listed axes (sorted, distinct, in range) are removed. */
    record Reduce(ReduceFn fn, int[] axes) implements Op {
        public Reduce {
            axes = axes.clone();
            for (int i = 1; i < axes.length; i++) {
                if (axes[i] <= axes[i - 1]) throw new ShapeError("reduce axes must be sorted and distinct: " + Arrays.toString(axes));
            }
        }

        public String mnemonic() { return fn.text(); }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType t = in.get(0);
            requireF32(this, t);
            for (int a : axes) t.shape().axis(a);
            if (axes.length > 0 && axes[0] < 0) throw new ShapeError("reduce axes must be non-negative");
            return List.of(t.withShape(t.shape().drop(axes)));
        }

        @Override
        public boolean equals(Object o) { return o instanceof Reduce r && r.fn == fn && Arrays.equals(r.axes, axes); }

        @Override
        public int hashCode() { return fn.hashCode() * 31 + Arrays.hashCode(axes); }

        @Override
        public String toString() { return mnemonic() + Arrays.toString(axes); }
    }

    /** Index of the largest element along {@code axis} (first on ties); i32; the axis is removed. Not differentiable. */
    record ArgMax(int axis) implements Op {
        public String mnemonic() { return "argmax"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType t = in.get(0);
            return List.of(TensorType.i32(t.shape().drop(t.shape().axis(axis))));
        }
    }

    /** log Σ exp(x) along {@code axis}, computed with the max subtracted first; the axis is removed. */
    record LogSumExp(int axis) implements Op {
        public String mnemonic() { return "logsumexp"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType t = in.get(0);
            requireF32(this, t);
            return List.of(t.withShape(t.shape().drop(t.shape().axis(axis))));
        }
    }

    // ---------------------------------------------------------------- linear algebra

    /**
     * Shape rule: a[..., M, K] · b[..., K, N] → [..., M, N]; both ranks ≥ 2; the leading (batch)
     * dimensions broadcast as in NumPy. Per-sample generated weights are the batched case.
     */
    record MatMul() implements Op {
        public String mnemonic() { return "matmul"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape a = in.get(0).shape(), b = in.get(1).shape();
            requireF32(this, in.get(0));
            requireF32(this, in.get(1));
            if (a.rank() < 2 || b.rank() < 2) throw new ShapeError("matmul needs operands of rank >= 2, got " + a + " and " + b);
            if (!a.dim(-1).equals(b.dim(-2))) {
                throw new ShapeError("matmul inner sizes differ: " + a + " · " + b + " (" + a.dim(-1) + " vs " + b.dim(-2) + ")");
            }
            Shape batch = Shape.broadcast(a.sub(0, a.rank() - 2), b.sub(0, b.rank() - 2));
            return List.of(TensorType.f32(batch.append(a.dim(-2)).append(b.dim(-1))));
        }
    }

    /**
     * 2-D convolution (cross-correlation), NCHW. Shape rule: x[G?, N, C, H, W] and k[G?, O, C, KH, KW]
     * → [G?, N, O, H', W'] with H' = (H + pad_top + pad_bottom − KH) / stride_h + 1. The optional leading
     * G pairs each group of images with its own kernel: per-sample generated weights.
     */
    record Conv2d(int[] stride, int[] padding) implements Op {
        public Conv2d {
            stride = stride.clone();
            padding = padding.clone();
            checkWindowAttrs("conv2d", stride, padding);
        }

        public String mnemonic() { return "conv2d"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape x = in.get(0).shape(), k = in.get(1).shape();
            requireF32(this, in.get(0));
            requireF32(this, in.get(1));
            int g = convGroupRank(x, k);
            if (!x.dim(g + 1).equals(k.dim(g + 1))) {
                throw new ShapeError("conv2d input has " + x.dim(g + 1) + " channels but the kernel expects " + k.dim(g + 1));
            }
            long h = outSize(x.dim(g + 2).fixed(), k.dim(g + 2).fixed(), stride[0], padding[0], padding[1]);
            long w = outSize(x.dim(g + 3).fixed(), k.dim(g + 3).fixed(), stride[1], padding[2], padding[3]);
            List<Dim> out = new ArrayList<>(x.dims().subList(0, g + 1));
            out.add(k.dim(g));
            out.add(Dim.of(h));
            out.add(Dim.of(w));
            return List.of(TensorType.f32(new Shape(out)));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Conv2d c && Arrays.equals(c.stride, stride) && Arrays.equals(c.padding, padding);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(stride) * 31 + Arrays.hashCode(padding); }
    }

    /** Gradient of conv2d with respect to its input: operands (dy, k); the result has {@code inputShape}. */
    record Conv2dGradInput(int[] stride, int[] padding, Shape inputShape) implements Op {
        public Conv2dGradInput {
            stride = stride.clone();
            padding = padding.clone();
        }

        public String mnemonic() { return "conv2d_grad_input"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType y = new Conv2d(stride, padding).resultTypes(List.of(TensorType.f32(inputShape), in.get(1))).get(0);
            if (!y.shape().equals(in.get(0).shape())) {
                throw new ShapeError("conv2d_grad_input: dy " + in.get(0).shape() + " does not match conv output " + y.shape());
            }
            return List.of(TensorType.f32(inputShape));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Conv2dGradInput c && Arrays.equals(c.stride, stride) && Arrays.equals(c.padding, padding)
                    && c.inputShape.equals(inputShape);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(stride) * 31 + Arrays.hashCode(padding) + inputShape.hashCode(); }
    }

    /** Gradient of conv2d with respect to its kernel: operands (x, dy); the result has {@code kernelShape}. */
    record Conv2dGradKernel(int[] stride, int[] padding, Shape kernelShape) implements Op {
        public Conv2dGradKernel {
            stride = stride.clone();
            padding = padding.clone();
        }

        public String mnemonic() { return "conv2d_grad_kernel"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType y = new Conv2d(stride, padding).resultTypes(List.of(in.get(0), TensorType.f32(kernelShape))).get(0);
            if (!y.shape().equals(in.get(1).shape())) {
                throw new ShapeError("conv2d_grad_kernel: dy " + in.get(1).shape() + " does not match conv output " + y.shape());
            }
            return List.of(TensorType.f32(kernelShape));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Conv2dGradKernel c && Arrays.equals(c.stride, stride) && Arrays.equals(c.padding, padding)
                    && c.kernelShape.equals(kernelShape);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(stride) * 31 + Arrays.hashCode(padding) + kernelShape.hashCode(); }
    }

    enum PoolKind {
        MAX, AVG;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * Pooling over the last two axes; any leading axes. Shape rule as for conv2d with the window as kernel.
     * Average pooling divides by the number of in-bounds elements (padding is not counted).
     */
    record Pool2d(PoolKind kind, int[] window, int[] stride, int[] padding) implements Op {
        public Pool2d {
            window = window.clone();
            stride = stride.clone();
            padding = padding.clone();
            checkWindowAttrs(kind.text() + "_pool2d", stride, padding);
            if (window.length != 2 || window[0] < 1 || window[1] < 1) throw new ShapeError("pool window must be two positive sizes");
        }

        public String mnemonic() { return kind.text() + "_pool2d"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape x = in.get(0).shape();
            requireF32(this, in.get(0));
            if (x.rank() < 3) throw new ShapeError("pooling needs at least [C, H, W], got " + x);
            long h = outSize(x.dim(-2).fixed(), window[0], stride[0], padding[0], padding[1]);
            long w = outSize(x.dim(-1).fixed(), window[1], stride[1], padding[2], padding[3]);
            return List.of(TensorType.f32(x.with(x.rank() - 2, Dim.of(h)).with(x.rank() - 1, Dim.of(w))));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pool2d p && p.kind == kind && Arrays.equals(p.window, window) && Arrays.equals(p.stride, stride)
                    && Arrays.equals(p.padding, padding);
        }

        @Override
        public int hashCode() { return kind.hashCode() + 31 * (Arrays.hashCode(window) + 31 * Arrays.hashCode(stride)); }
    }

    /** Gradient of pooling: operands (x, dy); result has x's type. Max routes dy to the first maximum of each window. */
    record Pool2dGrad(PoolKind kind, int[] window, int[] stride, int[] padding) implements Op {
        public Pool2dGrad {
            window = window.clone();
            stride = stride.clone();
            padding = padding.clone();
        }

        public String mnemonic() { return kind.text() + "_pool2d_grad"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType y = new Pool2d(kind, window, stride, padding).resultTypes(List.of(in.get(0))).get(0);
            if (!y.shape().equals(in.get(1).shape())) throw new ShapeError("pool grad: dy " + in.get(1).shape() + " is not " + y.shape());
            return List.of(in.get(0));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pool2dGrad p && p.kind == kind && Arrays.equals(p.window, window) && Arrays.equals(p.stride, stride)
                    && Arrays.equals(p.padding, padding);
        }

        @Override
        public int hashCode() { return kind.hashCode() + 31 * (Arrays.hashCode(window) + 31 * Arrays.hashCode(stride)); }
    }

    // ---------------------------------------------------------------- indexing

    /** Embedding lookup: table[V, ...] and ids i32[...] → [ids..., ...]. Ids out of range are a runtime error. */
    record Gather() implements Op {
        public String mnemonic() { return "gather"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType table = in.get(0), ids = in.get(1);
            requireF32(this, table);
            if (ids.dtype() != DType.I32) throw new ShapeError("gather ids must be i32, got " + ids);
            if (table.rank() < 1) throw new ShapeError("gather table must have rank >= 1");
            List<Dim> out = new ArrayList<>(ids.shape().dims());
            out.addAll(table.shape().dims().subList(1, table.rank()));
            return List.of(TensorType.f32(new Shape(out)));
        }
    }

    /** The transpose of gather: operands (ids i32[...], updates[ids..., ...]) → [rows, ...], summing repeated ids. */
    record ScatterAdd(long rows) implements Op {
        public String mnemonic() { return "scatter_add"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape ids = in.get(0).shape(), upd = in.get(1).shape();
            if (in.get(0).dtype() != DType.I32) throw new ShapeError("scatter_add ids must be i32");
            if (upd.rank() < ids.rank() || !upd.sub(0, ids.rank()).equals(ids)) {
                throw new ShapeError("scatter_add updates " + upd + " must start with the ids shape " + ids);
            }
            return List.of(TensorType.f32(upd.sub(ids.rank(), upd.rank()).prepend(List.of(Dim.of(rows)))));
        }
    }

    /** ids i32[...] → f32[..., depth] with a 1 at each id. Not differentiable. */
    record OneHot(long depth) implements Op {
        public String mnemonic() { return "one_hot"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            if (in.get(0).dtype() != DType.I32) throw new ShapeError("one_hot needs i32 ids, got " + in.get(0));
            return List.of(TensorType.f32(in.get(0).shape().append(Dim.of(depth))));
        }
    }

    // ---------------------------------------------------------------- views

    /** Same elements in row-major order under a new shape with the same element count. */
    record Reshape(Shape shape) implements View {
        public String mnemonic() { return "reshape"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Dim a = in.get(0).shape().numel(), b = shape.numel();
            if (!a.equals(b)) throw new ShapeError("reshape from " + in.get(0).shape() + " to " + shape + " changes the element count");
            return List.of(in.get(0).withShape(shape));
        }
    }

    /** Elements start, start+step, ... < end along one axis. */
    record Slice(int axis, long start, long end, long step) implements View {
        public String mnemonic() { return "slice"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape s = in.get(0).shape();
            int a = s.axis(axis);
            long n = s.dim(a).fixed();
            if (step < 1) throw new ShapeError("slice step must be positive");
            if (start < 0 || end > n || start >= end) {
                throw new ShapeError("slice " + start + ":" + end + " is out of range for axis " + a + " of size " + n);
            }
            return List.of(in.get(0).withShape(s.with(a, Dim.of((end - start + step - 1) / step))));
        }
    }

    /** Permutes axes: result axis i is operand axis perm[i]. */
    record Transpose(int[] perm) implements View {
        public Transpose {
            perm = perm.clone();
        }

        public String mnemonic() { return "transpose"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape s = in.get(0).shape();
            if (perm.length != s.rank()) throw new ShapeError("transpose permutation " + Arrays.toString(perm) + " does not fit " + s);
            boolean[] seen = new boolean[perm.length];
            List<Dim> out = new ArrayList<>();
            for (int p : perm) {
                if (p < 0 || p >= perm.length || seen[p]) throw new ShapeError("bad permutation " + Arrays.toString(perm));
                seen[p] = true;
                out.add(s.dim(p));
            }
            return List.of(in.get(0).withShape(new Shape(out)));
        }

        @Override
        public boolean equals(Object o) { return o instanceof Transpose t && Arrays.equals(t.perm, perm); }

        @Override
        public int hashCode() { return Arrays.hashCode(perm); }
    }

    /** Repeats size-1 axes (and adds leading ones) to reach {@code shape}, with stride 0: no copy. */
    record Broadcast(Shape shape) implements View {
        public String mnemonic() { return "broadcast"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape b = Shape.broadcast(in.get(0).shape(), shape);
            if (!b.equals(shape)) throw new ShapeError("cannot broadcast " + in.get(0).shape() + " to " + shape);
            return List.of(in.get(0).withShape(shape));
        }
    }

    // ---------------------------------------------------------------- structure

    /** Joins operands along {@code axis}; all other sizes must agree. */
    record Concat(int axis) implements Op {
        public String mnemonic() { return "concat"; }

        public int arity() { return -1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            if (in.isEmpty()) throw new ShapeError("concat needs at least one operand");
            Shape first = in.get(0).shape();
            int a = first.axis(axis);
            Dim total = Dim.of(0);
            for (TensorType t : in) {
                if (t.dtype() != in.get(0).dtype() || t.rank() != first.rank()) throw new ShapeError("concat operands differ: " + in);
                for (int i = 0; i < first.rank(); i++) {
                    if (i != a && !t.shape().dim(i).equals(first.dim(i))) throw new ShapeError("concat operands differ off axis " + a + ": " + in);
                }
                Dim d = t.shape().dim(a);
                if (d.batch() != total.batch() && total.coeff() != 0) throw new ShapeError("concat mixes batch and fixed sizes on axis " + a);
                total = new Dim(total.coeff() + d.coeff(), d.batch() || total.batch());
            }
            return List.of(in.get(0).withShape(first.with(a, total)));
        }
    }

    /** The transpose of a slice: places dy at start, start+step, ... along {@code axis} of a zero tensor of {@code size}. */
    record Unslice(int axis, long start, long step, long size) implements Op {
        public String mnemonic() { return "unslice"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape s = in.get(0).shape();
            int a = s.axis(axis);
            long n = s.dim(a).fixed();
            if (start < 0 || step < 1 || start + (n - 1) * step >= size) throw new ShapeError("unslice does not fit in size " + size);
            return List.of(in.get(0).withShape(s.with(a, Dim.of(size))));
        }
    }

    // ---------------------------------------------------------------- entropy estimation (Deutsch 2018)

    /** Euclidean distances between the rows of x[N, D] → [N, N]. */
    record PairwiseDist() implements Op {
        public String mnemonic() { return "pairwise_dist"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape s = in.get(0).shape();
            requireF32(this, in.get(0));
            if (s.rank() != 2) throw new ShapeError("pairwise_dist needs [N, D], got " + s);
            return List.of(TensorType.f32(Shape.of(s.dim(0), s.dim(0))));
        }
    }

    /** Distance from each row of x[N, D] to its nearest other row → [N]; N ≥ 2. */
    record NearestDist() implements Op {
        public String mnemonic() { return "nn_dist"; }

        public int arity() { return 1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            Shape s = in.get(0).shape();
            requireF32(this, in.get(0));
            if (s.rank() != 2) throw new ShapeError("nn_dist needs [N, D], got " + s);
            if (s.dim(0).isFixed() && s.dim(0).fixed() < 2) throw new ShapeError("nn_dist needs at least two rows");
            return List.of(TensorType.f32(Shape.of(s.dim(0))));
        }
    }

    /** Gradient of nn_dist: operands (x, dy) → dx, routing each row's dy to the row and its nearest neighbour. */
    record NearestDistGrad() implements Op {
        public String mnemonic() { return "nn_dist_grad"; }

        public int arity() { return 2; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            TensorType y = new NearestDist().resultTypes(List.of(in.get(0))).get(0);
            if (!in.get(1).equals(y)) throw new ShapeError("nn_dist_grad: dy " + in.get(1) + " does not match nn_dist output " + y);
            return List.of(in.get(0));
        }
    }

    // ---------------------------------------------------------------- recurrence

    /**
     * A recurrence over axis 0 of the sequence operands. Operands: {@code carries} initial carries, then
     * {@code sequences} sequences [T, ...], then captured values. The body's parameters mirror that
     * (carries, one element of each sequence, captures); its outputs are the next carries and then the
     * emissions. Results: the final carries, then each emission stacked to [T, ...].
     * With {@code reverse} the steps run from T−1 down to 0 (as the backward pass of a scan needs);
     * emission t is still stored at index t.
     */
    record Scan(Graph body, int carries, int sequences, boolean reverse) implements Op {
        public Scan(Graph body, int carries, int sequences) {
            this(body, carries, sequences, false);
        }

        public String mnemonic() { return "scan"; }

        public int arity() { return -1; }

        public List<TensorType> resultTypes(List<TensorType> in) {
            if (sequences < 1) throw new ShapeError("scan needs at least one sequence");
            if (carries < 0 || in.size() < carries + sequences) {
                throw new ShapeError("scan with " + carries + " carries and " + sequences + " sequences has only " + in.size() + " operands");
            }
            if (body.params().size() != in.size()) {
                throw new ShapeError("scan body takes " + body.params().size() + " parameters but has " + in.size() + " operands");
            }
            if (in.get(carries).rank() < 1) throw new ShapeError("a scan sequence needs a leading step axis, got " + in.get(carries));
            Dim steps = in.get(carries).shape().dim(0);
            for (int i = 0; i < in.size(); i++) {
                TensorType expect = in.get(i);
                if (i >= carries && i < carries + sequences) {
                    if (expect.rank() < 1 || !expect.shape().dim(0).equals(steps)) throw new ShapeError("scan sequences differ in length");
                    expect = expect.withShape(expect.shape().sub(1, expect.rank()));
                }
                if (!body.params().get(i).type().equals(expect)) {
                    throw new ShapeError("scan body parameter " + i + " is " + body.params().get(i).type() + " but the operand is " + expect);
                }
            }
            List<TensorType> out = new ArrayList<>();
            List<Graph.Output> outs = body.outputs();
            if (outs.size() < carries) throw new ShapeError("scan body yields fewer values than it has carries");
            for (int i = 0; i < carries; i++) {
                if (!outs.get(i).value().type().equals(in.get(i))) {
                    throw new ShapeError("scan carry " + i + " changes type from " + in.get(i) + " to " + outs.get(i).value().type());
                }
                out.add(in.get(i));
            }
            for (int i = carries; i < outs.size(); i++) {
                TensorType e = outs.get(i).value().type();
                out.add(e.withShape(e.shape().prepend(List.of(steps))));
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void requireF32(Op op, TensorType t) {
        if (t.dtype() != DType.F32) throw new ShapeError(op.mnemonic() + " needs f32, got " + t);
    }

    private static void checkWindowAttrs(String what, int[] stride, int[] padding) {
        if (stride.length != 2 || stride[0] < 1 || stride[1] < 1) throw new ShapeError(what + " stride must be two positive sizes");
        if (padding.length != 4) throw new ShapeError(what + " padding must be [top, bottom, left, right]");
        for (int p : padding) if (p < 0) throw new ShapeError(what + " padding must not be negative");
    }

    /** How many leading group axes a conv has: 0 for x[N,C,H,W], 1 for x[G,N,C,H,W] with k[G,O,C,KH,KW]. */
    static int convGroupRank(Shape x, Shape k) {
        if (x.rank() == 4 && k.rank() == 4) return 0;
        if (x.rank() == 5 && k.rank() == 5) {
            if (!x.dim(0).equals(k.dim(0))) throw new ShapeError("conv2d groups differ: input " + x + ", kernel " + k);
            return 1;
        }
        throw new ShapeError("conv2d needs x[N,C,H,W] with k[O,C,KH,KW] (or both with a leading group axis), got " + x + " and " + k);
    }

    static long outSize(long in, long window, int stride, int padLo, int padHi) {
        long span = in + padLo + padHi - window;
        if (span < 0) throw new ShapeError("window " + window + " is larger than the padded input " + (in + padLo + padHi));
        return span / stride + 1;
    }
}
