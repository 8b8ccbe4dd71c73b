package dev.hyperc.dsl;

/** One message about a source file, always located so that a user can find the mistake. */
public record Diagnostic(Severity severity, Span span, String message) {
    public enum Severity {
        ERROR, WARNING, NOTE;

        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public static Diagnostic error(Span span, String message) {
        return new Diagnostic(Severity.ERROR, span, message);
    }

    public boolean isError() { return severity == Severity.ERROR; }

    /** The {@code file:line:col: error: message} header line. */
    public String header() {
        return span.file() + ":" + span.line() + ":" + span.column() + ": " + severity.label() + ": " + message;
    }
}
