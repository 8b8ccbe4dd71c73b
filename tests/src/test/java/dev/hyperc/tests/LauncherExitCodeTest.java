package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.runtime.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The launcher's contract: exit 0 when it did its job, 1 for compile errors, 2 for a bad command line; never a stack trace. */
class LauncherExitCodeTest {
    record Run(int code, String out, String err) {
        String both() { return out + err; }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String path(String relative) { return Golden.root().resolve(relative).toString(); }

    static String kata() { return path("models/kata.hyper"); }

    static void noStackTrace(Run r) {
        for (String banned : List.of("Exception", "\tat ", "at dev.hyperc", "internal compiler error")) {
            assertFalse(r.both().contains(banned), () -> "output contains '" + banned + "':\n" + r.both());
        }
    }

    static void usageError(Run r, String mentions) {
        assertEquals(2, r.code(), () -> "expected exit 2 (bad usage), got " + r.code() + ":\n" + r.both());
        assertTrue(r.err().startsWith("compile-and-run: "), () -> "usage errors go to stderr prefixed by the program name:\n" + r.err());
        assertTrue(r.err().contains(mentions), () -> "the message should mention '" + mentions + "':\n" + r.err());
        assertEquals("", r.out(), "nothing goes to stdout on a usage error");
        noStackTrace(r);
    }

    @Test
    void malformedModelExitsOneWithDiagnosticsOnStderr() {
        String file = path("tests/malformed/44_several_semantic_errors.hyper");
        Run r = run(file, "--emit", "ir");
        assertEquals(1, r.code(), () -> "expected exit 1 (compile errors):\n" + r.both());
        assertTrue(r.err().startsWith(file + ":6:25: error: "), () -> "diagnostics must be file:line:col: error: ...:\n" + r.err());
        assertTrue(r.err().contains("\n                            ^~~~~~~~~\n"), () -> "diagnostics must show a caret:\n" + r.err());
        assertTrue(r.err().endsWith("4 errors\n"), () -> "every error is reported, then counted:\n" + r.err());
        assertEquals("", r.out());
        noStackTrace(r);
    }

    @Test
    void syntaxErrorExitsOne() {
        Run r = run(path("tests/malformed/06_unclosed_paren.hyper"));
        assertEquals(1, r.code(), r::both);
        assertTrue(r.err().contains(": error: syntax error: "), r::err);
        noStackTrace(r);
    }

    @Test
    void badEmitValue() { usageError(run(kata(), "--emit", "nonsense"), "--emit must be one of"); }

    @Test
    void nonNumericEpochs() { usageError(run(kata(), "--epochs", "x"), "--epochs needs a whole number"); }

    @Test
    void unknownOption() { usageError(run(kata(), "--frobnicate"), "unknown option '--frobnicate'"); }

    @Test
    void noModel() { usageError(run(), "no model file given"); }

    @Test
    void flagWithoutValue() { usageError(run(kata(), "--emit"), "--emit needs a value"); }

    @Test
    void missingModelFile() {
        usageError(run(path("tests/malformed/does_not_exist.hyper"), "--emit", "ir"), "no such model file");
    }

    @Test
    void directoryInsteadOfModel() { usageError(run(path("models")), "is a directory"); }

    @Test
    void twoModels() { usageError(run(kata(), kata()), "only one model file"); }

    @Test
    void helpExitsZero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("usage: compile-and-run"), r::out);
        assertTrue(r.out().contains("exit status"), r::out);
        assertEquals("", r.err());
    }

    static List<Path> models() throws IOException { return Golden.models(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void emitIrSucceeds(Path model) {
        Run r = run(model.toString(), "--emit", "ir");
        assertEquals(0, r.code(), r::err);
        assertFalse(r.out().isBlank(), "--emit ir printed nothing");
        assertEquals("", r.err());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void emitSummarySucceeds(Path model) {
        Run r = run(model.toString(), "--emit", "summary");
        assertEquals(0, r.code(), r::err);
        assertTrue(r.out().startsWith("model "), r::out);
        assertEquals("", r.err());
    }
}
