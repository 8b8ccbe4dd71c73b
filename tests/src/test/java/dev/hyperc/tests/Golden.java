package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Golden-file comparison. Run with {@code -Dhyperc.golden.update=true} to rewrite the files instead;
 * then review the diff like code before committing it.
 */
final class Golden {
    private Golden() {}

    static Path root() {
        String r = System.getProperty("hyperc.root");
        Path p = r == null ? Path.of("..").toAbsolutePath().normalize() : Path.of(r);
        if (!Files.isDirectory(p.resolve("models"))) p = Path.of("").toAbsolutePath().getParent();
        return p;
    }

    static boolean updating() { return Boolean.getBoolean("hyperc.golden.update"); }

    static List<Path> models() throws IOException {
        try (Stream<Path> s = Files.list(root().resolve("models"))) {
            return s.filter(p -> p.toString().endsWith(".hyper")).sorted().toList();
        }
    }

    static void check(Path golden, String actual) throws IOException {
        if (updating()) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(golden)) {
            fail("missing golden file " + root().relativize(golden) + "; create it with ./run-tests -Dhyperc.golden.update=true and review it");
        }
        String expected = Files.readString(golden, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail("output differs from " + root().relativize(golden)
                    + " (regenerate with -Dhyperc.golden.update=true if the change is intended):\n" + diff(expected, actual));
        }
    }

    /** A small line diff: the first differing region with context, in unified style. */
    static String diff(String expected, String actual) {
        String[] a = expected.split("\n", -1), b = actual.split("\n", -1);
        int start = 0;
        while (start < a.length && start < b.length && a[start].equals(b[start])) start++;
        int ea = a.length - 1, eb = b.length - 1;
        while (ea >= start && eb >= start && a[ea].equals(b[eb])) {
            ea--;
            eb--;
        }
        List<String> out = new ArrayList<>();
        int from = Math.max(0, start - 3);
        out.add("@@ line " + (start + 1) + " @@");
        for (int i = from; i < start; i++) out.add("  " + a[i]);
        for (int i = start; i <= ea && i < start + 40; i++) out.add("- " + a[i]);
        for (int i = start; i <= eb && i < start + 40; i++) out.add("+ " + b[i]);
        for (int i = ea + 1; i < Math.min(a.length, ea + 4); i++) out.add("  " + a[i]);
        return String.join("\n", out);
    }
}
