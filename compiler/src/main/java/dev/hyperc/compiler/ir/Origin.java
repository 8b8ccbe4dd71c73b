package dev.hyperc.compiler.ir;

/**
 * The source position a node came from, kept through every pass so that runtime errors
 * (NaN detection, non-differentiable ops) can name the line the user wrote. Printed as {@code @line:col}.
 */
public record Origin(int line, int column) {
    public static final Origin NONE = new Origin(0, 0);

    public boolean isKnown() { return line > 0; }

    @Override
    public String toString() { return line + ":" + column; }
}
