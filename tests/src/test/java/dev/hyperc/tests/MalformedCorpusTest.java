package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malformed-model corpus: every {@code tests/malformed/NN_name.hyper} is a small model with
 * realistic mistakes, and its sibling {@code NN_name.expected} holds the exact diagnostics the
 * compiler must print for it ({@code Diagnostics.render()}: header, quoted line and caret per error,
 * then the error count).
 *
 * <p>Each file is compiled under the name {@code tests/malformed/NN_name.hyper}: its path relative to
 * the repository root, with '/' separators, whatever the platform and working directory. That is the
 * name that appears in the expected files.
 *
 * <p>To add a case, write the .hyper file and run
 * {@code ./run-tests -pl tests -Dtest=MalformedCorpusTest -Dhyperc.golden.update=true}: that writes the
 * .expected files instead of comparing. Then read every new or changed .expected file: each message
 * must be clear and its caret must sit under the mistake.
 */
class MalformedCorpusTest {
    static final String DIR = "tests/malformed";
    private static final Pattern HEADER = Pattern.compile("^(.+):(\\d+):(\\d+): error: (.+)$");
    private static final Pattern CARET = Pattern.compile("^    ( *)\\^~*$");
    private static final Pattern COUNT = Pattern.compile("^(\\d+) errors?( \\(stopped after \\d+\\))?$");

    static Path dir() { return Golden.root().resolve(DIR); }

    static List<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(dir())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".hyper")).sorted().toList();
        }
    }

    static String stem(String file) { return file.substring(0, file.length() - ".hyper".length()); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void diagnosticsMatchExpected(String file) throws IOException {
        String name = DIR + "/" + file;
        SourceFile source = new SourceFile(name, Files.readString(dir().resolve(file), StandardCharsets.UTF_8));
        Compiler.Result result = Compiler.compile(source);
        String rendered = result.diagnostics().render();

        assertFalse(result.ok(), () -> name + " compiled without errors; a malformed model must be rejected");
        assertTrue(result.diagnostics().hasErrors(), () -> name + " was rejected without an error message");
        for (String banned : List.of("internal compiler error", "Exception", "at dev.hyperc")) {
            assertFalse(rendered.contains(banned), () -> name + ": the diagnostics contain '" + banned + "':\n" + rendered);
        }
        int errors = checkLayout(source, rendered);
        if (file.contains("several")) {
            assertTrue(errors >= 3, () -> name + " has several independent mistakes but only " + errors + " were reported:\n" + rendered);
        }
        Golden.check(dir().resolve(stem(file) + ".expected"), rendered);
    }

    /**
     * Every error is a {@code file:line:col: error: message} header, the quoted source line and a caret
     * under the column, and the output ends with the error count. Returns the number of errors.
     */
    static int checkLayout(SourceFile source, String rendered) {
        String[] lines = rendered.split("\n", -1);
        assertEquals("", lines[lines.length - 1], "the diagnostics must end with a newline");
        int n = lines.length - 1;
        assertTrue(n >= 4 && (n - 1) % 3 == 0, () -> "expected blocks of header, source line and caret, then the count:\n" + rendered);
        int errors = 0;
        for (int i = 0; i < n - 1; i += 3) {
            int at = i;
            Matcher h = HEADER.matcher(lines[i]);
            assertTrue(h.matches(), () -> "not a 'file:line:col: error: message' header: '" + lines[at] + "' in\n" + rendered);
            assertEquals(source.name(), h.group(1), "the header must name the file as given");
            int line = Integer.parseInt(h.group(2)), col = Integer.parseInt(h.group(3));
            assertTrue(line >= 1 && line <= source.lineCount(), () -> "line out of range in '" + lines[at] + "'");
            String quoted = source.line(line).replace('\t', ' ');
            assertEquals("    " + quoted, lines[i + 1], () -> "the line after '" + lines[at] + "' must quote source line " + line);
            Matcher c = CARET.matcher(lines[i + 2]);
            assertTrue(c.matches(), () -> "not a caret line after '" + lines[at] + "': '" + lines[at + 2] + "'");
            int caretCol = c.group(1).length() + 1;
            assertEquals(Math.max(1, Math.min(col, quoted.length() + 1)), caretCol,
                    () -> "the caret must sit under column " + col + " for '" + lines[at] + "'");
            errors++;
        }
        Matcher count = COUNT.matcher(lines[n - 1]);
        assertTrue(count.matches(), () -> "the last line must count the errors: '" + lines[n - 1] + "'");
        assertEquals(errors, Integer.parseInt(count.group(1)), "the error count must match the number of error blocks");
        return errors;
    }

    @Test
    void corpusIsLargeAndComplete() throws IOException {
        List<String> cases = cases();
        assertTrue(cases.size() >= 30, "the malformed corpus must have at least 30 files, has " + cases.size());
        if (Golden.updating()) return;
        for (String c : cases) {
            assertTrue(Files.exists(dir().resolve(stem(c) + ".expected")), () -> "no " + stem(c) + ".expected for " + c);
        }
        try (Stream<Path> s = Files.list(dir())) {
            for (Path p : s.filter(p -> p.toString().endsWith(".expected")).toList()) {
                String base = p.getFileName().toString().replace(".expected", ".hyper");
                if (!cases.contains(base)) fail(DIR + "/" + p.getFileName() + " has no " + base);
            }
        }
    }
}
