package dev.hyperc.runtime.data;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.runtime.HostTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link Split} made of immutable columns, one per field. */
final class ColumnSplit implements Split {
    private final String dataset;
    private final int size;
    private final Map<String, Column> columns = new LinkedHashMap<>();
    private final List<Field> fields;

    ColumnSplit(String dataset, int size, List<Column> cols) {
        this.dataset = dataset;
        this.size = size;
        List<Field> fs = new ArrayList<>();
        for (Column c : cols) {
            columns.put(c.field.name(), c);
            fs.add(c.field);
        }
        this.fields = Collections.unmodifiableList(fs);
    }

    @Override
    public int size() { return size; }

    @Override
    public List<Field> fields() { return fields; }

    @Override
    public void fill(int[] indices, String field, HostTensor out, int batchAxis) {
        Column c = columns.get(field);
        if (c == null) field(field); // throws the DataError listing the fields
        Field f = c.field;
        int n = indices.length;
        f.check(dataset, null, out.isF32() ? DType.F32 : DType.I32, out.shape(), batchAxis, n);
        for (int ex : indices) {
            if (ex < 0 || ex >= size) throw new IndexOutOfBoundsException("example " + ex + " of a split of " + size);
        }
        int e = f.numel();
        if (batchAxis < 0) {
            c.read(0, 0, 1, out, 0);
            return;
        }
        int[] shape = out.shape();
        int q = 1;
        for (int i = batchAxis + 1; i < shape.length; i++) q *= shape[i];
        int p = e / q;
        for (int i = 0; i < n; i++) {
            int ex = indices[i];
            if (p == 1) {
                c.read(ex, 0, e, out, i * e);
            } else {
                for (int k = 0; k < p; k++) c.read(ex, k * q, q, out, (k * n + i) * q);
            }
        }
    }

    /** One field's values: reads elements {@code [from, from + len)} of an example into a tensor. */
    abstract static class Column {
        final Field field;

        Column(Field field) { this.field = field; }

        abstract void read(int example, int from, int len, HostTensor dst, int off);
    }

    /** Unsigned-byte pixels, one example after another, written as f32 pixel / 255. */
    static final class Pixels extends Column {
        private final byte[] data;

        Pixels(Field field, byte[] data) {
            super(field);
            this.data = data;
        }

        @Override
        void read(int example, int from, int len, HostTensor dst, int off) {
            float[] d = dst.f32();
            int src = example * field.numel() + from;
            for (int k = 0; k < len; k++) d[off + k] = (data[src + k] & 0xff) / 255f;
        }
    }

    /** Unsigned-byte labels, written as i32. */
    static final class ByteLabels extends Column {
        private final byte[] data;

        ByteLabels(Field field, byte[] data) {
            super(field);
            this.data = data;
        }

        @Override
        void read(int example, int from, int len, HostTensor dst, int off) {
            dst.i32()[off] = data[example] & 0xff;
        }
    }

    /** f32 values, {@code numel} per example, starting at example {@code first}. */
    static final class Floats extends Column {
        private final float[] data;
        private final int first;

        Floats(Field field, float[] data, int first) {
            super(field);
            this.data = data;
            this.first = first;
        }

        @Override
        void read(int example, int from, int len, HostTensor dst, int off) {
            System.arraycopy(data, (first + example) * field.numel() + from, dst.f32(), off, len);
        }
    }

    /** The same i32 value for every example. */
    static final class Constant extends Column {
        private final int value;

        Constant(Field field, int value) {
            super(field);
            this.value = value;
        }

        @Override
        void read(int example, int from, int len, HostTensor dst, int off) {
            dst.i32()[off] = value;
        }
    }

    /**
     * Character ids of non-overlapping sequences: example {@code i} is positions
     * {@code (first + i) * seq + shift + t} for {@code t < seq} ({@code shift} 1 gives the next
     * characters).
     */
    static final class Sequences extends Column {
        private final byte[] ids;
        private final int first, shift;

        Sequences(Field field, byte[] ids, int first, int shift) {
            super(field);
            this.ids = ids;
            this.first = first;
            this.shift = shift;
        }

        @Override
        void read(int example, int from, int len, HostTensor dst, int off) {
            int[] d = dst.i32();
            int src = (first + example) * field.numel() + shift + from;
            for (int k = 0; k < len; k++) d[off + k] = ids[src + k];
        }
    }
}
