package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers {@code scan x_t in xs with (h = h0, ...) { ...; h = next; emit y }} to an {@link Op.Scan}
 * whose body is a separate graph. Outer values used in the body become explicit captures, so the
 * body is closed and differentiation can treat it as a function.
 */
final class ScanLowering {
    private final Lowering lo;

    ScanLowering(Lowering lo) {
        this.lo = lo;
    }

    Val lower(Expr.Scan s) {
        Ctx outer = lo.ctx();
        Value seq = lo.tensor(s.sequence());
        if (seq.type().rank() < 1 || !seq.type().shape().dim(0).isFixed()) {
            throw new SemanticError(s.sequence().span(), "scan runs over the first axis, which must have a fixed length; got " + seq.type());
        }
        List<Value> inits = new ArrayList<>();
        for (Expr.Carry carry : s.carries()) inits.add(lo.tensor(carry.init()));

        GraphBuilder bb = new GraphBuilder("body", outer.b.ids());
        Ctx body = outer.body(bb);
        Lowering.Scope savedScope = lo.scope();
        Lowering.Scope bodyScope = new Lowering.Scope(savedScope, false);
        Map<String, Value> current = new LinkedHashMap<>();
        Map<String, Boolean> updated = new LinkedHashMap<>();
        lo.setCtx(body);
        lo.setScope(bodyScope);
        try {
            for (int i = 0; i < inits.size(); i++) {
                Expr.Carry carry = s.carries().get(i);
                if (current.containsKey(carry.name())) throw new SemanticError(carry.nameSpan(), "carry '" + carry.name() + "' is listed twice");
                Value p = body.param(inits.get(i).type());
                current.put(carry.name(), p);
                updated.put(carry.name(), false);
                lo.defineLocal(carry.name(), carry.nameSpan(), new Val.Tensor(p));
            }
            Value elem = body.param(seq.type().withShape(seq.type().shape().sub(1, seq.type().rank())));
            lo.defineLocal(s.element(), s.elementSpan(), new Val.Tensor(elem));
            for (Expr.ScanStmt st : s.body()) {
                switch (st) {
                    case Expr.ScanLet l -> {
                        Val v = lo.expr(l.value());
                        if (l.names().size() == 1) lo.defineLocal(l.names().get(0), l.nameSpans().get(0), v);
                        else {
                            if (!(v instanceof Val.Seq q) || q.items().size() != l.names().size()) {
                                throw new SemanticError(l.value().span(), "cannot unpack " + Val.describe(v) + " into " + l.names().size() + " names");
                            }
                            for (int i = 0; i < l.names().size(); i++) lo.defineLocal(l.names().get(i), l.nameSpans().get(i), q.items().get(i));
                        }
                    }
                    case Expr.ScanUpdate u -> {
                        if (!current.containsKey(u.name())) {
                            throw new SemanticError(u.nameSpan(), "'" + u.name() + "' is not a carry of this scan; only carries can be updated");
                        }
                        if (updated.get(u.name())) throw new SemanticError(u.nameSpan(), "carry '" + u.name() + "' is updated twice");
                        Value next = lo.tensor(u.value());
                        Value was = current.get(u.name());
                        if (!next.type().equals(was.type())) {
                            throw new SemanticError(u.value().span(), "carry '" + u.name() + "' is " + was.type() + " but its update is " + next.type());
                        }
                        current.put(u.name(), next);
                        updated.put(u.name(), true);
                        // Later statements and the emit see the updated carry, as in any imperative step.
                        bodyScope.names.put(u.name(), new Val.Tensor(next));
                    }
                }
            }
            Value emitted = lo.tensor(s.emit());
            for (Map.Entry<String, Value> e : current.entrySet()) bb.output(e.getKey(), e.getValue(), Graph.Role.YIELD);
            bb.output("emit", emitted, Graph.Role.YIELD);
        } finally {
            lo.setCtx(outer);
            lo.setScope(savedScope);
        }
        Graph g = bb.build();
        List<Value> operands = new ArrayList<>(inits);
        operands.add(seq);
        operands.addAll(body.captureSources);
        outer.at(s.span());
        List<Value> results = outer.emitMulti(new Op.Scan(g, inits.size(), 1), operands);
        return new Val.Tensor(results.get(results.size() - 1));
    }
}
