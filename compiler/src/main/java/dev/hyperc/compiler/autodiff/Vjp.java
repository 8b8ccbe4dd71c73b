package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode accumulation over a list of nodes. Only nodes on a path from a differentiated value
 * to a seeded value are visited. Cotangents that several uses contribute are summed; when all the
 * contributions are disjoint slices of one value (the views that carve a generated weight vector)
 * they are joined by one concat, so the gradient of the flat vector is written into one buffer
 * rather than summed from zero-padded copies.
 */
final class Vjp {
    private final Emit e;
    private final GraphBuilder b;
    private final Map<Integer, List<Value>> contributions = new HashMap<>();
    /** Backward values made by unslice, so that joins can recognise them. */
    private final Map<Integer, Node> made = new HashMap<>();
    private final Map<Node, List<Value>> savedCarries;

    Vjp(GraphBuilder b, Map<Node, List<Value>> savedCarries) {
        this.b = b;
        this.e = new Emit(b);
        this.savedCarries = savedCarries;
    }

    /** Returns the cotangent of each value in {@code wrt} (null where the seeds do not depend on it). */
    Map<Integer, Value> run(List<Node> nodes, Map<Value, Value> seeds, Collection<Value> wrt) {
        Set<Integer> forward = new HashSet<>();
        for (Value w : wrt) forward.add(w.id());
        for (Node n : nodes) {
            if (n.op() instanceof Op.StopGradient) continue;
            if (n.operands().stream().anyMatch(v -> forward.contains(v.id()))) n.results().forEach(r -> forward.add(r.id()));
        }
        Set<Integer> backward = new HashSet<>();
        for (Value s : seeds.keySet()) backward.add(s.id());
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.results().stream().anyMatch(r -> backward.contains(r.id()))) n.operands().forEach(v -> backward.add(v.id()));
        }
        for (Node n : nodes) {
            boolean onPath = n.operands().stream().anyMatch(v -> forward.contains(v.id()))
                    && n.results().stream().anyMatch(r -> backward.contains(r.id()));
            String why = onPath ? GradRules.noDerivative(n) : null;
            if (why != null) {
                throw new GradientError("cannot differentiate through " + n.op().mnemonic()
                        + (n.origin().isKnown() ? " at line " + n.origin().line() + ", column " + n.origin().column() : "")
                        + ": " + why + ". A parameter reaches the loss through it; wrap the value in stop_gradient(...) if that is intended",
                        n.origin());
            }
        }
        for (Map.Entry<Value, Value> s : seeds.entrySet()) {
            if (forward.contains(s.getKey().id())) contribute(s.getKey(), s.getValue());
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            boolean active = n.operands().stream().anyMatch(v -> forward.contains(v.id()))
                    && n.results().stream().anyMatch(r -> backward.contains(r.id()) && contributions.containsKey(r.id()));
            if (!active) continue;
            b.at(n.origin());
            List<Value> cts;
            try {
                if (n.op() instanceof Op.Scan) {
                    List<Value> dys = new ArrayList<>();
                    for (Value r : n.results()) dys.add(take(r));
                    cts = ScanGrad.vjp(b, n, dys, savedCarries.get(n));
                } else {
                    Value dy = take(n.result());
                    if (dy == null) continue;
                    cts = GradRules.vjp(e, n, dy);
                }
            } catch (GradRules.NoDerivative nd) {
                throw new GradientError("cannot differentiate through " + n.op().mnemonic()
                        + (n.origin().isKnown() ? " at line " + n.origin().line() + ", column " + n.origin().column() : "")
                        + ": " + nd.getMessage() + "; a parameter reaches the loss only through it", n.origin());
            }
            for (int k = 0; k < n.operands().size() && k < cts.size(); k++) {
                Value operand = n.operands().get(k);
                Value ct = cts.get(k);
                if (ct == null || !forward.contains(operand.id()) || operand.type().dtype() != DType.F32) continue;
                contribute(operand, ct);
            }
        }
        Map<Integer, Value> out = new LinkedHashMap<>();
        for (Value w : wrt) out.put(w.id(), take(w));
        return out;
    }

    private void contribute(Value v, Value ct) {
        if (!ct.type().equals(v.type())) {
            throw new IllegalStateException("gradient rule produced " + ct.type() + " for a value of type " + v.type());
        }
        contributions.computeIfAbsent(v.id(), k -> new ArrayList<>()).add(ct);
    }

    /** The summed cotangent of v (null if none), joining disjoint unslices into one concat. */
    private Value take(Value v) {
        List<Value> parts = contributions.remove(v.id());
        if (parts == null || parts.isEmpty()) return null;
        if (parts.size() == 1) return remember(parts.get(0));
        Value joined = joinSlices(v, parts);
        if (joined != null) return joined;
        Value sum = parts.get(0);
        for (int i = 1; i < parts.size(); i++) sum = e.add(sum, parts.get(i));
        return sum;
    }

    private Value remember(Value v) { return v; }

    private Value joinSlices(Value v, List<Value> parts) {
        int axis = -1;
        List<long[]> ranges = new ArrayList<>();
        List<Value> sources = new ArrayList<>();
        for (Value p : parts) {
            Node n = producer(p);
            if (n == null || !(n.op() instanceof Op.Unslice u) || u.step() != 1) return null;
            if (axis >= 0 && u.axis() != axis) return null;
            axis = u.axis();
            long len = n.operands().get(0).type().shape().dim(axis).fixed();
            ranges.add(new long[] {u.start(), u.start() + len, ranges.size()});
            sources.add(n.operands().get(0));
        }
        ranges.sort((x, y) -> Long.compare(x[0], y[0]));
        for (int i = 1; i < ranges.size(); i++) if (ranges.get(i)[0] < ranges.get(i - 1)[1]) return null;
        long size = v.type().shape().dim(axis).fixed();
        List<Value> pieces = new ArrayList<>();
        long at = 0;
        for (long[] r : ranges) {
            if (r[0] > at) pieces.add(e.zeros(v.type().withShape(v.type().shape().with(axis, dev.hyperc.compiler.ir.Dim.of(r[0] - at)))));
            pieces.add(sources.get((int) r[2]));
            at = r[1];
        }
        if (at < size) pieces.add(e.zeros(v.type().withShape(v.type().shape().with(axis, dev.hyperc.compiler.ir.Dim.of(size - at)))));
        return pieces.size() == 1 ? pieces.get(0) : b.add(new Op.Concat(axis), pieces);
    }

    private Node producer(Value v) {
        for (int i = b.nodes().size() - 1; i >= 0; i--) {
            Node n = b.nodes().get(i);
            if (n.results().contains(v)) return n;
        }
        return made.get(v.id());
    }
}
