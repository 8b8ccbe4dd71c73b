package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.ShapeError;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Lowering of layers to IR. Each layer asks its context's {@link ParamSource} for parameters, so the
 * same code serves learned layers, generated target layers (shared or per-sample weights) and layout
 * recording. Parameters with leading axes L (per-sample weights) pair with data whose leading axes
 * start with L.
 */
final class Layers {
    private Layers() {}

    /** Activation names accepted by layers and as functions. */
    static final List<String> ACTIVATIONS = List.of("relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "identity");

    static Value activate(Ctx c, String act, Value x) {
        return switch (act) {
            case "relu" -> c.unary(Op.UnaryFn.RELU, x);
            case "tanh" -> c.unary(Op.UnaryFn.TANH, x);
            case "sigmoid" -> c.unary(Op.UnaryFn.SIGMOID, x);
            case "leaky_relu" -> c.emit(new Op.LeakyRelu(0.01), x);
            case "softmax" -> c.unary(Op.UnaryFn.EXP, logSoftmax(c, x, -1));
            case "log_softmax" -> logSoftmax(c, x, -1);
            case "identity", "none" -> x;
            default -> throw new ShapeError("unknown activation " + act);
        };
    }

    static Value logSoftmax(Ctx c, Value x, int axis) {
        Shape s = x.type().shape();
        int a = s.axis(axis);
        Value lse = c.emit(new Op.LogSumExp(a), x);
        Value kept = c.reshape(lse, s.with(a, Dim.of(1)));
        return c.sub(x, kept);
    }

    /** Number of leading axes shared between per-sample parameters and data. */
    private static List<Dim> checkLead(Value x, List<Dim> lead, int exampleRank, String layer) {
        Shape s = x.type().shape();
        if (s.rank() < lead.size() + exampleRank) {
            throw new ShapeError(layer + " with per-sample weights " + lead + " needs input of rank >= " + (lead.size() + exampleRank) + ", got " + s);
        }
        if (!s.dims().subList(0, lead.size()).equals(lead)) {
            throw new ShapeError(layer + ": generated weights have leading axes " + lead + " but the input " + s + " starts differently");
        }
        return s.dims().subList(lead.size(), s.rank() - exampleRank);
    }

    /** y = x·W + b over the last axis of x; W is [L..., in, out]. */
    static Value denseApply(Ctx c, Value x, Value w, Value bias, List<Dim> lead) {
        Shape xs = x.type().shape();
        if (xs.rank() < 1) throw new ShapeError("dense needs an input of rank >= 1, got a scalar");
        Dim in = xs.dim(-1);
        Shape ws = w.type().shape();
        if (!ws.dim(-2).equals(in)) throw new ShapeError("dense weight expects " + ws.dim(-2) + " input features but the input " + xs + " has " + in);
        Dim out = ws.dim(-1);
        List<Dim> rest = checkLead(x, lead, 1, "dense");
        Value y;
        if (lead.isEmpty()) {
            if (xs.rank() == 1) y = c.reshape(c.emit(new Op.MatMul(), c.reshape(x, Shape.of(Dim.of(1), in)), w), Shape.of(out));
            else y = c.emit(new Op.MatMul(), x, w);
        } else {
            Dim r = Dim.of(1);
            for (Dim d : rest) r = r.times(d);
            List<Dim> folded = new ArrayList<>(lead);
            folded.add(r);
            folded.add(in);
            Value x3 = c.reshape(x, new Shape(folded));
            Value y3 = c.emit(new Op.MatMul(), x3, w);
            y = c.reshape(y3, xs.with(xs.rank() - 1, out));
        }
        if (bias != null) y = c.add(y, alignBias(c, bias, lead, rest.size(), 0));
        return y;
    }

    /** Reshapes a bias [L..., O] so it broadcasts against [L..., R..., O, trailing...]. */
    private static Value alignBias(Ctx c, Value bias, List<Dim> lead, int restRank, int trailingOnes) {
        if (lead.isEmpty() && trailingOnes == 0) return bias;
        List<Dim> dims = new ArrayList<>(lead);
        for (int i = 0; i < restRank; i++) dims.add(Dim.of(1));
        dims.add(bias.type().shape().dim(-1));
        for (int i = 0; i < trailingOnes; i++) dims.add(Dim.of(1));
        return c.reshape(bias, new Shape(dims));
    }

    static Value dense(Ctx c, String layer, Value x, long units, boolean useBias, String act, Init weightInit) {
        Shape xs = x.type().shape();
        if (xs.rank() < 1) throw new ShapeError("dense needs an input of rank >= 1, got a scalar");
        long in = xs.dim(-1).fixed();
        List<ParamSpec> specs = new ArrayList<>();
        specs.add(new ParamSpec("w", Shape.of(in, units), weightInit == null ? defaultInit(act, in, units) : weightInit, 1));
        if (useBias) specs.add(new ParamSpec("b", Shape.of(units), new Init.Zeros(), -1));
        List<Value> p = c.params.layer(c, layer, specs);
        Value y = denseApply(c, x, p.get(0), useBias ? p.get(1) : null, c.params.lead());
        return activate(c, act, y);
    }

    static Init defaultInit(String act, long fanIn, long fanOut) {
        return act.equals("relu") || act.equals("leaky_relu") ? new Init.He(fanIn) : new Init.Glorot(fanIn, fanOut);
    }

    /** Convolution of x[P..., C, H, W] with k[L..., O, C, KH, KW]. */
    static Value convApply(Ctx c, Value x, Value k, Value bias, List<Dim> lead, int[] stride, int[] pad) {
        Shape xs = x.type().shape();
        if (xs.rank() < 3) throw new ShapeError("conv2d needs an input [..., C, H, W], got " + xs);
        List<Dim> rest = checkLead(x, lead, 3, "conv2d");
        if (lead.size() > 1) throw new ShapeError("conv2d supports at most one leading axis of per-sample weights, got " + lead);
        Dim r = Dim.of(1);
        for (Dim d : rest) r = r.times(d);
        List<Dim> folded = new ArrayList<>(lead);
        folded.add(r);
        folded.addAll(xs.dims().subList(xs.rank() - 3, xs.rank()));
        Value y = c.emit(new Op.Conv2d(stride, pad), c.reshape(x, new Shape(folded)), k);
        Shape ys = y.type().shape();
        List<Dim> outDims = new ArrayList<>(xs.dims().subList(0, xs.rank() - 3));
        outDims.addAll(ys.dims().subList(ys.rank() - 3, ys.rank()));
        y = c.reshape(y, new Shape(outDims));
        if (bias != null) y = c.add(y, alignBias(c, bias, lead, rest.size(), 2));
        return y;
    }

    static Value conv2d(Ctx c, String layer, Value x, long filters, int[] kernel, int[] stride, int[] pad, boolean useBias, String act) {
        Shape xs = x.type().shape();
        if (xs.rank() < 3) throw new ShapeError("conv2d needs an input [..., C, H, W], got " + xs);
        long ch = xs.dim(-3).fixed();
        long fanIn = ch * kernel[0] * kernel[1];
        List<ParamSpec> specs = new ArrayList<>();
        specs.add(new ParamSpec("w", Shape.of(filters, ch, kernel[0], kernel[1]),
                defaultInit(act, fanIn, filters * kernel[0] * kernel[1]), 0));
        if (useBias) specs.add(new ParamSpec("b", Shape.of(filters), new Init.Zeros(), -1));
        List<Value> p = c.params.layer(c, layer, specs);
        Value y = convApply(c, x, p.get(0), useBias ? p.get(1) : null, c.params.lead(), stride, pad);
        return activate(c, act, y);
    }

    /** Padding for "same" output size (TensorFlow's rule: the extra row/column goes at the end). */
    static int[] samePadding(long h, long w, int[] kernel, int[] stride) {
        int[] p = new int[4];
        long[] in = {h, w};
        for (int i = 0; i < 2; i++) {
            long out = (in[i] + stride[i] - 1) / stride[i];
            long total = Math.max(0, (out - 1) * stride[i] + kernel[i] - in[i]);
            p[2 * i] = (int) (total / 2);
            p[2 * i + 1] = (int) (total - total / 2);
        }
        return p;
    }

    static Value pool(Ctx c, Op.PoolKind kind, Value x, int[] window, int[] stride, int[] pad) {
        return c.emit(new Op.Pool2d(kind, window, stride, pad), x);
    }

    /** Mean over H and W, keeping them as size 1 (Lux's GlobalMeanPool), so flatten gives [.., C]. */
    static Value globalMeanPool(Ctx c, Value x) {
        Shape s = x.type().shape();
        if (s.rank() < 3) throw new ShapeError("global_mean_pool needs [..., C, H, W], got " + s);
        Value m = c.reduce(Op.ReduceFn.MEAN, x, s.rank() - 2, s.rank() - 1);
        return c.reshape(m, s.with(s.rank() - 2, Dim.of(1)).with(s.rank() - 1, Dim.of(1)));
    }

    static Value flatten(Ctx c, Value x, int from) {
        Shape s = x.type().shape();
        if (from < 0 || from > s.rank()) throw new ShapeError("flatten from axis " + from + " does not fit " + s);
        Dim n = Dim.of(1);
        for (int i = from; i < s.rank(); i++) n = n.times(s.dim(i));
        List<Dim> dims = new ArrayList<>(s.dims().subList(0, from));
        dims.add(n);
        return c.reshape(x, new Shape(dims));
    }

    static Value embedding(Ctx c, String layer, Value ids, long vocab, long dim) {
        if (ids.type().dtype() != DType.I32) throw new ShapeError("embedding needs i32 ids, got " + ids.type());
        List<Value> p = c.params.layer(c, layer, List.of(new ParamSpec("table", Shape.of(vocab, dim), new Init.Random(Init.Distribution.NORMAL, 0, 1), -1)));
        if (!c.params.lead().isEmpty()) throw new ShapeError("embedding tables cannot be generated per sample");
        return c.emit(new Op.Gather(), p.get(0), ids);
    }

    /** Normalises over the last axis, then scales and shifts per feature. */
    static Value layerNorm(Ctx c, String layer, Value x, double eps) {
        Shape s = x.type().shape();
        Dim f = s.dim(-1);
        int last = s.rank() - 1;
        Value normed = normalize(c, x, new int[] {last}, eps);
        List<Value> p = c.params.layer(c, layer, List.of(
                new ParamSpec("gamma", Shape.of(f), new Init.Ones(), -1),
                new ParamSpec("beta", Shape.of(f), new Init.Zeros(), -1)));
        return c.add(c.mul(normed, alignBias(c, p.get(0), c.params.lead(), s.rank() - 1 - c.params.lead().size(), 0)),
                alignBias(c, p.get(1), c.params.lead(), s.rank() - 1 - c.params.lead().size(), 0));
    }

    private static Value normalize(Ctx c, Value x, int[] axes, double eps) {
        Shape s = x.type().shape();
        Shape kept = s;
        for (int a : axes) kept = kept.with(a, Dim.of(1));
        Value mean = c.reshape(c.reduce(Op.ReduceFn.MEAN, x, axes), kept);
        Value centred = c.sub(x, mean);
        Value var = c.reshape(c.reduce(Op.ReduceFn.MEAN, c.unary(Op.UnaryFn.SQUARE, centred), axes), kept);
        return c.mul(centred, c.unary(Op.UnaryFn.RSQRT, c.add(var, c.scalar(eps))));
    }

    /**
     * Batch norm over every axis but the feature axis. Training uses batch statistics and emits
     * running-average updates as state outputs; evaluation uses the running averages.
     */
    static Value batchNorm(Ctx c, String layer, Value x, int featureAxis, double momentum, double eps) {
        Shape s = x.type().shape();
        int fa = s.axis(featureAxis);
        Dim f = s.dim(fa);
        int[] axes = new int[s.rank() - 1];
        for (int i = 0, j = 0; i < s.rank(); i++) if (i != fa) axes[j++] = i;
        Shape kept = Shape.SCALAR;
        List<Dim> kd = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) kd.add(i == fa ? f : Dim.of(1));
        kept = new Shape(kd);
        if (!c.params.lead().isEmpty()) throw new ShapeError("batch_norm parameters cannot be generated per sample");
        if (c.parent != null) {
            throw new ShapeError("batch_norm inside a scan body is not supported (its running statistics would change every step); use layer_norm");
        }
        List<Value> p = c.params.layer(c, layer, List.of(
                new ParamSpec("gamma", Shape.of(f), new Init.Ones(), -1),
                new ParamSpec("beta", Shape.of(f), new Init.Zeros(), -1)));
        String stateName = c.namespace + layer;
        Value runMean = rootEmit(c, new Op.State(stateName + ".mean", TensorType.f32(Shape.of(f)), new Init.Zeros()));
        Value runVar = rootEmit(c, new Op.State(stateName + ".var", TensorType.f32(Shape.of(f)), new Init.Ones()));
        Value mean, var;
        if (c.mode.training()) {
            mean = c.reduce(Op.ReduceFn.MEAN, x, axes);
            Value centred = c.sub(x, c.reshape(mean, kept));
            var = c.reduce(Op.ReduceFn.MEAN, c.unary(Op.UnaryFn.SQUARE, centred), axes);
            Value m = c.scalar(momentum), keep = c.scalar(1 - momentum);
            c.stateUpdates.put(stateName + ".mean", c.add(c.mul(keep, runMean), c.mul(m, c.emit(new Op.StopGradient(), mean))));
            c.stateUpdates.put(stateName + ".var", c.add(c.mul(keep, runVar), c.mul(m, c.emit(new Op.StopGradient(), var))));
        } else {
            mean = runMean;
            var = runVar;
        }
        Value inv = c.unary(Op.UnaryFn.RSQRT, c.add(var, c.scalar(eps)));
        Value scale = c.mul(p.get(0), inv);
        Value shift = c.sub(p.get(1), c.mul(mean, scale));
        return c.add(c.mul(x, c.reshape(scale, kept)), c.reshape(shift, kept));
    }

    private static Value rootEmit(Ctx c, Op op) {
        Ctx r = c;
        while (r.parent != null) r = r.parent;
        return r.emit(op);
    }

    /** Inverted dropout: in training keep each element with probability 1 − rate and scale by 1/(1 − rate). */
    static Value dropout(Ctx c, Value x, double rate) {
        if (!c.mode.training() || rate == 0) return x;
        Value u = c.emit(new Op.Noise(Init.Distribution.UNIFORM, 0, 1, x.type()));
        Value keep = c.binary(Op.BinaryFn.GE, u, c.scalar(rate));
        return c.mul(x, c.mul(keep, c.scalar(1 / (1 - rate))));
    }
}
