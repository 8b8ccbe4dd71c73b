package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Symbolic reverse-mode differentiation, IR to IR: the result is the forward graph followed by its
 * backward pass, in the same IR, with one {@link Graph.Role#GRAD} output per differentiated parameter.
 * Backends run it like any other graph.
 */
public final class Autodiff {
    private Autodiff() {}

    /** Gradients of the scalar loss output {@code loss} with respect to every learned parameter. */
    public static Graph gradients(Graph g, String loss) {
        List<String> params = new ArrayList<>();
        for (Node n : g.nodes()) if (n.op() instanceof Op.Param p && !params.contains(p.name())) params.add(p.name());
        return gradients(g, loss, params);
    }

    /** Gradients of the scalar loss output {@code loss} with respect to the named parameters. */
    public static Graph gradients(Graph g, String loss, List<String> wrt) {
        Graph.Output lossOut = g.outputs().stream().filter(o -> o.name().equals(loss)).findFirst()
                .orElseThrow(() -> new GradientError("graph " + g.name() + " has no output named '" + loss + "' to differentiate", Origin.NONE));
        Value l = lossOut.value();
        Origin lossOrigin = origin(g, l);
        if (l.type().dtype() != DType.F32 || !l.type().shape().equals(Shape.SCALAR)) {
            throw new GradientError("can only differentiate a scalar f32 loss, but '" + loss + "' is " + l.type(), lossOrigin);
        }
        Map<String, Value> params = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (n.op() instanceof Op.Param p) params.putIfAbsent(p.name(), n.result());
        }
        for (String w : wrt) {
            if (!params.containsKey(w)) {
                String what = describe(g, w);
                throw new GradientError("cannot differentiate with respect to '" + w + "': " + what, Origin.NONE);
            }
        }
        int maxId = maxId(g);
        GraphBuilder b = new GraphBuilder(g.name(), new GraphBuilder.IdCounter(maxId + 1));
        Map<Node, List<Value>> saved = new HashMap<>();
        List<Node> forward = saveCarries(g.nodes(), b.ids(), saved);
        Emit e = new Emit(b);
        b.at(lossOrigin);
        Value seed = e.scalar(1.0);
        List<Value> wrtValues = wrt.stream().map(params::get).toList();
        Map<Integer, Value> grads = new Vjp(b, saved).run(forward, Map.of(l, seed), wrtValues);

        List<Graph.Output> outputs = new ArrayList<>(g.outputs());
        for (String w : wrt) {
            Value p = params.get(w);
            Value gr = grads.get(p.id());
            if (gr == null) gr = b.add(new Op.Const(0, p.type()));
            outputs.add(new Graph.Output(w, gr, Graph.Role.GRAD));
        }
        List<Node> nodes = new ArrayList<>(forward);
        nodes.addAll(b.nodes());
        return new Graph(g.name(), g.params(), nodes, outputs);
    }

    /**
     * Rewrites each scan to also emit the carry entering every step, which its gradient needs.
     * Only top-level scans are rewritten; scans nested in scan bodies are not differentiable yet.
     */
    static List<Node> saveCarries(List<Node> nodes, GraphBuilder.IdCounter ids, Map<Node, List<Value>> saved) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (!(n.op() instanceof Op.Scan s)) {
                out.add(n);
                continue;
            }
            for (Node inner : s.body().nodes()) {
                if (inner.op() instanceof Op.Scan) {
                    throw new GradientError("gradients of a scan nested inside another scan are not supported", inner.origin());
                }
            }
            Graph body = s.body();
            List<Graph.Output> yields = new ArrayList<>(body.outputs());
            for (int i = 0; i < s.carries(); i++) yields.add(new Graph.Output("saved" + i, body.params().get(i), Graph.Role.YIELD));
            Op.Scan aug = new Op.Scan(new Graph(body.name(), body.params(), body.nodes(), yields), s.carries(), s.sequences(), s.reverse());
            List<Value> results = new ArrayList<>(n.results());
            List<Value> extra = new ArrayList<>();
            Value steps0 = n.operands().get(s.carries());
            for (int i = 0; i < s.carries(); i++) {
                TensorType c = n.operands().get(i).type();
                Value v = new Value(ids.next(), c.withShape(c.shape().prepend(List.of(steps0.type().shape().dim(0)))));
                extra.add(v);
            }
            results.addAll(extra);
            Node augmented = new Node(results, aug, n.operands(), n.origin());
            saved.put(augmented, extra);
            out.add(augmented);
        }
        return out;
    }

    private static int maxId(Graph g) {
        int m = -1;
        for (Value p : g.params()) m = Math.max(m, p.id());
        for (Node n : g.nodes()) {
            for (Value r : n.results()) m = Math.max(m, r.id());
            if (n.op() instanceof Op.Scan s) m = Math.max(m, maxId(s.body()));
        }
        return m;
    }

    private static Origin origin(Graph g, Value v) {
        for (Node n : g.nodes()) if (n.results().contains(v)) return n.origin();
        return Origin.NONE;
    }

    private static String describe(Graph g, String name) {
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case Op.Input i when i.name().equals(name) -> { return "it is an input, not a learned parameter"; }
                case Op.State s when s.name().equals(name) -> { return "it is non-learned state, not a parameter"; }
                default -> {}
            }
        }
        for (Graph.Output o : g.outputs()) if (o.name().equals(name)) return "it is a computed value, not a learned parameter";
        return "no parameter of that name exists";
    }
}
