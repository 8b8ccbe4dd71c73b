package dev.hyperc.compiler.lower;

import java.util.Arrays;

/**
 * A strided window on a buffer, with the batch size already substituted: element (i0, i1, ...) lives at
 * {@code offset + Σ ik·strides[k]} of buffer {@code buffer}. Views of the IR (reshape, slice,
 * transpose, broadcast) become BufferRefs of the same buffer, so they never cost a kernel; a stride
 * of 0 is a broadcast.
 */
public record BufferRef(int buffer, long offset, long[] shape, long[] strides) {
    public BufferRef {
        shape = shape.clone();
        strides = strides.clone();
        if (shape.length != strides.length) throw new IllegalArgumentException("shape and strides differ in rank");
    }

    public static BufferRef contiguous(int buffer, long offset, long[] shape) {
        return new BufferRef(buffer, offset, shape, rowMajor(shape));
    }

    public static long[] rowMajor(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public int rank() { return shape.length; }

    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** True when the elements are the dense row-major range [offset, offset + numel). */
    public boolean isContiguous() {
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    /** One past the furthest element this view can touch (for liveness and bounds checks). */
    public long extent() {
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return offset;
            last += (shape[i] - 1) * Math.max(0, strides[i]);
        }
        return last + 1;
    }

    public BufferRef slice(int axis, long start, long end, long step) {
        long[] sh = shape.clone(), st = strides.clone();
        sh[axis] = (end - start + step - 1) / step;
        st[axis] = strides[axis] * step;
        return new BufferRef(buffer, offset + start * strides[axis], sh, st);
    }

    public BufferRef transpose(int[] perm) {
        long[] sh = new long[perm.length], st = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            sh[i] = shape[perm[i]];
            st[i] = strides[perm[i]];
        }
        return new BufferRef(buffer, offset, sh, st);
    }

    /** NumPy-style broadcast to a larger shape: new leading axes and size-1 axes get stride 0. */
    public BufferRef broadcast(long[] to) {
        long[] st = new long[to.length];
        int extra = to.length - shape.length;
        for (int i = 0; i < to.length; i++) {
            if (i < extra) st[i] = 0;
            else st[i] = shape[i - extra] == 1 && to[i] != 1 ? 0 : strides[i - extra];
        }
        return new BufferRef(buffer, offset, to, st);
    }

    /**
     * The same elements under a new shape, if the strides allow it without copying (NumPy's rule: each
     * group of old axes that merges into or splits from new axes must be contiguous among itself);
     * null when a copy is needed.
     */
    public BufferRef reshape(long[] to) {
        if (isContiguous()) return new BufferRef(buffer, offset, to, rowMajor(to));
        int n = 0;
        long[] od = new long[shape.length], os = new long[shape.length];
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] != 1) {
                od[n] = shape[k];
                os[n++] = strides[k];
            }
        }
        long[] ns = new long[to.length];
        java.util.Arrays.fill(ns, 1);
        int ni = 0, oi = 0;
        while (ni < to.length && oi < n) {
            long np = to[ni], op = od[oi];
            int nj = ni + 1, oj = oi + 1;
            while (np != op) {
                if (np < op) {
                    if (nj >= to.length) return null;
                    np *= to[nj++];
                } else {
                    if (oj >= n) return null;
                    op *= od[oj++];
                }
            }
            for (int ok = oi; ok < oj - 1; ok++) if (os[ok] != od[ok + 1] * os[ok + 1]) return null;
            ns[nj - 1] = os[oj - 1];
            for (int nk = nj - 1; nk > ni; nk--) ns[nk - 1] = ns[nk] * to[nk];
            ni = nj;
            oi = oj;
        }
        if (oi < n) return null;
        return new BufferRef(buffer, offset, to, ns);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BufferRef r && r.buffer == buffer && r.offset == offset && Arrays.equals(r.shape, shape)
                && Arrays.equals(r.strides, strides);
    }

    @Override
    public int hashCode() { return buffer * 31 + Long.hashCode(offset) + Arrays.hashCode(shape); }

    @Override
    public String toString() {
        return "buf" + buffer + "+" + offset + Arrays.toString(shape) + (isContiguous() ? "" : "/" + Arrays.toString(strides));
    }
}
