package dev.hyperc.compiler.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Appends nodes to a graph under construction, running each op's shape rule as it goes so that a
 * node with a wrong shape can never be created. Value ids come from a counter shared with nested
 * scan bodies, which keeps ids unique across a whole module and makes printed IR unambiguous.
 */
public final class GraphBuilder {
    private final String name;
    private final IdCounter ids;
    private final List<Value> params = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Graph.Output> outputs = new ArrayList<>();
    private Origin origin = Origin.NONE;

    /** Ids shared by a module's graphs. */
    public static final class IdCounter {
        private int next;

        public IdCounter() {}

        public IdCounter(int start) { next = start; }

        public int next() { return next++; }

        public int peek() { return next; }
    }

    public GraphBuilder(String name, IdCounter ids) {
        this.name = name;
        this.ids = ids;
    }

    public IdCounter ids() { return ids; }

    /** Source position recorded on the nodes that follow. */
    public void at(Origin o) { this.origin = o; }

    public Origin origin() { return origin; }

    public Value param(TensorType type) {
        Value v = new Value(ids.next(), type);
        params.add(v);
        return v;
    }

    public Value add(Op op, Value... operands) {
        return addMulti(op, List.of(operands)).get(0);
    }

    public Value add(Op op, List<Value> operands) {
        return addMulti(op, operands).get(0);
    }

    public List<Value> addMulti(Op op, List<Value> operands) {
        if (op.arity() >= 0 && op.arity() != operands.size()) {
            throw new ShapeError(op.mnemonic() + " takes " + op.arity() + " operands, got " + operands.size());
        }
        List<TensorType> types = op.resultTypes(operands.stream().map(Value::type).toList());
        List<Value> results = new ArrayList<>();
        for (TensorType t : types) results.add(new Value(ids.next(), t));
        nodes.add(new Node(results, op, operands, origin));
        return results;
    }

    public void output(String outputName, Value v, Graph.Role role) {
        outputs.add(new Graph.Output(outputName, v, role));
    }

    public List<Node> nodes() { return nodes; }

    public Graph build() {
        return new Graph(name, params, nodes, outputs);
    }
}
