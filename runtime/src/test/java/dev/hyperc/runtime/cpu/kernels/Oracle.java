package dev.hyperc.runtime.cpu.kernels;

import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.eval.ReferenceEvaluator;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one IR op on f32 data through the compiler's f64 {@link ReferenceEvaluator}: a one-node graph with an
 * input per operand. This makes the reference the project's own oracle, so kernel and IR semantics cannot drift.
 */
final class Oracle {
    private Oracle() {}

    /** The op applied to operands {@code data[i]} of shape {@code shapes[i]}; returns the result's elements. */
    static double[] run(Op op, int[][] shapes, float[]... data) {
        GraphBuilder b = new GraphBuilder("oracle", new GraphBuilder.IdCounter());
        List<Value> operands = new ArrayList<>();
        ReferenceEvaluator.Bindings bindings = new ReferenceEvaluator.Bindings(1);
        for (int i = 0; i < shapes.length; i++) {
            long[] dims = new long[shapes[i].length];
            for (int d = 0; d < dims.length; d++) dims[d] = shapes[i][d];
            operands.add(b.add(new Op.Input("in" + i, TensorType.f32(Shape.of(dims)))));
            double[] v = new double[data[i].length];
            for (int j = 0; j < v.length; j++) v[j] = data[i][j];
            bindings.input("in" + i, new DTensor(shapes[i].clone(), v));
        }
        b.output("out", b.add(op, operands), Graph.Role.RESULT);
        return ReferenceEvaluator.run(b.build(), bindings).get("out").data();
    }
}
