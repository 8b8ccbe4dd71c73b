package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient of a scan is a reverse scan. The forward scan saves the carry entering each step
 * (see {@link Autodiff#saveCarries}); the backward body recomputes that one step from the saved carry
 * (a deliberate, bounded recomputation: one step's activations, never the whole sequence) and
 * applies the step's VJP. Its carries are the carry cotangents and the running sum of the captures'
 * cotangents; it emits the cotangent of each sequence element.
 */
final class ScanGrad {
    private ScanGrad() {}

    static List<Value> vjp(GraphBuilder b, Node fwd, List<Value> dResults, List<Value> saved) {
        Op.Scan s = (Op.Scan) fwd.op();
        Graph body = s.body();
        int nc = s.carries(), ns = s.sequences(), np = fwd.operands().size() - nc - ns;
        int nEmit = body.outputs().size() - nc - nc; // the forward body also yields the saved carries
        Emit e = new Emit(b);
        List<Value> ops = fwd.operands();

        GraphBuilder bb = new GraphBuilder("body", b.ids());
        // Backward carries: carry cotangents, then capture-cotangent accumulators.
        List<Value> dcIn = new ArrayList<>(), dkIn = new ArrayList<>();
        for (int i = 0; i < nc; i++) dcIn.add(bb.param(ops.get(i).type()));
        for (int j = 0; j < np; j++) dkIn.add(bb.param(ops.get(nc + ns + j).type()));
        // Sequences: the forward sequences, the saved carries, the emission cotangents.
        List<Value> xElem = new ArrayList<>(), cElem = new ArrayList<>(), deElem = new ArrayList<>();
        for (int j = 0; j < ns; j++) xElem.add(bb.param(elem(ops.get(nc + j).type())));
        for (int i = 0; i < nc; i++) cElem.add(bb.param(ops.get(i).type()));
        for (int q = 0; q < nEmit; q++) deElem.add(bb.param(body.outputs().get(nc + q).value().type()));
        // Captures: the forward captures.
        List<Value> kIn = new ArrayList<>();
        for (int j = 0; j < np; j++) kIn.add(bb.param(ops.get(nc + ns + j).type()));

        // Recompute the step from the saved carry.
        Map<Integer, Value> map = new HashMap<>();
        for (int i = 0; i < nc; i++) map.put(body.params().get(i).id(), cElem.get(i));
        for (int j = 0; j < ns; j++) map.put(body.params().get(nc + j).id(), xElem.get(j));
        for (int j = 0; j < np; j++) map.put(body.params().get(nc + ns + j).id(), kIn.get(j));
        List<Node> copied = new ArrayList<>();
        int before = bb.nodes().size();
        for (Node n : body.nodes()) {
            bb.at(n.origin());
            List<Value> in = n.operands().stream().map(v -> map.getOrDefault(v.id(), v)).toList();
            List<Value> out = bb.addMulti(n.op(), in);
            for (int r = 0; r < out.size(); r++) map.put(n.results().get(r).id(), out.get(r));
        }
        copied.addAll(bb.nodes().subList(before, bb.nodes().size()));

        Map<Value, Value> seeds = new LinkedHashMap<>();
        Emit be = new Emit(bb);
        for (int i = 0; i < nc; i++) addSeed(be, seeds, mapped(map, body.outputs().get(i).value()), dcIn.get(i));
        for (int q = 0; q < nEmit; q++) addSeed(be, seeds, mapped(map, body.outputs().get(nc + q).value()), deElem.get(q));
        List<Value> wrt = new ArrayList<>(cElem);
        wrt.addAll(xElem);
        wrt.addAll(kIn);
        Map<Integer, Value> grads = new Vjp(bb, Map.of()).run(copied, seeds, wrt);

        for (int i = 0; i < nc; i++) bb.output("dc" + i, orZero(be, grads.get(cElem.get(i).id()), cElem.get(i).type()), Graph.Role.YIELD);
        for (int j = 0; j < np; j++) {
            Value g = grads.get(kIn.get(j).id());
            bb.output("dk" + j, g == null ? dkIn.get(j) : be.add(dkIn.get(j), g), Graph.Role.YIELD);
        }
        for (int j = 0; j < ns; j++) bb.output("dx" + j, orZero(be, grads.get(xElem.get(j).id()), xElem.get(j).type()), Graph.Role.YIELD);
        Graph bwd = bb.build();

        List<Value> operands = new ArrayList<>();
        for (int i = 0; i < nc; i++) operands.add(orZero(e, dResults.get(i), ops.get(i).type()));
        for (int j = 0; j < np; j++) operands.add(e.zeros(ops.get(nc + ns + j).type()));
        for (int j = 0; j < ns; j++) operands.add(ops.get(nc + j));
        operands.addAll(saved);
        for (int q = 0; q < nEmit; q++) operands.add(orZero(e, dResults.get(nc + q), fwd.results().get(nc + q).type()));
        for (int j = 0; j < np; j++) operands.add(ops.get(nc + ns + j));
        b.at(fwd.origin());
        List<Value> r = b.addMulti(new Op.Scan(bwd, nc + np, ns + nc + nEmit, true), operands);

        List<Value> cts = new ArrayList<>();
        for (int i = 0; i < nc; i++) cts.add(r.get(i));
        for (int j = 0; j < ns; j++) cts.add(r.get(nc + np + j));
        for (int j = 0; j < np; j++) cts.add(r.get(nc + j));
        return cts;
    }

    private static Value mapped(Map<Integer, Value> map, Value v) { return map.getOrDefault(v.id(), v); }

    private static void addSeed(Emit e, Map<Value, Value> seeds, Value at, Value ct) {
        seeds.merge(at, ct, e::add);
    }

    private static Value orZero(Emit e, Value v, TensorType t) { return v == null ? e.zeros(t) : v; }

    private static TensorType elem(TensorType seq) { return seq.withShape(seq.shape().sub(1, seq.rank())); }
}
