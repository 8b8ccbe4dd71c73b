package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes nodes whose results reach no output, walking backwards from the outputs. Scans are shrunk,
 * not just kept or dropped, because a backward pass tends to leave recurrences with parts nobody reads:
 * <ul>
 *   <li>an emission whose stacked result is unused is no longer yielded;</li>
 *   <li>a carry is dropped when its final value is unused and no kept yield depends on it, found by a
 *       fixed point since carries can feed one another;</li>
 *   <li>a capture or sequence whose body parameter is unused is no longer passed in (one sequence always
 *       stays, because it gives the number of steps).</li>
 * </ul>
 * Every op is treated as pure; noise nodes with no use are dropped, which at most shifts which random
 * numbers other noise nodes draw.
 */
public final class DeadCodeElimination implements Pass {
    @Override
    public String name() { return "dead-code-elimination"; }

    /** Runs on every graph of a module (what {@code Compiler} calls directly; a {@link PassManager} verifies as well). */
    public static IrModule run(IrModule m) {
        DeadCodeElimination dce = new DeadCodeElimination();
        return new IrModule(m.model(), m.layouts(), m.graphs().stream().map(dce::run).toList());
    }

    @Override
    public Graph run(Graph g) {
        Set<Value> live = new HashSet<>();
        for (Graph.Output o : g.outputs()) live.add(o.value());
        List<Node> kept = new ArrayList<>();
        for (int i = g.nodes().size() - 1; i >= 0; i--) {
            Node n = g.nodes().get(i);
            if (n.results().stream().noneMatch(live::contains)) continue;
            if (n.op() instanceof Op.Scan s) n = shrink(n, s, live);
            kept.add(n);
            live.addAll(n.operands());
        }
        Collections.reverse(kept);
        return new Graph(g.name(), g.params(), kept, g.outputs());
    }

    /** {@code n} with only the carries, emissions and operands that {@code live} (outside) results need. */
    private Node shrink(Node n, Op.Scan s, Set<Value> live) {
        Graph body = s.body();
        int carries = s.carries(), seqEnd = carries + s.sequences(), outs = body.outputs().size();
        boolean[] keepOut = new boolean[outs];
        for (int i = 0; i < outs; i++) keepOut[i] = live.contains(n.results().get(i));
        // A carry must stay when a kept yield reads its parameter; that can revive further carries.
        Graph pruned;
        Set<Value> used;
        while (true) {
            pruned = run(withOutputs(body, keepOut));
            used = uses(pruned);
            boolean changed = false;
            for (int k = 0; k < carries; k++) {
                if (!keepOut[k] && used.contains(body.params().get(k))) keepOut[k] = changed = true;
            }
            if (!changed) break;
        }
        boolean[] keepIn = new boolean[n.operands().size()];
        int sequences = 0, keptCarries = 0;
        for (int i = 0; i < keepIn.length; i++) {
            keepIn[i] = i < carries ? keepOut[i] : used.contains(body.params().get(i));
            if (i >= carries && i < seqEnd && keepIn[i]) sequences++;
        }
        if (sequences == 0) {
            keepIn[carries] = true;
            sequences = 1;
        }
        for (int k = 0; k < carries; k++) if (keepOut[k]) keptCarries++;
        Graph newBody = new Graph(pruned.name(), pick(body.params(), keepIn), pruned.nodes(), pruned.outputs());
        Op.Scan op = new Op.Scan(newBody, keptCarries, sequences, s.reverse());
        return new Node(pick(n.results(), keepOut), op, pick(n.operands(), keepIn), n.origin());
    }

    private static Graph withOutputs(Graph g, boolean[] keep) {
        return new Graph(g.name(), g.params(), g.nodes(), pick(g.outputs(), keep));
    }

    /** Every value a graph's nodes or outputs read. Nested scan bodies read only their own parameters. */
    private static Set<Value> uses(Graph g) {
        Set<Value> used = new HashSet<>();
        for (Node n : g.nodes()) used.addAll(n.operands());
        for (Graph.Output o : g.outputs()) used.add(o.value());
        return used;
    }

    private static <T> List<T> pick(List<T> xs, boolean[] keep) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) if (keep[i]) out.add(xs.get(i));
        return out;
    }
}
