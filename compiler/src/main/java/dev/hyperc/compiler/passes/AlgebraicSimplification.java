package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Op.BinaryFn;
import dev.hyperc.compiler.ir.Op.UnaryFn;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;

/**
 * Local identities that remove work without changing any result bit (up to the sign of a zero, see
 * {@link #binary}): identity arithmetic, double negation, chains of views, and redundant
 * stop_gradient and cast. Each rewrite keeps the node's result value, or redirects uses to an
 * existing value of exactly the same type; when an identity would change the type (x·1 where the 1
 * broadcasts x to a larger shape) the node becomes a {@code broadcast} view of x instead.
 */
public final class AlgebraicSimplification implements Pass {
    @Override
    public String name() { return "algebraic-simplification"; }

    @Override
    public Graph run(Graph g) { return Rewriter.rewrite(g, this::run, AlgebraicSimplification::simplify); }

    private static void simplify(Node n, Rewriter r) {
        Value x = n.operands().isEmpty() ? null : n.operands().get(0);
        switch (n.op()) {
            case Op.Binary b -> binary(b.fn(), n, r);
            case Op.Unary u when u.fn() == UnaryFn.NEG && negand(r, x) instanceof Value z -> r.replace(n, z);
            case Op.Select _ -> select(n, r);
            case Op.StopGradient _ when r.def(x) instanceof Node d && d.op() instanceof Op.StopGradient -> r.replace(n, x);
            case Op.Cast c when c.to() == x.type().dtype() -> r.replace(n, x);
            case Op.Reshape rs -> reshape(rs, n, r);
            case Op.Broadcast bc -> broadcast(bc, n, r);
            case Op.Transpose t -> transpose(t, n, r);
            case Op.Slice s -> slice(s, n, r);
            default -> r.keep(n);
        }
    }

    /**
     * x·1, 1·x, x/1, x+0, 0+x, x−0 → x; x − (−z) → x + z; x + (−z) and (−z) + x → x − z. The last two
     * keep the broadcast shape and leave the neg to dead-code elimination when nothing else reads it.
     *
     * <p>Multiplication by a constant 0 is deliberately not folded to 0: NaN·0 and ±Inf·0 are NaN, and
     * the runtime's NaN detection must still see a NaN that reaches a product, so the rewrite would hide
     * exactly the failures it exists to report. Adding or subtracting zero is dropped although it can
     * turn a −0 into +0; only a division by that zero result could tell the difference.
     */
    private static void binary(BinaryFn fn, Node n, Rewriter r) {
        Value a = n.operands().get(0), b = n.operands().get(1);
        boolean done = switch (fn) {
            case MUL -> isFill(r, b, 1) && identity(n, a, r) || isFill(r, a, 1) && identity(n, b, r);
            case DIV -> isFill(r, b, 1) && identity(n, a, r);
            case ADD -> isFill(r, b, 0) && identity(n, a, r) || isFill(r, a, 0) && identity(n, b, r)
                    || negand(r, b) instanceof Value z && rebuild(n, r, BinaryFn.SUB, a, z)
                    || negand(r, a) instanceof Value z && rebuild(n, r, BinaryFn.SUB, b, z);
            case SUB -> isFill(r, b, 0) && identity(n, a, r)
                    || negand(r, b) instanceof Value z && rebuild(n, r, BinaryFn.ADD, a, z);
            default -> false;
        };
        if (!done) r.keep(n);
    }

    /** select(c, a, b) with a constant condition is one of its branches. */
    private static void select(Node n, Rewriter r) {
        Op.Const c = r.constOf(n.operands().get(0));
        if (c == null || !identity(n, n.operands().get(c.value() != 0 ? 1 : 2), r)) r.keep(n);
    }

    /** reshape(reshape(x)) → reshape(x); a reshape to x's own shape → x. */
    private static void reshape(Op.Reshape rs, Node n, Rewriter r) {
        Value x = n.operands().get(0);
        if (r.def(x) instanceof Node d && d.op() instanceof Op.Reshape) x = d.operands().get(0);
        viewOf(n, x, rs, rs.shape(), r);
    }

    /** broadcast(broadcast(x)) → broadcast(x), since broadcasting is transitive; a broadcast to x's own shape → x. */
    private static void broadcast(Op.Broadcast bc, Node n, Rewriter r) {
        Value x = n.operands().get(0);
        if (r.def(x) instanceof Node d && d.op() instanceof Op.Broadcast) x = d.operands().get(0);
        viewOf(n, x, bc, bc.shape(), r);
    }

    /** Result axis i of transpose(transpose(x, p), q) is axis p[q[i]] of x; the identity permutation is x. */
    private static void transpose(Op.Transpose t, Node n, Rewriter r) {
        Value x = n.operands().get(0);
        int[] perm = t.perm();
        if (r.def(x) instanceof Node d && d.op() instanceof Op.Transpose inner) {
            x = d.operands().get(0);
            int[] p = inner.perm();
            perm = new int[perm.length];
            for (int i = 0; i < perm.length; i++) perm[i] = p[t.perm()[i]];
        }
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
        if (identity) r.replace(n, x);
        else if (x.equals(n.operands().get(0))) r.keep(n);
        else r.rebuild(n, new Op.Transpose(perm), x);
    }

    /**
     * A whole-axis slice with step 1 is its operand. A slice of a slice along the same axis is one slice:
     * element j of the outer picks element s2 + j·k2 of the inner, which is s1 + (s2 + j·k2)·k1 of x.
     */
    private static void slice(Op.Slice s, Node n, Rewriter r) {
        Value x = n.operands().get(0);
        int axis = x.type().shape().axis(s.axis());
        if (s.start() == 0 && s.step() == 1 && s.end() == x.type().shape().dim(axis).fixed()) {
            r.replace(n, x);
        } else if (r.def(x) instanceof Node d && d.op() instanceof Op.Slice in && d.operands().get(0).type().shape().axis(in.axis()) == axis) {
            long start = in.start() + s.start() * in.step(), step = in.step() * s.step();
            long count = (s.end() - s.start() + s.step() - 1) / s.step();
            r.rebuild(n, new Op.Slice(axis, start, start + (count - 1) * step + 1, step), d.operands().get(0));
        } else {
            r.keep(n);
        }
    }

    /** Replaces view {@code n} by x itself when the shapes agree, else by {@code view} applied directly to x. */
    private static void viewOf(Node n, Value x, Op view, Shape shape, Rewriter r) {
        if (x.type().shape().equals(shape)) r.replace(n, x);
        else if (x.equals(n.operands().get(0))) r.keep(n);
        else r.rebuild(n, view, x);
    }

    /**
     * Replaces {@code n} by x, which {@code n} computes up to broadcasting: x itself when the types agree,
     * else a broadcast of x to the result shape. False (nothing emitted) when even that would not fit.
     */
    private static boolean identity(Node n, Value x, Rewriter r) {
        TensorType t = n.result().type();
        if (t.equals(x.type())) {
            r.replace(n, x);
            return true;
        }
        if (t.dtype() != x.type().dtype() || !Shape.broadcast(x.type().shape(), t.shape()).equals(t.shape())) return false;
        r.rebuild(n, new Op.Broadcast(t.shape()), x);
        return true;
    }

    private static boolean rebuild(Node n, Rewriter r, BinaryFn fn, Value a, Value b) {
        r.rebuild(n, new Op.Binary(fn), a, b);
        return true;
    }

    private static boolean isFill(Rewriter r, Value v, double x) {
        Op.Const c = r.constOf(v);
        return c != null && c.value() == x;
    }

    /** z when {@code v} is {@code neg z}, else null. */
    private static Value negand(Rewriter r, Value v) {
        Node d = r.def(v);
        return d != null && d.op() instanceof Op.Unary u && u.fn() == UnaryFn.NEG ? d.operands().get(0) : null;
    }
}
