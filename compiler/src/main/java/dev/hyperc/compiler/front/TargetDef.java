package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.dsl.ast.Decl;

/** A declared target network with its computed parameter layout. */
record TargetDef(String name, Decl.Target decl, TensorType example, Layout layout) {
    long size() { return layout.size(); }
}
