package dev.hyperc.compiler.lower;

import java.util.List;
import java.util.Map;

/**
 * A graph lowered for one batch size: buffers (with the arena layout of temporaries), kernels in
 * launch order, and where the caller finds things. This is the backend-neutral task graph that the
 * CPU executor interprets and the OpenCL backend generates code for.
 *
 * @param inputs   graph inputs by name (the caller writes them before a run)
 * @param params   parameter buffers by name (persistent; updated in place by a training step)
 * @param states   state buffers by name (persistent)
 * @param outputs  every graph output by "role:name", readable after a run
 * @param bodyParams for a scan body: the buffers its parameters are copied into
 * @param bodyYields for a scan body: the views of its yielded values
 * @param arenaSize elements in the temporaries' arena
 * @param values   where each stored IR value lives (fused-away values are absent); for debugging and tests.
 *                 A temporary's memory is reused after its last use, so read it only right after its kernel.
 * @param noiseStreams the counter-based random stream each noise value draws from (by value id)
 */
public record Schedule(List<Buffer> buffers, List<Kernel> kernels, Map<String, BufferRef> inputs, Map<String, BufferRef> params,
                       Map<String, BufferRef> states, Map<String, BufferRef> outputs, Map<Integer, Double> constants,
                       List<BufferRef> bodyParams, List<BufferRef> bodyYields, long arenaSize, long batch,
                       Map<Integer, BufferRef> values, Map<Integer, Integer> noiseStreams) {
    public Buffer buffer(int id) { return buffers.get(id); }
}
