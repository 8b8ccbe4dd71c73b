package dev.hyperc.runtime.report;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for a training epoch, redrawn in place with {@code \r} on a terminal:
 * <pre>
 * epoch 1/5 mnist [========>            ] 3200/8000  4120 samples/s  ETA 0:01  loss 0.4123
 * </pre>
 * <ul>
 *   <li>Redraws at most every {@value #MIN_REDRAW_NANOS} ns (10 per second), however often
 *       {@link #update} is called; the first update after {@link #start} always draws.</li>
 *   <li>Speed is the average since {@link #start}; the ETA is the remaining samples at that speed.</li>
 *   <li>{@link #finish} erases the line so that whatever the caller prints next (e.g. an {@link EpochTable}
 *       row) starts on a clean line. Call {@link #clear} before printing anything else mid-epoch.</li>
 *   <li>When not on a terminal it prints nothing at all: logs stay free of {@code \r} noise, and the caller's
 *       per-epoch output is the only output.</li>
 * </ul>
 * The output stream, the terminal flag and the clock are injected, so it can be tested. Not thread-safe:
 * call it from the training loop's thread.
 */
public final class ProgressBar {
    /** Minimum time between two redraws: 100 ms, i.e. at most 10 redraws a second. */
    public static final long MIN_REDRAW_NANOS = 100_000_000L;
    /** Line width when the terminal's is unknown: 79, so that an 80-column terminal never wraps. */
    public static final int DEFAULT_WIDTH = 79;
    private static final int MIN_BAR = 10;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;
    private final int width;

    private String label = "";
    private long total;
    private long startNanos;
    private long lastDraw;
    private boolean drawn;
    private int lastLength;
    private int redraws;

    /**
     * @param out where to draw
     * @param terminal whether {@code out} is an interactive terminal; when false nothing is ever printed
     * @param nanoClock a monotonic clock in nanoseconds, e.g. {@code System::nanoTime}
     * @param width the line width to fill (the bar shrinks to fit)
     */
    public ProgressBar(PrintStream out, boolean terminal, LongSupplier nanoClock, int width) {
        this.out = out;
        this.terminal = terminal;
        this.clock = nanoClock;
        this.width = width;
    }

    public ProgressBar(PrintStream out, boolean terminal, LongSupplier nanoClock) { this(out, terminal, nanoClock, DEFAULT_WIDTH); }

    /**
     * A bar on {@code out} that draws only when the process runs on a terminal ({@link #onTerminal()}), using
     * {@code $COLUMNS} - 1 as the width when the shell exports it.
     */
    public static ProgressBar forConsole(PrintStream out) {
        int w = DEFAULT_WIDTH;
        try {
            String cols = System.getenv("COLUMNS");
            if (cols != null) w = Math.max(40, Integer.parseInt(cols.trim()) - 1);
        } catch (NumberFormatException ignored) {
            // keep the default
        }
        return new ProgressBar(out, onTerminal(), System::nanoTime, w);
    }

    /**
     * Whether the process's standard input and output are an interactive terminal that understands
     * {@code \r}: {@link Console#isTerminal()} (since JDK 22, {@link System#console()} alone is non-null even when
     * output is redirected) and {@code $TERM} is not {@code dumb}.
     */
    public static boolean onTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    public boolean terminal() { return terminal; }

    /** How many times the line was drawn since construction (for tests and diagnostics). */
    public int redraws() { return redraws; }

    /** Begins a pass over {@code total} samples, e.g. {@code start("epoch 1/5 mnist", 8000)}. */
    public void start(String label, long total) {
        this.label = label;
        this.total = total;
        this.startNanos = clock.getAsLong();
        this.drawn = false;
    }

    /** Reports {@code done} samples processed so far and the latest batch's loss (NaN when unknown). */
    public void update(long done, double loss) {
        if (!terminal) return;
        long now = clock.getAsLong();
        if (drawn && now - lastDraw < MIN_REDRAW_NANOS) return;
        String line = render(done, loss, now - startNanos);
        StringBuilder b = new StringBuilder(line.length() + 8).append('\r').append(line);
        b.append(" ".repeat(Math.max(0, lastLength - line.length())));
        out.print(b);
        out.flush();
        lastLength = line.length();
        lastDraw = now;
        drawn = true;
        redraws++;
    }

    /** Erases the line, if one is drawn; the next output starts at the beginning of a clean line. */
    public void clear() {
        if (!terminal || lastLength == 0) return;
        out.print("\r" + " ".repeat(lastLength) + "\r");
        out.flush();
        lastLength = 0;
        drawn = false;
    }

    /** Ends the pass: erases the bar (on a terminal; otherwise does nothing). */
    public void finish() { clear(); }

    /** The line for {@code done} samples after {@code elapsedNanos}, without {@code \r}. */
    String render(long done, double loss, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? done / seconds : Double.NaN;
        String count = done + "/" + total;
        String speed = Double.isFinite(rate) && done > 0 ? String.format(Locale.ROOT, "%.0f samples/s", rate) : "- samples/s";
        String eta = "ETA " + (Double.isFinite(rate) && rate > 0 ? duration(Math.max(0, total - done) / rate) : "--:--");
        String lossText = "loss " + (Double.isNaN(loss) ? "-" : formatLoss(loss));
        String tail = " " + count + "  " + speed + "  " + eta + "  " + lossText;
        String head = label.isEmpty() ? "" : label + " ";
        int barWidth = Math.max(MIN_BAR, width - head.length() - tail.length() - 2);
        return head + "[" + bar(done, barWidth) + "]" + tail;
    }

    private String bar(long done, int w) {
        double frac = total > 0 ? Math.min(1.0, Math.max(0.0, (double) done / total)) : 0.0;
        int filled = (int) Math.floor(frac * w);
        StringBuilder b = new StringBuilder(w);
        for (int i = 0; i < w; i++) {
            if (i < filled) b.append('=');
            else if (i == filled && filled > 0) b.append('>');
            else b.append(' ');
        }
        return b.toString();
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour up. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    /** Four decimals, or scientific notation for values too small or large for them to show. */
    static String formatLoss(double v) {
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e6)) return String.format(Locale.ROOT, "%.3e", v);
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
