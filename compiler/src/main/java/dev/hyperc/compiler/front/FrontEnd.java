package dev.hyperc.compiler.front;

import dev.hyperc.dsl.Diagnostics;
import dev.hyperc.dsl.ast.ModelFile;

/** Public door into the front end: name resolution, shape inference and lowering. */
public final class FrontEnd {
    private FrontEnd() {}

    /** Returns null when errors were reported. */
    public static CompiledModel lower(ModelFile file, Diagnostics diags) {
        return new Lowering(file, diags).run();
    }
}
