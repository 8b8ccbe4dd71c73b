package dev.hyperc.compiler.eval;

import static dev.hyperc.compiler.eval.EvalTesting.assertTensor;
import static dev.hyperc.compiler.eval.EvalTesting.batch;
import static dev.hyperc.compiler.eval.EvalTesting.d;
import static dev.hyperc.compiler.eval.EvalTesting.graph;
import static dev.hyperc.compiler.eval.EvalTesting.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.ir.Graph;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every op kind on small inputs whose results are worked out by hand in the comments. */
class ReferenceEvaluatorOpsTest {
    private static final double E = Math.E;

    // ---------------------------------------------------------------- leaves

    @Test
    void constFillsItsShapeAndInputsSubstituteB() {
        Graph g = graph("""
                  %0:f32[B,2] = input[name="x"]
                  %1:f32[B*2] = reshape[shape=[B*2]] %0
                  %2:f32[2,B] = const[value=1.5]
                  %3:f32[] = reduce_sum[axes=[0]] %1
                  output result flat = %1
                  output result c = %2
                  output result total = %3
                """);
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(3).input("x", DTensor.iota(3, 2)));
        assertTensor(shape(6), d(0, 1, 2, 3, 4, 5), out.get("flat"));
        assertTensor(shape(2, 3), d(1.5, 1.5, 1.5, 1.5, 1.5, 1.5), out.get("c"));
        assertTensor(shape(), d(15), out.get("total"));
    }

    // ---------------------------------------------------------------- elementwise

    @Test
    void unaryFunctions() {
        Graph g = graph("""
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = input[name="p"]
                  %2:f32[4] = neg %0
                  %3:f32[4] = exp %0
                  %4:f32[4] = log %1
                  %5:f32[4] = sqrt %1
                  %6:f32[4] = rsqrt %1
                  %7:f32[4] = tanh %0
                  %8:f32[4] = sigmoid %0
                  %9:f32[4] = relu %0
                  %10:f32[4] = abs %0
                  %11:f32[4] = square %0
                  %12:f32[4] = recip %1
                  %13:f32[4] = step %0
                  %14:f32[4] = leaky_relu[alpha=0.1] %0
                  output result neg = %2
                  output result exp = %3
                  output result log = %4
                  output result sqrt = %5
                  output result rsqrt = %6
                  output result tanh = %7
                  output result sigmoid = %8
                  output result relu = %9
                  output result abs = %10
                  output result square = %11
                  output result recip = %12
                  output result step = %13
                  output result leaky = %14
                """);
        // x = [-1, 0, 0.25, 4], p = [0.25, 1, 4, 16]
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("x", DTensor.vector(-1, 0, 0.25, 4)).input("p", DTensor.vector(0.25, 1, 4, 16)));
        int[] s = shape(4);
        assertTensor(s, d(1, 0, -0.25, -4), out.get("neg"));
        assertTensor(s, d(1 / E, 1, Math.exp(0.25), Math.exp(4)), out.get("exp"));
        assertTensor(s, d(-2 * Math.log(2), 0, 2 * Math.log(2), 4 * Math.log(2)), out.get("log"));
        assertTensor(s, d(0.5, 1, 2, 4), out.get("sqrt"));
        assertTensor(s, d(2, 1, 0.5, 0.25), out.get("rsqrt"));
        assertTensor(s, d(-(E - 1 / E) / (E + 1 / E), 0, Math.tanh(0.25), Math.tanh(4)), out.get("tanh"));
        assertTensor(s, d(1 / (1 + E), 0.5, 1 / (1 + Math.exp(-0.25)), 1 / (1 + Math.exp(-4))), out.get("sigmoid"));
        assertTensor(s, d(0, 0, 0.25, 4), out.get("relu"));
        assertTensor(s, d(1, 0, 0.25, 4), out.get("abs"));
        assertTensor(s, d(1, 0, 0.0625, 16), out.get("square"));
        assertTensor(s, d(4, 1, 0.25, 0.0625), out.get("recip"));
        assertTensor(s, d(0, 0, 1, 1), out.get("step")); // step(0) = 0: strictly x > 0
        assertTensor(s, d(-0.1, 0, 0.25, 4), out.get("leaky"));
    }

    @Test
    void binaryBroadcastsAndComparesToOneOrZero() {
        Graph g = graph("""
                  %0:f32[2,1] = input[name="a"]
                  %1:f32[3] = input[name="b"]
                  %2:f32[2,3] = add %0, %1
                  %3:f32[2,3] = sub %0, %1
                  %4:f32[2,3] = mul %0, %1
                  %5:f32[2,3] = div %0, %1
                  %6:f32[2,3] = max %0, %1
                  %7:f32[2,3] = min %0, %1
                  %8:f32[2,3] = pow %0, %1
                  %9:f32[2,3] = gt %0, %1
                  %10:f32[2,3] = ge %0, %1
                  %11:f32[2,3] = lt %0, %1
                  %12:f32[2,3] = le %0, %1
                  %13:f32[2,3] = eq %0, %1
                  output result add = %2
                  output result sub = %3
                  output result mul = %4
                  output result div = %5
                  output result max = %6
                  output result min = %7
                  output result pow = %8
                  output result gt = %9
                  output result ge = %10
                  output result lt = %11
                  output result le = %12
                  output result eq = %13
                """);
        // a = [[1], [2]] is repeated along columns, b = [1, 2, 3] along rows.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("a", DTensor.of(shape(2, 1), 1, 2)).input("b", DTensor.vector(1, 2, 3)));
        int[] s = shape(2, 3);
        assertTensor(s, d(2, 3, 4, 3, 4, 5), out.get("add"));
        assertTensor(s, d(0, -1, -2, 1, 0, -1), out.get("sub"));
        assertTensor(s, d(1, 2, 3, 2, 4, 6), out.get("mul"));
        assertTensor(s, d(1, 0.5, 1.0 / 3, 2, 1, 2.0 / 3), out.get("div"));
        assertTensor(s, d(1, 2, 3, 2, 2, 3), out.get("max"));
        assertTensor(s, d(1, 1, 1, 1, 2, 2), out.get("min"));
        assertTensor(s, d(1, 1, 1, 2, 4, 8), out.get("pow"));
        assertTensor(s, d(0, 0, 0, 1, 0, 0), out.get("gt"));
        assertTensor(s, d(1, 0, 0, 1, 1, 0), out.get("ge"));
        assertTensor(s, d(0, 1, 1, 0, 0, 1), out.get("lt"));
        assertTensor(s, d(1, 1, 1, 0, 1, 1), out.get("le"));
        assertTensor(s, d(1, 0, 0, 0, 1, 0), out.get("eq"));
    }

    @Test
    void broadcastTwoByOnePlusThree() {
        Graph g = graph("""
                  %0:f32[2,1] = input[name="a"]
                  %1:f32[3] = input[name="b"]
                  %2:f32[2,3] = add %0, %1
                  output result y = %2
                """);
        DTensor y = ReferenceEvaluator.run(g, batch(1).input("a", DTensor.of(shape(2, 1), 1, 2))
                .input("b", DTensor.vector(10, 20, 30))).get("y");
        assertTensor(shape(2, 3), d(11, 21, 31, 12, 22, 32), y);
    }

    @Test
    void comparisonsOfI32Operands() {
        Graph g = graph("""
                  %0:i32[B] = input[name="pred"]
                  %1:i32[B] = input[name="label"]
                  %2:f32[B] = eq %0, %1
                  %3:f32[] = reduce_mean[axes=[0]] %2
                  output metric acc = %3
                """);
        DTensor acc = ReferenceEvaluator.run(g, batch(4).input("pred", DTensor.vector(1, 2, 3, 4))
                .input("label", DTensor.vector(1, 0, 3, 0))).get("acc");
        assertTensor(shape(), d(0.5), acc);
    }

    @Test
    void selectCastAndStopGradient() {
        Graph g = graph("""
                  %0:f32[2,1] = input[name="c"]
                  %1:f32[3] = input[name="a"]
                  %2:f32[] = const[value=-1.0]
                  %3:f32[2,3] = select %0, %1, %2
                  %4:f32[4] = input[name="x"]
                  %5:i32[4] = cast[to=i32] %4
                  %6:f32[4] = cast[to=f32] %5
                  %7:f32[4] = stop_gradient %4
                  output result sel = %3
                  output result int = %5
                  output result back = %6
                  output result same = %7
                """);
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("c", DTensor.of(shape(2, 1), 1, 0))
                .input("a", DTensor.vector(1, 2, 3)).input("x", DTensor.vector(-1.7, -0.2, 0.5, 2.9)));
        assertTensor(shape(2, 3), d(1, 2, 3, -1, -1, -1), out.get("sel"));
        assertTensor(shape(4), d(-1, 0, 0, 2), out.get("int")); // truncation toward zero
        assertTensor(shape(4), d(-1, 0, 0, 2), out.get("back"));
        assertTensor(shape(4), d(-1.7, -0.2, 0.5, 2.9), out.get("same"));
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void reductions() {
        Graph g = graph("""
                  %0:f32[2,3] = input[name="x"]
                  %1:f32[3] = reduce_sum[axes=[0]] %0
                  %2:f32[2] = reduce_sum[axes=[1]] %0
                  %3:f32[] = reduce_mean[axes=[0,1]] %0
                  %4:f32[2] = reduce_max[axes=[1]] %0
                  %5:f32[3] = reduce_min[axes=[0]] %0
                  %6:f32[2,3] = reduce_sum[axes=[]] %0
                  %7:f32[2,3,4] = input[name="z"]
                  %8:f32[3] = reduce_mean[axes=[0,2]] %7
                  output result sum0 = %1
                  output result sum1 = %2
                  output result mean = %3
                  output result max1 = %4
                  output result min0 = %5
                  output result none = %6
                  output result mean02 = %8
                """);
        // x = [[0, 1, 2], [3, 4, 5]]; z[a,b,c] = 12a + 4b + c, whose mean over a and c is 6 + 4b + 1.5.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.iota(2, 3)).input("z", DTensor.iota(2, 3, 4)));
        assertTensor(shape(3), d(3, 5, 7), out.get("sum0"));
        assertTensor(shape(2), d(3, 12), out.get("sum1"));
        assertTensor(shape(), d(2.5), out.get("mean"));
        assertTensor(shape(2), d(2, 5), out.get("max1"));
        assertTensor(shape(3), d(0, 1, 2), out.get("min0"));
        assertTensor(shape(2, 3), d(0, 1, 2, 3, 4, 5), out.get("none"));
        assertTensor(shape(3), d(7.5, 11.5, 15.5), out.get("mean02"));
    }

    @Test
    void reduceMaxOfNegativeValues() {
        Graph g = graph("""
                  %0:f32[2,2] = input[name="x"]
                  %1:f32[2] = reduce_max[axes=[1]] %0
                  output result m = %1
                """);
        DTensor m = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.of(shape(2, 2), -5, -3, -7, -9))).get("m");
        assertTensor(shape(2), d(-3, -7), m);
    }

    @Test
    void argMaxTakesTheFirstMaximum() {
        Graph g = graph("""
                  %0:f32[2,4] = input[name="x"]
                  %1:i32[2] = argmax[axis=1] %0
                  %2:i32[4] = argmax[axis=0] %0
                  %3:i32[2] = argmax[axis=-1] %0
                  output result rows = %1
                  output result cols = %2
                  output result neg = %3
                """);
        // x = [[1, 3, 3, 0], [5, 5, 5, 5]]
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.of(shape(2, 4), 1, 3, 3, 0, 5, 5, 5, 5)));
        assertTensor(shape(2), d(1, 0), out.get("rows"));
        assertTensor(shape(4), d(1, 1, 1, 1), out.get("cols"));
        assertTensor(shape(2), d(1, 0), out.get("neg"));
    }

    @Test
    void logSumExpDoesNotOverflow() {
        Graph g = graph("""
                  %0:f32[3,2] = input[name="x"]
                  %1:f32[3] = logsumexp[axis=1] %0
                  %2:f32[2,2] = const[value=-Infinity]
                  %3:f32[2] = logsumexp[axis=0] %2
                  output result lse = %1
                  output result empty = %3
                """);
        // rows: [1000, 1000] → 1000 + ln 2; [0, ln 3] → ln(1 + 3); [-1000, -1000] → -1000 + ln 2.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("x", DTensor.of(shape(3, 2), 1000, 1000, 0, Math.log(3), -1000, -1000)));
        assertTensor(shape(3), d(1000 + Math.log(2), Math.log(4), -1000 + Math.log(2)), out.get("lse"));
        assertTensor(shape(2), d(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY), out.get("empty"));
    }

    // ---------------------------------------------------------------- linear algebra

    @Test
    void matMulTwoByThreeTimesThreeByTwo() {
        Graph g = graph("""
                  %0:f32[2,3] = input[name="a"]
                  %1:f32[3,2] = input[name="b"]
                  %2:f32[2,2] = matmul %0, %1
                  output result c = %2
                """);
        // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]] = [[58, 64], [139, 154]]
        DTensor c = ReferenceEvaluator.run(g, batch(1).input("a", DTensor.of(shape(2, 3), 1, 2, 3, 4, 5, 6))
                .input("b", DTensor.of(shape(3, 2), 7, 8, 9, 10, 11, 12))).get("c");
        assertTensor(shape(2, 2), d(58, 64, 139, 154), c);
    }

    @Test
    void matMulBroadcastsBatchDimensions() {
        Graph g = graph("""
                  %0:f32[1,2,2] = input[name="a"]
                  %1:f32[3,2,1] = input[name="b"]
                  %2:f32[3,2,1] = matmul %0, %1
                  %3:f32[B,1,2] = input[name="c"]
                  %4:f32[2,2] = input[name="w"]
                  %5:f32[B,1,2] = matmul %3, %4
                  output result ab = %2
                  output result cw = %5
                """);
        // a = [[1,2],[3,4]] against b[t] = [[t],[1]]: [[t + 2], [3t + 4]].
        // c[0] = [[1,2]], c[1] = [[3,4]] against w = [[1,0],[1,1]]: [[3,2]], [[7,4]].
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(2)
                .input("a", DTensor.of(shape(1, 2, 2), 1, 2, 3, 4))
                .input("b", DTensor.of(shape(3, 2, 1), 0, 1, 1, 1, 2, 1))
                .input("c", DTensor.of(shape(2, 1, 2), 1, 2, 3, 4))
                .input("w", DTensor.of(shape(2, 2), 1, 0, 1, 1)));
        assertTensor(shape(3, 2, 1), d(2, 4, 3, 7, 4, 10), out.get("ab"));
        assertTensor(shape(2, 1, 2), d(3, 2, 7, 4), out.get("cw"));
    }

    /** x = [[1,2,3],[4,5,6],[7,8,9]], k = [[1,2],[3,4]], stride 2, padding 1 on every side. */
    private static final String CONV = """
              %0:f32[1,1,3,3] = input[name="x"]
              %1:f32[1,1,2,2] = input[name="k"]
              %2:f32[1,1,2,2] = conv2d[stride=[2,2], padding=[1,1,1,1]] %0, %1
              %3:f32[1,1,2,2] = input[name="dy"]
              %4:f32[1,1,3,3] = conv2d_grad_input[stride=[2,2], padding=[1,1,1,1], input_shape=[1,1,3,3]] %3, %1
              %5:f32[1,1,2,2] = conv2d_grad_kernel[stride=[2,2], padding=[1,1,1,1], kernel_shape=[1,1,2,2]] %0, %3
              output result y = %2
              output result dx = %4
              output result dk = %5
            """;

    @Test
    void convWithStrideAndPaddingAndItsGradients() {
        Map<String, DTensor> out = ReferenceEvaluator.run(graph(CONV), batch(1)
                .input("x", DTensor.of(shape(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9))
                .input("k", DTensor.of(shape(1, 1, 2, 2), 1, 2, 3, 4))
                .input("dy", DTensor.of(shape(1, 1, 2, 2), 1, 0, 0, 1)));
        // Output (i, j) sees padded rows 2i-1 .. 2i and columns 2j-1 .. 2j:
        // (0,0): 1·4 = 4; (0,1): 2·3 + 3·4 = 18; (1,0): 4·2 + 7·4 = 36; (1,1): 5·1 + 6·2 + 8·3 + 9·4 = 77.
        assertTensor(shape(1, 1, 2, 2), d(4, 18, 36, 77), out.get("y"));
        // dy at (0,0) puts k[1][1] = 4 on x[0][0]; dy at (1,1) puts the whole kernel on x[1..2][1..2].
        assertTensor(shape(1, 1, 3, 3), d(4, 0, 0, 0, 1, 2, 0, 3, 4), out.get("dx"));
        // dk[p][q] = x[p-1][q-1] + x[p+1][q+1] (zero outside): [[0+5, 0+6], [0+8, 1+9]].
        assertTensor(shape(1, 1, 2, 2), d(5, 6, 8, 10), out.get("dk"));
        // ⟨y, dy⟩ = ⟨x, dx⟩ = ⟨k, dk⟩ = 81
        assertEquals(81, out.get("y").dot(DTensor.of(shape(1, 1, 2, 2), 1, 0, 0, 1)));
    }

    @Test
    void groupedConvUsesKernelGForGroupG() {
        Graph g = graph("""
                  %0:f32[2,1,1,2,2] = input[name="x"]
                  %1:f32[2,1,1,1,1] = input[name="k"]
                  %2:f32[2,1,1,2,2] = conv2d[stride=[1,1], padding=[0,0,0,0]] %0, %1
                  output result y = %2
                """);
        DTensor y = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.of(shape(2, 1, 1, 2, 2), 0, 1, 2, 3, 1, 1, 1, 1))
                .input("k", DTensor.of(shape(2, 1, 1, 1, 1), 2, 3))).get("y");
        assertTensor(shape(2, 1, 1, 2, 2), d(0, 2, 4, 6, 3, 3, 3, 3), y);
    }

    // ---------------------------------------------------------------- pooling

    @Test
    void maxPoolWithTiesAndItsGradient() {
        Graph g = graph("""
                  %0:f32[1,3,3] = input[name="x"]
                  %1:f32[1,2,2] = max_pool2d[window=[2,2], stride=[1,1], padding=[0,0,0,0]] %0
                  %2:f32[1,2,2] = input[name="dy"]
                  %3:f32[1,3,3] = max_pool2d_grad[window=[2,2], stride=[1,1], padding=[0,0,0,0]] %0, %2
                  output result y = %1
                  output result dx = %3
                """);
        // x = [[1,5,5],[2,0,3],[4,4,1]]: the windows' maxima are 5 (at [0][1]), 5 (tie: first is [0][1]),
        // 4 (tie: first is [2][0]) and 4 (at [2][1]).
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("x", DTensor.of(shape(1, 3, 3), 1, 5, 5, 2, 0, 3, 4, 4, 1))
                .input("dy", DTensor.of(shape(1, 2, 2), 1, 10, 100, 1000)));
        assertTensor(shape(1, 2, 2), d(5, 5, 4, 4), out.get("y"));
        assertTensor(shape(1, 3, 3), d(0, 11, 0, 0, 0, 0, 100, 1000, 0), out.get("dx"));
    }

    @Test
    void poolingWithPaddingCountsOnlyInBoundsElements() {
        Graph g = graph("""
                  %0:f32[1,1,2,2] = input[name="x"]
                  %1:f32[1,1,2,2] = avg_pool2d[window=[2,2], stride=[1,1], padding=[1,0,1,0]] %0
                  %2:f32[1,1,2,2] = max_pool2d[window=[2,2], stride=[1,1], padding=[1,0,1,0]] %0
                  %3:f32[1,1,2,2] = neg %0
                  %4:f32[1,1,2,2] = max_pool2d[window=[2,2], stride=[1,1], padding=[1,0,1,0]] %3
                  %5:f32[1,1,2,2] = const[value=1.0]
                  %6:f32[1,1,2,2] = avg_pool2d_grad[window=[2,2], stride=[1,1], padding=[1,0,1,0]] %0, %5
                  output result avg = %1
                  output result max = %2
                  output result maxneg = %4
                  output result davg = %6
                """);
        // x = [[1,2],[3,4]] padded by one row on top and one column on the left; windows 2×2, stride 1.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.of(shape(1, 1, 2, 2), 1, 2, 3, 4)));
        // (0,0) sees {1}; (0,1) sees {1,2}; (1,0) sees {1,3}; (1,1) sees all four.
        assertTensor(shape(1, 1, 2, 2), d(1, 1.5, 2, 2.5), out.get("avg"));
        assertTensor(shape(1, 1, 2, 2), d(1, 2, 3, 4), out.get("max"));
        // With negative values the padding (which would be 0) must never win.
        assertTensor(shape(1, 1, 2, 2), d(-1, -1, -1, -1), out.get("maxneg"));
        // x[0][0] is in all four windows (counts 1, 2, 2, 4), x[0][1] in two (2, 4), x[1][0] in two (2, 4), x[1][1] in one (4).
        assertTensor(shape(1, 1, 2, 2), d(1 + 0.5 + 0.5 + 0.25, 0.5 + 0.25, 0.5 + 0.25, 0.25), out.get("davg"));
    }

    // ---------------------------------------------------------------- indexing

    @Test
    void gatherAndScatterAddWithRepeatedIds() {
        Graph g = graph("""
                  %0:f32[4,2] = input[name="table"]
                  %1:i32[2,2] = input[name="ids"]
                  %2:f32[2,2,2] = gather %0, %1
                  %3:i32[] = input[name="one"]
                  %4:f32[2] = gather %0, %3
                  %5:i32[3] = input[name="sids"]
                  %6:f32[3,2] = input[name="upd"]
                  %7:f32[4,2] = scatter_add[rows=4] %5, %6
                  output result rows = %2
                  output result row = %4
                  output result sums = %7
                """);
        // table = [[0,1],[2,3],[4,5],[6,7]]
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("table", DTensor.iota(4, 2)).input("ids", DTensor.of(shape(2, 2), 3, 0, 3, 1))
                .input("one", DTensor.scalar(2))
                .input("sids", DTensor.vector(1, 3, 1)).input("upd", DTensor.of(shape(3, 2), 1, 2, 10, 20, 100, 200)));
        assertTensor(shape(2, 2, 2), d(6, 7, 0, 1, 6, 7, 2, 3), out.get("rows"));
        assertTensor(shape(2), d(4, 5), out.get("row"));
        assertTensor(shape(4, 2), d(0, 0, 101, 202, 0, 0, 10, 20), out.get("sums"));
    }

    @Test
    void oneHotAndIdsOutOfRange() {
        Graph g = graph("""
                  %0:i32[3] = input[name="ids"]
                  %1:f32[3,3] = one_hot[depth=3] %0
                  output result y = %1
                """);
        DTensor y = ReferenceEvaluator.run(g, batch(1).input("ids", DTensor.vector(2, 0, 2))).get("y");
        assertTensor(shape(3, 3), d(0, 0, 1, 1, 0, 0, 0, 0, 1), y);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(g, batch(1).input("ids", DTensor.vector(2, 3, 0))));
        assertTrue(e.getMessage().contains("one_hot") && e.getMessage().contains("3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReferenceEvaluator.run(g, batch(1).input("ids", DTensor.vector(-1, 0, 0))));

        Graph gather = graph("""
                  %0:f32[2,2] = input[name="t"]
                  %1:i32[1] = input[name="ids"]
                  %2:f32[1,2] = gather %0, %1
                  output result y = %2
                """);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> ReferenceEvaluator.run(gather, batch(1).input("t", DTensor.zeros(2, 2)).input("ids", DTensor.vector(2))));
        assertTrue(e2.getMessage().contains("gather"), e2.getMessage());
    }

    // ---------------------------------------------------------------- views and structure

    @Test
    void viewsAndStructure() {
        Graph g = graph("""
                  %0:f32[2,3] = input[name="x"]
                  %1:f32[3,2] = reshape[shape=[3,2]] %0
                  %2:f32[3,2] = transpose[perm=[1,0]] %0
                  %3:f32[2,5] = input[name="w"]
                  %4:f32[2,2] = slice[axis=1, start=1, end=5, step=2] %3
                  %5:f32[3] = input[name="v"]
                  %6:f32[2,3] = broadcast[shape=[2,3]] %5
                  %7:f32[2,1] = input[name="col"]
                  %8:f32[2,3] = broadcast[shape=[2,3]] %7
                  %9:f32[2,4] = concat[axis=1] %7, %0
                  %10:f32[2] = input[name="s"]
                  %11:f32[5] = unslice[axis=0, start=1, step=2, size=5] %10
                  %12:f32[2,3,4] = input[name="z"]
                  %13:f32[4,2,3] = transpose[perm=[2,0,1]] %12
                  %14:f32[4,3] = concat[axis=-2] %0, %8
                  output result reshaped = %1
                  output result transposed = %2
                  output result sliced = %4
                  output result row = %6
                  output result col = %8
                  output result joined = %9
                  output result unsliced = %11
                  output result perm = %13
                  output result rows = %14
                """);
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("x", DTensor.iota(2, 3)).input("w", DTensor.iota(2, 5))
                .input("v", DTensor.vector(1, 2, 3)).input("col", DTensor.of(shape(2, 1), 7, 8))
                .input("s", DTensor.vector(10, 20)).input("z", DTensor.iota(2, 3, 4)));
        assertTensor(shape(3, 2), d(0, 1, 2, 3, 4, 5), out.get("reshaped"));
        assertTensor(shape(3, 2), d(0, 3, 1, 4, 2, 5), out.get("transposed"));
        assertTensor(shape(2, 2), d(1, 3, 6, 8), out.get("sliced")); // columns 1 and 3 of [[0..4],[5..9]]
        assertTensor(shape(2, 3), d(1, 2, 3, 1, 2, 3), out.get("row"));
        assertTensor(shape(2, 3), d(7, 7, 7, 8, 8, 8), out.get("col"));
        assertTensor(shape(2, 4), d(7, 0, 1, 2, 8, 3, 4, 5), out.get("joined"));
        assertTensor(shape(5), d(0, 10, 0, 20, 0), out.get("unsliced"));
        // perm[i] = operand axis of result axis i: out[i,j,k] = z[j,k,i] = 12j + 4k + i.
        DTensor perm = out.get("perm");
        assertEquals(12 + 8 + 3, perm.get(3, 1, 2));
        assertEquals(4 + 1, perm.get(1, 0, 1));
        assertTensor(shape(4, 3), d(0, 1, 2, 3, 4, 5, 7, 7, 7, 8, 8, 8), out.get("rows"));
    }

    // ---------------------------------------------------------------- entropy estimation

    @Test
    void distancesAndNearestNeighbourGradient() {
        Graph g = graph("""
                  %0:f32[3,2] = input[name="x"]
                  %1:f32[3,3] = pairwise_dist %0
                  %2:f32[3] = nn_dist %0
                  %3:f32[3] = input[name="dy"]
                  %4:f32[3,2] = nn_dist_grad %0, %3
                  output result d = %1
                  output result nn = %2
                  output result dx = %4
                """);
        // Rows (0,0), (3,4), (6,8): neighbours are 5 apart. Row 1 ties between rows 0 and 2: the first (0) wins.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1)
                .input("x", DTensor.of(shape(3, 2), 0, 0, 3, 4, 6, 8)).input("dy", DTensor.vector(1, 10, 100)));
        assertTensor(shape(3, 3), d(0, 5, 10, 5, 0, 5, 10, 5, 0), out.get("d"));
        assertTensor(shape(3), d(5, 5, 5), out.get("nn"));
        // row 0 → 1: u = (x0 − x1)/5 = (−0.6, −0.8), dy 1:   dx0 += u,    dx1 −= u
        // row 1 → 0: u = (0.6, 0.8),               dy 10:  dx1 += 10u,  dx0 −= 10u
        // row 2 → 1: u = (0.6, 0.8),               dy 100: dx2 += 100u, dx1 −= 100u
        assertTensor(shape(3, 2), d(-0.6 - 6, -0.8 - 8, 0.6 + 6 - 60, 0.8 + 8 - 80, 60, 80), out.get("dx"));
    }

    // ---------------------------------------------------------------- recurrence

    @Test
    void scanComputesRunningSumAndProduct() {
        Graph g = graph("""
                  %0:f32[B] = input[name="s0"]
                  %1:f32[B] = input[name="p0"]
                  %2:f32[4,B] = input[name="xs"]
                  %3:f32[] = input[name="w"]
                  %4:f32[B], %5:f32[B], %6:f32[4,B], %7:f32[4,B], %8:f32[4,B] = scan[carries=2, sequences=1, reverse=false] %0, %1, %2, %3 {
                    (%9:f32[B], %10:f32[B], %11:f32[B], %12:f32[])
                    %13:f32[B] = add %9, %11
                    %14:f32[B] = mul %10, %11
                    %15:f32[B] = add %13, %12
                    yield s = %13, p = %14, sums = %13, prods = %14, shifted = %15
                  }
                  output result s = %4
                  output result p = %5
                  output result sums = %6
                  output result prods = %7
                  output result shifted = %8
                """);
        // Two independent sequences (one per batch column): 1, 2, 3, 4 and 2, 2, 2, 2.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(2)
                .input("s0", DTensor.vector(0, 0)).input("p0", DTensor.vector(1, 1))
                .input("xs", DTensor.of(shape(4, 2), 1, 2, 2, 2, 3, 2, 4, 2)).input("w", DTensor.scalar(100)));
        assertTensor(shape(2), d(10, 8), out.get("s"));
        assertTensor(shape(2), d(24, 16), out.get("p"));
        assertTensor(shape(4, 2), d(1, 2, 3, 4, 6, 6, 10, 8), out.get("sums"));
        assertTensor(shape(4, 2), d(1, 2, 2, 4, 6, 8, 24, 16), out.get("prods"));
        assertTensor(shape(4, 2), d(101, 102, 103, 104, 106, 106, 110, 108), out.get("shifted"));
    }

    @Test
    void reverseScanRunsBackwardsButStoresStepTAtIndexT() {
        Graph g = graph("""
                  %0:f32[] = input[name="s0"]
                  %1:f32[4] = input[name="xs"]
                  %2:f32[], %3:f32[4] = scan[carries=1, sequences=1, reverse=true] %0, %1 {
                    (%4:f32[], %5:f32[])
                    %6:f32[] = add %4, %5
                    yield s = %6, sums = %6
                  }
                  output result s = %2
                  output result sums = %3
                """);
        // xs = 1, 2, 3, 4 visited as 4, 3, 2, 1: suffix sums 10, 9, 7, 4 stored at the step's own index.
        Map<String, DTensor> out = ReferenceEvaluator.run(g, batch(1).input("s0", DTensor.scalar(0)).input("xs", DTensor.vector(1, 2, 3, 4)));
        assertTensor(shape(), d(10), out.get("s"));
        assertTensor(shape(4), d(10, 9, 7, 4), out.get("sums"));
    }
}
