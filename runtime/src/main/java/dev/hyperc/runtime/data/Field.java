package dev.hyperc.runtime.data;

import dev.hyperc.compiler.ir.DType;
import java.util.Arrays;

/**
 * One field of a dataset's examples: its name ({@code x}, {@code y} or {@code task}), element type
 * and per-example shape. A {@code constant} field has the same value for every example (the task
 * id); its per-example shape is {@code []}.
 *
 * <p>A batch of a field may be requested in any shape whose batch axis has the batch size and
 * whose other axes hold the example's {@link #numel()} elements, in row-major order: MNIST's
 * {@code x} (per example {@code [1, 28, 28]}) fits {@code [n, 1, 28, 28]} and {@code [n, 784]};
 * text's {@code x} (per example {@code [seq]}) fits {@code [n, seq]} and, time-major with batch
 * axis 1, {@code [seq, n]}. A constant field also fits {@code []} (no batch axis).
 */
public record Field(String name, DType dtype, int[] shape, boolean constant) {
    public Field {
        shape = shape.clone();
    }

    @Override
    public int[] shape() { return shape.clone(); }

    /** Elements per example. */
    public int numel() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** "f32[1, 28, 28]". */
    public String typeText() { return dtype.text() + Arrays.toString(shape); }

    /**
     * Checks that a batch of this field can be written into a tensor of type {@code dtype} and
     * shape {@code shape} with the batch on axis {@code batchAxis} ({@code -1}: no batch axis,
     * constant fields only), for a batch of {@code n} examples.
     *
     * @param dataset the dataset's name, for the message
     * @param input the model input this field feeds, for the message ({@code null}: unknown)
     * @throws DataError naming the dataset, field and input if they do not fit
     */
    public void check(String dataset, String input, DType dtype, int[] shape, int batchAxis, int n) {
        String target = (input == null ? "a tensor " : "model input " + input + ": ") + dtype.text() + Arrays.toString(shape);
        String me = dataset + " field " + name + " (" + typeText() + " per example" + (constant ? ", the same for every example" : "") + ")";
        if (dtype != this.dtype) throw new DataError(me + " cannot feed " + target + ": element types differ");
        if (batchAxis < 0) {
            long numel = 1;
            for (int d : shape) numel *= d;
            if (!constant) throw new DataError(me + " cannot feed " + target + ": it differs per example, so the input needs a batch axis");
            if (numel != 1) throw new DataError(me + " cannot feed " + target + ": a constant fills a single element or one per example");
            return;
        }
        if (batchAxis >= shape.length) throw new DataError(me + " cannot feed " + target + ": it has no batch axis " + batchAxis);
        if (shape[batchAxis] != n) {
            throw new DataError(me + " cannot feed " + target + ": its batch axis " + batchAxis + " has size " + shape[batchAxis] + " but the batch holds " + n + " examples");
        }
        long rest = 1;
        for (int i = 0; i < shape.length; i++) if (i != batchAxis) rest *= shape[i];
        if (rest != numel()) {
            throw new DataError(me + " cannot feed " + target + ": an example has " + numel() + " elements but the input has room for " + rest + " per example");
        }
    }
}
