package dev.hyperc.compiler.ir;

import java.util.List;

/**
 * Prints IR in its text format (modelled on JAX's jaxpr). The output is deterministic and
 * {@link IrParser} reads it back to an equal module, so golden tests can compare text:
 *
 * <pre>
 * hyperc.ir 1
 * module kata
 *
 * layout mlp size=544 {
 *   dense_1.w f32[16,32] @0
 *   dense_1.b f32[32] @512
 * }
 *
 * graph train {
 *   %0:f32[B,16] = input[name="x"]
 *   %1:f32[8] = param[name="z", init=normal(0.0, 1.0)]
 *   %5:f32[B,64] = matmul %3, %4 @12:7
 *   %9:f32[B,64], %10:f32[5,B,64] = scan[carries=1, sequences=1] %7, %8 {
 *     (%11:f32[B,64], %12:f32[B,16])
 *     %13:f32[B,64] = tanh %12
 *     yield next_h = %13, out = %13
 *   }
 *   output loss loss = %17
 * }
 * </pre>
 *
 * A node is its results with types, the op's mnemonic, its attributes in brackets (omitted when it has
 * none), its operands, and its source position when known. Attribute names and order come from
 * {@link IrCodec}'s table. Scan bodies print their parameters, nodes and yielded values in a block.
 */
public final class IrPrinter {
    private IrPrinter() {}

    private static final String INDENT = "  ";

    public static String print(IrModule m) {
        StringBuilder sb = new StringBuilder();
        sb.append("hyperc.ir ").append(IrModule.FORMAT_VERSION).append('\n');
        sb.append("module ").append(IrCodec.name(m.model())).append('\n');
        for (Layout l : m.layouts()) {
            sb.append('\n');
            layout(sb, l);
        }
        for (Graph g : m.graphs()) {
            sb.append('\n');
            graph(sb, g);
        }
        return sb.toString();
    }

    /** One graph block, {@code graph NAME { ... }}, ending in a newline. */
    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        graph(sb, g);
        return sb.toString();
    }

    /** One layout block, ending in a newline. */
    public static String print(Layout l) {
        StringBuilder sb = new StringBuilder();
        layout(sb, l);
        return sb.toString();
    }

    /** One node on one line (a scan's body included, on the lines that follow), without indentation or final newline. */
    public static String print(Node n) {
        StringBuilder sb = new StringBuilder();
        node(sb, n, "");
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    private static void layout(StringBuilder sb, Layout l) {
        sb.append("layout ").append(IrCodec.name(l.target()));
        // Contiguous packing is the common case and goes unsaid.
        if (l.packing() != Layout.Packing.CONTIGUOUS) sb.append(" packing=").append(l.packing().text());
        sb.append(" size=").append(l.size()).append(" {\n");
        for (Layout.Entry e : l.entries()) {
            sb.append(INDENT).append(IrCodec.name(e.name())).append(' ').append(TensorType.f32(e.shape()))
                    .append(" @").append(e.offset()).append('\n');
        }
        sb.append("}\n");
    }

    private static void graph(StringBuilder sb, Graph g) {
        sb.append("graph ").append(IrCodec.name(g.name())).append(" {\n");
        // Top-level graphs take no parameters; print the list only if one does, so that any graph round-trips.
        if (!g.params().isEmpty()) params(sb, g.params(), INDENT);
        for (Node n : g.nodes()) node(sb, n, INDENT);
        for (Graph.Output o : g.outputs()) {
            sb.append(INDENT).append("output ").append(o.role().text()).append(' ').append(IrCodec.name(o.name()))
                    .append(" = ").append(o.value()).append('\n');
        }
        sb.append("}\n");
    }

    private static void params(StringBuilder sb, List<Value> params, String indent) {
        sb.append(indent).append('(');
        for (int i = 0; i < params.size(); i++) {
            if (i > 0) sb.append(", ");
            typed(sb, params.get(i));
        }
        sb.append(")\n");
    }

    private static void typed(StringBuilder sb, Value v) {
        sb.append(v).append(':').append(v.type());
    }

    private static void node(StringBuilder sb, Node n, String indent) {
        sb.append(indent);
        for (int i = 0; i < n.results().size(); i++) {
            if (i > 0) sb.append(", ");
            typed(sb, n.results().get(i));
        }
        sb.append(n.results().isEmpty() ? "= " : " = ").append(n.op().mnemonic());
        IrCodec.Codec codec = IrCodec.forOp(n.op());
        if (!codec.attrs().isEmpty()) {
            sb.append('[');
            for (int i = 0; i < codec.attrs().size(); i++) {
                IrCodec.Attr a = codec.attrs().get(i);
                if (i > 0) sb.append(", ");
                sb.append(a.name()).append('=').append(IrCodec.format(a.kind(), a.get().apply(n.op())));
            }
            sb.append(']');
        }
        for (int i = 0; i < n.operands().size(); i++) sb.append(i == 0 ? " " : ", ").append(n.operands().get(i));
        if (n.origin().isKnown()) sb.append(" @").append(n.origin());
        if (n.op() instanceof Op.Scan s) {
            String inner = indent + INDENT;
            sb.append(" {\n");
            params(sb, s.body().params(), inner);
            for (Node b : s.body().nodes()) node(sb, b, inner);
            sb.append(inner).append("yield");
            List<Graph.Output> outs = s.body().outputs();
            for (int i = 0; i < outs.size(); i++) {
                sb.append(i == 0 ? " " : ", ").append(IrCodec.name(outs.get(i).name())).append(" = ").append(outs.get(i).value());
            }
            sb.append('\n').append(indent).append('}');
        }
        sb.append('\n');
    }
}
