package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Checks symbolic gradients against central finite differences, both evaluated in f64 by the
 * reference evaluator. For each parameter a sample of coordinates is perturbed by ±h. Coordinates
 * where the loss is not smooth within ±2h (a relu at 0, a tie in a max) are detected by comparing
 * one-sided differences and skipped, and counted, rather than reported as errors.
 */
public final class GradCheck {
    /** Relative error floor: gradients smaller than this are compared absolutely. */
    public static final double SCALE_FLOOR = 1e-4;

    private GradCheck() {}

    public record ParamResult(String param, int checked, int skippedKinks, double maxRelError, double maxAnalytic) {}

    /**
     * @param forward a graph with a scalar LOSS output named {@code loss}
     * @param bindings inputs (and optionally parameters); unbound parameters are initialised from their init
     */
    public static List<ParamResult> check(Graph forward, String loss, ReferenceEvaluator.Bindings bindings,
                                          int coordsPerParam, double h, long seed) {
        Map<String, Op.Param> params = new LinkedHashMap<>();
        for (Node n : forward.nodes()) if (n.op() instanceof Op.Param p) params.putIfAbsent(p.name(), p);
        Random rng = new Random(seed);
        for (Op.Param p : params.values()) {
            if (!bindings.params().containsKey(p.name())) {
                int[] shape = ReferenceEvaluator.concreteShape(p.type().shape(), bindings.batch());
                bindings.param(p.name(), ReferenceEvaluator.initialise(p.init(), shape, rng));
            }
        }
        Graph grads = Autodiff.gradients(forward, loss);
        Map<String, DTensor> analytic = new LinkedHashMap<>();
        Map<Integer, DTensor> all = ReferenceEvaluator.runAll(grads, bindings);
        for (Graph.Output o : grads.outputs()) if (o.role() == Graph.Role.GRAD) analytic.put(o.name(), all.get(o.value().id()));
        Graph.Output lossOut = forward.outputs().stream().filter(o -> o.name().equals(loss) && o.role() == Graph.Role.LOSS).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no loss output " + loss));

        double f0 = lossAt(forward, lossOut, bindings, params.keySet().iterator().next(),
                bindings.params().get(params.keySet().iterator().next()), 0, 0);
        List<ParamResult> out = new ArrayList<>();
        for (String name : params.keySet()) {
            DTensor p = bindings.params().get(name);
            DTensor g = analytic.get(name);
            int n = p.numel();
            List<Integer> coords = new ArrayList<>();
            if (n <= coordsPerParam) for (int i = 0; i < n; i++) coords.add(i);
            else for (int i = 0; i < coordsPerParam; i++) coords.add(rng.nextInt(n));
            double worst = 0, maxA = 0;
            int checked = 0, skipped = 0;
            for (int i : coords) {
                double f1 = lossAt(forward, lossOut, bindings, name, p, i, h);
                double f_1 = lossAt(forward, lossOut, bindings, name, p, i, -h);
                double f2 = lossAt(forward, lossOut, bindings, name, p, i, 2 * h);
                double f_2 = lossAt(forward, lossOut, bindings, name, p, i, -2 * h);
                double numeric = (f1 - f_1) / (2 * h);
                double right = (f2 - f0) / (2 * h), left = (f0 - f_2) / (2 * h);
                double scale = Math.max(Math.max(Math.abs(right), Math.abs(left)), SCALE_FLOOR);
                if (Math.abs(right - left) / scale > 1e-3) {
                    skipped++;
                    continue;
                }
                double a = g.data()[i];
                double err = Math.abs(a - numeric) / Math.max(Math.max(Math.abs(a), Math.abs(numeric)), SCALE_FLOOR);
                worst = Math.max(worst, err);
                maxA = Math.max(maxA, Math.abs(a));
                checked++;
            }
            out.add(new ParamResult(name, checked, skipped, worst, maxA));
        }
        return out;
    }

    /**
     * Random inputs for every {@link Op.Input} of a graph: normal f32 data, and i32 ids drawn below the
     * size they index (an embedding's rows, a one-hot depth), so that any model can be checked without
     * knowing its data.
     */
    public static ReferenceEvaluator.Bindings randomInputs(Graph g, long batch, long seed) {
        Random rng = new Random(seed);
        ReferenceEvaluator.Bindings b = new ReferenceEvaluator.Bindings(batch).noiseSeed(seed).initSeed(seed);
        Map<Integer, Long> bound = new java.util.HashMap<>();
        scanBounds(g, bound);
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.Input in)) continue;
            int[] shape = ReferenceEvaluator.concreteShape(in.type().shape(), batch);
            if (in.type().dtype() == dev.hyperc.compiler.ir.DType.I32) {
                long limit = bound.getOrDefault(n.result().id(), 2L);
                b.input(in.name(), DTensor.ints(rng, (int) Math.min(limit, Integer.MAX_VALUE), shape));
            } else {
                b.input(in.name(), DTensor.normal(rng, shape));
            }
        }
        return b;
    }

    private static void scanBounds(Graph g, Map<Integer, Long> bound) {
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case Op.Gather ga -> bound.merge(n.operands().get(1).id(), n.operands().get(0).type().shape().dim(0).fixed(), Math::min);
                case Op.OneHot oh -> bound.merge(n.operands().get(0).id(), oh.depth(), Math::min);
                case Op.Scan s -> {
                    // Ids used inside a scan body arrive as sequence elements or captures.
                    Map<Integer, Long> inner = new java.util.HashMap<>();
                    scanBounds(s.body(), inner);
                    for (int i = 0; i < s.body().params().size(); i++) {
                        Long lim = inner.get(s.body().params().get(i).id());
                        if (lim != null) bound.merge(n.operands().get(i).id(), lim, Math::min);
                    }
                }
                default -> {}
            }
        }
    }

    private static double lossAt(Graph g, Graph.Output loss, ReferenceEvaluator.Bindings b, String name, DTensor p, int i, double delta) {
        double[] d = p.data().clone();
        d[i] += delta;
        b.param(name, new DTensor(p.shape(), d));
        try {
            Map<Integer, DTensor> all = ReferenceEvaluator.runAll(g, b);
            return all.get(loss.value().id()).item();
        } finally {
            b.param(name, p);
        }
    }
}
