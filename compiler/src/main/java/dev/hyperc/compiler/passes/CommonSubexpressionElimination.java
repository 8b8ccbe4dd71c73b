package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges nodes that compute the same thing: the same op (op records compare by value; those with array
 * attributes define their own equals) applied to the same operands. The first node stays and later
 * duplicates' uses move to it, so a backward graph that re-emits forward computations gets them back
 * as shared values. Add, mul and eq are commutative in IEEE arithmetic, so their operands are compared
 * as an unordered pair; max and min are not, since NaN handling may depend on the argument order.
 *
 * <p>Leaves: {@code input}, {@code param} and {@code state} leaves with the same name and type are one
 * value at run time (the runtime binds them by name), so they merge even if their inits differ (the first
 * wins; differing inits would be a front-end bug). {@code const} fills merge when value and type are equal.
 * {@code noise} never merges: every noise node draws fresh numbers.
 *
 * <p>Scans are not merged with each other: two equal recurrences would have bodies equal only up to
 * renaming of their value ids, which this pass does not compare (the front end never emits such pairs).
 * Inside a scan, the body is its own scope and is CSE'd separately; a value passed twice as a sequence or
 * twice as a capture has its second body parameter redirected to the first, and dead-code elimination
 * then drops the unused operand.
 */
public final class CommonSubexpressionElimination implements Pass {
    @Override
    public String name() { return "common-subexpression-elimination"; }

    @Override
    public Graph run(Graph g) {
        Map<Object, Node> seen = new HashMap<>();
        return Rewriter.rewrite(g, this::run, (n, r) -> {
            Object key = key(n);
            Node first = key == null ? null : seen.putIfAbsent(key, n);
            if (first != null) r.replace(n, first.result());
            else if (n.op() instanceof Op.Scan s) r.keep(mergeDuplicateOperands(n, s));
            else r.keep(n);
        });
    }

    private record Key(Op op, List<Value> operands) {}

    private record LeafKey(String kind, String name, TensorType type) {}

    /** What identifies the value {@code n} computes, or null when it must stay distinct. */
    private static Object key(Node n) {
        List<Value> in = n.operands();
        return switch (n.op()) {
            case Op.Noise _, Op.Scan _ -> null;
            case Op.Param p -> new LeafKey("param", p.name(), p.type());
            case Op.State s -> new LeafKey("state", s.name(), s.type());
            case Op.Binary b when commutative(b.fn()) && in.get(0).id() > in.get(1).id() -> new Key(b, List.of(in.get(1), in.get(0)));
            default -> new Key(n.op(), in);
        };
    }

    private static boolean commutative(Op.BinaryFn fn) {
        return fn == Op.BinaryFn.ADD || fn == Op.BinaryFn.MUL || fn == Op.BinaryFn.EQ;
    }

    /** Redirects the body parameter of a repeated sequence or capture operand to that of its first occurrence. */
    private Node mergeDuplicateOperands(Node n, Op.Scan s) {
        List<Value> ops = n.operands(), params = s.body().params();
        int seqEnd = s.carries() + s.sequences();
        Map<Value, Value> subst = new HashMap<>();
        for (int i = s.carries() + 1; i < ops.size(); i++) {
            int from = i < seqEnd ? s.carries() : seqEnd;
            for (int j = from; j < i; j++) {
                if (ops.get(j).equals(ops.get(i))) {
                    subst.put(params.get(i), params.get(j));
                    break;
                }
            }
        }
        if (subst.isEmpty()) return n;
        return Rewriter.withOp(n, Rewriter.withBody(s, run(Rewriter.substitute(s.body(), subst))));
    }
}
