package dev.hyperc.compiler.passes;

import static dev.hyperc.compiler.passes.PassTesting.check;
import static dev.hyperc.compiler.passes.PassTesting.unchanged;

import dev.hyperc.compiler.ir.Graph;
import org.junit.jupiter.api.Test;

class GeneratedWeightContractionTest {
    private final Pass pass = new Pass() {
        @Override
        public String name() { return "generated-weight-contraction"; }

        @Override
        public Graph run(Graph g) { return GeneratedWeightContraction.run(g); }
    };

    /** A head h·G + g generating [3, 2] weights and a bias of 2 per sample, applied to one input row each. */
    private static String head(String x, String extra) {
        return """
                graph g {
                  %0:f32[B,3] = input[name="x"]
                  %1:f32[B,4] = input[name="h"]
                  %2:f32[4,8] = param[name="G", init=zeros]
                  %3:f32[8] = param[name="g", init=zeros]
                  %4:f32[3,3] = param[name="u", init=zeros]
                  %5:f32[B,8] = matmul %1, %2 @2:1
                  %6:f32[B,8] = add %5, %3 @2:1
                  %7:f32[B,6] = slice[axis=1, start=0, end=6, step=1] %6 @3:1
                  %8:f32[B,3,2] = reshape[shape=[B,3,2]] %7 @3:1
                  %9:f32[B,2] = slice[axis=1, start=6, end=8, step=1] %6 @4:1
                """ + x + """
                  %11:f32[B,1,2] = matmul %10, %8 @5:1
                  %12:f32[B,2] = reshape[shape=[B,2]] %11
                  %13:f32[B,2] = add %12, %9
                  output result y = %13
                """ + extra + "}\n";
    }

    private static final String ROWS = "  %10:f32[B,1,3] = reshape[shape=[B,1,3]] %0\n";

    @Test
    void perSampleWeightsAppliedToDataAreContractedThroughTheHead() {
        check(pass, head(ROWS, ""), """
                graph g {
                  %0:f32[B,3] = input[name="x"]
                  %1:f32[B,4] = input[name="h"]
                  %2:f32[4,8] = param[name="G", init=zeros]
                  %3:f32[8] = param[name="g", init=zeros]
                  %4:f32[3,3] = param[name="u", init=zeros]
                  %14:f32[4,2] = slice[axis=1, start=6, end=8, step=1] %2 @4:1
                  %15:f32[B,2] = matmul %1, %14 @4:1
                  %16:f32[2] = slice[axis=0, start=6, end=8, step=1] %3 @4:1
                  %9:f32[B,2] = add %15, %16 @4:1
                  %10:f32[B,1,3] = reshape[shape=[B,1,3]] %0
                  %17:f32[B,3] = reshape[shape=[B,3]] %10 @5:1
                  %18:f32[4,6] = slice[axis=1, start=0, end=6, step=1] %2 @5:1
                  %19:f32[4,3,2] = reshape[shape=[4,3,2]] %18 @5:1
                  %20:f32[4,B,2] = matmul %17, %19 @5:1
                  %21:f32[B,4,2] = transpose[perm=[1,0,2]] %20 @5:1
                  %22:f32[B,1,4] = reshape[shape=[B,1,4]] %1 @5:1
                  %23:f32[B,1,2] = matmul %22, %21 @5:1
                  %24:f32[6] = slice[axis=0, start=0, end=6, step=1] %3 @5:1
                  %25:f32[3,2] = reshape[shape=[3,2]] %24 @5:1
                  %26:f32[B,2] = matmul %17, %25 @5:1
                  %27:f32[B,1,2] = reshape[shape=[B,1,2]] %26 @5:1
                  %11:f32[B,1,2] = add %23, %27 @5:1
                  %12:f32[B,2] = reshape[shape=[B,2]] %11
                  %13:f32[B,2] = add %12, %9
                  output result y = %13
                }
                """);
    }

    @Test
    void rowsComputedFromParametersKeepTheGeneratedWeights() {
        // dx would need x·G_cᵀ for every c: as many products as through the weights, and more memory.
        unchanged(pass, head("""
                  %30:f32[B,3] = matmul %0, %4
                  %10:f32[B,1,3] = reshape[shape=[B,1,3]] %30
                """, ""));
    }

    @Test
    void generatedWeightsReadElsewhereAreKept() {
        unchanged(pass, head(ROWS, "  output result weights = %6\n"));
        unchanged(pass, head(ROWS, "  output result block = %8\n"));
        unchanged(pass, head(ROWS, "  %31:f32[B,6] = tanh %7\n  output result t = %31\n"));
    }

    @Test
    void severalRowsPerSampleKeepTheGeneratedWeights() {
        // With M rows a sample, the contracted forward product costs M times the generated one.
        unchanged(pass, """
                graph g {
                  %0:f32[B,2,3] = input[name="x"]
                  %1:f32[B,4] = input[name="h"]
                  %2:f32[4,6] = param[name="G", init=zeros]
                  %5:f32[B,6] = matmul %1, %2
                  %7:f32[B,6] = slice[axis=1, start=0, end=6, step=1] %5
                  %8:f32[B,3,2] = reshape[shape=[B,3,2]] %7
                  %11:f32[B,2,2] = matmul %0, %8
                  output result y = %11
                }
                """);
    }
}
