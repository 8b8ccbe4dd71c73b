package dev.hyperc.runtime.data;

import dev.hyperc.compiler.ir.DType;
import dev.hyperc.runtime.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * One split (train or test) of a {@link Dataset}: {@link #size()} examples, each with the
 * {@link #fields()} {@code x}, {@code y} and, when the model file gave a {@code task:} id,
 * {@code task}. Batches are written into caller-owned {@link HostTensor}s so that a training loop
 * can reuse its buffers step after step. Implementations are immutable, so {@code fill} may be
 * called from several threads at once (each with its own output tensors).
 *
 * <p>Image fields are f32 in [0, 1] (pixel / 255); labels, character ids and task ids are i32.
 */
public interface Split {
    /** The number of examples. */
    int size();

    /** The fields of every example, in the order {@code x}, {@code y}, {@code task}. */
    List<Field> fields();

    /**
     * The field called {@code name}.
     *
     * @throws DataError if there is none
     */
    default Field field(String name) {
        for (Field f : fields()) if (f.name().equals(name)) return f;
        throw new DataError("no dataset field '" + name + "' (fields: " + String.join(", ", fields().stream().map(Field::name).toList()) + ")");
    }

    /**
     * Writes field {@code field} of the examples {@code indices} (each in {@code [0, size())}) into
     * {@code out}, whose axis {@code batchAxis} has size {@code indices.length} and whose other axes
     * hold one example in row-major order (see {@link Field}). With {@code batchAxis == -1}, a
     * constant field writes its single value.
     *
     * @throws DataError if the field cannot fill a tensor of that type and shape (see
     *     {@link Field#check})
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size())}
     */
    void fill(int[] indices, String field, HostTensor out, int batchAxis);

    /**
     * Writes a batch of every field named in {@code out} (keys are field names), batch-major: each
     * tensor's axis 0 is the batch, except a rank-0 tensor for a constant field, which gets its
     * single value.
     */
    default void fill(int[] indices, Map<String, HostTensor> out) {
        for (Map.Entry<String, HostTensor> e : out.entrySet()) {
            fill(indices, e.getKey(), e.getValue(), e.getValue().rank() == 0 ? -1 : 0);
        }
    }

    /** Allocates and fills a batch of {@code field} with the given shape and batch axis. */
    default HostTensor batch(String field, int[] indices, int[] shape, int batchAxis) {
        Field f = field(field);
        int n = Math.toIntExact(HostTensor.numel(shape));
        HostTensor t = f.dtype() == DType.F32 ? HostTensor.f32(shape, new float[n]) : HostTensor.i32(shape, new int[n]);
        fill(indices, field, t, batchAxis);
        return t;
    }

    /** Allocates and fills a batch of {@code field} in its natural shape {@code [n, ...example shape]}. */
    default HostTensor batch(String field, int[] indices) {
        int[] s = field(field).shape();
        int[] shape = new int[s.length + 1];
        shape[0] = indices.length;
        System.arraycopy(s, 0, shape, 1, s.length);
        return batch(field, indices, shape, 0);
    }
}
