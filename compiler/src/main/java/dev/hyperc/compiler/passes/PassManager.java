package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Verifier;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs an ordered pipeline of passes over every graph of a module, repeating the whole pipeline until
 * it changes nothing (one pass often exposes work for another: folding leaves dead constants, CSE makes
 * two transposes adjacent) or until an iteration cap. The verifier runs after every pass, so a pass that
 * breaks SSA or a shape rule fails at once with a {@link Verifier.VerifyError} that names it; a pass that
 * throws is reported under its name as well.
 */
public final class PassManager {
    /** Generous: every model in models/ (forward graphs and full training steps) settles within two iterations. */
    public static final int DEFAULT_MAX_ITERATIONS = 10;

    private final List<Pass> passes;
    private final int maxIterations;
    private final Consumer<String> trace;

    public PassManager(List<Pass> passes) { this(passes, DEFAULT_MAX_ITERATIONS, line -> {}); }

    public PassManager(List<Pass> passes, int maxIterations, Consumer<String> trace) {
        if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be at least 1");
        this.passes = List.copyOf(passes);
        this.maxIterations = maxIterations;
        this.trace = trace;
    }

    /** Constant folding, algebraic simplification, CSE, then dead-code elimination to sweep what they orphaned. */
    public static PassManager standard() {
        return new PassManager(List.of(new ConstantFolding(), new AlgebraicSimplification(),
                new CommonSubexpressionElimination(), new DeadCodeElimination()));
    }

    /** The same pipeline, reporting {@code "pass NAME: N nodes → M nodes"} for every pass run (scan bodies counted). */
    public PassManager tracing(Consumer<String> trace) { return new PassManager(passes, maxIterations, trace); }

    public List<Pass> passes() { return passes; }

    public IrModule run(IrModule m) {
        // Blame broken input on whoever produced it, not on the first pass.
        Verifier.verify(m, "input to the pass pipeline");
        for (int i = 0; i < maxIterations; i++) {
            IrModule before = m;
            for (Pass p : passes) {
                int n0 = nodeCount(m);
                m = apply(p, m);
                Verifier.verify(m, p.name());
                trace.accept("pass " + p.name() + ": " + n0 + " nodes → " + nodeCount(m) + " nodes");
            }
            if (m.equals(before)) return m;
        }
        trace.accept("no fixed point after " + maxIterations + " iterations; stopping");
        return m;
    }

    private static IrModule apply(Pass p, IrModule m) {
        return new IrModule(m.model(), m.layouts(), m.graphs().stream().map(g -> {
            try {
                return p.run(g);
            } catch (RuntimeException e) {
                throw new IllegalStateException("pass '" + p.name() + "' failed on graph " + g.name() + ": " + e.getMessage(), e);
            }
        }).toList());
    }

    /** Nodes in a module, scan bodies included. */
    public static int nodeCount(IrModule m) {
        return m.graphs().stream().mapToInt(PassManager::nodeCount).sum();
    }

    public static int nodeCount(Graph g) {
        int n = 0;
        for (Node node : g.nodes()) n += 1 + (node.op() instanceof Op.Scan s ? nodeCount(s.body()) : 0);
        return n;
    }
}
