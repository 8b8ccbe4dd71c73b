package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The model summary table (as Axon.Display prints): one row per layer with its output shape, its
 * learned parameters and the parameters generated for it by a hypernetwork.
 */
public final class Summary {
    public record Row(String layer, String kind, TensorType output, long params, long generated) {}

    private final List<Row> rows = new ArrayList<>();
    private boolean frozen;

    void add(String layer, String kind, TensorType output, long params, long generated) {
        if (!frozen) rows.add(new Row(layer, kind, output, params, generated));
    }

    void freeze() { frozen = true; }

    public List<Row> rows() { return List.copyOf(rows); }

    public long totalParams() { return rows.stream().mapToLong(Row::params).sum(); }

    public long totalGenerated() { return rows.stream().mapToLong(Row::generated).sum(); }

    public String render(String model) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"layer", "kind", "output shape", "params", "generated"});
        for (Row r : rows) {
            cells.add(new String[] {r.layer(), r.kind(), r.output().toString(), group(r.params()), group(r.generated())});
        }
        int[] w = new int[5];
        for (String[] c : cells) for (int i = 0; i < 5; i++) w[i] = Math.max(w[i], c[i].length());
        StringBuilder out = new StringBuilder("model ").append(model).append('\n');
        String rule = "+" + "-".repeat(w[0] + 2) + "+" + "-".repeat(w[1] + 2) + "+" + "-".repeat(w[2] + 2) + "+"
                + "-".repeat(w[3] + 2) + "+" + "-".repeat(w[4] + 2) + "+\n";
        out.append(rule);
        for (int r = 0; r < cells.size(); r++) {
            String[] c = cells.get(r);
            out.append(String.format(Locale.ROOT, "| %-" + w[0] + "s | %-" + w[1] + "s | %-" + w[2] + "s | %" + w[3] + "s | %" + w[4] + "s |%n",
                    (Object[]) c));
            if (r == 0) out.append(rule);
        }
        out.append(rule);
        out.append("total learned parameters:   ").append(group(totalParams()))
                .append(String.format(Locale.ROOT, " (%s)%n", bytes(totalParams() * 4)));
        out.append("total generated parameters: ").append(group(totalGenerated())).append('\n');
        return out.toString();
    }

    static String group(long n) { return String.format(Locale.ROOT, "%,d", n); }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.1f GiB", b / (1024.0 * 1024 * 1024));
    }
}
