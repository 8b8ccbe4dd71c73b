package dev.hyperc.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.IrParser;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.compiler.ir.Verifier;

/** IR text in, IR text out: how every pass test is written. */
final class PassTesting {
    private PassTesting() {}

    /** Parses {@code in}, runs {@code pass}, verifies, prints. */
    static String run(Pass pass, String in) {
        Graph out = pass.run(IrParser.parseGraph(in, "in.ir"));
        Verifier.verify(out, pass.name());
        return IrPrinter.print(out);
    }

    /**
     * Checks that {@code pass} turns {@code in} into exactly {@code expected}. The expected text is itself
     * parsed and printed first, so it must be valid IR and only its layout (not its content) is forgiven.
     */
    static void check(Pass pass, String in, String expected) {
        String want = IrPrinter.print(IrParser.parseGraph(expected, "expected.ir"));
        assertEquals(want, run(pass, in));
    }

    /** The pass leaves {@code in} as it is. */
    static void unchanged(Pass pass, String in) { check(pass, in, in); }
}
