package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Removes nodes whose results reach no output. Scan bodies are cleaned too, keeping their yields. */
public final class DeadCodeElimination {
    private DeadCodeElimination() {}

    public static IrModule run(IrModule m) {
        return new IrModule(m.model(), m.layouts(), m.graphs().stream().map(DeadCodeElimination::run).toList());
    }

    public static Graph run(Graph g) {
        Set<Integer> live = new HashSet<>();
        for (Graph.Output o : g.outputs()) live.add(o.value().id());
        List<Node> kept = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.results().stream().noneMatch(r -> live.contains(r.id()))) continue;
            Node k = n;
            if (n.op() instanceof Op.Scan s) k = new Node(n.results(), new Op.Scan(run(s.body()), s.carries(), s.sequences()), n.operands(), n.origin());
            kept.add(k);
            for (Value v : n.operands()) live.add(v.id());
        }
        java.util.Collections.reverse(kept);
        return new Graph(g.name(), g.params(), kept, g.outputs());
    }
}
