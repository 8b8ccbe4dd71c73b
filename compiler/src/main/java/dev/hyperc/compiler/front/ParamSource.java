package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.ShapeError;
import dev.hyperc.compiler.ir.TensorType;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a layer's parameters come from. At top level they are learned {@link Op.Param} leaves; inside
 * a target they are views of a generated flat vector; while a target is being declared they are
 * only recorded, to compute its layout.
 */
interface ParamSource {
    /** The layer's parameters, each with {@link #lead()} prepended to its shape. */
    List<Value> layer(Ctx ctx, String layer, List<ParamSpec> specs);

    /** Leading axes of every parameter this source hands out: [] when shared, [B] or [S] when per sample. */
    List<Dim> lead();

    /** True when the parameters are generated (for the summary's generated column). */
    boolean generated();

    /** Learned parameters: one {@link Op.Param} leaf per name per graph. */
    final class Learned implements ParamSource {
        private final Map<String, Value> made = new HashMap<>();

        public List<Value> layer(Ctx ctx, String layer, List<ParamSpec> specs) {
            List<Value> out = new ArrayList<>();
            for (ParamSpec s : specs) {
                String name = ctx.namespace + layer + "." + s.name();
                out.add(made.computeIfAbsent(name, n -> root(ctx).emit(new Op.Param(n, TensorType.f32(s.shape()), s.init()))));
            }
            return out;
        }

        /** Parameters are defined in the outermost graph and captured by scan bodies. */
        private static Ctx root(Ctx c) {
            while (c.parent != null) c = c.parent;
            return c;
        }

        public List<Dim> lead() { return List.of(); }

        public boolean generated() { return false; }
    }

    /** Records the layout of a target's parameters while its body is lowered once at declaration. */
    final class Recording implements ParamSource {
        final List<Layout.Entry> entries = new ArrayList<>();
        final Layout.Packing packing;
        long offset;

        Recording(Layout.Packing packing) { this.packing = packing; }

        public List<Value> layer(Ctx ctx, String layer, List<ParamSpec> specs) {
            List<Value> out = new ArrayList<>();
            long start = offset;
            long layerSize = 0;
            for (ParamSpec s : specs) layerSize += s.shape().numel().fixed();
            long filters = specs.isEmpty() ? 1 : specs.get(0).shape().dim(Math.max(0, specs.get(0).filterAxis())).fixed();
            long rowLength = filters == 0 ? 0 : layerSize / filters;
            long within = 0;
            for (ParamSpec s : specs) {
                long n = s.shape().numel().fixed();
                long off = packing == Layout.Packing.PER_FILTER ? start + within / filters : offset;
                entries.add(new Layout.Entry(ctx.namespace + layer + "." + s.name(), s.shape(), off));
                within += n;
                offset += n;
                out.add(ctx.emit(new Op.Param("probe." + layer + "." + s.name(), TensorType.f32(s.shape()), new Init.Zeros())));
            }
            if (packing == Layout.Packing.PER_FILTER && rowLength * filters != layerSize) {
                throw new IllegalStateException("layer " + layer + " does not split into equal filters");
            }
            return out;
        }

        public List<Dim> lead() { return List.of(); }

        public boolean generated() { return true; }
    }

    /**
     * Views of a generated flat vector w[lead..., P]: each parameter is a slice of the last axis
     * reshaped to its shape. Nothing is copied.
     */
    final class Generated implements ParamSource {
        private final Value flat;
        private final List<Dim> lead;
        private final Layout.Packing packing;
        /** The declared layout when applying a target: each layer must ask for exactly the parameters it recorded. */
        private final List<Layout.Entry> expected;
        private int next;
        private long offset;

        Generated(Value flat, Layout.Packing packing) {
            this(flat, packing, null);
        }

        Generated(Value flat, Layout.Packing packing, List<Layout.Entry> expected) {
            this.flat = flat;
            Shape s = flat.type().shape();
            this.lead = s.dims().subList(0, s.rank() - 1);
            this.packing = packing;
            this.expected = expected;
        }

        public List<Dim> lead() { return lead; }

        public boolean generated() { return true; }

        public List<Value> layer(Ctx ctx, String layer, List<ParamSpec> specs) {
            if (expected != null) {
                // Applied to inputs of another rank, a layer can read its sizes from other axes than when the
                // target was declared (batch_norm's default axis, say); the layout would then not fit.
                for (ParamSpec s : specs) {
                    Layout.Entry e = next < expected.size() ? expected.get(next) : null;
                    if (e == null || !e.shape().equals(s.shape())) {
                        throw new ShapeError("applied here, this layer would need parameters " + s.shape() + " but the target was declared with "
                                + (e == null ? "no more parameters" : e.shape()) + "; apply the target to inputs shaped like its declared argument");
                    }
                    next++;
                }
            }
            long layerSize = 0;
            for (ParamSpec s : specs) layerSize += s.shape().numel().fixed();
            int axis = lead.size();
            Value region = ctx.slice(flat, axis, offset, offset + layerSize);
            offset += layerSize;
            List<Value> out = new ArrayList<>();
            if (packing == Layout.Packing.CONTIGUOUS) {
                long within = 0;
                for (ParamSpec s : specs) {
                    long n = s.shape().numel().fixed();
                    Value part = ctx.slice(region, axis, within, within + n);
                    out.add(ctx.reshape(part, s.shape().prepend(lead)));
                    within += n;
                }
                return out;
            }
            // Per-filter packing: the region is [filters, row], each row one filter's weights then its bias.
            ParamSpec first = specs.get(0);
            long filters = first.shape().dim(first.filterAxis()).fixed();
            long row = layerSize / filters;
            Value rows = ctx.reshape(region, new Shape(List.of(Dim.of(filters), Dim.of(row))).prepend(lead));
            long within = 0;
            for (ParamSpec s : specs) {
                long perFilter = s.shape().numel().fixed() / filters;
                Value part = ctx.slice(rows, axis + 1, within, within + perFilter);
                within += perFilter;
                if (s.isBias() || s.filterAxis() == 0) {
                    out.add(ctx.reshape(part, s.shape().prepend(lead)));
                } else {
                    // A weight whose filter axis is last ([in, out]): rows are [out, in], so transpose the view.
                    List<Dim> moved = new ArrayList<>(List.of(Dim.of(filters)));
                    for (int i = 0; i < s.shape().rank(); i++) if (i != s.filterAxis()) moved.add(s.shape().dim(i));
                    Value v = ctx.reshape(part, new Shape(moved).prepend(lead));
                    int r = v.type().rank();
                    int[] perm = new int[r];
                    for (int i = 0; i < r; i++) perm[i] = i;
                    int f = axis, last = r - 1;
                    // Move the filter axis from the front of the parameter to its declared position.
                    int target = axis + s.filterAxis();
                    for (int i = f; i < target; i++) perm[i] = i + 1;
                    perm[target] = f;
                    if (target != f) v = ctx.emit(new Op.Transpose(perm), v);
                    assert last >= target;
                    out.add(v);
                }
            }
            return out;
        }
    }
}
