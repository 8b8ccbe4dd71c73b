package dev.hyperc.runtime;

import dev.hyperc.compiler.ir.Layout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Splits a generated flat vector [lead..., P] into named tensors by its layout, honouring per-filter
 * packing (a filter's weights then its bias in one row). Leading (per-sample) axes are kept.
 */
final class WeightSplit {
    private WeightSplit() {}

    static Map<String, HostTensor> split(Layout layout, HostTensor flat) {
        int[] fs = flat.shape();
        int p = fs[fs.length - 1];
        int lead = flat.numel() / Math.max(1, p);
        int[] leadShape = java.util.Arrays.copyOf(fs, fs.length - 1);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        if (layout.packing() == Layout.Packing.CONTIGUOUS) {
            for (Layout.Entry e : layout.entries()) {
                int n = (int) e.numel();
                float[] d = new float[lead * n];
                for (int l = 0; l < lead; l++) System.arraycopy(flat.f32(), l * p + (int) e.offset(), d, l * n, n);
                out.put(e.name(), HostTensor.f32(concat(leadShape, e.shape()), d));
            }
            return out;
        }
        // Per-filter: group entries by layer (consecutive weight/bias pairs sharing a filter count).
        var entries = layout.entries();
        for (int i = 0; i < entries.size(); ) {
            Layout.Entry w = entries.get(i);
            Layout.Entry b = i + 1 < entries.size() && entries.get(i + 1).shape().rank() == 1 && w.shape().rank() > 1 ? entries.get(i + 1) : null;
            boolean dense = w.shape().rank() == 2;
            long filters = dense ? w.shape().dim(1).fixed() : w.shape().dim(0).fixed();
            long perFilter = w.numel() / filters;
            long row = perFilter + (b == null ? 0 : 1);
            long start = w.offset();
            float[] wd = new float[(int) (lead * w.numel())], bd = b == null ? null : new float[(int) (lead * filters)];
            for (int l = 0; l < lead; l++) {
                for (long f = 0; f < filters; f++) {
                    int rowAt = (int) (l * p + start + f * row);
                    for (long k = 0; k < perFilter; k++) {
                        // Conv kernels are [O, rest]; dense weights are [in, out] with the filter axis last.
                        int dst = dense ? (int) (l * w.numel() + k * filters + f) : (int) (l * w.numel() + f * perFilter + k);
                        wd[dst] = flat.f32()[rowAt + (int) k];
                    }
                    if (bd != null) bd[(int) (l * filters + f)] = flat.f32()[rowAt + (int) perFilter];
                }
            }
            out.put(w.name(), HostTensor.f32(concat(leadShape, w.shape()), wd));
            if (b != null) out.put(b.name(), HostTensor.f32(concat(leadShape, b.shape()), bd));
            i += b == null ? 1 : 2;
        }
        return out;
    }

    private static int[] concat(int[] lead, dev.hyperc.compiler.ir.Shape s) {
        int[] out = java.util.Arrays.copyOf(lead, lead.length + s.rank());
        for (int i = 0; i < s.rank(); i++) out[lead.length + i] = (int) s.dim(i).fixed();
        return out;
    }
}
