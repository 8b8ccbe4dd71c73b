package dev.hyperc.compiler.ir;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the IR's invariants: every value defined exactly once before use (SSA), every node's
 * result types equal to its op's shape rule, outputs defined, leaves well-formed. Run after every
 * pass; the failing pass is named in the error.
 */
public final class Verifier {
    private Verifier() {}

    public static final class VerifyError extends RuntimeException {
        public VerifyError(String message) {
            super(message);
        }
    }

    public static void verify(IrModule module, String afterPass) {
        Set<Integer> ids = new HashSet<>();
        for (Graph g : module.graphs()) verify(g, afterPass, ids, Set.of());
    }

    public static void verify(Graph g, String afterPass) {
        verify(g, afterPass, new HashSet<>(), Set.of());
    }

    private static void verify(Graph g, String pass, Set<Integer> moduleIds, Set<Integer> outer) {
        Set<Integer> defined = new HashSet<>();
        for (Value p : g.params()) define(p, g, pass, defined, moduleIds);
        for (Node n : g.nodes()) {
            for (Value operand : n.operands()) {
                if (!defined.contains(operand.id())) {
                    fail(pass, g, n, "uses " + operand + " before it is defined"
                            + (outer.contains(operand.id()) ? " (scan bodies must take outer values as captures)" : ""));
                }
            }
            if (n.op().arity() >= 0 && n.op().arity() != n.operands().size()) {
                fail(pass, g, n, "takes " + n.op().arity() + " operands but has " + n.operands().size());
            }
            List<TensorType> expect;
            try {
                expect = n.op().resultTypes(n.operands().stream().map(Value::type).toList());
            } catch (ShapeError e) {
                fail(pass, g, n, "violates its shape rule: " + e.getMessage());
                return;
            }
            List<TensorType> actual = n.results().stream().map(Value::type).toList();
            if (!expect.equals(actual)) fail(pass, g, n, "has result types " + actual + " but its shape rule gives " + expect);
            if (n.op() instanceof Op.Scan s) {
                Set<Integer> visible = new HashSet<>(outer);
                visible.addAll(defined);
                verify(s.body(), pass, moduleIds, visible);
            }
            for (Value r : n.results()) define(r, g, pass, defined, moduleIds);
        }
        Set<String> names = new HashSet<>();
        for (Graph.Output o : g.outputs()) {
            if (!defined.contains(o.value().id())) fail(pass, g, null, "output " + o.name() + " refers to undefined " + o.value());
            if (!names.add(o.role() + ":" + o.name())) fail(pass, g, null, "output " + o.name() + " is listed twice");
        }
    }

    private static void define(Value v, Graph g, String pass, Set<Integer> defined, Set<Integer> moduleIds) {
        if (!moduleIds.add(v.id())) fail(pass, g, null, v + " is defined more than once");
        defined.add(v.id());
    }

    private static void fail(String pass, Graph g, Node n, String what) {
        String where = n == null ? "" : " node " + n.results() + " = " + n.op().mnemonic() + (n.origin().isKnown() ? " @" + n.origin() : "");
        throw new VerifyError("IR verification failed after pass '" + pass + "' in graph " + g.name() + where + ": " + what);
    }
}
