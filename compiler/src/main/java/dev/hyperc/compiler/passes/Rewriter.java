package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Builds the rewritten copy of one graph, node by node in definition order: the substitution machinery
 * shared by every forward pass. A rule sees each node with its operands already substituted and either
 * {@link #keep keeps} it, {@link #rebuild rebuilds} it as another op defining the same result values,
 * or {@link #replace replaces} its result by an existing value, which rewrites every later use: node
 * operands (scan operands included) and the graph's outputs.
 *
 * <p>Because nodes are visited in order and every replacement is visible to the nodes after it, a rule
 * that looks through its operands with {@link #def} sees the already-rewritten producer, so chains
 * (a constant feeding a constant feeding a constant) collapse in one sweep.
 */
final class Rewriter {
    /** What a pass does with one node. */
    @FunctionalInterface
    interface Rule {
        void apply(Node n, Rewriter r);
    }

    private final Map<Value, Value> replaced = new HashMap<>();
    private final Map<Value, Node> defs = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();

    private Rewriter() {}

    /**
     * Runs {@code rule} over {@code g}. Scan bodies are first transformed with {@code body} (usually the
     * pass itself), since they are separate scopes whose values the outer substitution never touches.
     */
    static Graph rewrite(Graph g, UnaryOperator<Graph> body, Rule rule) {
        Rewriter r = new Rewriter();
        for (Node n : g.nodes()) {
            Node m = r.resolved(n);
            if (m.op() instanceof Op.Scan s) m = withOp(m, withBody(s, body.apply(s.body())));
            rule.apply(m, r);
        }
        return r.finish(g);
    }

    /** {@code g} with every use of a key of {@code subst} redirected to its value (no nodes change otherwise). */
    static Graph substitute(Graph g, Map<Value, Value> subst) {
        if (subst.isEmpty()) return g;
        Rewriter r = new Rewriter();
        r.replaced.putAll(subst);
        for (Node n : g.nodes()) r.keep(r.resolved(n));
        return r.finish(g);
    }

    /** The value that now stands for {@code v}. */
    Value resolve(Value v) {
        for (Value next = replaced.get(v); next != null; next = replaced.get(v)) v = next;
        return v;
    }

    /** The node that now defines {@code v}, or null for a graph parameter. */
    Node def(Value v) { return defs.get(resolve(v)); }

    /** The fill of {@code v} if a {@code const} now defines it, else null. */
    Op.Const constOf(Value v) {
        Node d = def(v);
        return d != null && d.op() instanceof Op.Const c ? c : null;
    }

    /** Emits {@code n} unchanged. */
    void keep(Node n) {
        nodes.add(n);
        for (Value v : n.results()) defs.put(v, n);
    }

    /** Emits {@code op} applied to {@code operands} in place of {@code n}: same results, same source position. */
    void rebuild(Node n, Op op, Value... operands) {
        keep(new Node(n.results(), op, List.of(operands), n.origin()));
    }

    /** Drops single-result {@code n} and redirects its uses to {@code by}, which must have the same type. */
    void replace(Node n, Value by) {
        Value old = n.result();
        by = resolve(by);
        if (!old.type().equals(by.type())) {
            throw new IllegalStateException("cannot replace " + old + ":" + old.type() + " by " + by + ":" + by.type());
        }
        if (!old.equals(by)) replaced.put(old, by);
    }

    private Node resolved(Node n) {
        List<Value> ops = n.operands().stream().map(this::resolve).toList();
        return ops.equals(n.operands()) ? n : new Node(n.results(), n.op(), ops, n.origin());
    }

    private Graph finish(Graph g) {
        List<Graph.Output> outs = g.outputs().stream()
                .map(o -> new Graph.Output(o.name(), resolve(o.value()), o.role())).toList();
        return new Graph(g.name(), g.params(), nodes, outs);
    }

    static Node withOp(Node n, Op op) { return new Node(n.results(), op, n.operands(), n.origin()); }

    /** {@code s} with another body of the same signature; every other attribute (direction included) kept. */
    static Op.Scan withBody(Op.Scan s, Graph body) { return new Op.Scan(body, s.carries(), s.sequences(), s.reverse()); }
}
