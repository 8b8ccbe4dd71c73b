package dev.hyperc.runtime.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The per-epoch results table, printed a row at a time as epochs finish (the header once, before the first
 * row), in the spirit of the Lux tutorial's log:
 * <pre>
 * epoch      dataset   time (s)  train loss  train acc   test acc
 * [  1/  5]  mnist         3.21      0.4123     87.10%     86.95%
 * [  1/  5]  fashion       3.05      0.5871     79.42%     78.80%
 * </pre>
 * The epoch column is {@code [e/n]} with both numbers right-aligned to at least 3 digits; the dataset column
 * is left-aligned and as wide as the longest dataset name given to the constructor (a longer one is printed in
 * full, pushing its row's later columns right); the time and metric columns are right-aligned, each at least 9
 * characters wide or as wide as its name. A metric that has no value for a row (NaN) shows as {@code -}.
 * Columns are separated by two spaces; lines have no trailing spaces.
 */
public final class EpochTable {
    /** How a metric column shows its values. */
    public enum Format {
        /** A fraction shown as a percentage with two decimals: 0.871 → {@code 87.10%}. */
        PERCENT,
        /** Four decimals, or {@code %.3e} below 0.001 and from a million up (losses fall over decades). */
        DECIMAL
    }

    /** A metric column. */
    public record Column(String name, Format format) {
        public Column {
            Objects.requireNonNull(name);
            Objects.requireNonNull(format);
        }

        /** A column whose format follows its name: names containing "acc" are percentages, the rest decimals. */
        public static Column of(String name) {
            return new Column(name, name.toLowerCase(Locale.ROOT).contains("acc") ? Format.PERCENT : Format.DECIMAL);
        }
    }

    private static final String SEP = "  ";
    private static final int MIN_VALUE_WIDTH = 9;

    private final PrintStream out;
    private final int totalEpochs;
    private final int epochDigits;
    private final int datasetWidth;
    private final int timeWidth;
    private final List<Column> columns;
    private final int[] widths;
    private boolean headerPrinted;

    /**
     * @param out where rows go
     * @param totalEpochs n in {@code [e/n]}
     * @param datasets the dataset names rows will use, to size their column
     * @param metricNames metric column names, formatted per {@link Column#of}
     */
    public static EpochTable of(PrintStream out, int totalEpochs, List<String> datasets, List<String> metricNames) {
        return new EpochTable(out, totalEpochs, datasets, metricNames.stream().map(Column::of).toList());
    }

    public EpochTable(PrintStream out, int totalEpochs, List<String> datasets, List<Column> columns) {
        this.out = out;
        this.totalEpochs = totalEpochs;
        this.epochDigits = Math.max(3, Integer.toString(totalEpochs).length());
        int dw = "dataset".length();
        for (String d : datasets) dw = Math.max(dw, d.length());
        this.datasetWidth = dw;
        this.timeWidth = Math.max(MIN_VALUE_WIDTH, "time (s)".length());
        this.columns = List.copyOf(columns);
        this.widths = new int[this.columns.size()];
        for (int i = 0; i < widths.length; i++) widths[i] = Math.max(MIN_VALUE_WIDTH, this.columns.get(i).name().length());
    }

    /** The header line. */
    public String header() {
        List<String> cells = new ArrayList<>();
        cells.add(padRight("epoch", epochDigits * 2 + 3));
        cells.add(padRight("dataset", datasetWidth));
        cells.add(padLeft("time (s)", timeWidth));
        for (int i = 0; i < widths.length; i++) cells.add(padLeft(columns.get(i).name(), widths[i]));
        return join(cells);
    }

    /**
     * One row's text.
     *
     * @param values one per metric column, in order; NaN for "no value"
     */
    public String format(int epoch, String dataset, double seconds, double... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " metric values " + names() + ", got " + values.length);
        }
        List<String> cells = new ArrayList<>();
        cells.add(String.format(Locale.ROOT, "[%" + epochDigits + "d/%" + epochDigits + "d]", epoch, totalEpochs));
        cells.add(padRight(dataset, datasetWidth));
        cells.add(padLeft(Double.isNaN(seconds) ? "-" : String.format(Locale.ROOT, "%.2f", seconds), timeWidth));
        for (int i = 0; i < widths.length; i++) cells.add(padLeft(value(columns.get(i).format(), values[i]), widths[i]));
        return join(cells);
    }

    /** Prints the header (before the first row only) and the row. */
    public void row(int epoch, String dataset, double seconds, double... values) {
        String line = format(epoch, dataset, seconds, values);
        if (!headerPrinted) {
            out.println(header());
            headerPrinted = true;
        }
        out.println(line);
        out.flush();
    }

    private List<String> names() { return columns.stream().map(Column::name).toList(); }

    static String value(Format f, double v) {
        if (Double.isNaN(v)) return "-";
        return switch (f) {
            case PERCENT -> Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.2f%%", v * 100);
            case DECIMAL -> ProgressBar.formatLoss(v);
        };
    }

    private static String join(List<String> cells) { return String.join(SEP, cells).stripTrailing(); }

    private static String padRight(String s, int w) { return s.length() >= w ? s : s + " ".repeat(w - s.length()); }

    private static String padLeft(String s, int w) { return s.length() >= w ? s : " ".repeat(w - s.length()) + s; }
}
