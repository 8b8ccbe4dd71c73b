package dev.hyperc.compiler.ir;

import java.util.List;

/**
 * Where each parameter of a target network sits in the flat generated vector. Generated tensors
 * are views (slice + reshape) of that vector at these offsets, so the split copies nothing.
 *
 * <p>With {@link Packing#CONTIGUOUS} each tensor occupies {@code [offset, offset + size)}. With
 * {@link Packing#PER_FILTER} a layer's region is a matrix with one row per output filter holding
 * that filter's weights followed by its bias (Deutsch 2018's generators emit one such row per code);
 * an entry's offset is then that of its first element and its elements repeat every row.
 */
public record Layout(String target, Packing packing, List<Entry> entries, long size) {
    public Layout {
        entries = List.copyOf(entries);
    }

    public enum Packing {
        CONTIGUOUS, PER_FILTER;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public record Entry(String name, Shape shape, long offset) {
        public long numel() { return shape.numel().fixed(); }
    }
}
