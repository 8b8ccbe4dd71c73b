package dev.hyperc.compiler.step;

import dev.hyperc.compiler.autodiff.Autodiff;
import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.compiler.passes.GeneratedWeightContraction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole training step as one graph: forward, backward and the optimizer update. The update is
 * IR like everything else, so every backend runs (and fuses) it without optimizer code of its own.
 * Outputs: the loss and metrics, an {@link Graph.Role#UPDATE} per parameter (its next value), and
 * {@link Graph.Role#STATE} outputs for batch-norm statistics and optimizer state (moments, step count).
 * The learning rate is an input ({@code optimizer.lr}) so schedules need no recompilation.
 */
public final class TrainingStep {
    public static final String LR = "optimizer.lr";
    public static final String STEP = "optimizer.step";

    private TrainingStep() {}

    public static Graph build(Graph train, TrainConfig cfg) {
        Graph withGrads = Autodiff.gradients(GeneratedWeightContraction.run(train), cfg.loss());
        int maxId = 0;
        for (Node n : withGrads.nodes()) for (Value r : n.results()) maxId = Math.max(maxId, r.id());
        for (Node n : withGrads.nodes()) if (n.op() instanceof Op.Scan s) maxId = Math.max(maxId, maxBody(s.body()));
        GraphBuilder b = new GraphBuilder("step", new GraphBuilder.IdCounter(maxId + 1));
        Map<String, Value> params = new HashMap<>();
        for (Node n : withGrads.nodes()) if (n.op() instanceof Op.Param p) params.putIfAbsent(p.name(), n.result());

        List<Graph.Output> grads = withGrads.outputs().stream().filter(o -> o.role() == Graph.Role.GRAD).toList();
        List<Graph.Output> outputs = new ArrayList<>(withGrads.outputs().stream().filter(o -> o.role() != Graph.Role.GRAD).toList());
        Value lr = b.add(new Op.Input(LR, TensorType.f32(Shape.SCALAR)));
        Value step = b.add(new Op.State(STEP, TensorType.f32(Shape.SCALAR), new Init.Zeros()));
        Value t = b.add(new Op.Binary(Op.BinaryFn.ADD), step, scalar(b, 1));
        outputs.add(new Graph.Output(STEP, t, Graph.Role.STATE));

        // A step whose loss is not finite changes nothing: every update and state output keeps its old value,
        // so the trainer can re-run the batch to find the op that produced the NaN with the model intact.
        Value loss = withGrads.outputs().stream().filter(o -> o.role() == Graph.Role.LOSS).findFirst().orElseThrow().value();
        Value finite = b.add(new Op.Binary(Op.BinaryFn.EQ), b.add(new Op.Binary(Op.BinaryFn.SUB), loss, loss), scalar(b, 0));
        List<Value> g = new ArrayList<>();
        for (Graph.Output o : grads) g.add(o.value());
        if (cfg.clipNorm() > 0) g = clip(b, g, cfg.clipNorm());

        TrainConfig.Optimizer opt = cfg.optimizer();
        for (int i = 0; i < grads.size(); i++) {
            String name = grads.get(i).name();
            Value p = params.get(name);
            Value gi = g.get(i);
            switch (opt.kind()) {
                case "adam", "adamw" -> adam(b, outputs, name, p, gi, lr, t, opt, finite);
                case "sgd" -> sgd(b, outputs, name, p, gi, lr, opt);
                default -> throw new IllegalArgumentException("unknown optimizer " + opt.kind());
            }
        }
        // Guard every write-back (parameters, optimizer state, batch-norm statistics) with the finiteness flag;
        // outputs that are already a select on the flag (Adam's moments) are left as they are.
        Map<String, Value> old = new HashMap<>();
        for (Node n : withGrads.nodes()) {
            if (n.op() instanceof Op.Param p) old.putIfAbsent("update:" + p.name(), n.result());
            if (n.op() instanceof Op.State st) old.putIfAbsent("state:" + st.name(), n.result());
        }
        for (Node n : b.nodes()) if (n.op() instanceof Op.State st) old.putIfAbsent("state:" + st.name(), n.result());
        List<Graph.Output> guarded = new ArrayList<>();
        for (Graph.Output o : outputs) {
            Value prev = old.get(o.role().text() + ":" + o.name());
            if ((o.role() == Graph.Role.UPDATE || o.role() == Graph.Role.STATE) && prev != null && !guardedBy(b, o.value(), finite)) {
                guarded.add(new Graph.Output(o.name(), b.add(new Op.Select(), finite, o.value(), prev), o.role()));
            } else {
                guarded.add(o);
            }
        }
        List<Node> nodes = new ArrayList<>(withGrads.nodes());
        nodes.addAll(b.nodes());
        return new Graph("step", withGrads.params(), nodes, guarded);
    }

    /** Adam (and AdamW's decoupled weight decay): moments, bias correction, update. */
    /**
     * The moments are guarded first (kept when the loss is not finite) and the parameter update reads the
     * guarded moments: then each moment is one in-place pass (read m and g, write m) and the update reads
     * the new moments, instead of materialising unguarded copies that cost two more passes over memory.
     */
    private static void adam(GraphBuilder b, List<Graph.Output> out, String name, Value p, Value g, Value lr, Value t, TrainConfig.Optimizer o,
                             Value finite) {
        TensorType pt = p.type();
        Value m = b.add(new Op.State(name + ".adam_m", pt, new Init.Zeros()));
        Value v = b.add(new Op.State(name + ".adam_v", pt, new Init.Zeros()));
        if (o.kind().equals("adam") && o.weightDecay() > 0) g = add(b, g, mul(b, p, scalar(b, o.weightDecay())));
        Value m2 = add(b, mul(b, m, scalar(b, o.beta1())), mul(b, g, scalar(b, 1 - o.beta1())));
        Value v2 = add(b, mul(b, v, scalar(b, o.beta2())), mul(b, b.add(new Op.Unary(Op.UnaryFn.SQUARE), g), scalar(b, 1 - o.beta2())));
        m2 = b.add(new Op.Select(), finite, m2, m);
        v2 = b.add(new Op.Select(), finite, v2, v);
        // Bias corrections 1 − β^t are scalars; fold them into one step size.
        Value c1 = sub(b, scalar(b, 1), b.add(new Op.Binary(Op.BinaryFn.POW), scalar(b, o.beta1()), t));
        Value c2 = sub(b, scalar(b, 1), b.add(new Op.Binary(Op.BinaryFn.POW), scalar(b, o.beta2()), t));
        Value size = div(b, mul(b, lr, b.add(new Op.Unary(Op.UnaryFn.SQRT), c2)), c1);
        Value denom = add(b, b.add(new Op.Unary(Op.UnaryFn.SQRT), v2), mul(b, scalar(b, o.eps()), b.add(new Op.Unary(Op.UnaryFn.SQRT), c2)));
        Value next = sub(b, p, mul(b, size, div(b, m2, denom)));
        if (o.kind().equals("adamw") && o.weightDecay() > 0) next = sub(b, next, mul(b, mul(b, lr, scalar(b, o.weightDecay())), p));
        out.add(new Graph.Output(name, next, Graph.Role.UPDATE));
        out.add(new Graph.Output(name + ".adam_m", m2, Graph.Role.STATE));
        out.add(new Graph.Output(name + ".adam_v", v2, Graph.Role.STATE));
    }

    /** SGD with (heavy-ball) momentum: buf = μ·buf + g; p = p − lr·buf. */
    private static void sgd(GraphBuilder b, List<Graph.Output> out, String name, Value p, Value g, Value lr, TrainConfig.Optimizer o) {
        if (o.weightDecay() > 0) g = add(b, g, mul(b, p, scalar(b, o.weightDecay())));
        Value dir = g;
        if (o.momentum() > 0) {
            Value buf = b.add(new Op.State(name + ".momentum", p.type(), new Init.Zeros()));
            dir = add(b, mul(b, buf, scalar(b, o.momentum())), g);
            out.add(new Graph.Output(name + ".momentum", dir, Graph.Role.STATE));
        }
        out.add(new Graph.Output(name, sub(b, p, mul(b, lr, dir)), Graph.Role.UPDATE));
    }

    /** Scales all gradients by min(1, c / ‖g‖) with ‖g‖ the global L2 norm. */
    private static List<Value> clip(GraphBuilder b, List<Value> grads, double c) {
        Value total = scalar(b, 0);
        for (Value g : grads) {
            int[] axes = new int[g.type().rank()];
            for (int i = 0; i < axes.length; i++) axes[i] = i;
            Value sq = b.add(new Op.Unary(Op.UnaryFn.SQUARE), g);
            total = add(b, total, axes.length == 0 ? sq : b.add(new Op.Reduce(Op.ReduceFn.SUM, axes), sq));
        }
        Value norm = b.add(new Op.Unary(Op.UnaryFn.SQRT), total);
        Value scale = b.add(new Op.Binary(Op.BinaryFn.MIN), scalar(b, 1), div(b, scalar(b, c), add(b, norm, scalar(b, 1e-12))));
        List<Value> out = new ArrayList<>();
        for (Value g : grads) out.add(mul(b, g, scale));
        return out;
    }

    private static boolean guardedBy(GraphBuilder b, Value v, Value finite) {
        for (Node n : b.nodes()) {
            if (n.results().contains(v)) return n.op() instanceof Op.Select && n.operands().get(0).equals(finite);
        }
        return false;
    }

    private static int maxBody(Graph g) {
        int m = 0;
        for (Value p : g.params()) m = Math.max(m, p.id());
        for (Node n : g.nodes()) {
            for (Value r : n.results()) m = Math.max(m, r.id());
            if (n.op() instanceof Op.Scan s) m = Math.max(m, maxBody(s.body()));
        }
        return m;
    }

    private static Value scalar(GraphBuilder b, double v) { return b.add(new Op.Const(v, TensorType.f32(Shape.SCALAR))); }

    private static Value add(GraphBuilder b, Value x, Value y) { return b.add(new Op.Binary(Op.BinaryFn.ADD), x, y); }

    private static Value sub(GraphBuilder b, Value x, Value y) { return b.add(new Op.Binary(Op.BinaryFn.SUB), x, y); }

    private static Value mul(GraphBuilder b, Value x, Value y) { return b.add(new Op.Binary(Op.BinaryFn.MUL), x, y); }

    private static Value div(GraphBuilder b, Value x, Value y) { return b.add(new Op.Binary(Op.BinaryFn.DIV), x, y); }
}
