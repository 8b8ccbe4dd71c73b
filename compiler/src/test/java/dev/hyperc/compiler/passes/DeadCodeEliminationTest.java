package dev.hyperc.compiler.passes;

import static dev.hyperc.compiler.passes.PassTesting.check;
import static dev.hyperc.compiler.passes.PassTesting.unchanged;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.IrParser;
import dev.hyperc.compiler.ir.IrPrinter;
import org.junit.jupiter.api.Test;

class DeadCodeEliminationTest {
    private final Pass pass = new DeadCodeElimination();

    @Test
    void removesAnUnusedBranch() {
        check(pass, """
                graph g {
                  %0:f32[B,4] = input[name="x"]
                  %1:f32[4,4] = param[name="w", init=zeros]
                  %2:f32[B,4] = matmul %0, %1
                  %3:f32[B,4] = exp %2
                  %4:f32[B,4] = noise[dist=uniform, a=0.0, b=1.0]
                  %5:f32[B,4] = mul %3, %4
                  %6:f32[B,4] = tanh %2
                  output result y = %6
                }
                """, """
                graph g {
                  %0:f32[B,4] = input[name="x"]
                  %1:f32[4,4] = param[name="w", init=zeros]
                  %2:f32[B,4] = matmul %0, %1
                  %6:f32[B,4] = tanh %2
                  output result y = %6
                }
                """);
    }

    @Test
    void everyOutputRoleKeepsItsValueAlive() {
        unchanged(pass, """
                graph g {
                  %0:f32[4] = param[name="w", init=zeros]
                  %1:f32[4] = state[name="s", init=zeros]
                  %2:f32[4] = input[name="x"]
                  %3:f32[4] = add %0, %2
                  %4:f32[] = reduce_sum[axes=[0]] %3
                  %5:f32[] = reduce_max[axes=[0]] %3
                  %6:f32[4] = add %1, %2
                  %7:f32[4] = neg %0
                  %8:f32[4] = sub %0, %2
                  output loss loss = %4
                  output metric m = %5
                  output state s = %6
                  output grad w = %2
                  output update w = %8
                  output result r = %7
                }
                """);
    }

    @Test
    void removesAScanNobodyReads() {
        check(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0 {
                    (%2:f32[3])
                    %3:f32[3] = exp %2
                    yield out = %3
                  }
                  output result y = %0
                }
                """, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  output result y = %0
                }
                """);
    }

    @Test
    void shrinksScansToTheCarriesEmissionsAndOperandsThatAreUsed() {
        // carry h feeds the emission, so it stays although its final value is unused; carry c is read only
        // by its own update, so it goes; emission dead is unused; capture w2 and the second sequence are unread.
        check(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[5,3] = input[name="seq2"]
                  %2:f32[3] = const[value=0.0]
                  %3:f32[3] = param[name="w", init=zeros]
                  %4:f32[3] = param[name="w2", init=zeros]
                  %5:f32[3], %6:f32[3], %7:f32[5,3], %8:f32[5,3] = scan[carries=2, sequences=2, reverse=true] %2, %2, %0, %1, %3, %4 {
                    (%9:f32[3], %10:f32[3], %11:f32[3], %12:f32[3], %13:f32[3], %14:f32[3])
                    %15:f32[3] = mul %11, %13
                    %16:f32[3] = add %9, %15
                    %17:f32[3] = add %10, %16
                    %18:f32[3] = exp %17
                    yield h = %16, c = %17, out = %9, dead = %18
                  }
                  output result y = %7
                }
                """, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %2:f32[3] = const[value=0.0]
                  %3:f32[3] = param[name="w", init=zeros]
                  %5:f32[3], %7:f32[5,3] = scan[carries=1, sequences=1, reverse=true] %2, %0, %3 {
                    (%9:f32[3], %11:f32[3], %13:f32[3])
                    %15:f32[3] = mul %11, %13
                    %16:f32[3] = add %9, %15
                    yield h = %16, out = %9
                  }
                  output result y = %7
                }
                """);
    }

    @Test
    void aCarryReadByAKeptCarryStays() {
        // only a's final value is used, but a's update reads b, and b's reads c: all three stay.
        unchanged(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = const[value=0.0]
                  %2:f32[3], %3:f32[3], %4:f32[3] = scan[carries=3, sequences=1, reverse=false] %1, %1, %1, %0 {
                    (%5:f32[3], %6:f32[3], %7:f32[3], %8:f32[3])
                    %9:f32[3] = add %5, %6
                    %10:f32[3] = add %6, %7
                    %11:f32[3] = add %7, %8
                    yield a = %9, b = %10, c = %11
                  }
                  output result y = %2
                }
                """);
    }

    @Test
    void oneSequenceStaysToGiveTheStepCount() {
        unchanged(pass, """
                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[3] = const[value=0.0]
                  %2:f32[3] = scan[carries=1, sequences=1, reverse=false] %1, %0 {
                    (%3:f32[3], %4:f32[3])
                    %5:f32[3] = exp %3
                    yield h = %5
                  }
                  output result y = %2
                }
                """);
    }

    @Test
    void staticModuleEntryPointStillCleansEveryGraph() {
        IrModule m = IrParser.parse("""
                hyperc.ir 1
                module m

                graph a {
                  %0:f32[4] = input[name="x"]
                  %1:f32[4] = exp %0
                  output result y = %0
                }

                graph b {
                  %2:f32[4] = input[name="x"]
                  %3:f32[4] = exp %2
                  output result y = %3
                }
                """, "m.ir");
        assertEquals("""
                hyperc.ir 1
                module m

                graph a {
                  %0:f32[4] = input[name="x"]
                  output result y = %0
                }

                graph b {
                  %2:f32[4] = input[name="x"]
                  %3:f32[4] = exp %2
                  output result y = %3
                }
                """, IrPrinter.print(DeadCodeElimination.run(m)));
    }
}
