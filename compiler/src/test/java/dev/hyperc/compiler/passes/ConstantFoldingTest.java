package dev.hyperc.compiler.passes;

import static dev.hyperc.compiler.passes.PassTesting.check;
import static dev.hyperc.compiler.passes.PassTesting.unchanged;

import org.junit.jupiter.api.Test;

class ConstantFoldingTest {
    private final Pass pass = new ConstantFolding();

    @Test
    void foldsAChainOfConstantsThroughArithmeticViewsAndAReduction() {
        check(pass, """
                graph g {
                  %0:f32[] = const[value=2.0]
                  %1:f32[] = const[value=3.0]
                  %2:f32[] = mul %0, %1 @4:2
                  %3:f32[] = square %2
                  %4:f32[] = sqrt %3
                  %5:f32[2,3] = broadcast[shape=[2,3]] %4
                  %6:f32[3,2] = transpose[perm=[1,0]] %5
                  %7:f32[6] = reshape[shape=[6]] %6
                  %8:f32[2] = slice[axis=0, start=0, end=4, step=2] %7
                  %9:f32[] = reduce_sum[axes=[0]] %8 @7:3
                  %10:f32[B,2] = input[name="x"]
                  %11:f32[B,2] = add %10, %9
                  output result y = %11
                }
                """, """
                graph g {
                  %0:f32[] = const[value=2.0]
                  %1:f32[] = const[value=3.0]
                  %2:f32[] = const[value=6.0] @4:2
                  %3:f32[] = const[value=36.0]
                  %4:f32[] = const[value=6.0]
                  %5:f32[2,3] = const[value=6.0]
                  %6:f32[3,2] = const[value=6.0]
                  %7:f32[6] = const[value=6.0]
                  %8:f32[2] = const[value=6.0]
                  %9:f32[] = const[value=12.0] @7:3
                  %10:f32[B,2] = input[name="x"]
                  %11:f32[B,2] = add %10, %9
                  output result y = %11
                }
                """);
    }

    @Test
    void elementwiseFoldsBroadcastToTheResultType() {
        check(pass, """
                graph g {
                  %0:f32[3] = const[value=1.5]
                  %1:f32[B,1] = const[value=2.0]
                  %2:f32[B,3] = add %0, %1
                  %3:f32[B,3] = gt %2, %0
                  %4:f32[] = const[value=-1.0]
                  %5:f32[B,3] = select %3, %4, %2
                  %6:f32[B,3] = leaky_relu[alpha=0.5] %5
                  %7:f32[B,3] = stop_gradient %6
                  output result y = %7
                }
                """, """
                graph g {
                  %0:f32[3] = const[value=1.5]
                  %1:f32[B,1] = const[value=2.0]
                  %2:f32[B,3] = const[value=3.5]
                  %3:f32[B,3] = const[value=1.0]
                  %4:f32[] = const[value=-1.0]
                  %5:f32[B,3] = const[value=-1.0]
                  %6:f32[B,3] = const[value=-0.5]
                  %7:f32[B,3] = const[value=-0.5]
                  output result y = %7
                }
                """);
    }

    @Test
    void ieeeSpecialValuesFoldAsTheyWouldRun() {
        check(pass, """
                graph g {
                  %0:f32[] = const[value=0.0]
                  %1:f32[] = log %0
                  %2:f32[] = div %0, %0
                  %3:f32[] = recip %0
                  output result a = %1
                  output result b = %2
                  output result c = %3
                }
                """, """
                graph g {
                  %0:f32[] = const[value=0.0]
                  %1:f32[] = const[value=-Infinity]
                  %2:f32[] = const[value=NaN]
                  %3:f32[] = const[value=Infinity]
                  output result a = %1
                  output result b = %2
                  output result c = %3
                }
                """);
    }

    @Test
    void castsToI32FoldOnlyForIntegralValues() {
        check(pass, """
                graph g {
                  %0:f32[2] = const[value=3.0]
                  %1:i32[2] = cast[to=i32] %0
                  %2:f32[2] = const[value=2.5]
                  %3:i32[2] = cast[to=i32] %2
                  %4:f32[2] = cast[to=f32] %1
                  output result a = %3
                  output result b = %4
                }
                """, """
                graph g {
                  %0:f32[2] = const[value=3.0]
                  %1:i32[2] = const[value=3.0]
                  %2:f32[2] = const[value=2.5]
                  %3:i32[2] = cast[to=i32] %2
                  %4:f32[2] = const[value=3.0]
                  output result a = %3
                  output result b = %4
                }
                """);
    }

    @Test
    void reductionsOverTheBatchFoldExceptSum() {
        check(pass, """
                graph g {
                  %0:f32[B,4] = const[value=2.0]
                  %1:f32[] = reduce_sum[axes=[0,1]] %0
                  %2:f32[B] = reduce_sum[axes=[1]] %0
                  %3:f32[] = reduce_mean[axes=[0,1]] %0
                  %4:f32[4] = reduce_max[axes=[0]] %0
                  %5:f32[B] = reduce_min[axes=[1]] %0
                  %6:f32[B] = logsumexp[axis=1] %0
                  %7:f32[4] = logsumexp[axis=0] %0
                  %8:i32[B] = argmax[axis=-1] %0
                  output result a = %1
                  output result b = %2
                  output result c = %3
                  output result d = %4
                  output result e = %5
                  output result f = %6
                  output result g = %7
                  output result h = %8
                }
                """, """
                graph g {
                  %0:f32[B,4] = const[value=2.0]
                  %1:f32[] = reduce_sum[axes=[0,1]] %0
                  %2:f32[B] = const[value=8.0]
                  %3:f32[] = const[value=2.0]
                  %4:f32[4] = const[value=2.0]
                  %5:f32[B] = const[value=2.0]
                  %6:f32[B] = const[value=3.386294361119891]
                  %7:f32[4] = logsumexp[axis=0] %0
                  %8:i32[B] = const[value=0.0]
                  output result a = %1
                  output result b = %2
                  output result c = %3
                  output result d = %4
                  output result e = %5
                  output result f = %6
                  output result g = %7
                  output result h = %8
                }
                """);
    }

    @Test
    void concatAndUnsliceFoldOnlyWhenTheResultIsAFill() {
        check(pass, """
                graph g {
                  %0:f32[2] = const[value=1.0]
                  %1:f32[3] = const[value=1.0]
                  %2:f32[3] = const[value=0.0]
                  %3:f32[5] = concat[axis=0] %0, %1
                  %4:f32[5] = concat[axis=0] %0, %2
                  %5:f32[7] = unslice[axis=0, start=1, step=2, size=7] %2
                  %6:f32[7] = unslice[axis=0, start=1, step=2, size=7] %1
                  output result a = %3
                  output result b = %4
                  output result c = %5
                  output result d = %6
                }
                """, """
                graph g {
                  %0:f32[2] = const[value=1.0]
                  %1:f32[3] = const[value=1.0]
                  %2:f32[3] = const[value=0.0]
                  %3:f32[5] = const[value=1.0]
                  %4:f32[5] = concat[axis=0] %0, %2
                  %5:f32[7] = const[value=0.0]
                  %6:f32[7] = unslice[axis=0, start=1, step=2, size=7] %1
                  output result a = %3
                  output result b = %4
                  output result c = %5
                  output result d = %6
                }
                """);
    }

    @Test
    void leavesOpsWithAnyNonConstantOperand() {
        unchanged(pass, """
                graph g {
                  %0:f32[4] = const[value=1.0]
                  %1:f32[4] = noise[dist=normal, a=0.0, b=1.0]
                  %2:f32[4] = add %0, %1
                  %3:f32[4,4] = param[name="w", init=zeros]
                  %4:f32[1,4] = reshape[shape=[1,4]] %1
                  %5:f32[1,4] = matmul %4, %3
                  output result a = %2
                  output result b = %5
                }
                """);
    }

    @Test
    void foldsInsideScanBodies() {
        check(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0 {
                    (%2:f32[3])
                    %3:f32[] = const[value=2.0]
                    %4:f32[] = square %3
                    %5:f32[3] = mul %2, %4
                    yield out = %5
                  }
                  output result y = %1
                }
                """, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0 {
                    (%2:f32[3])
                    %3:f32[] = const[value=2.0]
                    %4:f32[] = const[value=4.0]
                    %5:f32[3] = mul %2, %4
                    yield out = %5
                  }
                  output result y = %1
                }
                """);
    }
}
