package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Graph;

/**
 * One graph-to-graph transformation. A pass is pure: it returns a new {@link Graph} and leaves its
 * argument untouched, so a {@link PassManager} can compare before and after to find a fixed point.
 *
 * <p>Passes never mint value ids. A rewritten node keeps the result values of the node it replaces,
 * and a removed node's uses are redirected to a value that already exists. That keeps ids unique across
 * a whole module (which the {@link dev.hyperc.compiler.ir.Verifier} demands) without a pass having to
 * know about the module's other graphs.
 */
public interface Pass {
    /** The name the verifier reports when this pass leaves broken IR behind. */
    String name();

    /** The transformed graph; scan bodies are transformed too where the pass makes sense inside them. */
    Graph run(Graph g);
}
