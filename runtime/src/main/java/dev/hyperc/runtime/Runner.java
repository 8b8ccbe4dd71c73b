package dev.hyperc.runtime;

import dev.hyperc.compiler.lower.Schedule;

/** One compiled executable of a session (training step, evaluation, prediction, generation) on one backend. */
sealed interface Runner permits CpuRunner, ClRunner {
    Schedule schedule();

    /** Copies a dense batch into input {@code name}; the shape was checked by the session. */
    void bind(String name, HostTensor t);

    /** Runs every kernel once; {@code checked} asks for a finiteness check after each (where the backend can). */
    void run(long seed, boolean checked);

    /** The dense value of output {@code key} ({@code loss:loss}, {@code metric:acc}, {@code result:y}) after the last run. */
    float[] read(String key);

    int kernelCount();

    /** Bulk data as float: ids below 2^24 are exact in a float. */
    static void copyInto(String name, HostTensor t, float[] dst, int base) {
        if (t.isF32()) {
            System.arraycopy(t.f32(), 0, dst, base, t.numel());
            return;
        }
        int[] src = t.i32();
        for (int i = 0; i < src.length; i++) {
            if (Math.abs(src[i]) >= (1 << 24)) throw new IllegalArgumentException("input '" + name + "': id " + src[i] + " is too large (ids must be below 2^24)");
            dst[base + i] = src[i];
        }
    }
}
