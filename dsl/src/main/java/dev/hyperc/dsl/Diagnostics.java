package dev.hyperc.dsl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects diagnostics for one compilation. Compilation keeps going after an error
 * so that a user sees every independent mistake in one run; a cap stops a
 * pathological file from flooding the terminal.
 */
public final class Diagnostics {
    public static final int MAX_ERRORS = 50;

    private final SourceFile source;
    private final List<Diagnostic> items = new ArrayList<>();

    public Diagnostics(SourceFile source) {
        this.source = source;
    }

    public SourceFile source() { return source; }

    public void error(Span span, String message) {
        add(Diagnostic.error(span, message));
    }

    public void add(Diagnostic d) {
        // The same mistake seen by two passes is reported once.
        for (Diagnostic seen : items) {
            if (seen.span().line() == d.span().line() && seen.span().column() == d.span().column()
                    && seen.message().equals(d.message())) return;
        }
        if (errorCount() >= MAX_ERRORS && d.isError()) return;
        items.add(d);
    }

    public boolean hasErrors() {
        return items.stream().anyMatch(Diagnostic::isError);
    }

    public int errorCount() {
        return (int) items.stream().filter(Diagnostic::isError).count();
    }

    public List<Diagnostic> all() {
        List<Diagnostic> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt((Diagnostic d) -> d.span().line()).thenComparingInt(d -> d.span().column()));
        return sorted;
    }

    /** Renders every diagnostic as header, source line and caret, as compilers do. */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (Diagnostic d : all()) out.append(render(d));
        int errors = errorCount();
        if (errors > 0) {
            out.append(errors).append(errors == 1 ? " error" : " errors");
            if (errors >= MAX_ERRORS) out.append(" (stopped after ").append(MAX_ERRORS).append(")");
            out.append('\n');
        }
        return out.toString();
    }

    public String render(Diagnostic d) {
        StringBuilder out = new StringBuilder(d.header()).append('\n');
        Span s = d.span();
        if (s.line() >= 1 && s.line() <= source.lineCount()) {
            String line = source.line(s.line()).replace('\t', ' ');
            out.append("    ").append(line).append('\n');
            int col = Math.max(1, Math.min(s.column(), line.length() + 1));
            out.append("    ").append(" ".repeat(col - 1)).append('^');
            int width = Math.min(s.widthOnFirstLine(line.length()), Math.max(1, line.length() - col + 1));
            if (width > 1) out.append("~".repeat(width - 1));
            out.append('\n');
        }
        return out.toString();
    }
}
