package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.BufferRef;

/**
 * A {@link BufferRef} bound to memory: the array and the index of element (0, ..., 0). Shapes and
 * strides are ints here; schedules with views beyond 2^31 elements are rejected when bound.
 */
record Strided(float[] data, int base, int[] shape, int[] strides) {
    static Strided of(float[] data, int arenaBase, BufferRef r) {
        int[] sh = new int[r.rank()], st = new int[r.rank()];
        for (int i = 0; i < sh.length; i++) {
            sh[i] = Math.toIntExact(r.shape()[i]);
            st[i] = Math.toIntExact(r.strides()[i]);
        }
        return new Strided(data, Math.toIntExact(arenaBase + r.offset()), sh, st);
    }

    int rank() { return shape.length; }

    int numel() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    boolean contiguous() {
        int expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    /** One past the highest array index the view reaches (positive strides; a negative one adds nothing). */
    long end() {
        long last = base;
        for (int i = 0; i < shape.length; i++) last += (long) (shape[i] - 1) * Math.max(0, strides[i]);
        return last + 1;
    }

    /** Array index of the element with row-major flat index {@code flat}. */
    int at(int flat) {
        int idx = base;
        for (int i = shape.length - 1; i >= 0; i--) {
            int d = shape[i];
            idx += (flat % d) * strides[i];
            flat /= d;
        }
        return idx;
    }

    float get(int flat) { return data[at(flat)]; }

    void set(int flat, float v) { data[at(flat)] = v; }
}
