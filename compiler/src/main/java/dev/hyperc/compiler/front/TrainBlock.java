package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.Decl;
import dev.hyperc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Checks a {@code train { ... }} block and adds its loss and metrics to the graph being built. */
final class TrainBlock {
    static final List<String> KEYS = List.of("loss", "metrics", "optimizer", "batch", "epochs", "seed", "data", "schedule", "clip_norm");

    private final Lowering lo;

    TrainBlock(Lowering lo) {
        this.lo = lo;
    }

    /**
     * Each setting is checked on its own: a mistake in one is reported and the others are still checked,
     * so a train block with several independent mistakes shows them all in one run.
     */
    TrainConfig check(Decl.Train t) {
        Map<String, Decl.Setting> s = new LinkedHashMap<>();
        for (Decl.Setting set : t.settings()) {
            if (!KEYS.contains(set.key())) {
                String hint = Builtins.suggest(set.key(), KEYS);
                lo.reportError(new SemanticError(set.keySpan(), "unknown training setting '" + set.key() + "'"
                        + (hint == null ? " (settings: " + String.join(", ", KEYS) + ")" : "; did you mean '" + hint + "'?")));
            } else if (s.containsKey(set.key())) {
                lo.reportError(new SemanticError(set.keySpan(), "training setting '" + set.key() + "' is given twice"));
            } else {
                s.put(set.key(), set);
            }
        }
        Ctx c = lo.ctx();
        String loss = null;
        if (!s.containsKey("loss")) {
            lo.reportError(new SemanticError(t.span(), "the train block needs 'loss = <name of a scalar>'"));
        } else {
            loss = guard(() -> scalarName(s.get("loss"), "loss"), null);
        }
        List<String> metrics = new ArrayList<>();
        if (s.containsKey("metrics")) {
            Expr e = s.get("metrics").value();
            List<Expr> items = e instanceof Expr.ListLit l ? l.items() : List.of(e);
            for (Expr m : items) {
                String name = guard(() -> {
                    if (!(m instanceof Expr.Name n)) throw new SemanticError(m.span(), "metrics are names of scalar values");
                    return scalarOf(n.name(), n.span(), "metric");
                }, null);
                if (name != null) metrics.add(name);
            }
        }
        if (c.mode != Ctx.Mode.PREDICT) {
            if (loss != null) c.b.output(loss, tensorOf(loss, s.get("loss").value().span()), Graph.Role.LOSS);
            for (String m : metrics) c.b.output(m, tensorOf(m, s.get("metrics").span()), Graph.Role.METRIC);
        }
        TrainConfig.Optimizer dflt = new TrainConfig.Optimizer("adam", 1e-3, 0.9, 0.999, 1e-8, 0, 0);
        TrainConfig.Optimizer opt = s.containsKey("optimizer") ? guard(() -> optimizer(s.get("optimizer").value()), dflt) : dflt;
        int batch = guard(() -> (int) bounded(s.get("batch"), 32, 1, 1 << 20, "batch"), 32);
        int epochs = guard(() -> (int) bounded(s.get("epochs"), 1, 1, 1_000_000, "epochs"), 1);
        long seed = s.containsKey("seed") ? guard(() -> lo.integer(s.get("seed").value()), 0L) : 0;
        List<TrainConfig.Dataset> data = s.containsKey("data") ? guard(() -> datasets(s.get("data").value()), List.of()) : List.of();
        TrainConfig.Schedule schedule = !s.containsKey("schedule") ? TrainConfig.Schedule.ALTERNATE : guard(() -> {
            String w = lo.word(s.get("schedule").value());
            return switch (w) {
                case "alternate" -> TrainConfig.Schedule.ALTERNATE;
                case "interleave" -> TrainConfig.Schedule.INTERLEAVE;
                default -> throw new SemanticError(s.get("schedule").value().span(), "unknown schedule '" + w + "' (use alternate or interleave)");
            };
        }, TrainConfig.Schedule.ALTERNATE);
        double clip = !s.containsKey("clip_norm") ? 0 : guard(() -> {
            double v = lo.real(s.get("clip_norm").value());
            if (!(v > 0 && v < Double.POSITIVE_INFINITY)) throw new SemanticError(s.get("clip_norm").value().span(), "clip_norm must be a positive finite number");
            return v;
        }, 0.0);
        return new TrainConfig(loss, metrics, opt, batch, epochs, seed, data, schedule, clip);
    }

    /** Runs one setting's check; a mistake is reported (once) and the fallback is used so the others still get checked. */
    private <T> T guard(Supplier<T> check, T fallback) {
        try {
            return check.get();
        } catch (SemanticError e) {
            lo.reportError(e);
        } catch (PoisonedError e) {
            // The value was already reported where it was defined.
        }
        return fallback;
    }

    private String scalarName(Decl.Setting set, String what) {
        if (!(set.value() instanceof Expr.Name n)) throw new SemanticError(set.value().span(), "the " + what + " must be the name of a value defined with let");
        return scalarOf(n.name(), n.span(), what);
    }

    private String scalarOf(String name, Span span, String what) {
        Value v = tensorOf(name, span);
        if (!v.type().shape().equals(Shape.SCALAR)) {
            throw new SemanticError(span, "the " + what + " '" + name + "' must be a scalar, but it is " + v.type());
        }
        return name;
    }

    private Value tensorOf(String name, Span span) {
        Val v = lo.lookup(name, span);
        if (!(v instanceof Val.Tensor t)) throw new SemanticError(span, "'" + name + "' is " + Val.describe(v) + ", not a tensor");
        return t.value();
    }

    private long bounded(Decl.Setting set, long dflt, long min, long max, String what) {
        if (set == null) return dflt;
        long n = lo.integer(set.value());
        if (n < min || n > max) throw new SemanticError(set.value().span(), what + " must be between " + min + " and " + max + ", got " + n);
        return n;
    }

    private TrainConfig.Optimizer optimizer(Expr e) {
        if (!(e instanceof Expr.Call call)) throw new SemanticError(e.span(), "optimizer must be adam(...), adamw(...) or sgd(...)");
        return switch (call.callee()) {
            case "adam", "adamw" -> {
                Args a = Args.bind(call, "lr?", "beta1?", "beta2?", "eps?", "weight_decay?");
                double wd = opt(a, "weight_decay", call.callee().equals("adamw") ? 0.01 : 0);
                yield new TrainConfig.Optimizer(call.callee(), rate(a, 1e-3), opt(a, "beta1", 0.9), opt(a, "beta2", 0.999), opt(a, "eps", 1e-8), 0, wd);
            }
            case "sgd" -> {
                Args a = Args.bind(call, "lr?", "momentum?", "weight_decay?");
                yield new TrainConfig.Optimizer("sgd", rate(a, 1e-2), 0, 0, 0, opt(a, "momentum", 0), opt(a, "weight_decay", 0));
            }
            default -> throw new SemanticError(call.calleeSpan(), "unknown optimizer '" + call.callee() + "' (use adam, adamw or sgd)");
        };
    }

    private double rate(Args a, double dflt) {
        double lr = a.has("lr") ? lo.real(a.get("lr")) : dflt;
        if (!(lr > 0 && lr < 10)) throw new SemanticError(a.span("lr"), "learning rate must be in (0, 10), got " + Lowering.num(lr));
        return lr;
    }

    private double opt(Args a, String name, double dflt) {
        if (!a.has(name)) return dflt;
        double v = lo.real(a.get(name));
        if (!(v >= 0) || Double.isInfinite(v)) throw new SemanticError(a.span(name), name + " must be a finite non-negative number");
        return v;
    }

    private List<TrainConfig.Dataset> datasets(Expr e) {
        List<Expr> items = e instanceof Expr.ListLit l ? l.items() : List.of(e);
        List<TrainConfig.Dataset> out = new ArrayList<>();
        for (Expr item : items) {
            if (!(item instanceof Expr.Call call)) throw new SemanticError(item.span(), "a dataset is written as a call, e.g. mnist(task: 0)");
            if (!TrainConfig.DATASETS.contains(call.callee())) {
                String hint = Builtins.suggest(call.callee(), TrainConfig.DATASETS);
                throw new SemanticError(call.calleeSpan(), "unknown dataset '" + call.callee() + "'"
                        + (hint != null ? "; did you mean '" + hint + "'?" : " (known: " + String.join(", ", TrainConfig.DATASETS) + ")"));
            }
            Map<String, Object> args = new LinkedHashMap<>();
            Map<String, Span> seen = new HashMap<>();
            for (Expr.Arg arg : call.args()) {
                if (arg.name() == null) throw new SemanticError(arg.span(), "dataset arguments are named, e.g. " + call.callee() + "(train: 8000)");
                if (seen.put(arg.name(), arg.span()) != null) throw new SemanticError(arg.nameSpan(), "dataset argument '" + arg.name() + "' is given twice");
                args.put(arg.name(), datasetArg(arg));
            }
            out.add(new TrainConfig.Dataset(call.callee(), args));
        }
        return out;
    }

    private Object datasetArg(Expr.Arg arg) {
        Expr v = arg.value();
        if (v instanceof Expr.Name n) {
            // Input bindings name model inputs: x: images binds the dataset's images to input x.
            Val val = lo.scope().lookup(n.name(), true);
            if (val instanceof Val.Int i) return i.value();
            if (val instanceof Val.Real r) return r.value();
            return n.name();
        }
        Val val = lo.expr(v);
        return switch (val) {
            case Val.Int i -> {
                if (i.value() < 0) throw new SemanticError(v.span(), arg.name() + " must not be negative");
                yield i.value();
            }
            case Val.Real r -> r.value();
            case Val.Str s -> s.value();
            default -> throw new SemanticError(v.span(), "dataset arguments are numbers, strings or names");
        };
    }
}
