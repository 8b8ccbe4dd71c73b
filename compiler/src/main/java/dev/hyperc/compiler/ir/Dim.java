package dev.hyperc.compiler.ir;

/**
 * One dimension of a static shape: a fixed size, or a fixed multiple of the symbolic batch size B.
 * Allowing k·B (not just B) lets a batch axis be merged with fixed axes by a view, as flatten and
 * per-sample weight application need, while B·B stays unrepresentable and so is rejected.
 */
public record Dim(long coeff, boolean batch) {
    public static final Dim B = new Dim(1, true);

    public Dim {
        if (coeff < 0) throw new ShapeError("negative dimension " + coeff);
        if (batch && coeff == 0) throw new ShapeError("a batch dimension cannot be 0*B");
    }

    public static Dim of(long n) { return new Dim(n, false); }

    public boolean isFixed() { return !batch; }

    /** The size for a known batch. */
    public long size(long batchSize) { return batch ? coeff * batchSize : coeff; }

    public long fixed() {
        if (batch) throw new ShapeError("dimension " + this + " depends on the batch size");
        return coeff;
    }

    public Dim times(Dim other) {
        if (batch && other.batch) throw new ShapeError("cannot multiply two batch dimensions (" + this + " * " + other + ")");
        return new Dim(Math.multiplyExact(coeff, other.coeff), batch || other.batch);
    }

    public static Dim parse(String s) {
        s = s.trim();
        if (s.equals("B")) return B;
        if (s.startsWith("B*")) return new Dim(Long.parseLong(s.substring(2)), true);
        return of(Long.parseLong(s));
    }

    @Override
    public String toString() {
        if (!batch) return Long.toString(coeff);
        return coeff == 1 ? "B" : "B*" + coeff;
    }
}
