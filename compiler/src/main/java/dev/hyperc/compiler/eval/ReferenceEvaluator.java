package dev.hyperc.compiler.eval;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A plain reference evaluator of the IR in f64: the oracle for gradient checks and for every backend.
 * Each op is one small method that states its semantics as loops over multi-indices, exactly as the
 * op's Javadoc in {@link Op} describes it. Nothing is vectorised, fused or cached; speed is not a goal.
 *
 * <p>Usage:
 * <pre>
 * Map&lt;String, DTensor&gt; out = ReferenceEvaluator.run(graph,
 *         new ReferenceEvaluator.Bindings(3).input("x", x).param("dense_1.w", w).noiseSeed(7));
 * DTensor loss = out.get("loss");
 * </pre>
 *
 * <p>Conventions:
 * <ul>
 *   <li>Every value is a {@link DTensor} of doubles; {@code i32} values are exact integers stored as doubles.
 *       f32 arithmetic is done in f64 (no rounding to float), so backends are compared with a tolerance.</li>
 *   <li>A shape's batch dimension {@code k·B} becomes {@code k} times {@link Bindings#batch()}.</li>
 *   <li>After every node the computed result shapes are checked against the node's IR result types, so an
 *       op implementation and its shape rule in {@link Op} cannot silently disagree
 *       ({@link IllegalStateException} otherwise).</li>
 *   <li>Binding errors (a missing input, a wrongly shaped tensor, a non-integer i32 value) and runtime
 *       errors of the IR (ids out of range) are {@link IllegalArgumentException}s naming the culprit.</li>
 * </ul>
 */
public final class ReferenceEvaluator {
    private ReferenceEvaluator() {}

    // ================================================================ API

    /**
     * What a run needs besides the graph: the concrete batch size B, tensors for inputs, params and states
     * by name, and where noise comes from. Names bound but not used by a graph are ignored, so one
     * {@code Bindings} can serve a module's train, eval and predict graphs.
     *
     * <ul>
     *   <li><b>Inputs</b> must be bound.</li>
     *   <li><b>Params and states</b> that are not bound are initialised from their {@link Init} (see
     *       {@link #initialise}) with a {@code java.util.Random} seeded from {@link #initSeed} and the
     *       leaf's name, so a name gets the same values in every graph and whatever the graph order.</li>
     *   <li><b>Noise</b>: each run makes a fresh {@code java.util.Random(noiseSeed)} and every
     *       {@link Op.Noise} node, in evaluation order (graph order; inside a scan body once per step), draws
     *       its elements from it in row-major order: {@code a + (b − a)·nextDouble()} for uniform,
     *       {@code a + b·nextGaussian()} for normal. {@link #noise(int, DTensor)} fixes the value of one
     *       noise node instead, keyed by its result value id ({@code %id}); a fixed node draws nothing.</li>
     * </ul>
     */
    public static final class Bindings {
        private final long batch;
        private final Map<String, DTensor> inputs = new LinkedHashMap<>();
        private final Map<String, DTensor> params = new LinkedHashMap<>();
        private final Map<String, DTensor> states = new LinkedHashMap<>();
        private final Map<Integer, DTensor> noiseOverrides = new HashMap<>();
        private long noiseSeed = 0;
        private long initSeed = 0;

        /** Bindings for a batch of {@code batch} samples (B ≥ 1). */
        public Bindings(long batch) {
            if (batch < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batch);
            this.batch = batch;
        }

        public Bindings input(String name, DTensor t) {
            inputs.put(name, t);
            return this;
        }

        public Bindings param(String name, DTensor t) {
            params.put(name, t);
            return this;
        }

        public Bindings params(Map<String, DTensor> all) {
            params.putAll(all);
            return this;
        }

        public Bindings state(String name, DTensor t) {
            states.put(name, t);
            return this;
        }

        /** Seed of the Random that unfixed noise nodes draw from (default 0). */
        public Bindings noiseSeed(long seed) {
            noiseSeed = seed;
            return this;
        }

        /** Fixes the value of the noise node whose result is {@code %valueId}. */
        public Bindings noise(int valueId, DTensor fixed) {
            noiseOverrides.put(valueId, fixed);
            return this;
        }

        /** Seed for initialising unbound params and states (default 0). */
        public Bindings initSeed(long seed) {
            initSeed = seed;
            return this;
        }

        public long batch() { return batch; }

        public Map<String, DTensor> inputs() { return inputs; }

        public Map<String, DTensor> params() { return params; }

        public Map<String, DTensor> states() { return states; }

        public Map<Integer, DTensor> noiseOverrides() { return noiseOverrides; }

        public long noiseSeed() { return noiseSeed; }

        public long initSeed() { return initSeed; }
    }

    /**
     * Evaluates a top-level graph and returns its outputs in output order, keyed by {@link #outputKey}:
     * the output's name, or {@code role:name} (e.g. {@code loss:loss}, {@code grad:dense_1.w},
     * {@code update:dense_1.w}) for every output whose name another output of the graph shares.
     */
    public static Map<String, DTensor> run(Graph g, Bindings b) {
        Map<Integer, DTensor> all = runAll(g, b);
        Map<String, DTensor> out = new LinkedHashMap<>();
        for (Graph.Output o : g.outputs()) out.put(outputKey(g, o), all.get(o.value().id()));
        return out;
    }

    /**
     * Evaluates a top-level graph and returns every value it defines by id ({@code %id}), in definition
     * order: leaves, intermediate values and all results of scans (not the values inside scan bodies).
     */
    public static Map<Integer, DTensor> runAll(Graph g, Bindings b) {
        if (!g.params().isEmpty()) {
            throw new IllegalArgumentException("graph " + g.name() + " takes parameters; only top-level graphs can be run");
        }
        return evalGraph(g, List.of(), new Run(b));
    }

    /** The key of an output in {@link #run}'s map: its name if no other output has it, else {@code role:name}. */
    public static String outputKey(Graph g, Graph.Output o) {
        long same = g.outputs().stream().filter(x -> x.name().equals(o.name())).count();
        return same == 1 ? o.name() : o.role().text() + ":" + o.name();
    }

    /** A shape with B replaced by the batch size. */
    public static int[] concreteShape(Shape s, long batch) {
        int[] out = new int[s.rank()];
        for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(s.dim(i).size(batch));
        return out;
    }

    /**
     * A fresh tensor initialised as {@code init} says, drawing from {@code rng} in row-major order:
     * <ul>
     *   <li>{@code zeros}, {@code ones};</li>
     *   <li>{@code uniform(a, b)}: U(a, b) = a + (b − a)·u; {@code normal(a, b)}: N(mean a, std b) = a + b·z;</li>
     *   <li>{@code glorot(fi, fo)}: U(±sqrt(6 / (fi + fo)));</li>
     *   <li>{@code he(fi)}: N(0, std sqrt(2 / fi));</li>
     *   <li>{@code hyperfan(headFanIn, targetFanIn)}: N(0, std sqrt(2 / (headFanIn · targetFanIn))), so that a
     *       head fed by unit-variance inputs generates weights with the He variance 2 / targetFanIn.</li>
     * </ul>
     */
    public static DTensor initialise(Init init, int[] shape, Random rng) {
        double[] d = new double[DTensor.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (init) {
                case Init.Zeros z -> 0.0;
                case Init.Ones o -> 1.0;
                case Init.Random r -> draw(r.distribution(), r.a(), r.b(), rng);
                case Init.Glorot gl -> {
                    double limit = Math.sqrt(6.0 / (gl.fanIn() + gl.fanOut()));
                    yield draw(Init.Distribution.UNIFORM, -limit, limit, rng);
                }
                case Init.He he -> draw(Init.Distribution.NORMAL, 0.0, Math.sqrt(2.0 / he.fanIn()), rng);
                case Init.HyperFan hf ->
                        draw(Init.Distribution.NORMAL, 0.0, Math.sqrt(2.0 / ((double) hf.headFanIn() * hf.targetFanIn())), rng);
            };
        }
        return new DTensor(shape.clone(), d);
    }

    private static double draw(Init.Distribution dist, double a, double b, Random rng) {
        return switch (dist) {
            case UNIFORM -> a + (b - a) * rng.nextDouble();
            case NORMAL -> a + b * rng.nextGaussian();
        };
    }

    // ================================================================ graphs and nodes

    /** Per-run state: the bindings and the noise generator. */
    private static final class Run {
        final Bindings b;
        final Random noise;

        Run(Bindings b) {
            this.b = b;
            this.noise = new Random(b.noiseSeed);
        }

        int[] shape(TensorType t) { return concreteShape(t.shape(), b.batch); }
    }

    /** Evaluates a graph on arguments for its parameters; returns every value defined, by id. */
    private static Map<Integer, DTensor> evalGraph(Graph g, List<DTensor> args, Run run) {
        Map<Integer, DTensor> env = new LinkedHashMap<>();
        if (args.size() != g.params().size()) {
            throw new IllegalStateException("graph " + g.name() + " takes " + g.params().size() + " parameters, got " + args.size());
        }
        for (int i = 0; i < args.size(); i++) {
            Value p = g.params().get(i);
            requireShape(p, args.get(i), run, "parameter " + p + " of graph " + g.name());
            env.put(p.id(), args.get(i));
        }
        for (Node n : g.nodes()) {
            List<DTensor> in = new ArrayList<>();
            for (Value v : n.operands()) in.add(env.get(v.id()));
            List<DTensor> out = evalNode(n, in, run);
            for (int i = 0; i < out.size(); i++) {
                Value r = n.results().get(i);
                requireShape(r, out.get(i), run, "result " + r + " of " + n.op().mnemonic());
                env.put(r.id(), out.get(i));
            }
        }
        return env;
    }

    private static void requireShape(Value v, DTensor t, Run run, String what) {
        int[] expect = run.shape(v.type());
        if (!Arrays.equals(expect, t.shape())) {
            throw new IllegalStateException("reference evaluator: " + what + " has shape " + Arrays.toString(t.shape())
                    + " but the IR says " + v.type() + " = " + Arrays.toString(expect));
        }
    }

    /** One node: dispatches on the op; the switch is exhaustive over the sealed op set. */
    private static List<DTensor> evalNode(Node n, List<DTensor> in, Run run) {
        if (n.op() instanceof Op.Scan s) return scan(s, in, run);
        DTensor r = switch (n.op()) {
            case Op.Input op -> input(op, run);
            case Op.Param op -> param(op, run);
            case Op.State op -> state(op, run);
            case Op.Noise op -> noise(op, n.result().id(), run);
            case Op.Const op -> DTensor.full(op.value(), run.shape(op.type()));
            case Op.Unary op -> unary(op.fn(), in.get(0));
            case Op.LeakyRelu op -> leakyRelu(op.alpha(), in.get(0));
            case Op.Binary op -> binary(op.fn(), in.get(0), in.get(1));
            case Op.Select op -> select(in.get(0), in.get(1), in.get(2));
            case Op.Cast op -> cast(op.to(), in.get(0));
            case Op.StopGradient op -> copy(in.get(0));
            case Op.Reduce op -> reduce(op.fn(), op.axes(), in.get(0));
            case Op.ArgMax op -> argMax(axis(op.axis(), in.get(0)), in.get(0));
            case Op.LogSumExp op -> logSumExp(axis(op.axis(), in.get(0)), in.get(0));
            case Op.MatMul op -> matMul(in.get(0), in.get(1));
            case Op.Conv2d op -> conv2d(op.stride(), op.padding(), in.get(0), in.get(1));
            case Op.Conv2dGradInput op -> conv2dGradInput(op.stride(), op.padding(), in.get(0), in.get(1), concreteShape(op.inputShape(), run.b.batch));
            case Op.Conv2dGradKernel op -> conv2dGradKernel(op.stride(), op.padding(), in.get(0), in.get(1), concreteShape(op.kernelShape(), run.b.batch));
            case Op.Pool2d op -> pool2d(op, in.get(0));
            case Op.Pool2dGrad op -> pool2dGrad(op, in.get(0), in.get(1));
            case Op.Gather op -> gather(in.get(0), in.get(1));
            case Op.ScatterAdd op -> scatterAdd(Math.toIntExact(op.rows()), in.get(0), in.get(1));
            case Op.OneHot op -> oneHot(Math.toIntExact(op.depth()), in.get(0));
            case Op.Reshape op -> reshape(in.get(0), concreteShape(op.shape(), run.b.batch));
            case Op.Slice op -> slice(axis(op.axis(), in.get(0)), op.start(), op.end(), op.step(), in.get(0));
            case Op.Transpose op -> transpose(op.perm(), in.get(0));
            case Op.Broadcast op -> broadcast(in.get(0), concreteShape(op.shape(), run.b.batch));
            case Op.Concat op -> concat(axis(op.axis(), in.get(0)), in);
            case Op.Unslice op -> unslice(axis(op.axis(), in.get(0)), op.start(), op.step(), op.size(), in.get(0));
            case Op.PairwiseDist op -> pairwiseDist(in.get(0));
            case Op.NearestDist op -> nearestDist(in.get(0));
            case Op.NearestDistGrad op -> nearestDistGrad(in.get(0), in.get(1));
            case Op.Scan op -> throw new AssertionError("handled above");
        };
        return List.of(r);
    }

    // ================================================================ leaves

    private static DTensor input(Op.Input op, Run run) {
        DTensor t = run.b.inputs.get(op.name());
        if (t == null) {
            throw new IllegalArgumentException("input '" + op.name() + "' is not bound; expected " + op.type() + " = "
                    + Arrays.toString(run.shape(op.type())) + " (B=" + run.b.batch + ")");
        }
        checkBinding("input", op.name(), op.type(), t, run);
        return t;
    }

    private static DTensor param(Op.Param op, Run run) {
        DTensor t = run.b.params.get(op.name());
        if (t == null) return initialise(op.init(), run.shape(op.type()), leafRandom(op.name(), run));
        checkBinding("param", op.name(), op.type(), t, run);
        return t;
    }

    private static DTensor state(Op.State op, Run run) {
        DTensor t = run.b.states.get(op.name());
        if (t == null) return initialise(op.init(), run.shape(op.type()), leafRandom(op.name(), run));
        checkBinding("state", op.name(), op.type(), t, run);
        return t;
    }

    /** The Random that initialises an unbound param or state: seeded from the init seed and the leaf's name. */
    private static Random leafRandom(String name, Run run) {
        return new Random(run.b.initSeed * 1_000_003L + name.hashCode());
    }

    private static DTensor noise(Op.Noise op, int valueId, Run run) {
        DTensor fixed = run.b.noiseOverrides.get(valueId);
        if (fixed != null) {
            checkBinding("noise", "%" + valueId, op.type(), fixed, run);
            return fixed;
        }
        double[] d = new double[DTensor.numel(run.shape(op.type()))];
        for (int i = 0; i < d.length; i++) d[i] = draw(op.distribution(), op.a(), op.b(), run.noise);
        return new DTensor(run.shape(op.type()), d);
    }

    /** A bound tensor must have the leaf's shape (B substituted) and, for i32, hold integers. */
    private static void checkBinding(String kind, String name, TensorType type, DTensor t, Run run) {
        int[] expect = run.shape(type);
        if (!Arrays.equals(expect, t.shape())) {
            throw new IllegalArgumentException(kind + " '" + name + "' must have shape " + Arrays.toString(expect) + " (" + type
                    + " with B=" + run.b.batch + "), got " + Arrays.toString(t.shape()));
        }
        if (type.dtype() == DType.I32) {
            for (double v : t.data()) {
                if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(kind + " '" + name + "' is " + type + " but holds the non-i32 value " + v);
                }
            }
        }
    }

    // ================================================================ elementwise

    private static DTensor unary(Op.UnaryFn fn, DTensor x) {
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) {
            double v = x.data()[i];
            out[i] = switch (fn) {
                case NEG -> -v;
                case EXP -> Math.exp(v);
                case LOG -> Math.log(v);
                case SQRT -> Math.sqrt(v);
                case RSQRT -> 1.0 / Math.sqrt(v);
                case TANH -> Math.tanh(v);
                case SIGMOID -> 1.0 / (1.0 + Math.exp(-v));
                case RELU -> v > 0 ? v : 0.0;
                case ABS -> Math.abs(v);
                case SQUARE -> v * v;
                case RECIP -> 1.0 / v;
                case STEP -> v > 0 ? 1.0 : 0.0;
            };
        }
        return new DTensor(x.shape().clone(), out);
    }

    /** max(x, alpha·x), literally as the op's Javadoc states. */
    private static DTensor leakyRelu(double alpha, DTensor x) {
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) out[i] = Math.max(x.data()[i], alpha * x.data()[i]);
        return new DTensor(x.shape().clone(), out);
    }

    /** Elementwise with NumPy broadcasting; comparisons give 1.0 or 0.0. */
    private static DTensor binary(Op.BinaryFn fn, DTensor a, DTensor b) {
        int[] shape = broadcastShapes(a.shape(), b.shape());
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = DTensor.multiIndex(shape, f);
            double x = a.get(broadcastIndex(idx, a.shape())), y = b.get(broadcastIndex(idx, b.shape()));
            out[f] = switch (fn) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAX -> Math.max(x, y);
                case MIN -> Math.min(x, y);
                case POW -> Math.pow(x, y);
                case GT -> x > y ? 1.0 : 0.0;
                case GE -> x >= y ? 1.0 : 0.0;
                case LT -> x < y ? 1.0 : 0.0;
                case LE -> x <= y ? 1.0 : 0.0;
                case EQ -> x == y ? 1.0 : 0.0;
            };
        }
        return new DTensor(shape, out);
    }

    /** a where c ≠ 0, else b; all three broadcast. */
    private static DTensor select(DTensor c, DTensor a, DTensor b) {
        int[] shape = broadcastShapes(c.shape(), broadcastShapes(a.shape(), b.shape()));
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = DTensor.multiIndex(shape, f);
            boolean cond = c.get(broadcastIndex(idx, c.shape())) != 0;
            out[f] = cond ? a.get(broadcastIndex(idx, a.shape())) : b.get(broadcastIndex(idx, b.shape()));
        }
        return new DTensor(shape, out);
    }

    /**
     * To i32: truncation toward zero with Java's {@code (int)} semantics (NaN → 0, out of range saturates
     * to the i32 limits). To f32: the value itself (i32 values are exact).
     */
    private static DTensor cast(DType to, DTensor x) {
        double[] out = new double[x.numel()];
        for (int i = 0; i < out.length; i++) out[i] = to == DType.I32 ? (double) (int) x.data()[i] : x.data()[i];
        return new DTensor(x.shape().clone(), out);
    }

    private static DTensor copy(DTensor x) { return new DTensor(x.shape().clone(), x.data().clone()); }

    // ================================================================ reductions

    /** Sum, mean (sum / number of reduced elements), max or min over the listed axes, which are removed. */
    private static DTensor reduce(Op.ReduceFn fn, int[] axes, DTensor x) {
        int[] shape = dropAxes(x.shape(), axes);
        double[] out = new double[DTensor.numel(shape)];
        Arrays.fill(out, switch (fn) {
            case SUM, MEAN -> 0.0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        });
        for (int f = 0; f < x.numel(); f++) {
            int o = DTensor.flatIndex(shape, dropAxes(x.multiIndex(f), axes));
            double v = x.data()[f];
            out[o] = switch (fn) {
                case SUM, MEAN -> out[o] + v;
                case MAX -> Math.max(out[o], v);
                case MIN -> Math.min(out[o], v);
            };
        }
        if (fn == Op.ReduceFn.MEAN) {
            long count = 1;
            for (int a : axes) count *= x.shape()[a];
            for (int o = 0; o < out.length; o++) out[o] /= count;
        }
        return new DTensor(shape, out);
    }

    /** Index of the largest element along the axis, the first one on ties. */
    private static DTensor argMax(int axis, DTensor x) {
        int[] shape = dropAxes(x.shape(), new int[] {axis});
        double[] out = new double[DTensor.numel(shape)];
        for (int o = 0; o < out.length; o++) {
            int[] idx = DTensor.multiIndex(shape, o);
            int best = 0;
            for (int k = 1; k < x.shape()[axis]; k++) {
                if (x.get(insertAxis(idx, axis, k)) > x.get(insertAxis(idx, axis, best))) best = k;
            }
            out[o] = best;
        }
        return new DTensor(shape, out);
    }

    /** m + log Σ exp(x − m) along the axis with m the maximum; an infinite m is the result itself. */
    private static DTensor logSumExp(int axis, DTensor x) {
        int[] shape = dropAxes(x.shape(), new int[] {axis});
        double[] out = new double[DTensor.numel(shape)];
        for (int o = 0; o < out.length; o++) {
            int[] idx = DTensor.multiIndex(shape, o);
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < x.shape()[axis]; k++) m = Math.max(m, x.get(insertAxis(idx, axis, k)));
            if (Double.isInfinite(m)) {
                out[o] = m;
                continue;
            }
            double s = 0;
            for (int k = 0; k < x.shape()[axis]; k++) s += Math.exp(x.get(insertAxis(idx, axis, k)) - m);
            out[o] = m + Math.log(s);
        }
        return new DTensor(shape, out);
    }

    // ================================================================ linear algebra

    /** a[..., M, K] · b[..., K, N] → [..., M, N]; the leading dimensions broadcast. */
    private static DTensor matMul(DTensor a, DTensor b) {
        int ra = a.rank(), rb = b.rank();
        int m = a.shape()[ra - 2], kk = a.shape()[ra - 1], n = b.shape()[rb - 1];
        int[] batchA = Arrays.copyOf(a.shape(), ra - 2), batchB = Arrays.copyOf(b.shape(), rb - 2);
        int[] shape = concat(broadcastShapes(batchA, batchB), m, n);
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = DTensor.multiIndex(shape, f);
            int[] batch = Arrays.copyOf(idx, idx.length - 2);
            int i = idx[idx.length - 2], j = idx[idx.length - 1];
            int[] ia = broadcastIndex(batch, batchA), ib = broadcastIndex(batch, batchB);
            double s = 0;
            for (int k = 0; k < kk; k++) s += a.get(concat(ia, i, k)) * b.get(concat(ib, k, j));
            out[f] = s;
        }
        return new DTensor(shape, out);
    }

    /**
     * y[g,n,o,i,j] = Σ_{c,p,q} x[g,n,c, i·sh + p − pt, j·sw + q − pl] · k[g,o,c,p,q], terms outside x being
     * zero (padding). Without a group axis, G = 1.
     */
    private static DTensor conv2d(int[] stride, int[] pad, DTensor x, DTensor k) {
        boolean grouped = x.rank() == 5;
        DTensor x5 = grouped ? x : addLeadingOne(x), k5 = grouped ? k : addLeadingOne(k);
        int gs = x5.shape()[0], ns = x5.shape()[1], cs = x5.shape()[2], h = x5.shape()[3], w = x5.shape()[4];
        int os = k5.shape()[1], kh = k5.shape()[3], kw = k5.shape()[4];
        int oh = (h + pad[0] + pad[1] - kh) / stride[0] + 1, ow = (w + pad[2] + pad[3] - kw) / stride[1] + 1;
        int[] shape = {gs, ns, os, oh, ow};
        double[] y = new double[DTensor.numel(shape)];
        for (int g = 0; g < gs; g++) for (int n = 0; n < ns; n++) for (int o = 0; o < os; o++) {
            for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                double s = 0;
                for (int c = 0; c < cs; c++) for (int p = 0; p < kh; p++) for (int q = 0; q < kw; q++) {
                    int hh = i * stride[0] + p - pad[0], ww = j * stride[1] + q - pad[2];
                    if (hh >= 0 && hh < h && ww >= 0 && ww < w) s += x5.get(g, n, c, hh, ww) * k5.get(g, o, c, p, q);
                }
                y[DTensor.flatIndex(shape, new int[] {g, n, o, i, j})] = s;
            }
        }
        DTensor out = new DTensor(shape, y);
        return grouped ? out : dropLeadingOne(out);
    }

    /**
     * The adjoint of conv2d in x: dx[g,n,c,h,w] = Σ_{o,p,q} dy[g,n,o,i,j] · k[g,o,c,p,q] over the taps with
     * i·sh + p − pt = h and j·sw + q − pl = w for an output position (i, j) in range.
     */
    private static DTensor conv2dGradInput(int[] stride, int[] pad, DTensor dy, DTensor k, int[] inputShape) {
        boolean grouped = k.rank() == 5;
        DTensor dy5 = grouped ? dy : addLeadingOne(dy), k5 = grouped ? k : addLeadingOne(k);
        int[] shape = grouped ? inputShape : concat(new int[] {1}, inputShape);
        int gs = shape[0], ns = shape[1], cs = shape[2], h = shape[3], w = shape[4];
        int os = k5.shape()[1], kh = k5.shape()[3], kw = k5.shape()[4], oh = dy5.shape()[3], ow = dy5.shape()[4];
        double[] dx = new double[DTensor.numel(shape)];
        for (int g = 0; g < gs; g++) for (int n = 0; n < ns; n++) for (int c = 0; c < cs; c++) {
            for (int hh = 0; hh < h; hh++) for (int ww = 0; ww < w; ww++) {
                double s = 0;
                for (int o = 0; o < os; o++) for (int p = 0; p < kh; p++) for (int q = 0; q < kw; q++) {
                    int i = outputPosition(hh, p, stride[0], pad[0], oh), j = outputPosition(ww, q, stride[1], pad[2], ow);
                    if (i >= 0 && j >= 0) s += dy5.get(g, n, o, i, j) * k5.get(g, o, c, p, q);
                }
                dx[DTensor.flatIndex(shape, new int[] {g, n, c, hh, ww})] = s;
            }
        }
        DTensor out = new DTensor(shape, dx);
        return grouped ? out : dropLeadingOne(out);
    }

    /** The output position i with i·stride + tap − pad = position, or −1 if there is none in [0, size). */
    private static int outputPosition(int position, int tap, int stride, int pad, int size) {
        int t = position + pad - tap;
        if (t < 0 || t % stride != 0 || t / stride >= size) return -1;
        return t / stride;
    }

    /** The adjoint of conv2d in k: dk[g,o,c,p,q] = Σ_{n,i,j} dy[g,n,o,i,j] · x[g,n,c, i·sh + p − pt, j·sw + q − pl]. */
    private static DTensor conv2dGradKernel(int[] stride, int[] pad, DTensor x, DTensor dy, int[] kernelShape) {
        boolean grouped = x.rank() == 5;
        DTensor x5 = grouped ? x : addLeadingOne(x), dy5 = grouped ? dy : addLeadingOne(dy);
        int[] shape = grouped ? kernelShape : concat(new int[] {1}, kernelShape);
        int gs = shape[0], os = shape[1], cs = shape[2], kh = shape[3], kw = shape[4];
        int ns = x5.shape()[1], h = x5.shape()[3], w = x5.shape()[4], oh = dy5.shape()[3], ow = dy5.shape()[4];
        double[] dk = new double[DTensor.numel(shape)];
        for (int g = 0; g < gs; g++) for (int o = 0; o < os; o++) for (int c = 0; c < cs; c++) {
            for (int p = 0; p < kh; p++) for (int q = 0; q < kw; q++) {
                double s = 0;
                for (int n = 0; n < ns; n++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                    int hh = i * stride[0] + p - pad[0], ww = j * stride[1] + q - pad[2];
                    if (hh >= 0 && hh < h && ww >= 0 && ww < w) s += dy5.get(g, n, o, i, j) * x5.get(g, n, c, hh, ww);
                }
                dk[DTensor.flatIndex(shape, new int[] {g, o, c, p, q})] = s;
            }
        }
        DTensor out = new DTensor(shape, dk);
        return grouped ? out : dropLeadingOne(out);
    }

    // ================================================================ pooling

    /**
     * Over the last two axes, every leading axis being independent: max, or average dividing by the number
     * of in-bounds elements. A window lying wholly in the padding has no value and is an error.
     */
    private static DTensor pool2d(Op.Pool2d op, DTensor x) {
        int r = x.rank(), h = x.shape()[r - 2], w = x.shape()[r - 1], planes = x.numel() / (h * w);
        int oh = (h + op.padding()[0] + op.padding()[1] - op.window()[0]) / op.stride()[0] + 1;
        int ow = (w + op.padding()[2] + op.padding()[3] - op.window()[1]) / op.stride()[1] + 1;
        DTensor x3 = x.reshape(planes, h, w);
        double[] y = new double[planes * oh * ow];
        for (int l = 0; l < planes; l++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            int count = 0;
            for (int p = 0; p < op.window()[0]; p++) for (int q = 0; q < op.window()[1]; q++) {
                int hh = i * op.stride()[0] + p - op.padding()[0], ww = j * op.stride()[1] + q - op.padding()[2];
                if (hh >= 0 && hh < h && ww >= 0 && ww < w) {
                    double v = x3.get(l, hh, ww);
                    if (count == 0 || v > max) max = v;
                    sum += v;
                    count++;
                }
            }
            if (count == 0) throw new IllegalArgumentException(op.mnemonic() + ": window (" + i + ", " + j + ") lies wholly in the padding");
            y[(l * oh + i) * ow + j] = op.kind() == Op.PoolKind.MAX ? max : sum / count;
        }
        int[] shape = x.shape().clone();
        shape[r - 2] = oh;
        shape[r - 1] = ow;
        return new DTensor(shape, y);
    }

    /** Max routes each dy to the first maximum of its window (row-major in the window); avg spreads dy / count over it. */
    private static DTensor pool2dGrad(Op.Pool2dGrad op, DTensor x, DTensor dy) {
        int r = x.rank(), h = x.shape()[r - 2], w = x.shape()[r - 1], planes = x.numel() / (h * w);
        int oh = dy.shape()[r - 2], ow = dy.shape()[r - 1];
        DTensor x3 = x.reshape(planes, h, w), dy3 = dy.reshape(planes, oh, ow);
        double[] dx = new double[x.numel()];
        for (int l = 0; l < planes; l++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            List<int[]> inBounds = new ArrayList<>();
            for (int p = 0; p < op.window()[0]; p++) for (int q = 0; q < op.window()[1]; q++) {
                int hh = i * op.stride()[0] + p - op.padding()[0], ww = j * op.stride()[1] + q - op.padding()[2];
                if (hh >= 0 && hh < h && ww >= 0 && ww < w) inBounds.add(new int[] {hh, ww});
            }
            if (inBounds.isEmpty()) throw new IllegalArgumentException(op.mnemonic() + ": window (" + i + ", " + j + ") lies wholly in the padding");
            double g = dy3.get(l, i, j);
            if (op.kind() == Op.PoolKind.MAX) {
                int[] best = inBounds.get(0);
                for (int[] pos : inBounds) if (x3.get(l, pos[0], pos[1]) > x3.get(l, best[0], best[1])) best = pos;
                dx[(l * h + best[0]) * w + best[1]] += g;
            } else {
                for (int[] pos : inBounds) dx[(l * h + pos[0]) * w + pos[1]] += g / inBounds.size();
            }
        }
        return new DTensor(x.shape().clone(), dx);
    }

    // ================================================================ indexing

    /** out[i..., r...] = table[ids[i...], r...]. */
    private static DTensor gather(DTensor table, DTensor ids) {
        int[] rest = Arrays.copyOfRange(table.shape(), 1, table.rank());
        int[] shape = concat(ids.shape(), rest);
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = DTensor.multiIndex(shape, f);
            int id = checkId("gather", ids.get(Arrays.copyOf(idx, ids.rank())), table.shape()[0]);
            out[f] = table.get(concat(new int[] {id}, Arrays.copyOfRange(idx, ids.rank(), idx.length)));
        }
        return new DTensor(shape, out);
    }

    /** out[rows, r...] = Σ over i... with ids[i...] = row of updates[i..., r...]. */
    private static DTensor scatterAdd(int rows, DTensor ids, DTensor updates) {
        int[] shape = concat(new int[] {rows}, Arrays.copyOfRange(updates.shape(), ids.rank(), updates.rank()));
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < updates.numel(); f++) {
            int[] idx = updates.multiIndex(f);
            int id = checkId("scatter_add", ids.get(Arrays.copyOf(idx, ids.rank())), rows);
            out[DTensor.flatIndex(shape, concat(new int[] {id}, Arrays.copyOfRange(idx, ids.rank(), idx.length)))] += updates.data()[f];
        }
        return new DTensor(shape, out);
    }

    /** ids[...] → [..., depth] with a 1 at each id. */
    private static DTensor oneHot(int depth, DTensor ids) {
        int[] shape = concat(ids.shape(), depth);
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < ids.numel(); f++) {
            int id = checkId("one_hot", ids.data()[f], depth);
            out[DTensor.flatIndex(shape, concat(ids.multiIndex(f), id))] = 1.0;
        }
        return new DTensor(shape, out);
    }

    private static int checkId(String op, double id, int bound) {
        if (id != Math.rint(id) || id < 0 || id >= bound) {
            throw new IllegalArgumentException(op + ": id " + id + " is out of range [0, " + bound + ")");
        }
        return (int) id;
    }

    // ================================================================ views

    /** The same elements in row-major order under the new shape. */
    private static DTensor reshape(DTensor x, int[] shape) {
        if (DTensor.numel(shape) != x.numel()) {
            throw new IllegalStateException("reshape of " + Arrays.toString(x.shape()) + " to " + Arrays.toString(shape) + " changes the element count");
        }
        return new DTensor(shape.clone(), x.data().clone());
    }

    /** Elements start, start + step, ... < end along the axis. */
    private static DTensor slice(int axis, long start, long end, long step, DTensor x) {
        int[] shape = x.shape().clone();
        shape[axis] = Math.toIntExact((end - start + step - 1) / step);
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] src = DTensor.multiIndex(shape, f);
            src[axis] = Math.toIntExact(start + src[axis] * step);
            out[f] = x.get(src);
        }
        return new DTensor(shape, out);
    }

    /** Result axis i is operand axis perm[i]: out[idx] = x[src] with src[perm[i]] = idx[i]. */
    private static DTensor transpose(int[] perm, DTensor x) {
        int[] shape = new int[perm.length];
        for (int i = 0; i < perm.length; i++) shape[i] = x.shape()[perm[i]];
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) {
            int[] idx = DTensor.multiIndex(shape, f);
            int[] src = new int[perm.length];
            for (int i = 0; i < perm.length; i++) src[perm[i]] = idx[i];
            out[f] = x.get(src);
        }
        return new DTensor(shape, out);
    }

    /** Repeats size-1 axes and adds leading ones to reach the shape. */
    private static DTensor broadcast(DTensor x, int[] shape) {
        if (!Arrays.equals(broadcastShapes(x.shape(), shape), shape)) {
            throw new IllegalStateException("cannot broadcast " + Arrays.toString(x.shape()) + " to " + Arrays.toString(shape));
        }
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < out.length; f++) out[f] = x.get(broadcastIndex(DTensor.multiIndex(shape, f), x.shape()));
        return new DTensor(shape.clone(), out);
    }

    // ================================================================ structure

    /** The operands one after another along the axis. */
    private static DTensor concat(int axis, List<DTensor> parts) {
        int[] shape = parts.get(0).shape().clone();
        shape[axis] = 0;
        for (DTensor p : parts) shape[axis] += p.shape()[axis];
        double[] out = new double[DTensor.numel(shape)];
        int offset = 0;
        for (DTensor p : parts) {
            for (int f = 0; f < p.numel(); f++) {
                int[] dst = p.multiIndex(f);
                dst[axis] += offset;
                out[DTensor.flatIndex(shape, dst)] = p.data()[f];
            }
            offset += p.shape()[axis];
        }
        return new DTensor(shape, out);
    }

    /** Zeros of the given size along the axis, with dy's elements at start, start + step, .... */
    private static DTensor unslice(int axis, long start, long step, long size, DTensor dy) {
        int[] shape = dy.shape().clone();
        shape[axis] = Math.toIntExact(size);
        double[] out = new double[DTensor.numel(shape)];
        for (int f = 0; f < dy.numel(); f++) {
            int[] dst = dy.multiIndex(f);
            dst[axis] = Math.toIntExact(start + dst[axis] * step);
            out[DTensor.flatIndex(shape, dst)] = dy.data()[f];
        }
        return new DTensor(shape, out);
    }

    // ================================================================ entropy estimation

    /** d[i,j] = ‖x_i − x_j‖. */
    private static DTensor pairwiseDist(DTensor x) {
        int n = x.shape()[0];
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) out[i * n + j] = distance(x, i, j);
        return new DTensor(new int[] {n, n}, out);
    }

    /** d_i = min over j ≠ i of ‖x_i − x_j‖. */
    private static DTensor nearestDist(DTensor x) {
        int n = requireTwoRows("nn_dist", x);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = distance(x, i, nearest(x, i));
        return new DTensor(new int[] {n}, out);
    }

    /**
     * dx: for each row i with nearest other row j* (the first on ties) at distance d_i, adds dy_i·(x_i − x_j*)/d_i
     * to row i and subtracts it from row j*. A zero distance gives non-finite values, as the formula does.
     */
    private static DTensor nearestDistGrad(DTensor x, DTensor dy) {
        int n = requireTwoRows("nn_dist_grad", x), d = x.shape()[1];
        double[] dx = new double[n * d];
        for (int i = 0; i < n; i++) {
            int j = nearest(x, i);
            double dist = distance(x, i, j);
            for (int k = 0; k < d; k++) {
                double g = dy.get(i) * (x.get(i, k) - x.get(j, k)) / dist;
                dx[i * d + k] += g;
                dx[j * d + k] -= g;
            }
        }
        return new DTensor(x.shape().clone(), dx);
    }

    private static int requireTwoRows(String op, DTensor x) {
        if (x.shape()[0] < 2) throw new IllegalArgumentException(op + " needs at least two rows, got " + x.shape()[0]);
        return x.shape()[0];
    }

    /** The first j ≠ i with the smallest distance to row i. */
    private static int nearest(DTensor x, int i) {
        int best = -1;
        for (int j = 0; j < x.shape()[0]; j++) {
            if (j != i && (best < 0 || distance(x, i, j) < distance(x, i, best))) best = j;
        }
        return best;
    }

    private static double distance(DTensor x, int i, int j) {
        double s = 0;
        for (int k = 0; k < x.shape()[1]; k++) s += (x.get(i, k) - x.get(j, k)) * (x.get(i, k) - x.get(j, k));
        return Math.sqrt(s);
    }

    // ================================================================ recurrence

    /**
     * For t = 0 .. T−1 (with {@code reverse}: t = T−1 down to 0) the body runs on (carries, element t of each
     * sequence, captures); its outputs are the next carries and then step t's emissions. Results: the final
     * carries, then each emission stacked on a new axis 0 with step t's value at index t.
     */
    private static List<DTensor> scan(Op.Scan op, List<DTensor> in, Run run) {
        int nc = op.carries(), ns = op.sequences();
        List<DTensor> carries = new ArrayList<>(in.subList(0, nc));
        List<DTensor> sequences = in.subList(nc, nc + ns), captures = in.subList(nc + ns, in.size());
        int steps = sequences.get(0).shape()[0];
        List<Graph.Output> outs = op.body().outputs();
        DTensor[][] emitted = new DTensor[outs.size() - nc][steps];
        for (int n = 0; n < steps; n++) {
            int t = op.reverse() ? steps - 1 - n : n;
            List<DTensor> args = new ArrayList<>(carries);
            for (DTensor s : sequences) args.add(element(s, t));
            args.addAll(captures);
            Map<Integer, DTensor> env = evalGraph(op.body(), args, run);
            for (int c = 0; c < nc; c++) carries.set(c, env.get(outs.get(c).value().id()));
            for (int e = nc; e < outs.size(); e++) emitted[e - nc][t] = env.get(outs.get(e).value().id());
        }
        List<DTensor> results = new ArrayList<>(carries);
        for (int e = nc; e < outs.size(); e++) {
            int[] elementShape = run.shape(outs.get(e).value().type());
            results.add(stack(steps, elementShape, emitted[e - nc]));
        }
        return results;
    }

    /** x[t, ...]. */
    private static DTensor element(DTensor x, int t) {
        int[] shape = Arrays.copyOfRange(x.shape(), 1, x.rank());
        int size = DTensor.numel(shape);
        return new DTensor(shape, Arrays.copyOfRange(x.data(), t * size, (t + 1) * size));
    }

    /** [steps, ...] with element t at index t of axis 0. */
    private static DTensor stack(int steps, int[] elementShape, DTensor[] elements) {
        int size = DTensor.numel(elementShape);
        double[] out = new double[steps * size];
        for (int t = 0; t < steps; t++) System.arraycopy(elements[t].data(), 0, out, t * size, size);
        return new DTensor(concat(new int[] {steps}, elementShape), out);
    }

    // ================================================================ index helpers

    /** A possibly negative axis of x, normalised. */
    private static int axis(int axis, DTensor x) { return axis < 0 ? axis + x.rank() : axis; }

    /** NumPy broadcasting of two concrete shapes: aligned on the right; sizes equal or one of them 1. */
    static int[] broadcastShapes(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalStateException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** The index into an operand of {@code shape} that a broadcast result index reads: right-aligned, size-1 axes at 0. */
    static int[] broadcastIndex(int[] idx, int[] shape) {
        int[] src = new int[shape.length];
        int lead = idx.length - shape.length;
        for (int i = 0; i < shape.length; i++) src[i] = shape[i] == 1 ? 0 : idx[lead + i];
        return src;
    }

    /** The array without the listed positions. */
    private static int[] dropAxes(int[] a, int[] axes) {
        int[] out = new int[a.length - axes.length];
        int o = 0;
        outer:
        for (int i = 0; i < a.length; i++) {
            for (int ax : axes) if (ax == i) continue outer;
            out[o++] = a[i];
        }
        return out;
    }

    /** The array with {@code value} inserted at position {@code axis}. */
    private static int[] insertAxis(int[] a, int axis, int value) {
        int[] out = new int[a.length + 1];
        for (int i = 0, o = 0; o < out.length; o++) out[o] = o == axis ? value : a[i++];
        return out;
    }

    private static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static DTensor addLeadingOne(DTensor x) { return new DTensor(concat(new int[] {1}, x.shape()), x.data()); }

    private static DTensor dropLeadingOne(DTensor x) { return new DTensor(Arrays.copyOfRange(x.shape(), 1, x.rank()), x.data()); }
}
