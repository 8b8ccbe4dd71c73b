package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.ShapeError;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.List;

/**
 * The language's built-in layers and functions. Each is a small method that binds its arguments
 * (with {@link Args}) and lowers to IR through {@link Layers} or the context's emit helpers.
 */
final class Builtins {
    static final List<String> LAYERS = List.of(
            "dense", "conv2d", "max_pool", "avg_pool", "global_mean_pool", "flatten", "reshape", "embedding",
            "layer_norm", "batch_norm", "dropout", "hypernetwork");
    static final List<String> FUNCTIONS = List.of(
            "relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "exp", "log", "sqrt", "abs", "square",
            "cross_entropy", "mse", "accuracy", "mean", "sum", "max", "min", "norm", "concat", "split", "chunk",
            "transpose", "stop_gradient", "zeros", "ones", "full", "pairwise_dist", "nn_dist", "kl_entropy", "params",
            "matmul", "linear", "conv", "one_hot", "argmax", "digamma", "float", "maximum", "minimum");
    static final List<String> NAMES;

    static {
        List<String> all = new ArrayList<>(LAYERS);
        all.addAll(FUNCTIONS);
        NAMES = List.copyOf(all);
    }

    static boolean isBuiltin(String name) { return NAMES.contains(name); }

    private final Lowering lo;
    private final Ctx c;

    Builtins(Lowering lo) {
        this.lo = lo;
        this.c = lo.ctx();
    }

    Val call(Expr.Call call) {
        String f = call.callee();
        Val out = switch (f) {
            case "dense" -> dense(call);
            case "conv2d" -> conv2d(call);
            case "max_pool" -> pool(call, Op.PoolKind.MAX);
            case "avg_pool" -> pool(call, Op.PoolKind.AVG);
            case "global_mean_pool" -> layerRow(call, "global_mean_pool", Layers.globalMeanPool(c, x(Args.bind(call, "x"))));
            case "flatten" -> {
                Args a = Args.bind(call, "x", "from?");
                Value x = x(a);
                int from = a.has("from") ? lo.axis(a.get("from")) : Math.min(c.lead, x.type().rank());
                yield layerRow(call, "flatten", Layers.flatten(c, x, from));
            }
            case "reshape" -> reshape(call);
            case "embedding" -> embedding(call);
            case "layer_norm" -> {
                Args a = Args.bind(call, "x", "eps?", "name?");
                Value x = x(a);
                if (x.type().rank() < 1) throw new SemanticError(a.span("x"), "layer_norm needs an input with a feature axis, got " + x.type());
                String name = layerName(a, "layer_norm");
                Value y = Layers.layerNorm(c, name, x, a.has("eps") ? lo.real(a.get("eps")) : 1e-5);
                yield row(name, "layer_norm", y, 2 * x.type().shape().dim(-1).fixed());
            }
            case "batch_norm" -> {
                Args a = Args.bind(call, "x", "axis?", "momentum?", "eps?", "name?");
                Value x = x(a);
                int rank = x.type().rank();
                // The default feature axis is found from the example's own rank (leading batch-like axes not counted),
                // so that a target body picks the same axis when declared and when applied to more leading axes:
                // channels of [..., C, H, W] images, else the last axis.
                int axis = a.has("axis") ? lo.axis(a.get("axis")) : (rank - c.lead >= 3 ? rank - 3 : rank - 1);
                String name = layerName(a, "batch_norm");
                Value y = Layers.batchNorm(c, name, x, axis, a.has("momentum") ? lo.real(a.get("momentum")) : 0.1,
                        a.has("eps") ? lo.real(a.get("eps")) : 1e-5);
                yield row(name, "batch_norm", y, 2 * x.type().shape().dim(x.type().shape().axis(axis)).fixed());
            }
            case "dropout" -> {
                Args a = Args.bind(call, "x", "rate");
                double rate = lo.real(a.get("rate"));
                if (!(rate >= 0 && rate < 1)) throw new SemanticError(a.span("rate"), "dropout rate must be in [0, 1), got " + Lowering.num(rate));
                yield layerRow(call, "dropout", Layers.dropout(c, x(a), rate));
            }
            case "hypernetwork" -> new CompactHypernetwork(lo).lower(call);
            case "relu", "tanh", "sigmoid", "log_softmax" -> {
                Args a = Args.bind(call, "x");
                yield new Val.Tensor(Layers.activate(c, f, x(a)));
            }
            case "softmax" -> {
                Args a = Args.bind(call, "x", "axis?");
                int axis = a.has("axis") ? lo.axis(a.get("axis")) : -1;
                yield new Val.Tensor(c.unary(Op.UnaryFn.EXP, Layers.logSoftmax(c, x(a), axis)));
            }
            case "leaky_relu" -> {
                Args a = Args.bind(call, "x", "alpha?");
                double alpha = a.has("alpha") ? lo.real(a.get("alpha")) : 0.01;
                yield new Val.Tensor(c.emit(new Op.LeakyRelu(alpha), x(a)));
            }
            case "exp" -> unary(call, Op.UnaryFn.EXP);
            case "log" -> unary(call, Op.UnaryFn.LOG);
            case "sqrt" -> unary(call, Op.UnaryFn.SQRT);
            case "abs" -> unary(call, Op.UnaryFn.ABS);
            case "square" -> unary(call, Op.UnaryFn.SQUARE);
            case "maximum" -> binaryFn(call, Op.BinaryFn.MAX);
            case "minimum" -> binaryFn(call, Op.BinaryFn.MIN);
            case "cross_entropy" -> crossEntropy(call);
            case "mse" -> {
                Args a = Args.bind(call, "pred", "target");
                Value p = lo.tensor(a.get("pred")), t = lo.tensor(a.get("target"));
                if (!p.type().shape().equals(t.type().shape())) {
                    throw new SemanticError(call.span(), "mse needs prediction and target of one shape, got " + p.type() + " and " + t.type());
                }
                yield new Val.Tensor(c.meanAll(c.unary(Op.UnaryFn.SQUARE, c.sub(p, t))));
            }
            case "accuracy" -> accuracy(call);
            case "mean" -> reduce(call, Op.ReduceFn.MEAN);
            case "sum" -> reduce(call, Op.ReduceFn.SUM);
            case "max" -> reduce(call, Op.ReduceFn.MAX);
            case "min" -> reduce(call, Op.ReduceFn.MIN);
            case "norm" -> {
                Args a = Args.bind(call, "x", "axis?", "keepdims?");
                Value x = x(a);
                int[] axes = axes(a, x);
                Value n = c.unary(Op.UnaryFn.SQRT, c.reduce(Op.ReduceFn.SUM, c.unary(Op.UnaryFn.SQUARE, x), axes));
                yield new Val.Tensor(keep(a, x, n, axes));
            }
            case "concat" -> {
                Args a = Args.bind(call, "items", "axis?");
                List<Val> items = lo.seq(a.get("items"));
                if (items.isEmpty()) throw new SemanticError(a.span("items"), "concat needs at least one tensor");
                List<Value> vs = items.stream().map(v -> lo.tensor(v, a.span("items"))).toList();
                int axis = a.has("axis") ? lo.axis(a.get("axis")) : -1;
                int ax = vs.get(0).type().shape().axis(axis);
                yield new Val.Tensor(c.emitMulti(new Op.Concat(ax), vs).get(0));
            }
            case "split" -> split(call);
            case "chunk" -> {
                Args a = Args.bind(call, "x", "n", "axis?");
                Value x = x(a);
                long n = lo.positive(a.get("n"), "chunk count");
                int axis = x.type().shape().axis(a.has("axis") ? lo.axis(a.get("axis")) : -1);
                long size = x.type().shape().dim(axis).fixed();
                if (size % n != 0) throw new SemanticError(call.span(), "cannot chunk an axis of size " + size + " into " + n + " equal parts");
                List<Val> parts = new ArrayList<>();
                for (long i = 0; i < n; i++) parts.add(new Val.Tensor(c.slice(x, axis, i * size / n, (i + 1) * size / n)));
                yield new Val.Seq(parts);
            }
            case "transpose" -> {
                Args a = Args.bind(call, "x", "perm?");
                Value x = x(a);
                int r = x.type().rank();
                int[] perm = new int[r];
                if (a.has("perm")) {
                    List<Val> p = lo.seq(a.get("perm"));
                    if (p.size() != r) throw new SemanticError(a.span("perm"), "perm must list all " + r + " axes");
                    for (int i = 0; i < r; i++) perm[i] = axisOf(p.get(i), a.span("perm"));
                } else {
                    if (r < 2) throw new SemanticError(call.span(), "transpose needs rank >= 2");
                    for (int i = 0; i < r; i++) perm[i] = i;
                    perm[r - 1] = r - 2;
                    perm[r - 2] = r - 1;
                }
                yield new Val.Tensor(c.emit(new Op.Transpose(perm), x));
            }
            case "stop_gradient" -> new Val.Tensor(c.emit(new Op.StopGradient(), x(Args.bind(call, "x"))));
            case "zeros", "ones" -> {
                Args a = Args.bind(call, "shape");
                yield new Val.Tensor(c.constant(f.equals("zeros") ? 0 : 1, shape(a.get("shape"))));
            }
            case "full" -> {
                Args a = Args.bind(call, "shape", "value");
                yield new Val.Tensor(c.constant(lo.real(a.get("value")), shape(a.get("shape"))));
            }
            case "pairwise_dist" -> new Val.Tensor(c.emit(new Op.PairwiseDist(), x(Args.bind(call, "x"))));
            case "nn_dist" -> new Val.Tensor(c.emit(new Op.NearestDist(), x(Args.bind(call, "x"))));
            case "kl_entropy" -> klEntropy(call);
            case "params" -> {
                Args a = Args.bind(call, "target");
                Expr e = a.get("target");
                Val v = lo.expr(e);
                if (!(v instanceof Val.TargetFn t)) throw new SemanticError(e.span(), "params(...) needs a target network, got " + Val.describe(v));
                yield new Val.Int(t.target().size());
            }
            case "matmul" -> {
                Args a = Args.bind(call, "a", "b");
                yield new Val.Tensor(c.emit(new Op.MatMul(), lo.tensor(a.get("a")), lo.tensor(a.get("b"))));
            }
            case "linear" -> {
                Args a = Args.bind(call, "x", "weight", "bias?", "activation?");
                Value x = x(a), w = lo.tensor(a.get("weight"));
                Value b = a.has("bias") ? lo.tensor(a.get("bias")) : null;
                List<Dim> lead = leadOf(w, 2, a.span("weight"));
                if (b != null) checkBias(b, lead, w.type().shape().dim(-1), a.span("bias"));
                Value y = Layers.activate(c, activation(a), Layers.denseApply(c, x, w, b, lead));
                yield computedRow("linear", y, w, b);
            }
            case "conv" -> {
                Args a = Args.bind(call, "x", "weight", "bias?", "stride?", "padding?", "activation?");
                Value x = x(a), w = lo.tensor(a.get("weight"));
                Value b = a.has("bias") ? lo.tensor(a.get("bias")) : null;
                if (x.type().rank() < 3) throw new SemanticError(a.span("x"), "conv needs an input [..., C, H, W], got " + x.type());
                List<Dim> lead = leadOf(w, 4, a.span("weight"));
                Shape ws = w.type().shape();
                int[] kernel = {smallPositive(new Val.Int(ws.dim(-2).fixed()), a.span("weight"), "kernel height"),
                        smallPositive(new Val.Int(ws.dim(-1).fixed()), a.span("weight"), "kernel width")};
                if (b != null) checkBias(b, lead, ws.dim(-4), a.span("bias"));
                int[] stride = pair(a, "stride", 1);
                int[] pad = padding(a, x, kernel, stride);
                yield computedRow("conv", Layers.activate(c, activation(a), Layers.convApply(c, x, w, b, lead, stride, pad)), w, b);
            }
            case "one_hot" -> {
                Args a = Args.bind(call, "ids", "depth");
                yield new Val.Tensor(c.emit(new Op.OneHot(lo.positive(a.get("depth"), "depth")), ids(a, "ids")));
            }
            case "argmax" -> {
                Args a = Args.bind(call, "x", "axis?");
                Value x = x(a);
                yield new Val.Tensor(c.emit(new Op.ArgMax(x.type().shape().axis(a.has("axis") ? lo.axis(a.get("axis")) : -1)), x));
            }
            case "digamma" -> {
                Args a = Args.bind(call, "n");
                double n = lo.real(a.get("n"));
                // The recurrence below steps x up to 6 one by one: bound it to where ψ is defined and the loop is short.
                if (!(n > 0 && n < Double.POSITIVE_INFINITY)) {
                    throw new SemanticError(a.span("n"), "digamma needs a positive finite number, got " + n);
                }
                yield new Val.Real(digamma(n));
            }
            case "float" -> {
                Args a = Args.bind(call, "x");
                Value x = x(a);
                yield new Val.Tensor(c.cast(x, DType.F32));
            }
            default -> throw new SemanticError(call.calleeSpan(), "unknown function '" + f + "'");
        };
        return out;
    }

    // ---------------------------------------------------------------- layers

    private Val dense(Expr.Call call) {
        Args a = Args.bind(call, "x", "units", "activation?", "bias?", "init?", "name?");
        Value x = x(a);
        long units = lo.positive(a.get("units"), "dense units");
        String act = activation(a);
        boolean bias = !a.has("bias") || bool(a.get("bias"));
        String name = layerName(a, "dense");
        if (x.type().dtype() != DType.F32) {
            throw new SemanticError(a.span("x"), "dense needs f32 input, got " + x.type() + "; integer ids need an embedding first (or float(...) to use them as numbers)");
        }
        long in = x.type().shape().rank() == 0 ? 0 : x.type().shape().dim(-1).fixed();
        Init init = a.has("init") ? headInit(a.get("init"), in) : null;
        Value y = Layers.dense(c, name, x, units, bias, act, init);
        return row(name, "dense", y, in * units + (bias ? units : 0));
    }

    /** {@code init: hyperfan(target_fan_in)} on a generator head, or a plain initializer name. */
    private Init headInit(Expr e, long fanIn) {
        if (e instanceof Expr.Call call && call.callee().equals("hyperfan")) {
            Args a = Args.bind(call, "target_fan_in");
            return new Init.HyperFan(fanIn, lo.positive(a.get("target_fan_in"), "target_fan_in"));
        }
        String w = lo.word(e);
        return switch (w) {
            case "zeros" -> new Init.Zeros();
            case "glorot" -> null;
            default -> throw new SemanticError(e.span(), "unknown dense init '" + w + "' (use glorot, zeros or hyperfan(n))");
        };
    }

    private Val conv2d(Expr.Call call) {
        Args a = Args.bind(call, "x", "filters", "kernel", "stride?", "padding?", "activation?", "bias?", "name?");
        Value x = x(a);
        long filters = lo.positive(a.get("filters"), "conv2d filters");
        int[] kernel = pair(a, "kernel", -1);
        int[] stride = pair(a, "stride", 1);
        Shape xs = x.type().shape();
        if (xs.rank() < 3) throw new SemanticError(a.span("x"), "conv2d needs an input [..., C, H, W], got " + x.type());
        int[] pad = padding(a, x, kernel, stride);
        boolean bias = !a.has("bias") || bool(a.get("bias"));
        String name = layerName(a, "conv2d");
        Value y = Layers.conv2d(c, name, x, filters, kernel, stride, pad, bias, activation(a));
        long ch = xs.dim(-3).fixed();
        return row(name, "conv2d", y, filters * ch * kernel[0] * kernel[1] + (bias ? filters : 0));
    }

    private Val pool(Expr.Call call, Op.PoolKind kind) {
        Args a = Args.bind(call, "x", "window", "stride?", "padding?");
        Value x = x(a);
        int[] window = pair(a, "window", -1);
        int[] stride = a.has("stride") ? pair(a, "stride", -1) : window.clone();
        if (x.type().rank() < 3) throw new SemanticError(a.span("x"), "pooling needs an input [..., C, H, W], got " + x.type());
        int[] pad = padding(a, x, window, stride);
        return layerRow(call, kind == Op.PoolKind.MAX ? "max_pool" : "avg_pool", Layers.pool(c, kind, x, window, stride, pad));
    }

    private Val reshape(Expr.Call call) {
        Args a = Args.bind(call, "x", "shape");
        Value x = x(a);
        Shape s = shape(a.get("shape"));
        if (!x.type().shape().numel().equals(s.numel())) {
            throw new SemanticError(call.span(), "cannot reshape " + x.type() + " (" + x.type().shape().numel() + " elements) to "
                    + s + " (" + s.numel() + " elements)");
        }
        return layerRow(call, "reshape", c.reshape(x, s));
    }

    private Val embedding(Expr.Call call) {
        Args a = Args.bind(call, "ids", "vocab", "dim", "name?");
        Value ids = ids(a, "ids");
        long vocab = lo.positive(a.get("vocab"), "embedding vocabulary"), dim = lo.positive(a.get("dim"), "embedding size");
        String name = layerName(a, "embedding");
        return row(name, "embedding", Layers.embedding(c, name, ids, vocab, dim), vocab * dim);
    }

    // ---------------------------------------------------------------- losses and metrics

    /**
     * Mean cross-entropy from logits. Integer labels pick the true class's log-probability; f32 labels
     * of the logits' shape are class probabilities. Computed as logsumexp(z) − z_y, which never
     * exponentiates a large logit.
     */
    private Val crossEntropy(Expr.Call call) {
        Args a = Args.bind(call, "logits", "labels");
        Value z = lo.tensor(a.get("logits")), y = lo.tensor(a.get("labels"));
        Shape zs = z.type().shape();
        if (zs.rank() < 1) throw new SemanticError(a.span("logits"), "cross_entropy needs logits with a class axis");
        Value logp = Layers.logSoftmax(c, z, -1);
        Value target;
        if (y.type().dtype() == DType.I32) {
            if (!y.type().shape().equals(zs.sub(0, zs.rank() - 1))) {
                throw new SemanticError(call.span(), "cross_entropy labels " + y.type() + " must have the logits' shape without the class axis "
                        + zs.sub(0, zs.rank() - 1));
            }
            target = c.emit(new Op.OneHot(zs.dim(-1).fixed()), y);
        } else {
            if (!y.type().shape().equals(zs)) throw new SemanticError(call.span(), "cross_entropy soft labels must match the logits' shape " + zs);
            target = y;
        }
        Value picked = c.reduce(Op.ReduceFn.SUM, c.mul(logp, target), zs.rank() - 1);
        return new Val.Tensor(c.unary(Op.UnaryFn.NEG, c.meanAll(picked)));
    }

    private Val accuracy(Expr.Call call) {
        Args a = Args.bind(call, "logits", "labels");
        Value z = lo.tensor(a.get("logits")), y = lo.tensor(a.get("labels"));
        if (y.type().dtype() != DType.I32) throw new SemanticError(a.span("labels"), "accuracy needs i32 labels, got " + y.type());
        Shape zs = z.type().shape();
        if (zs.rank() < 1 || !y.type().shape().equals(zs.sub(0, zs.rank() - 1))) {
            throw new SemanticError(call.span(), "accuracy labels " + y.type() + " must have the logits' shape " + z.type() + " without the class axis");
        }
        Value pred = c.emit(new Op.ArgMax(zs.rank() - 1), z);
        return new Val.Tensor(c.meanAll(c.binary(Op.BinaryFn.EQ, pred, y)));
    }

    /** Kozachenko–Leonenko entropy estimate of the rows of x[N, D]: ψ(N) + (d/N)·Σ log ε_i, d the latent dimension. */
    private Val klEntropy(Expr.Call call) {
        Args a = Args.bind(call, "x", "dim");
        Value x = x(a);
        Shape s = x.type().shape();
        if (s.rank() != 2 || !s.dim(0).isFixed()) throw new SemanticError(a.span("x"), "kl_entropy needs samples [N, D] with a fixed N, got " + x.type());
        long n = s.dim(0).fixed();
        if (n < 2) throw new SemanticError(a.span("x"), "kl_entropy needs at least two samples");
        double d = lo.real(a.get("dim"));
        Value logs = c.unary(Op.UnaryFn.LOG, c.emit(new Op.NearestDist(), x));
        Value sum = c.reduce(Op.ReduceFn.SUM, logs, 0);
        return new Val.Tensor(c.add(c.mul(sum, c.scalar(d / n)), c.scalar(digamma(n))));
    }

    /** ψ(x) by recurrence to x ≥ 6 and the asymptotic series; accurate to ~1e-12 there. */
    static double digamma(double x) {
        double r = 0;
        while (x < 6) {
            r -= 1 / x;
            x += 1;
        }
        double f = 1 / (x * x);
        return r + Math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
    }

    private Val reduce(Expr.Call call, Op.ReduceFn fn) {
        Args a = Args.bind(call, "x", "axis?", "keepdims?");
        Value x = x(a);
        int[] axes = axes(a, x);
        return new Val.Tensor(keep(a, x, c.reduce(fn, x, axes), axes));
    }

    private int[] axes(Args a, Value x) {
        int r = x.type().rank();
        if (!a.has("axis")) {
            int[] all = new int[r];
            for (int i = 0; i < r; i++) all[i] = i;
            return all;
        }
        Val v = lo.expr(a.get("axis"));
        List<Val> list = v instanceof Val.Seq s ? s.items() : List.of(v);
        int[] axes = list.stream().mapToInt(i -> x.type().shape().axis(axisOf(i, a.span("axis")))).sorted().distinct().toArray();
        if (axes.length != list.size()) throw new SemanticError(a.span("axis"), "an axis is listed twice");
        return axes;
    }

    private Value keep(Args a, Value x, Value reduced, int[] axes) {
        if (!a.has("keepdims") || !bool(a.get("keepdims"))) return reduced;
        Shape s = x.type().shape();
        for (int ax : axes) s = s.with(ax, Dim.of(1));
        return c.reshape(reduced, s);
    }

    private Val split(Expr.Call call) {
        Args a = Args.bind(call, "x", "sizes", "axis?");
        Value x = x(a);
        int axis = x.type().shape().axis(a.has("axis") ? lo.axis(a.get("axis")) : -1);
        long size = x.type().shape().dim(axis).fixed();
        List<Val> sizes = lo.seq(a.get("sizes"));
        long total = 0;
        List<Val> parts = new ArrayList<>();
        for (Val v : sizes) {
            long n = intOf(v, a.span("sizes"));
            if (n < 1) throw new SemanticError(a.span("sizes"), "split sizes must be positive");
            parts.add(new Val.Tensor(c.slice(x, axis, total, total + n)));
            total += n;
        }
        if (total != size) throw new SemanticError(a.span("sizes"), "split sizes add up to " + total + " but the axis has size " + size);
        return new Val.Seq(parts);
    }

    // ---------------------------------------------------------------- helpers

    private Val unary(Expr.Call call, Op.UnaryFn fn) {
        return new Val.Tensor(c.unary(fn, x(Args.bind(call, "x"))));
    }

    private Val binaryFn(Expr.Call call, Op.BinaryFn fn) {
        Args a = Args.bind(call, "a", "b");
        return new Val.Tensor(c.binary(fn, lo.tensor(a.get("a")), lo.tensor(a.get("b"))));
    }

    private Value x(Args a) {
        String first = a.has("x") ? "x" : null;
        if (first == null) throw new SemanticError(a.call().span(), a.call().callee() + " needs an input");
        return lo.tensor(a.get("x"));
    }

    private Value ids(Args a, String name) {
        Value v = lo.tensor(a.get(name));
        if (v.type().dtype() != DType.I32) throw new SemanticError(a.span(name), a.call().callee() + " needs i32 ids, got " + v.type());
        return v;
    }

    private String layerName(Args a, String kind) {
        if (a.has("name")) {
            Val v = lo.expr(a.get("name"));
            if (!(v instanceof Val.Str s) || !s.value().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new SemanticError(a.span("name"), "a layer name must be a string of letters, digits and '_'");
            }
            return s.value();
        }
        return c.nextLayerName(kind);
    }

    private String activation(Args a) {
        if (!a.has("activation")) return "identity";
        String w = lo.word(a.get("activation"));
        if (!Layers.ACTIVATIONS.contains(w)) {
            throw new SemanticError(a.span("activation"), "unknown activation '" + w + "' (use one of " + String.join(", ", Layers.ACTIVATIONS) + ")");
        }
        return w;
    }

    private boolean bool(Expr e) {
        String w = lo.word(e);
        return switch (w) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new SemanticError(e.span(), "expected true or false, got " + w);
        };
    }

    private int[] pair(Args a, String name, int dflt) {
        if (!a.has(name)) {
            if (dflt < 0) throw new SemanticError(a.call().span(), a.call().callee() + " needs '" + name + "'");
            return new int[] {dflt, dflt};
        }
        Val v = lo.expr(a.get(name));
        if (v instanceof Val.Seq s && s.items().size() == 2) {
            return new int[] {smallPositive(s.items().get(0), a.span(name), name), smallPositive(s.items().get(1), a.span(name), name)};
        }
        int n = smallPositive(v, a.span(name), name);
        return new int[] {n, n};
    }

    private static int smallPositive(Val v, Span span, String what) {
        long n = intOf(v, span);
        if (n < 1 || n > 4096) throw new SemanticError(span, what + " must be between 1 and 4096, got " + n);
        return (int) n;
    }

    /** {@code padding: same | valid | n | (h, w)}. */
    private int[] padding(Args a, Value x, int[] kernel, int[] stride) {
        if (!a.has("padding")) return new int[4];
        Expr e = a.get("padding");
        Shape s = x.type().shape();
        if (e instanceof Expr.Name n && (n.name().equals("same") || n.name().equals("valid"))) {
            if (n.name().equals("valid")) return new int[4];
            return Layers.samePadding(s.dim(-2).fixed(), s.dim(-1).fixed(), kernel, stride);
        }
        Val v = lo.expr(e);
        if (v instanceof Val.Seq seq && seq.items().size() == 2) {
            int ph = (int) nonNegative(seq.items().get(0), a.span("padding")), pw = (int) nonNegative(seq.items().get(1), a.span("padding"));
            return new int[] {ph, ph, pw, pw};
        }
        int p = (int) nonNegative(v, a.span("padding"));
        return new int[] {p, p, p, p};
    }

    private static long nonNegative(Val v, Span span) {
        long n = intOf(v, span);
        if (n < 0 || n > 4096) throw new SemanticError(span, "padding must be between 0 and 4096, got " + n);
        return n;
    }

    static int axisOf(Val v, Span span) {
        long n = intOf(v, span);
        if (n != (int) n) throw new SemanticError(span, "axis " + n + " is out of range");
        return (int) n;
    }

    static long intOf(Val v, Span span) {
        if (v instanceof Val.Int i) return i.value();
        if (v instanceof Val.Poison) throw new PoisonedError();
        throw new SemanticError(span, "expected an integer, got " + Val.describe(v));
    }

    Shape shape(Expr e) {
        // B, the batch size, is allowed in shape lists: zeros([B, 128]) is a per-batch initial state.
        if (e instanceof Expr.ListLit l) {
            List<Dim> dims = new ArrayList<>();
            boolean batch = false;
            for (Expr item : l.items()) {
                if (item instanceof Expr.Name n && n.name().equals("B") && lo.scope().lookup("B", true) == null) {
                    if (batch) throw new SemanticError(item.span(), "B may appear only once in a shape");
                    batch = true;
                    dims.add(Dim.B);
                    continue;
                }
                long n = intOf(lo.expr(item), item.span());
                if (n < 1) throw new SemanticError(item.span(), "shape sizes must be positive, got " + n);
                dims.add(Dim.of(n));
            }
            Shape shape = new Shape(dims);
            Lowering.checkSize(TensorType.f32(shape), e.span());
            return shape;
        }
        Val v = lo.expr(e);
        if (!(v instanceof Val.Seq s)) throw new SemanticError(e.span(), "expected a shape such as [B, 784], got " + Val.describe(v));
        List<Dim> dims = new ArrayList<>();
        for (Val d : s.items()) {
            long n = intOf(d, e.span());
            if (n < 1) throw new SemanticError(e.span(), "shape sizes must be positive, got " + n);
            dims.add(Dim.of(n));
        }
        Shape shape = new Shape(dims);
        Lowering.checkSize(TensorType.f32(shape), e.span());
        return shape;
    }

    /** An explicit bias must be one value per output feature, with the weight's per-sample axes in front. */
    private static void checkBias(Value b, List<Dim> lead, Dim out, Span span) {
        Shape want = Shape.of(out).prepend(lead);
        if (!b.type().shape().equals(want) || b.type().dtype() != DType.F32) {
            throw new SemanticError(span, "the bias must be f32" + want + " (one value per output feature), got " + b.type());
        }
    }

    /** Leading axes of an explicit weight beyond its own rank (per-sample weights). */
    private static List<Dim> leadOf(Value w, int ownRank, Span span) {
        Shape s = w.type().shape();
        if (s.rank() < ownRank) throw new SemanticError(span, "weight must have rank >= " + ownRank + ", got " + w.type());
        return s.dims().subList(0, s.rank() - ownRank);
    }

    private Val layerRow(Expr.Call call, String kind, Value y) {
        // reshape(...) written as a function is plumbing, not a layer; in a pipeline it is a layer.
        if ((kind.equals("reshape") || kind.equals("flatten")) && !call.piped()) return new Val.Tensor(y);
        String name = c.nextLayerName(kind);
        return row(name, kind, y, 0);
    }

    /** A layer whose weights are computed by the model (a hypernetwork's output): they count as generated. */
    private Val computedRow(String kind, Value y, Value w, Value b) {
        long n = (isParam(w) ? 0 : w.type().shape().numel(1)) + (b == null || isParam(b) ? 0 : b.type().shape().numel(1));
        c.summary.add(c.namespace + c.nextLayerName(kind), kind, y.type(), 0, n);
        return new Val.Tensor(y);
    }

    private boolean isParam(Value v) {
        Value src = c.captureSource(v);
        for (Ctx r = c; r != null; r = r.parent) {
            for (var n : r.b.nodes()) if (n.results().contains(src)) return n.op() instanceof Op.Param;
        }
        return false;
    }

    private Val row(String name, String kind, Value y, long count) {
        boolean gen = c.params.generated();
        c.summary.add(c.namespace + name, kind, y.type(), gen ? 0 : count, gen ? count : 0);
        return new Val.Tensor(y);
    }

    /** Closest known name within edit distance 2, for "did you mean" hints. */
    static String suggest(String name, List<String> candidates) {
        String best = null;
        int bestD = 3;
        for (String cand : candidates) {
            int d = distance(name, cand);
            if (d < bestD) {
                bestD = d;
                best = cand;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    static ShapeError shape(String msg) { return new ShapeError(msg); }

    static TensorType f32(Shape s) { return TensorType.f32(s); }
}
