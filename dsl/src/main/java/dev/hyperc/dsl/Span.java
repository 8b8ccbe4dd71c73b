package dev.hyperc.dsl;

/**
 * A region of a source file. Lines and columns are 1-based, as editors show them;
 * the end is inclusive of the last character so a one-character token has length 1.
 */
public record Span(String file, int line, int column, int endLine, int endColumn) {
    public static final Span NONE = new Span("<none>", 0, 0, 0, 0);

    public static Span of(String file, int line, int column) {
        return new Span(file, line, column, line, column);
    }

    public Span to(Span other) {
        if (this == NONE) return other;
        if (other == NONE) return this;
        return new Span(file, line, column, other.endLine, other.endColumn);
    }

    /** Width of the caret marker on the first line. */
    public int widthOnFirstLine(int lineLength) {
        if (endLine != line) return Math.max(1, lineLength - column + 1);
        return Math.max(1, endColumn - column + 1);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
