package dev.hyperc.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The NaN diagnosis on a compiled group whose temporary is left unstored: the check must still see the temporary
 * and name the op that produced the first non-finite value, not a later part that inherited it.
 */
class RunCheckedTest {
    @Test
    void aNonFiniteValueInAnUnstoredTemporaryIsNamedByItsOwnOp() {
        int n = 20_000; // compiled: over SpanCompiler.MIN_ELEMENTS
        long[] shape = {n};
        List<Buffer> buffers = List.of(
                new Buffer(0, n, Buffer.Kind.INPUT, "x", -1), new Buffer(1, n, Buffer.Kind.INPUT, "y", -1),
                new Buffer(2, n, Buffer.Kind.TEMP, "t", 0), new Buffer(3, n, Buffer.Kind.STATE, "m", -1),
                new Buffer(4, n, Buffer.Kind.PARAM, "p", -1));
        BufferRef x = BufferRef.contiguous(0, 0, shape), y = BufferRef.contiguous(1, 0, shape), t = BufferRef.contiguous(2, 0, shape);
        BufferRef m = BufferRef.contiguous(3, 0, shape), p = BufferRef.contiguous(4, 0, shape);
        // t = x / y (line 3, dead after the group); m = 0.9 m + t (line 4); p = p − m · t (line 5)
        Kernel.FusedGroup group = new Kernel.FusedGroup(List.of(
                new Kernel.Fused(t, new Expr.Binary(Op.BinaryFn.DIV, new Expr.Load(x), new Expr.Load(y)), new Origin(3, 7)),
                new Kernel.Fused(m, new Expr.Binary(Op.BinaryFn.ADD, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(m), new Expr.Scalar(0.9)),
                        new Expr.Load(t)), new Origin(4, 7)),
                new Kernel.Fused(p, new Expr.Binary(Op.BinaryFn.SUB, new Expr.Load(p), new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(m),
                        new Expr.Load(t))), new Origin(5, 7))), new Origin(3, 7));
        Schedule s = new Schedule(buffers, List.of(group), Map.of("x", x, "y", y), Map.of("p", p), Map.of("m", m), Map.of(), Map.of(),
                List.of(), List.of(), n, 1, Map.of(), Map.of());
        float[] xs = new float[n], ys = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = 1f + i % 7;
            ys[i] = 2f + i % 5;
        }
        Map<String, float[]> params = new HashMap<>(), states = new HashMap<>();
        try (Parallel pool = new Parallel(2)) {
            CpuExecutor ex = new CpuExecutor(s, params, states, pool);
            ex.write(x, xs);
            ex.write(y, ys);
            java.util.Arrays.fill(ex.array(t), 42f);
            ex.run(0);
            assertEquals(42f, ex.read(t)[0], "the group left its dead temporary unstored (else this test checks nothing)");
            ex.runChecked(1); // all finite: no error, and now t is stored
            assertEquals(xs[5] / ys[5], ex.read(t)[5]);

            xs[n - 3] = 0f;
            ys[n - 3] = 0f; // 0 / 0 at one element: NaN in t, and from t in m and p
            ex.write(x, xs);
            ex.write(y, ys);
            var e = assertThrows(CpuExecutor.NonFiniteError.class, () -> ex.runChecked(2));
            assertEquals(3, e.origin.line(), "the op that produced the NaN (t = x / y), not a part that read it: " + e.getMessage());
        }
    }
}
