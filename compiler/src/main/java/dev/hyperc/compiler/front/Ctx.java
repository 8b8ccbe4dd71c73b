package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.ShapeError;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where lowered nodes go: a graph builder plus what the layers being lowered need to know
 * (where their parameters come from, how many leading axes are batch-like, the mode). A scan body
 * gets a child context whose references to outer values become explicit captures.
 */
final class Ctx {
    enum Mode {
        TRAIN, EVAL, PREDICT;

        boolean training() { return this == TRAIN; }
    }

    final GraphBuilder b;
    final Ctx parent;
    final Mode mode;
    ParamSource params;
    /** Leading axes that layers treat as batch: 1 at top level, the data prefix inside a target. */
    int lead;
    /** Prefix for layer names: "" at top level, "core." inside target core. */
    String namespace;
    final Map<String, Integer> layerCounters;
    final Summary summary;
    /** State updates (batch-norm running statistics) to emit as graph outputs. */
    final Map<String, Value> stateUpdates;

    private final Set<Integer> local;
    final Map<Integer, Value> captured;
    final List<Value> captureSources;

    Ctx(GraphBuilder b, Mode mode, ParamSource params, Summary summary) {
        this(b, null, mode, params, 1, "", new HashMap<>(), summary, new LinkedHashMap<>(),
                new HashSet<>(), new LinkedHashMap<>(), new ArrayList<>());
    }

    private Ctx(GraphBuilder b, Ctx parent, Mode mode, ParamSource params, int lead, String namespace,
                Map<String, Integer> counters, Summary summary, Map<String, Value> stateUpdates,
                Set<Integer> local, Map<Integer, Value> captured, List<Value> captureSources) {
        this.local = local;
        this.captured = captured;
        this.captureSources = captureSources;
        this.b = b;
        this.parent = parent;
        this.mode = mode;
        this.params = params;
        this.lead = lead;
        this.namespace = namespace;
        this.layerCounters = counters;
        this.summary = summary;
        this.stateUpdates = stateUpdates;
    }

    /** A context for a scan body: same parameters and names, its own graph. */
    Ctx body(GraphBuilder bodyBuilder) {
        return new Ctx(bodyBuilder, this, mode, params, lead, namespace, layerCounters, summary, stateUpdates,
                new HashSet<>(), new LinkedHashMap<>(), new ArrayList<>());
    }

    /** A context for applying a target: same graph, its own parameter source, names and lead. */
    Ctx target(ParamSource source, int targetLead, String targetNamespace, Map<String, Integer> counters) {
        // Shares this context's graph and capture lists: a target applied inside a scan body captures into that body.
        return new Ctx(b, parent, mode, source, targetLead, targetNamespace, counters, summary, stateUpdates,
                local, captured, captureSources);
    }

    void at(Span span) {
        b.at(span == null || span == Span.NONE ? Origin.NONE : new Origin(span.line(), span.column()));
    }

    Value param(TensorType t) {
        Value v = b.param(t);
        local.add(v.id());
        return v;
    }

    /** Makes a value usable here: a value from an enclosing graph becomes a capture of this scan body. */
    Value use(Value v) {
        if (parent == null || local.contains(v.id())) return v;
        Value seen = captured.get(v.id());
        if (seen != null) return seen;
        Value outer = parent.use(v);
        Value p = b.param(v.type());
        local.add(p.id());
        captured.put(v.id(), p);
        captureSources.add(outer);
        return p;
    }

    /** The outer value a capture stands for (the value itself when it is not a capture). */
    Value captureSource(Value v) {
        for (Map.Entry<Integer, Value> e : captured.entrySet()) {
            if (e.getValue().equals(v)) return parent.captureSource(captureSources.get(new ArrayList<>(captured.keySet()).indexOf(e.getKey())));
        }
        return v;
    }

    Value emit(Op op, Value... operands) {
        return emitMulti(op, List.of(operands)).get(0);
    }

    List<Value> emitMulti(Op op, List<Value> operands) {
        List<Value> in = operands.stream().map(this::use).toList();
        List<Value> out = b.addMulti(op, in);
        for (Value v : out) local.add(v.id());
        return out;
    }

    String nextLayerName(String kind) {
        int n = layerCounters.merge(namespace + kind, 1, Integer::sum);
        return kind + "_" + n;
    }

    // ---------------------------------------------------------------- small emit helpers

    Value constant(double v, Shape s) { return emit(new Op.Const(v, TensorType.f32(s))); }

    Value scalar(double v) { return constant(v, Shape.SCALAR); }

    Value unary(Op.UnaryFn fn, Value x) { return emit(new Op.Unary(fn), x); }

    Value binary(Op.BinaryFn fn, Value a, Value c) { return emit(new Op.Binary(fn), a, c); }

    Value add(Value a, Value c) { return binary(Op.BinaryFn.ADD, a, c); }

    Value sub(Value a, Value c) { return binary(Op.BinaryFn.SUB, a, c); }

    Value mul(Value a, Value c) { return binary(Op.BinaryFn.MUL, a, c); }

    Value div(Value a, Value c) { return binary(Op.BinaryFn.DIV, a, c); }

    Value reshape(Value x, Shape s) {
        if (x.type().shape().equals(s)) return x;
        return emit(new Op.Reshape(s), x);
    }

    Value reduce(Op.ReduceFn fn, Value x, int... axes) {
        if (axes.length == 0) return x;
        return emit(new Op.Reduce(fn, axes), x);
    }

    /** Mean over all axes. */
    Value meanAll(Value x) {
        int[] axes = new int[x.type().rank()];
        for (int i = 0; i < axes.length; i++) axes[i] = i;
        return reduce(Op.ReduceFn.MEAN, x, axes);
    }

    Value cast(Value x, DType to) {
        return x.type().dtype() == to ? x : emit(new Op.Cast(to), x);
    }

    Value slice(Value x, int axis, long start, long end) {
        Shape s = x.type().shape();
        int a = s.axis(axis);
        if (start == 0 && end == s.dim(a).coeff() && s.dim(a).isFixed()) return x;
        return emit(new Op.Slice(a, start, end, 1), x);
    }

    /** Reshapes the leading dims of x into one (or none) so ops of fixed rank apply; returns the folded value. */
    Value fold(Value x, int keepTrailing) {
        Shape s = x.type().shape();
        int lead = s.rank() - keepTrailing;
        Dim n = Dim.of(1);
        for (int i = 0; i < lead; i++) n = n.times(s.dim(i));
        List<Dim> dims = new ArrayList<>();
        dims.add(n);
        dims.addAll(s.dims().subList(lead, s.rank()));
        return reshape(x, new Shape(dims));
    }

    static ShapeError shapeError(String msg) { return new ShapeError(msg); }
}
