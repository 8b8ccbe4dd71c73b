package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.util.List;

/**
 * Developer tool: the compiled Adam update, as the scheduler emits it for edifice_mlp's generator head (three guarded
 * parts over 256 × 100,480), applied through {@link ElementwiseParts#rect} on 2 threads; prints ms per pass.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/test-classes:runtime/target/classes:compiler/target/classes:dsl/target/classes:ANTLR_JAR \
 *     dev.hyperc.runtime.cpu.EpilogueBench [blockColumns [blockRows]]
 * </pre>
 * (default: whole rows). A hand-written Vector API loop of the same update runs at ~8-9 ms on an AMD EPYC Zen 5.
 */
public final class EpilogueBench {
    public static void main(String[] args) {
        int rows = 256, cols = 100480;
        long[] shape = {rows, cols};
        float[][] bufs = new float[7][];
        for (int i = 0; i < 4; i++) bufs[i] = new float[rows * cols];
        for (int i = 4; i < 7; i++) bufs[i] = new float[] {i == 4 ? 1f : i == 5 ? 1e-3f : 1e-8f};
        java.util.Arrays.fill(bufs[2], 0.01f);
        java.util.Arrays.fill(bufs[3], 0.1f);
        for (int i = 0; i < bufs[0].length; i++) bufs[0][i] = (i % 7) * 0.01f;
        List<Kernel.Fused> parts = AdamParts.of(shape);
        ElementwiseParts epi = ElementwiseParts.epilogue(parts, ref -> Strided.of(bufs[ref.buffer()], 0, ref));
        System.out.println("compiled: " + epi.isCompiled());
        int blockCols = args.length > 0 ? Integer.parseInt(args[0]) : cols, blockRows = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        try (Parallel par = new Parallel(2)) {
            FusedLoop.Frame[] fr = {epi.newFrame(), epi.newFrame()};
            for (int round = 0; round < 40; round++) {
                long t0 = System.nanoTime();
                par.forChunks(rows, (t, s, e) -> {
                    for (int jc = 0; jc < cols; jc += blockCols) for (int ic = s; ic < e; ic += blockRows)
                        epi.rect(ic, Math.min(ic + blockRows, e), jc, Math.min(jc + blockCols, cols), fr[t], 1);
                });
                if (round % 5 == 4) System.out.printf("round %d: %.2f ms%n", round, (System.nanoTime() - t0) / 1e6);
            }
        }
    }
}
