package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.ShapeError;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.Diagnostics;
import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.Decl;
import dev.hyperc.dsl.ast.Expr;
import dev.hyperc.dsl.ast.ModelFile;
import dev.hyperc.dsl.ast.TypeRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Name resolution, shape inference and lowering of a model to IR, in one walk over the
 * declarations per graph. Every shape is checked as the node is built (each op runs its shape rule),
 * and a failed check becomes a diagnostic at the expression that caused it.
 */
final class Lowering {
    /** A tensor larger than this many elements cannot be addressed by any backend (Java arrays, OpenCL sizes). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;
    /** Learned parameters beyond this cannot be trained on any machine hyperc targets. */
    static final long MAX_PARAM_BYTES = 64L << 30;

    private final ModelFile file;
    private final Diagnostics diags;
    private final Map<String, TargetDef> targets = new LinkedHashMap<>();
    /** Layouts of generated weights that have no target declaration (the compact hypernetwork form). */
    private final Map<String, Layout> extraLayouts = new LinkedHashMap<>();
    /** Generated flat weight vectors exposed as predict outputs, for export. */
    private final Map<String, Value> generated = new LinkedHashMap<>();
    private final Map<String, Span> defined = new HashMap<>();

    private Scope scope;
    private Ctx ctx;
    private boolean reporting;
    private Span trainSpan;
    /** The graph of the mode being lowered (not a scan body's, not a target declaration's probe). */
    private GraphBuilder rootBuilder;

    Lowering(ModelFile file, Diagnostics diags) {
        this.file = file;
        this.diags = diags;
    }

    /** Lexical scope: names to values, with a parent for target and scan bodies. */
    static final class Scope {
        final Scope parent;
        final Map<String, Val> names = new LinkedHashMap<>();
        /** Target bodies see only their argument, constants and targets: they are pure functions of their input. */
        final boolean sealed;

        Scope(Scope parent, boolean sealed) {
            this.parent = parent;
            this.sealed = sealed;
        }

        Val lookup(String name, boolean throughSeal) {
            Val v = names.get(name);
            if (v != null) return v;
            if (parent == null) return null;
            Val outer = parent.lookup(name, throughSeal);
            if (outer == null) return null;
            if (sealed && !throughSeal && outer instanceof Val.Tensor) return null;
            return outer;
        }
    }

    // ================================================================ driver

    CompiledModel run() {
        Summary summary = new Summary();
        TrainConfig train = null;
        List<String> outputs = new ArrayList<>();
        GraphBuilder.IdCounter ids = new GraphBuilder.IdCounter();
        List<Graph> graphs = new ArrayList<>();
        for (Ctx.Mode mode : Ctx.Mode.values()) {
            reporting = mode == Ctx.Mode.TRAIN;
            GraphBuilder b = new GraphBuilder(mode.name().toLowerCase(java.util.Locale.ROOT), ids);
            rootBuilder = b;
            ctx = new Ctx(b, mode, new ParamSource.Learned(), mode == Ctx.Mode.TRAIN ? summary : frozen());
            scope = new Scope(null, false);
            defined.clear();
            targets.clear();
            extraLayouts.clear();
            generated.clear();
            trainSpan = null;
            TrainConfig cfg = null;
            for (Decl d : file.decls()) {
                try {
                    TrainConfig t = decl(d, mode, outputs);
                    if (t != null) cfg = t;
                } catch (SemanticError e) {
                    report(e.span, e.getMessage());
                    poison(d);
                } catch (PoisonedError e) {
                    poison(d);
                } catch (ShapeError e) {
                    report(d.span(), e.getMessage());
                    poison(d);
                } catch (ArithmeticException e) {
                    report(d.span(), "a size in this declaration does not fit in 64 bits; some dimension is far too large");
                    poison(d);
                }
            }
            if (mode == Ctx.Mode.TRAIN) {
                summary.freeze();
                train = cfg;
                checkBudget(b);
                if (diags.hasErrors()) return null;
            }
            for (Map.Entry<String, Value> s : ctx.stateUpdates.entrySet()) {
                if (mode == Ctx.Mode.TRAIN) b.output(s.getKey(), s.getValue(), Graph.Role.STATE);
            }
            if (mode == Ctx.Mode.PREDICT) {
                for (String o : outputs) {
                    Val v = scope.lookup(o, true);
                    if (v instanceof Val.Tensor t) b.output(o, t.value(), Graph.Role.RESULT);
                }
                for (Map.Entry<String, Value> g : generated.entrySet()) b.output(GENERATED + g.getKey(), g.getValue(), Graph.Role.RESULT);
            }
            graphs.add(b.build());
        }
        List<Layout> layouts = new ArrayList<>(targets.values().stream().map(TargetDef::layout).toList());
        layouts.addAll(extraLayouts.values());
        var module = new dev.hyperc.compiler.ir.IrModule(file.name(), layouts, graphs);
        return new CompiledModel(file.name(), module, summary, train, List.copyOf(outputs));
    }

    private static Summary frozen() {
        Summary s = new Summary();
        s.freeze();
        return s;
    }

    private void report(Span span, String message) {
        if (reporting) diags.error(span, message);
    }

    /** Reports a mistake that its checker recovers from itself (the train block checks setting by setting). */
    void reportError(SemanticError e) {
        report(e.span, e.getMessage());
    }

    private void poison(Decl d) {
        switch (d) {
            case Decl.Let l -> l.names().forEach(n -> scope.names.putIfAbsent(n, new Val.Poison()));
            case Decl.Const c -> scope.names.putIfAbsent(c.name(), new Val.Poison());
            case Decl.Input i -> scope.names.putIfAbsent(i.name(), new Val.Poison());
            case Decl.Noise n -> scope.names.putIfAbsent(n.name(), new Val.Poison());
            case Decl.Param p -> scope.names.putIfAbsent(p.name(), new Val.Poison());
            case Decl.Target t -> scope.names.putIfAbsent(t.name(), new Val.Poison());
            default -> {}
        }
    }

    /** Refuses models whose tensors could never be allocated, before anyone tries. */
    private void checkBudget(GraphBuilder b) {
        long paramBytes = 0;
        for (var n : b.nodes()) {
            for (Value v : n.results()) {
                long elems;
                try {
                    elems = v.type().shape().numel(1);
                } catch (ArithmeticException e) {
                    elems = Long.MAX_VALUE;
                }
                if (elems > MAX_ELEMENTS) {
                    report(at(n.origin()), tooLarge(v.type(), elems));
                    return;
                }
                if (n.op() instanceof Op.Param) paramBytes = Math.addExact(paramBytes, elems * 4);
            }
        }
        if (paramBytes > MAX_PARAM_BYTES) {
            report(Span.of(file.source().name(), file.nameSpan().line(), file.nameSpan().column()),
                    "the model's learned parameters need " + Summary.bytes(paramBytes) + ", more than the "
                            + Summary.bytes(MAX_PARAM_BYTES) + " any supported machine has");
        }
    }

    /** Rejects a tensor type too large for any backend where it is written, before lowering goes on with it. */
    static void checkSize(TensorType t, Span span) {
        long n;
        try {
            n = t.shape().numel(1);
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > MAX_ELEMENTS) throw new SemanticError(span, tooLarge(t, n));
    }

    private static String tooLarge(TensorType t, long elems) {
        String count = elems == Long.MAX_VALUE ? "more than " + Summary.group(Long.MAX_VALUE) : Summary.group(elems);
        return "the tensor " + t + " would have " + count + " elements" + (t.shape().hasBatch() ? " per batch row" : "")
                + " (" + memory(elems * 4.0) + "); no backend can hold more than " + Summary.group(MAX_ELEMENTS) + " elements in one tensor";
    }

    /** A number as the user would write it: 50, not 50.0. */
    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** Bytes in binary units, up to exbibytes: an absurd size should read as absurd. */
    static String memory(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        while (bytes >= 1024 && u < units.length - 1) {
            bytes /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    }

    private Span at(dev.hyperc.compiler.ir.Origin o) {
        return o.isKnown() ? Span.of(file.source().name(), o.line(), o.column()) : file.nameSpan();
    }

    // ================================================================ declarations

    private void define(String name, Span span, Val v) {
        if (name.equals("B")) throw new SemanticError(span, "'B' is the batch size and cannot be redefined");
        Span prev = defined.get(name);
        if (prev != null) throw new SemanticError(span, "'" + name + "' is already defined at line " + prev.line());
        if (Builtins.isBuiltin(name)) throw new SemanticError(span, "'" + name + "' is a built-in function and cannot be redefined");
        defined.put(name, span);
        scope.names.put(name, v);
    }

    private TrainConfig decl(Decl d, Ctx.Mode mode, List<String> outputs) {
        ctx.at(d.span());
        switch (d) {
            case Decl.Const c -> {
                Val v = expr(c.value());
                if (!(v instanceof Val.Int || v instanceof Val.Real)) {
                    throw new SemanticError(c.value().span(), "a const must be a number, got " + Val.describe(v));
                }
                define(c.name(), c.nameSpan(), v);
            }
            case Decl.Input i -> {
                TensorType t = type(i.type());
                define(i.name(), i.nameSpan(), new Val.Tensor(ctx.emit(new Op.Input(i.name(), t))));
            }
            case Decl.Noise n -> {
                TensorType t = type(n.type());
                if (t.dtype() != DType.F32) throw new SemanticError(n.type().span(), "noise must be f32");
                Expr.Call dist = n.distribution();
                if (!dist.callee().equals("uniform") && !dist.callee().equals("normal")) {
                    throw new SemanticError(dist.calleeSpan(), "unknown noise distribution '" + dist.callee()
                            + "' (use uniform(a, b) or normal(mean, std))");
                }
                Args a = Args.bind(dist, "a", "b");
                double lo = real(a.get("a")), hi = real(a.get("b"));
                Init.Distribution kind = switch (dist.callee()) {
                    case "uniform" -> {
                        if (!(lo < hi)) throw new SemanticError(dist.span(), "uniform(a, b) needs a < b, got " + num(lo) + " and " + num(hi));
                        yield Init.Distribution.UNIFORM;
                    }
                    case "normal" -> {
                        if (!(hi > 0)) throw new SemanticError(dist.span(), "normal(mean, std) needs std > 0, got " + num(hi));
                        yield Init.Distribution.NORMAL;
                    }
                    default -> throw new SemanticError(dist.calleeSpan(), "unknown noise distribution '" + dist.callee()
                            + "' (use uniform(a, b) or normal(mean, std))");
                };
                define(n.name(), n.nameSpan(), new Val.Tensor(ctx.emit(new Op.Noise(kind, lo, hi, t))));
            }
            case Decl.Param p -> {
                TensorType t = type(p.type());
                if (t.dtype() != DType.F32) throw new SemanticError(p.type().span(), "learned parameters must be f32");
                if (t.shape().hasBatch()) throw new SemanticError(p.type().span(), "a learned parameter cannot depend on the batch size B");
                Init init = p.init() == null ? new Init.Random(Init.Distribution.NORMAL, 0, 1) : init(p.init(), t);
                define(p.name(), p.nameSpan(), new Val.Tensor(ctx.emit(new Op.Param(p.name(), t, init))));
                ctx.summary.add(p.name(), "param", t, t.shape().numel().fixed(), 0);
            }
            case Decl.Target t -> define(t.name(), t.nameSpan(), new Val.TargetFn(declareTarget(t)));
            case Decl.Let l -> {
                Val v = expr(l.value());
                bindPattern(l.names(), l.nameSpans(), v, l.value().span());
            }
            case Decl.Output o -> {
                // Each name is checked on its own, so two misspelt outputs give two messages.
                for (int i = 0; i < o.names().size(); i++) {
                    String n = o.names().get(i);
                    try {
                        Val v = lookup(n, o.nameSpans().get(i));
                        if (!(v instanceof Val.Tensor)) {
                            throw new SemanticError(o.nameSpans().get(i), "output '" + n + "' must be a tensor, but it is " + Val.describe(v));
                        }
                        if (mode == Ctx.Mode.TRAIN && !outputs.contains(n)) outputs.add(n);
                    } catch (SemanticError e) {
                        reportError(e);
                    } catch (PoisonedError e) {
                        // already reported where the value was defined
                    }
                }
            }
            case Decl.Train t -> {
                if (trainSpan != null) throw new SemanticError(t.span(), "a model has one train block; the first is at line " + trainSpan.line());
                trainSpan = t.span();
                return new TrainBlock(this).check(t);
            }
        }
        return null;
    }

    private void bindPattern(List<String> names, List<Span> spans, Val v, Span valueSpan) {
        if (names.size() == 1) {
            if (v instanceof Val.Fn || v instanceof Val.TargetFn) {
                throw new SemanticError(valueSpan, "cannot bind " + Val.describe(v) + " to a name; call it instead");
            }
            define(names.get(0), spans.get(0), v);
            return;
        }
        if (!(v instanceof Val.Seq s)) {
            throw new SemanticError(valueSpan, "cannot unpack " + Val.describe(v) + " into " + names.size() + " names");
        }
        if (s.items().size() != names.size()) {
            throw new SemanticError(valueSpan, "cannot unpack " + s.items().size() + " values into " + names.size() + " names");
        }
        for (int i = 0; i < names.size(); i++) define(names.get(i), spans.get(i), s.items().get(i));
    }

    // ---------------------------------------------------------------- types

    TensorType type(TypeRef t) {
        DType dt = switch (t.dtype()) {
            case "f32" -> DType.F32;
            case "i32" -> DType.I32;
            default -> throw new SemanticError(t.dtypeSpan(), "unknown element type '" + t.dtype() + "' (use f32 or i32)");
        };
        List<Dim> dims = new ArrayList<>();
        boolean batch = false;
        for (TypeRef.DimRef d : t.dims()) {
            switch (d) {
                case TypeRef.IntDim i -> {
                    if (i.value() < 1) throw new SemanticError(d.span(), "dimension sizes must be positive, got " + i.value());
                    dims.add(Dim.of(i.value()));
                }
                case TypeRef.NamedDim n -> {
                    if (n.name().equals("B")) {
                        if (batch) throw new SemanticError(d.span(), "the batch dimension B may appear only once in a type");
                        batch = true;
                        dims.add(Dim.B);
                    } else {
                        Val v = lookup(n.name(), d.span());
                        if (!(v instanceof Val.Int iv)) {
                            throw new SemanticError(d.span(), "dimension '" + n.name() + "' must be an integer const or B, but it is " + Val.describe(v));
                        }
                        if (iv.value() < 1) throw new SemanticError(d.span(), "dimension sizes must be positive, got " + iv.value());
                        dims.add(Dim.of(iv.value()));
                    }
                }
            }
        }
        TensorType type = new TensorType(dt, new Shape(dims));
        checkSize(type, t.span());
        return type;
    }

    private Init init(Expr.Call c, TensorType t) {
        return switch (c.callee()) {
            case "zeros" -> { Args.bind(c); yield new Init.Zeros(); }
            case "ones" -> { Args.bind(c); yield new Init.Ones(); }
            case "normal" -> {
                Args a = Args.bind(c, "mean?", "std?");
                double std = a.has("std") ? real(a.get("std")) : 1;
                if (!(std > 0)) throw new SemanticError(a.span("std"), "normal init needs std > 0");
                yield new Init.Random(Init.Distribution.NORMAL, a.has("mean") ? real(a.get("mean")) : 0, std);
            }
            case "uniform" -> {
                Args a = Args.bind(c, "a", "b");
                double lo = real(a.get("a")), hi = real(a.get("b"));
                if (!(lo < hi)) throw new SemanticError(c.span(), "uniform(a, b) needs a < b");
                yield new Init.Random(Init.Distribution.UNIFORM, lo, hi);
            }
            case "glorot" -> {
                Args.bind(c);
                long[] f = fans(t);
                yield new Init.Glorot(f[0], f[1]);
            }
            case "he" -> {
                Args.bind(c);
                yield new Init.He(fans(t)[0]);
            }
            default -> throw new SemanticError(c.calleeSpan(), "unknown initializer '" + c.callee()
                    + "' (use zeros, ones, normal(mean, std), uniform(a, b), glorot() or he())");
        };
    }

    private static long[] fans(TensorType t) {
        Shape s = t.shape();
        if (s.rank() == 0) return new long[] {1, 1};
        if (s.rank() == 1) return new long[] {s.dim(0).fixed(), s.dim(0).fixed()};
        return new long[] {s.dim(-2).fixed(), s.dim(-1).fixed()};
    }

    // ---------------------------------------------------------------- targets

    private TargetDef declareTarget(Decl.Target t) {
        TensorType example = type(t.argType());
        if (example.dtype() != DType.F32) throw new SemanticError(t.argType().span(), "a target's input must be f32");
        if (example.rank() == 0) {
            throw new SemanticError(t.argType().span(), "a target's input needs at least one axis (its layers read their sizes from it), e.g. f32[1]");
        }
        if (example.shape().hasBatch()) {
            throw new SemanticError(t.argType().span(), "a target's input type is one example's shape; leave out the batch dimension B");
        }
        Layout.Packing packing = Layout.Packing.CONTIGUOUS;
        if (t.packing() != null) {
            packing = switch (t.packing()) {
                case "contiguous" -> Layout.Packing.CONTIGUOUS;
                case "per_filter" -> Layout.Packing.PER_FILTER;
                default -> throw new SemanticError(t.packingSpan(), "unknown packing '" + t.packing() + "' (use contiguous or per_filter)");
            };
        }
        // Lower the body once against a probe input to check it and to record the parameter layout.
        ParamSource.Recording rec = new ParamSource.Recording(packing);
        GraphBuilder probe = new GraphBuilder("probe", new GraphBuilder.IdCounter(1 << 30));
        Ctx saved = ctx;
        Scope savedScope = scope;
        ctx = new Ctx(probe, saved.mode, rec, frozen());
        ctx.lead = 1;
        ctx.namespace = "";
        scope = new Scope(savedScope, true);
        try {
            Value x = ctx.emit(new Op.Input(t.argName(), example.withShape(example.shape().prepend(List.of(Dim.of(1))))));
            scope.names.put(t.argName(), new Val.Tensor(x));
            Val out = expr(t.body());
            if (!(out instanceof Val.Tensor)) throw new SemanticError(t.body().span(), "a target must produce a tensor, got " + Val.describe(out));
        } finally {
            ctx = saved;
            scope = savedScope;
        }
        if (rec.entries.isEmpty()) throw new SemanticError(t.nameSpan(), "target '" + t.name() + "' has no parameters to generate");
        Layout layout = new Layout(t.name(), packing, rec.entries, rec.offset);
        TargetDef def = new TargetDef(t.name(), t, example, layout);
        targets.put(t.name(), def);
        return def;
    }

    /** Prefix of predict outputs holding a generated flat weight vector, named after its layout. */
    static final String GENERATED = "generated.";

    /** Records that {@code flat} holds the weights laid out by {@code layout}, so they can be exported. */
    void exposeGenerated(Layout layout, Value flat, boolean register) {
        Ctx top = ctx;
        while (top.parent != null) top = top.parent;
        // A target's body is first lowered into a throwaway probe graph to check it: nothing from there is exported.
        if (top.b != rootBuilder) return;
        if (register) extraLayouts.putIfAbsent(layout.target(), layout);
        if (ctx.parent == null) generated.putIfAbsent(layout.target(), flat);
    }

    /** Applies a target to x with parameters carved out of the generated vector w. */
    Val applyTarget(TargetDef t, Expr.Call call) {
        Args a = Args.bind(call, "x", "weights");
        Value x = tensor(a.get("x"));
        Value w = tensor(a.get("weights"));
        Shape xs = x.type().shape(), ws = w.type().shape();
        Shape ex = t.example().shape();
        if (xs.rank() < ex.rank() + 1 || !xs.sub(xs.rank() - ex.rank(), xs.rank()).equals(ex)) {
            throw new SemanticError(a.span("x"), "target '" + t.name() + "' takes examples of shape " + ex
                    + " with leading batch axes, but got " + xs);
        }
        if (ws.rank() < 1 || !ws.dim(-1).equals(Dim.of(t.size()))) {
            throw new SemanticError(a.span("weights"), "target '" + t.name() + "' needs " + Summary.group(t.size())
                    + " generated parameters in the last axis, but the weights are " + w.type());
        }
        int dataLead = xs.rank() - ex.rank();
        List<Dim> wLead = ws.dims().subList(0, ws.rank() - 1);
        if (wLead.size() > dataLead || !xs.dims().subList(0, wLead.size()).equals(wLead)) {
            throw new SemanticError(a.span("weights"), "generated weights " + ws + " have leading axes " + wLead
                    + " that do not match the input's leading axes " + xs.dims().subList(0, dataLead));
        }
        exposeGenerated(t.layout(), w, false);
        Ctx saved = ctx;
        Scope savedScope = scope;
        ctx = saved.target(new ParamSource.Generated(w, t.layout().packing(), t.layout().entries()), dataLead, t.name() + ".", new HashMap<>());
        scope = new Scope(rootScope(savedScope), true);
        try {
            scope.names.put(t.decl().argName(), new Val.Tensor(x));
            return expr(t.decl().body());
        } finally {
            ctx = saved;
            scope = savedScope;
        }
    }

    private static Scope rootScope(Scope s) {
        while (s.parent != null) s = s.parent;
        return s;
    }

    // ================================================================ expressions

    Val lookup(String name, Span span) {
        Val v = scope.lookup(name, false);
        if (v == null) {
            if (scope.lookup(name, true) != null) {
                throw new SemanticError(span, "'" + name + "' is a model value; a target body can use only its argument and constants");
            }
            if (Builtins.isBuiltin(name)) return new Val.Fn(name);
            String hint = Builtins.suggest(name, allNames());
            throw new SemanticError(span, "unknown name '" + name + "'" + (hint == null ? "" : "; did you mean '" + hint + "'?"));
        }
        if (v instanceof Val.Poison) throw new PoisonedError();
        if (v instanceof Val.Tensor t) return new Val.Tensor(ctx.use(t.value()));
        return v;
    }

    private List<String> allNames() {
        List<String> out = new ArrayList<>();
        for (Scope s = scope; s != null; s = s.parent) out.addAll(s.names.keySet());
        out.addAll(Builtins.NAMES);
        return out;
    }

    /** Evaluates e with nodes attributed to e's position, then restores the enclosing position. */
    Val expr(Expr e) {
        var saved = ctx.b.origin();
        ctx.at(e instanceof Expr.Call c ? c.calleeSpan() : e.span());
        try {
            return eval(e);
        } finally {
            ctx.b.at(saved);
        }
    }

    private Val eval(Expr e) {
        return switch (e) {
            case Expr.IntLit i -> new Val.Int(i.value());
            case Expr.FloatLit f -> new Val.Real(f.value());
            case Expr.StringLit s -> new Val.Str(s.value());
            case Expr.Name n -> lookup(n.name(), n.span());
            case Expr.Tuple t -> new Val.Seq(t.items().stream().map(this::expr).toList());
            case Expr.ListLit l -> new Val.Seq(l.items().stream().map(this::expr).toList());
            case Expr.Neg n -> negate(expr(n.operand()), n.span());
            case Expr.Binary b -> binary(b);
            case Expr.Index i -> index(i);
            case Expr.Call c -> call(c);
            case Expr.Scan s -> new ScanLowering(this).lower(s);
        };
    }

    private Val negate(Val v, Span span) {
        return switch (v) {
            case Val.Int i -> new Val.Int(Math.negateExact(i.value()));
            case Val.Real r -> new Val.Real(-r.value());
            case Val.Tensor t -> {
                ctx.at(span);
                yield new Val.Tensor(ctx.unary(Op.UnaryFn.NEG, t.value()));
            }
            default -> throw new SemanticError(span, "cannot negate " + Val.describe(v));
        };
    }

    private Val binary(Expr.Binary b) {
        try {
            return binaryChecked(b);
        } catch (ArithmeticException e) {
            throw new SemanticError(b.span(), "integer overflow in '" + b.op().symbol + "': the result does not fit in 64 bits");
        }
    }

    private Val binaryChecked(Expr.Binary b) {
        Val l = expr(b.left()), r = expr(b.right());
        if (l instanceof Val.Int li && r instanceof Val.Int ri) {
            long x = li.value(), y = ri.value();
            return switch (b.op()) {
                case ADD -> new Val.Int(Math.addExact(x, y));
                case SUB -> new Val.Int(Math.subtractExact(x, y));
                case MUL -> new Val.Int(Math.multiplyExact(x, y));
                case DIV -> {
                    if (y == 0) throw new SemanticError(b.span(), "division by zero");
                    yield x % y == 0 ? new Val.Int(x / y) : new Val.Real((double) x / y);
                }
                case POW -> y < 0 ? new Val.Real(Math.pow(x, y)) : new Val.Int(power(x, y));
            };
        }
        if (isNumber(l) && isNumber(r)) {
            double x = number(l), y = number(r);
            return new Val.Real(switch (b.op()) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case POW -> Math.pow(x, y);
            });
        }
        if (!(l instanceof Val.Tensor || isNumber(l))) throw new SemanticError(b.left().span(), "cannot use " + Val.describe(l) + " with '" + b.op().symbol + "'");
        if (!(r instanceof Val.Tensor || isNumber(r))) throw new SemanticError(b.right().span(), "cannot use " + Val.describe(r) + " with '" + b.op().symbol + "'");
        if (b.op() == Expr.BinaryOp.POW && isNumber(r) && number(r) == 2) {
            return new Val.Tensor(ctx.unary(Op.UnaryFn.SQUARE, tensor(l, b.left().span())));
        }
        Value x = tensor(l, b.left().span()), y = tensor(r, b.right().span());
        Op.BinaryFn fn = switch (b.op()) {
            case ADD -> Op.BinaryFn.ADD;
            case SUB -> Op.BinaryFn.SUB;
            case MUL -> Op.BinaryFn.MUL;
            case DIV -> Op.BinaryFn.DIV;
            case POW -> Op.BinaryFn.POW;
        };
        try {
            return new Val.Tensor(ctx.binary(fn, x, y));
        } catch (ShapeError err) {
            throw new SemanticError(b.span(), "'" + b.op().symbol + "': " + err.getMessage());
        }
    }

    /** x^y for y >= 0 by repeated squaring, so that 1 ^ 99999999999 takes no time; overflow throws ArithmeticException. */
    private static long power(long x, long y) {
        long p = 1, base = x;
        while (y > 0) {
            if ((y & 1) != 0) p = Math.multiplyExact(p, base);
            y >>= 1;
            if (y > 0) base = Math.multiplyExact(base, base);
        }
        return p;
    }

    private Val index(Expr.Index i) {
        Value x = tensor(i.base());
        Shape s = x.type().shape();
        List<Expr.SliceItem> items = i.items();
        int ellipses = (int) items.stream().filter(it -> it instanceof Expr.Ellipsis).count();
        if (ellipses > 1) throw new SemanticError(i.span(), "at most one '..' in an index");
        int explicit = items.size() - ellipses;
        if (explicit > s.rank()) throw new SemanticError(i.span(), "too many indices (" + explicit + ") for a tensor of rank " + s.rank());
        List<Integer> dropAxes = new ArrayList<>();
        int axis = 0;
        Value v = x;
        for (Expr.SliceItem it : items) {
            if (it instanceof Expr.Ellipsis) {
                axis += s.rank() - explicit;
                continue;
            }
            Dim d = s.dim(axis);
            if (!d.isFixed()) {
                if (it instanceof Expr.Range r && r.start() == null && r.end() == null) {
                    axis++;
                    continue;
                }
                throw new SemanticError(it.span(), "cannot index the batch axis B");
            }
            long n = d.fixed();
            switch (it) {
                case Expr.Range r -> {
                    long start = r.start() == null ? 0 : norm(r.start(), n, true, it.span());
                    long end = r.end() == null ? n : norm(r.end(), n, true, it.span());
                    if (start >= end) throw new SemanticError(it.span(), "empty slice " + start + ":" + end + " of an axis of size " + n);
                    ctx.at(it.span());
                    v = ctx.slice(v, axis, start, end);
                }
                case Expr.Point p -> {
                    long k = norm(p.index(), n, false, it.span());
                    ctx.at(it.span());
                    v = ctx.slice(v, axis, k, k + 1);
                    dropAxes.add(axis);
                }
                case Expr.Ellipsis el -> {}
            }
            axis++;
        }
        if (!dropAxes.isEmpty()) {
            Shape vs = v.type().shape();
            v = ctx.reshape(v, vs.drop(dropAxes.stream().mapToInt(Integer::intValue).toArray()));
        }
        return new Val.Tensor(v);
    }

    private static long norm(long idx, long n, boolean endInclusive, Span span) {
        long k = idx < 0 ? idx + n : idx;
        if (k < 0 || k > n || (!endInclusive && k == n)) throw new SemanticError(span, "index " + idx + " is out of range for an axis of size " + n);
        return k;
    }

    private Val call(Expr.Call c) {
        Val callee = scope.lookup(c.callee(), true);
        if (callee instanceof Val.TargetFn t) return applyTarget(t.target(), c);
        if (callee instanceof Val.Poison) throw new PoisonedError();
        if (callee != null && !Builtins.isBuiltin(c.callee())) {
            throw new SemanticError(c.calleeSpan(), "'" + c.callee() + "' is " + Val.describe(callee) + ", not a function");
        }
        if (!Builtins.isBuiltin(c.callee())) {
            String hint = Builtins.suggest(c.callee(), Builtins.NAMES);
            throw new SemanticError(c.calleeSpan(), "unknown function '" + c.callee() + "'" + (hint == null ? "" : "; did you mean '" + hint + "'?"));
        }
        try {
            return new Builtins(this).call(c);
        } catch (ShapeError err) {
            // Layer code often names itself already ("conv2d needs ..."): do not say it twice.
            String m = err.getMessage();
            throw new SemanticError(c.span(), m.startsWith(c.callee() + " ") || m.startsWith(c.callee() + ":") ? m : c.callee() + ": " + m);
        }
    }

    // ================================================================ coercions used by builtins

    Ctx ctx() { return ctx; }

    Scope scope() { return scope; }

    void setScope(Scope s) { scope = s; }

    void setCtx(Ctx c) { ctx = c; }

    Map<String, TargetDef> targets() { return targets; }

    void defineLocal(String name, Span span, Val v) {
        if (scope.names.containsKey(name) || defined.containsKey(name)) {
            throw new SemanticError(span, "'" + name + "' is already defined");
        }
        scope.names.put(name, v);
    }

    static boolean isNumber(Val v) { return v instanceof Val.Int || v instanceof Val.Real; }

    static double number(Val v) {
        return v instanceof Val.Int i ? i.value() : ((Val.Real) v).value();
    }

    Value tensor(Expr e) { return tensor(expr(e), e.span()); }

    Value tensor(Val v, Span span) {
        return switch (v) {
            case Val.Tensor t -> t.value();
            case Val.Int i -> ctx.scalar(i.value());
            case Val.Real r -> ctx.scalar(r.value());
            case Val.Poison p -> throw new PoisonedError();
            default -> throw new SemanticError(span, "expected a tensor, got " + Val.describe(v));
        };
    }

    long integer(Expr e) {
        Val v = expr(e);
        if (v instanceof Val.Int i) return i.value();
        if (v instanceof Val.Poison) throw new PoisonedError();
        throw new SemanticError(e.span(), "expected an integer, got " + Val.describe(v));
    }

    /** An axis argument: an int, so that a huge value is reported rather than silently wrapped. */
    int axis(Expr e) {
        long n = integer(e);
        if (n != (int) n) throw new SemanticError(e.span(), "axis " + n + " is out of range");
        return (int) n;
    }

    long positive(Expr e, String what) {
        long n = integer(e);
        if (n < 1) throw new SemanticError(e.span(), what + " must be positive, got " + n);
        return n;
    }

    double real(Expr e) {
        Val v = expr(e);
        if (isNumber(v)) return number(v);
        if (v instanceof Val.Poison) throw new PoisonedError();
        throw new SemanticError(e.span(), "expected a number, got " + Val.describe(v));
    }

    String word(Expr e) {
        if (e instanceof Expr.Name n && scope.lookup(n.name(), true) == null) return n.name();
        Val v = expr(e);
        if (v instanceof Val.Str s) return s.value();
        if (v instanceof Val.Fn f) return f.name();
        throw new SemanticError(e.span(), "expected a name, got " + Val.describe(v));
    }

    List<Val> seq(Expr e) {
        Val v = expr(e);
        if (v instanceof Val.Seq s) return s.items();
        if (v instanceof Val.Poison) throw new PoisonedError();
        throw new SemanticError(e.span(), "expected a list, got " + Val.describe(v));
    }

    Span fileSpan() { return file.nameSpan(); }
}
