package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.List;

/**
 * The Edifice/Axon {@code Hypernetwork.build} form:
 * {@code hypernetwork(cond, x, conditioning_size:, input_size:, target_layer_sizes:, hidden_sizes:, activation:)}.
 * Each target layer gets its own generator MLP from the conditioning; generated weights carry the
 * conditioning's leading axes, so a per-sample conditioning gives every sample its own target network.
 */
final class CompactHypernetwork {
    private final Lowering lo;

    CompactHypernetwork(Lowering lo) {
        this.lo = lo;
    }

    Val lower(Expr.Call call) {
        Args a = Args.bind(call, "conditioning", "x", "conditioning_size", "input_size", "target_layer_sizes",
                "hidden_sizes?", "activation?", "generator_activation?", "generator_init?", "name?");
        Ctx c = lo.ctx();
        Value cond = lo.tensor(a.get("conditioning"));
        Value x = lo.tensor(a.get("x"));
        long condSize = lo.positive(a.get("conditioning_size"), "conditioning_size");
        long inputSize = lo.positive(a.get("input_size"), "input_size");
        if (cond.type().rank() < 1 || !cond.type().shape().dim(-1).equals(Dim.of(condSize))) {
            throw new SemanticError(a.span("conditioning"), "conditioning is " + cond.type() + " but conditioning_size is " + condSize);
        }
        if (x.type().rank() < 1 || !x.type().shape().dim(-1).equals(Dim.of(inputSize))) {
            throw new SemanticError(a.span("x"), "input is " + x.type() + " but input_size is " + inputSize);
        }
        List<long[]> sizes = new ArrayList<>();
        for (Val v : lo.seq(a.get("target_layer_sizes"))) {
            if (!(v instanceof Val.Seq s) || s.items().size() != 2) {
                throw new SemanticError(a.span("target_layer_sizes"), "target_layer_sizes must be a list of (in, out) pairs");
            }
            long in = Builtins.intOf(s.items().get(0), a.span("target_layer_sizes"));
            long out = Builtins.intOf(s.items().get(1), a.span("target_layer_sizes"));
            if (in < 1 || out < 1) throw new SemanticError(a.span("target_layer_sizes"), "target layer sizes must be positive");
            sizes.add(new long[] {in, out});
        }
        if (sizes.isEmpty()) throw new SemanticError(a.span("target_layer_sizes"), "target_layer_sizes needs at least one layer");
        long prev = inputSize;
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.get(i)[0] != prev) {
                throw new SemanticError(a.span("target_layer_sizes"), "target layer " + (i + 1) + " takes " + sizes.get(i)[0]
                        + " inputs but " + (i == 0 ? "input_size is " : "layer " + i + " produces ") + prev + ": the sizes do not chain");
            }
            prev = sizes.get(i)[1];
        }
        List<Long> hidden = new ArrayList<>();
        if (a.has("hidden_sizes")) {
            for (Val v : lo.seq(a.get("hidden_sizes"))) {
                long h = Builtins.intOf(v, a.span("hidden_sizes"));
                if (h < 1) throw new SemanticError(a.span("hidden_sizes"), "hidden sizes must be positive");
                hidden.add(h);
            }
        } else {
            hidden.add(256L);
            hidden.add(256L);
        }
        String act = a.has("activation") ? lo.word(a.get("activation")) : "relu";
        String genAct = a.has("generator_activation") ? lo.word(a.get("generator_activation")) : "relu";
        for (String w : List.of(act, genAct)) {
            if (!Layers.ACTIVATIONS.contains(w)) throw new SemanticError(call.span(), "unknown activation '" + w + "'");
        }
        // The generators' init: "uniform" (default) draws W from U(±1/sqrt(fan_in)), PyTorch's Linear default, which
        // trained edifice_mlp to 85.3% in 2 epochs here; "hyperfan" gives the output head hypnettorch's
        // hyperfan-in scale (generated weights start at the He variance), which reached 83.5%.
        String genInit = a.has("generator_init") ? lo.word(a.get("generator_init")) : "uniform";
        if (!genInit.equals("uniform") && !genInit.equals("hyperfan")) {
            throw new SemanticError(a.span("generator_init"), "generator_init must be uniform or hyperfan, got '" + genInit + "'");
        }
        String name = a.has("name") ? lo.word(a.get("name")) : c.nextLayerName("hypernetwork");
        String savedNs = c.namespace;
        Value h = x;
        for (int l = 0; l < sizes.size(); l++) {
            long in = sizes.get(l)[0], out = sizes.get(l)[1];
            long p = in * out + out;
            // The generator for this layer: its own MLP over the conditioning.
            c.namespace = savedNs + name + ".gen" + (l + 1) + ".";
            Value g = cond;
            long fan = condSize;
            for (long width : hidden) {
                String ln = c.nextLayerName("dense");
                g = Layers.dense(c, ln, g, width, true, genAct, genInit.equals("uniform") ? fanInUniform(fan) : null);
                c.summary.add(c.namespace + ln, "dense", g.type(), fan * width + width, 0);
                fan = width;
            }
            String head = c.nextLayerName("dense");
            g = Layers.dense(c, head, g, p, true, "identity", genInit.equals("uniform") ? fanInUniform(fan) : new Init.HyperFan(fan, in));
            c.summary.add(c.namespace + head, "dense", g.type(), fan * p + p, 0);
            // The target layer: weights are views of this generator's output.
            c.namespace = savedNs + name + ".";
            ParamSource saved = c.params;
            lo.exposeGenerated(new Layout(savedNs + name + ".layer" + (l + 1), Layout.Packing.CONTIGUOUS, List.of(
                    new Layout.Entry("w", Shape.of(in, out), 0), new Layout.Entry("b", Shape.of(out), in * out)), p), g, true);
            c.params = new ParamSource.Generated(g, Layout.Packing.CONTIGUOUS);
            try {
                String tl = "layer" + (l + 1);
                h = Layers.dense(c, tl, h, out, true, l + 1 < sizes.size() ? act : "identity", null);
                c.summary.add(c.namespace + tl, "dense", h.type(), 0, p);
            } finally {
                c.params = saved;
            }
        }
        c.namespace = savedNs;
        return new Val.Tensor(h);
    }

    private static Init fanInUniform(long fanIn) {
        double r = 1 / Math.sqrt(fanIn);
        return new Init.Random(Init.Distribution.UNIFORM, -r, r);
    }

    static Span none() { return Span.NONE; }

    static Shape unused() { return Shape.SCALAR; }
}
