package dev.hyperc.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.IrParser;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import dev.hyperc.compiler.ir.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class PassManagerTest {
    private static final String SMALL = """
            hyperc.ir 1
            module m

            graph g {
              %0:f32[B,4] = input[name="x"]
              %1:f32[] = const[value=1.0]
              %2:f32[] = const[value=1.0]
              %3:f32[] = add %1, %2
              %4:f32[B,4] = mul %0, %3
              %5:f32[B,4] = tanh %4
              output result y = %5
            }
            """;

    private static IrModule small() { return IrParser.parse(SMALL, "small.ir"); }

    /** A pass that applies {@code f} to every node of every graph. */
    private static Pass nodewise(String name, UnaryOperator<Node> f) {
        return new Pass() {
            public String name() { return name; }

            public Graph run(Graph g) {
                return new Graph(g.name(), g.params(), g.nodes().stream().map(f).toList(), g.outputs());
            }
        };
    }

    /** Gives tanh a result type that its shape rule does not produce. */
    private static final Pass BROKEN = nodewise("broken-tanh", n -> n.op() instanceof Op.Unary u && u.fn() == Op.UnaryFn.TANH
            ? new Node(new Value(n.result().id(), n.result().type().withShape(Shape.of(4))), n.op(), n.operands(), n.origin())
            : n);

    @Test
    void standardPipelineFoldsSharesAndSweeps() {
        List<String> trace = new ArrayList<>();
        IrModule out = PassManager.standard().tracing(trace::add).run(small());
        assertEquals("""
                hyperc.ir 1
                module m

                graph g {
                  %0:f32[B,4] = input[name="x"]
                  %3:f32[] = const[value=2.0]
                  %4:f32[B,4] = mul %0, %3
                  %5:f32[B,4] = tanh %4
                  output result y = %5
                }
                """, IrPrinter.print(out));
        assertEquals(List.of(
                "pass constant-folding: 6 nodes → 6 nodes",
                "pass algebraic-simplification: 6 nodes → 6 nodes",
                "pass common-subexpression-elimination: 6 nodes → 5 nodes",
                "pass dead-code-elimination: 5 nodes → 4 nodes",
                "pass constant-folding: 4 nodes → 4 nodes",
                "pass algebraic-simplification: 4 nodes → 4 nodes",
                "pass common-subexpression-elimination: 4 nodes → 4 nodes",
                "pass dead-code-elimination: 4 nodes → 4 nodes"), trace);
    }

    @Test
    void aBrokenPassFailsAtOnceAndIsNamed() {
        PassManager pm = new PassManager(List.of(new ConstantFolding(), BROKEN, new DeadCodeElimination()));
        Verifier.VerifyError e = assertThrows(Verifier.VerifyError.class, () -> pm.run(small()));
        assertTrue(e.getMessage().contains("after pass 'broken-tanh'"), e.getMessage());
        assertTrue(e.getMessage().contains("tanh"), e.getMessage());
    }

    @Test
    void aPassThatThrowsIsNamed() {
        Pass crash = nodewise("crashing", n -> {
            throw new ArithmeticException("boom");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new PassManager(List.of(crash)).run(small()));
        assertEquals("pass 'crashing' failed on graph g: boom", e.getMessage());
    }

    @Test
    void brokenInputIsBlamedOnTheInputNotTheFirstPass() {
        IrModule bad = new PassManager(List.of()).run(small());
        IrModule broken = new IrModule(bad.model(), bad.layouts(), List.of(BROKEN.run(bad.graphs().get(0))));
        Verifier.VerifyError e = assertThrows(Verifier.VerifyError.class, () -> PassManager.standard().run(broken));
        assertTrue(e.getMessage().contains("after pass 'input to the pass pipeline'"), e.getMessage());
    }

    @Test
    void stopsAtTheIterationCapWhenPassesNeverAgree() {
        // swaps the operands of every add, so no two iterations give the same module
        Pass flip = nodewise("flip-add", n -> n.op() instanceof Op.Binary b && b.fn() == Op.BinaryFn.ADD
                ? new Node(n.results(), n.op(), List.of(n.operands().get(1), n.operands().get(0)), n.origin())
                : n);
        List<String> trace = new ArrayList<>();
        IrModule out = new PassManager(List.of(flip), 3, trace::add).run(small());
        assertEquals(4, trace.size());
        assertEquals("no fixed point after 3 iterations; stopping", trace.get(3));
        assertTrue(IrPrinter.print(out).contains("add %2, %1"));
    }

    @Test
    void anEmptyPipelineReturnsItsInput() {
        IrModule m = small();
        assertSame(m.graphs().get(0), new PassManager(List.of()).run(m).graphs().get(0));
    }

    @Test
    void countsNodesInsideScanBodies() {
        IrModule m = IrParser.parse("""
                hyperc.ir 1
                module m

                graph g {
                  %0:f32[5,3] = input[name="seq"]
                  %1:f32[5,3] = scan[carries=0, sequences=1, reverse=false] %0 {
                    (%2:f32[3])
                    %3:f32[3] = exp %2
                    %4:f32[3] = exp %3
                    yield out = %4
                  }
                  output result y = %1
                }
                """, "scan.ir");
        assertEquals(4, PassManager.nodeCount(m));
    }
}
