package dev.hyperc.compiler.passes;

import static dev.hyperc.compiler.passes.PassTesting.check;
import static dev.hyperc.compiler.passes.PassTesting.unchanged;

import org.junit.jupiter.api.Test;

class AlgebraicSimplificationTest {
    private final Pass pass = new AlgebraicSimplification();

    @Test
    void identityArithmeticOfTheSameTypeIsItsOperand() {
        check(pass, """
                graph g {
                  %0:f32[B,3] = input[name="x"]
                  %1:f32[] = const[value=1.0]
                  %2:f32[] = const[value=0.0]
                  %3:f32[B,3] = mul %0, %1
                  %4:f32[B,3] = mul %1, %3
                  %5:f32[B,3] = div %4, %1
                  %6:f32[B,3] = add %5, %2
                  %7:f32[B,3] = add %2, %6
                  %8:f32[B,3] = sub %7, %2
                  %9:f32[B,3] = tanh %8
                  output result y = %9
                  output result z = %8
                }
                """, """
                graph g {
                  %0:f32[B,3] = input[name="x"]
                  %1:f32[] = const[value=1.0]
                  %2:f32[] = const[value=0.0]
                  %9:f32[B,3] = tanh %0
                  output result y = %9
                  output result z = %0
                }
                """);
    }

    @Test
    void identityArithmeticThatBroadcastsBecomesABroadcastView() {
        check(pass, """
                graph g {
                  %0:f32[3] = input[name="x"]
                  %1:f32[B,3] = const[value=1.0]
                  %2:f32[B,3] = mul %0, %1 @3:9
                  %3:f32[4,1] = const[value=0.0]
                  %4:f32[4,3] = add %3, %0
                  output result y = %2
                  output result z = %4
                }
                """, """
                graph g {
                  %0:f32[3] = input[name="x"]
                  %1:f32[B,3] = const[value=1.0]
                  %2:f32[B,3] = broadcast[shape=[B,3]] %0 @3:9
                  %3:f32[4,1] = const[value=0.0]
                  %4:f32[4,3] = broadcast[shape=[4,3]] %0
                  output result y = %2
                  output result z = %4
                }
                """);
    }

    @Test
    void leavesMultiplicationByZeroAndNonIdentities() {
        unchanged(pass, """
                graph g {
                  %0:f32[3] = input[name="x"]
                  %1:f32[] = const[value=0.0]
                  %2:f32[] = const[value=1.0]
                  %3:f32[3] = mul %0, %1
                  %4:f32[3] = sub %1, %0
                  %5:f32[3] = div %2, %0
                  %6:f32[3] = pow %0, %2
                  output result a = %3
                  output result b = %4
                  output result c = %5
                  output result d = %6
                }
                """);
    }

    @Test
    void reshapeOfReshapeIsOneReshapeOrNone() {
        check(pass, """
                graph g {
                  %0:f32[B,2,3] = input[name="x"]
                  %1:f32[B,6] = reshape[shape=[B,6]] %0
                  %2:f32[B*6] = reshape[shape=[B*6]] %1
                  %3:f32[B,2,3] = reshape[shape=[B,2,3]] %1
                  %4:f32[B,2,3] = reshape[shape=[B,2,3]] %0
                  output result a = %2
                  output result b = %3
                  output result c = %4
                }
                """, """
                graph g {
                  %0:f32[B,2,3] = input[name="x"]
                  %1:f32[B,6] = reshape[shape=[B,6]] %0
                  %2:f32[B*6] = reshape[shape=[B*6]] %0
                  output result a = %2
                  output result b = %0
                  output result c = %0
                }
                """);
    }

    @Test
    void doubleTransposeCancelsOrComposes() {
        check(pass, """
                graph g {
                  %0:f32[2,3,4] = input[name="x"]
                  %1:f32[3,4,2] = transpose[perm=[1,2,0]] %0
                  %2:f32[2,3,4] = transpose[perm=[2,0,1]] %1
                  %3:f32[4,2,3] = transpose[perm=[1,2,0]] %1
                  %4:f32[2,3,4] = transpose[perm=[0,1,2]] %0
                  output result a = %2
                  output result b = %3
                  output result c = %4
                }
                """, """
                graph g {
                  %0:f32[2,3,4] = input[name="x"]
                  %1:f32[3,4,2] = transpose[perm=[1,2,0]] %0
                  %3:f32[4,2,3] = transpose[perm=[2,0,1]] %0
                  output result a = %0
                  output result b = %3
                  output result c = %0
                }
                """);
    }

    @Test
    void slicesOfTheWholeAxisVanishAndSlicesOfSlicesMerge() {
        check(pass, """
                graph g {
                  %0:f32[B,10] = input[name="x"]
                  %1:f32[B,10] = slice[axis=1, start=0, end=10, step=1] %0
                  %2:f32[B,8] = slice[axis=-1, start=1, end=9, step=1] %0
                  %3:f32[B,3] = slice[axis=1, start=2, end=8, step=2] %2
                  %4:f32[B,4] = slice[axis=1, start=4, end=8, step=1] %2
                  output result a = %1
                  output result b = %3
                  output result c = %4
                }
                """, """
                graph g {
                  %0:f32[B,10] = input[name="x"]
                  %2:f32[B,8] = slice[axis=-1, start=1, end=9, step=1] %0
                  %3:f32[B,3] = slice[axis=1, start=3, end=8, step=2] %0
                  %4:f32[B,4] = slice[axis=1, start=5, end=9, step=1] %0
                  output result a = %0
                  output result b = %3
                  output result c = %4
                }
                """);
    }

    @Test
    void broadcastsCollapseAndDisappearAtTheirOwnShape() {
        check(pass, """
                graph g {
                  %0:f32[3] = input[name="x"]
                  %1:f32[1,3] = broadcast[shape=[1,3]] %0
                  %2:f32[B,4,3] = broadcast[shape=[B,4,3]] %1
                  %3:f32[3] = broadcast[shape=[3]] %0
                  output result a = %2
                  output result b = %3
                }
                """, """
                graph g {
                  %0:f32[3] = input[name="x"]
                  %1:f32[1,3] = broadcast[shape=[1,3]] %0
                  %2:f32[B,4,3] = broadcast[shape=[B,4,3]] %0
                  output result a = %2
                  output result b = %0
                }
                """);
    }

    @Test
    void negationsCancelAndFoldIntoAddAndSub() {
        check(pass, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = input[name="y"]
                  %2:f32[4] = neg %0
                  %3:f32[4] = neg %2
                  %4:f32[4] = sub %1, %2
                  %5:f32[4] = add %1, %2
                  %6:f32[4] = add %2, %1
                  output result a = %3
                  output result b = %4
                  output result c = %5
                  output result d = %6
                }
                """, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = input[name="y"]
                  %2:f32[4] = neg %0
                  %4:f32[4] = add %1, %0
                  %5:f32[4] = sub %1, %0
                  %6:f32[4] = sub %1, %0
                  output result a = %0
                  output result b = %4
                  output result c = %5
                  output result d = %6
                }
                """);
    }

    @Test
    void redundantStopGradientCastAndConstantSelect() {
        check(pass, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = stop_gradient %0
                  %2:f32[4] = stop_gradient %1
                  %3:f32[4] = cast[to=f32] %2
                  %4:f32[] = const[value=1.0]
                  %5:f32[] = const[value=0.0]
                  %6:f32[4] = select %4, %3, %5
                  %7:f32[B,4] = const[value=0.0]
                  %8:f32[B,4] = select %7, %5, %3
                  output result a = %6
                  output result b = %8
                }
                """, """
                graph g {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = stop_gradient %0
                  %4:f32[] = const[value=1.0]
                  %5:f32[] = const[value=0.0]
                  %7:f32[B,4] = const[value=0.0]
                  %8:f32[B,4] = broadcast[shape=[B,4]] %1
                  output result a = %1
                  output result b = %8
                }
                """);
    }

    @Test
    void rewritesReachScanOperandsAndScanBodies() {
        check(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = input[name="h0"]
                  %2:f32[] = const[value=1.0]
                  %3:f32[3] = mul %1, %2
                  %4:f32[3], %5:f32[5,3] = scan[carries=1, sequences=1, reverse=false] %3, %0, %2 {
                    (%6:f32[3], %7:f32[3], %8:f32[])
                    %9:f32[3] = mul %7, %8
                    %10:f32[3] = add %6, %9
                    yield h = %10, out = %10
                  }
                  output result y = %5
                }
                """, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = input[name="h0"]
                  %2:f32[] = const[value=1.0]
                  %4:f32[3], %5:f32[5,3] = scan[carries=1, sequences=1, reverse=false] %1, %0, %2 {
                    (%6:f32[3], %7:f32[3], %8:f32[])
                    %9:f32[3] = mul %7, %8
                    %10:f32[3] = add %6, %9
                    yield h = %10, out = %10
                  }
                  output result y = %5
                }
                """);
    }
}
