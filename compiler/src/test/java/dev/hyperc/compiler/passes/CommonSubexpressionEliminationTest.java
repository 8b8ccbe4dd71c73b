package dev.hyperc.compiler.passes;

import static dev.hyperc.compiler.passes.PassTesting.check;
import static dev.hyperc.compiler.passes.PassTesting.unchanged;

import org.junit.jupiter.api.Test;

class CommonSubexpressionEliminationTest {
    private final Pass pass = new CommonSubexpressionElimination();

    @Test
    void mergesTwoIdenticalMatmulsAndWhatDependsOnThem() {
        check(pass, """
                graph g {
                  %0:f32[B,4] = input[name="x"]
                  %1:f32[4,8] = param[name="w", init=glorot(4, 8)]
                  %2:f32[B,8] = matmul %0, %1 @3:1
                  %3:f32[B,8] = matmul %0, %1 @9:1
                  %4:f32[B,8] = tanh %2
                  %5:f32[B,8] = tanh %3
                  %6:f32[B,8] = sub %4, %5
                  output result y = %6
                  output result z = %5
                }
                """, """
                graph g {
                  %0:f32[B,4] = input[name="x"]
                  %1:f32[4,8] = param[name="w", init=glorot(4, 8)]
                  %2:f32[B,8] = matmul %0, %1 @3:1
                  %4:f32[B,8] = tanh %2
                  %6:f32[B,8] = sub %4, %4
                  output result y = %6
                  output result z = %4
                }
                """);
    }

    @Test
    void mergesDuplicateLeavesByNameAndType() {
        check(pass, """
                graph g {
                  %0:f32[4,8] = param[name="w", init=glorot(4, 8)]
                  %1:f32[4,8] = param[name="w", init=glorot(4, 8)]
                  %2:f32[4,8] = param[name="v", init=glorot(4, 8)]
                  %3:f32[B,4] = input[name="x"]
                  %4:f32[B,4] = input[name="x"]
                  %5:f32[8] = state[name="s", init=zeros]
                  %6:f32[8] = state[name="s", init=zeros]
                  %7:f32[] = const[value=0.5]
                  %8:f32[] = const[value=0.5]
                  %9:f32[] = const[value=-0.5]
                  %10:f32[B,8] = matmul %3, %0
                  %11:f32[B,8] = matmul %4, %1
                  %12:f32[B,8] = matmul %3, %2
                  %13:f32[8] = add %5, %6
                  %14:f32[] = add %7, %8
                  %15:f32[] = add %9, %7
                  output result a = %10
                  output result b = %11
                  output result c = %12
                  output result d = %13
                  output result e = %14
                  output result f = %15
                }
                """, """
                graph g {
                  %0:f32[4,8] = param[name="w", init=glorot(4, 8)]
                  %2:f32[4,8] = param[name="v", init=glorot(4, 8)]
                  %3:f32[B,4] = input[name="x"]
                  %5:f32[8] = state[name="s", init=zeros]
                  %7:f32[] = const[value=0.5]
                  %9:f32[] = const[value=-0.5]
                  %10:f32[B,8] = matmul %3, %0
                  %12:f32[B,8] = matmul %3, %2
                  %13:f32[8] = add %5, %5
                  %14:f32[] = add %7, %7
                  %15:f32[] = add %9, %7
                  output result a = %10
                  output result b = %10
                  output result c = %12
                  output result d = %13
                  output result e = %14
                  output result f = %15
                }
                """);
    }

    @Test
    void neverMergesNoiseNodes() {
        unchanged(pass, """
                graph g {
                  %0:f32[B,4] = noise[dist=normal, a=0.0, b=1.0]
                  %1:f32[B,4] = noise[dist=normal, a=0.0, b=1.0]
                  %2:f32[B,4] = sub %0, %1
                  output result y = %2
                }
                """);
    }

    @Test
    void commutativeOperandsMatchInEitherOrderButOthersDoNot() {
        check(pass, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = input[name="y"]
                  %2:f32[4] = add %0, %1
                  %3:f32[4] = add %1, %0
                  %4:f32[4] = mul %1, %0
                  %5:f32[4] = mul %0, %1
                  %6:f32[4] = sub %0, %1
                  %7:f32[4] = sub %1, %0
                  %8:f32[4] = max %0, %1
                  %9:f32[4] = max %1, %0
                  %11:f32[16] = concat[axis=0] %2, %3, %4, %5
                  output result a = %11
                  output result b = %6
                  output result c = %7
                  output result d = %8
                  output result e = %9
                }
                """, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = input[name="y"]
                  %2:f32[4] = add %0, %1
                  %4:f32[4] = mul %1, %0
                  %6:f32[4] = sub %0, %1
                  %7:f32[4] = sub %1, %0
                  %8:f32[4] = max %0, %1
                  %9:f32[4] = max %1, %0
                  %11:f32[16] = concat[axis=0] %2, %2, %4, %4
                  output result a = %11
                  output result b = %6
                  output result c = %7
                  output result d = %8
                  output result e = %9
                }
                """);
    }

    @Test
    void attributesTakePartInTheComparison() {
        check(pass, """
                graph g {
                  %0:f32[3,4] = input[name="x"]
                  %1:f32[4,3] = transpose[perm=[1,0]] %0
                  %2:f32[4,3] = transpose[perm=[1,0]] %0
                  %3:f32[3] = reduce_sum[axes=[1]] %0
                  %4:f32[4] = reduce_sum[axes=[0]] %0
                  %5:f32[4] = reduce_mean[axes=[0]] %0
                  %6:f32[3] = reduce_sum[axes=[1]] %0
                  output result a = %2
                  output result b = %3
                  output result c = %4
                  output result d = %5
                  output result e = %6
                }
                """, """
                graph g {
                  %0:f32[3,4] = input[name="x"]
                  %1:f32[4,3] = transpose[perm=[1,0]] %0
                  %3:f32[3] = reduce_sum[axes=[1]] %0
                  %4:f32[4] = reduce_sum[axes=[0]] %0
                  %5:f32[4] = reduce_mean[axes=[0]] %0
                  output result a = %1
                  output result b = %3
                  output result c = %4
                  output result d = %5
                  output result e = %3
                }
                """);
    }

    @Test
    void scansAreNotMergedButTheirBodiesAndRepeatedCapturesAre() {
        check(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = param[name="w", init=zeros]
                  %2:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0, %1, %1 {
                    (%3:f32[3], %4:f32[3], %5:f32[3])
                    %6:f32[3] = mul %3, %4
                    %7:f32[3] = mul %3, %5
                    %8:f32[3] = add %6, %7
                    yield out = %8
                  }
                  %9:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0, %1, %1 {
                    (%10:f32[3], %11:f32[3], %12:f32[3])
                    %13:f32[3] = mul %10, %11
                    yield out = %13
                  }
                  output result a = %2
                  output result b = %9
                }
                """, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = param[name="w", init=zeros]
                  %2:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0, %1, %1 {
                    (%3:f32[3], %4:f32[3], %5:f32[3])
                    %6:f32[3] = mul %3, %4
                    %8:f32[3] = add %6, %6
                    yield out = %8
                  }
                  %9:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0, %1, %1 {
                    (%10:f32[3], %11:f32[3], %12:f32[3])
                    %13:f32[3] = mul %10, %11
                    yield out = %13
                  }
                  output result a = %2
                  output result b = %9
                }
                """);
    }
}
