package dev.hyperc.compiler.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A static shape; at most the batch symbol B is left open, so every size is known once B is. */
public record Shape(List<Dim> dims) {
    public Shape {
        dims = List.copyOf(dims);
    }

    public static Shape of(long... sizes) {
        List<Dim> d = new ArrayList<>();
        for (long s : sizes) d.add(Dim.of(s));
        return new Shape(d);
    }

    public static Shape of(Dim... dims) { return new Shape(List.of(dims)); }

    public static final Shape SCALAR = new Shape(List.of());

    public int rank() { return dims.size(); }

    public Dim dim(int i) { return dims.get(i < 0 ? dims.size() + i : i); }

    /** Number of elements, as a Dim: fixed, or a multiple of B. */
    public Dim numel() {
        Dim n = Dim.of(1);
        for (Dim d : dims) n = n.times(d);
        return n;
    }

    public long numel(long batchSize) {
        long n = 1;
        for (Dim d : dims) n = Math.multiplyExact(n, d.size(batchSize));
        return n;
    }

    public boolean hasBatch() { return dims.stream().anyMatch(Dim::batch); }

    public Shape drop(int... axes) {
        List<Dim> out = new ArrayList<>();
        outer:
        for (int i = 0; i < dims.size(); i++) {
            for (int a : axes) if (a == i) continue outer;
            out.add(dims.get(i));
        }
        return new Shape(out);
    }

    public Shape with(int axis, Dim d) {
        List<Dim> out = new ArrayList<>(dims);
        out.set(axis, d);
        return new Shape(out);
    }

    public Shape append(Dim d) {
        List<Dim> out = new ArrayList<>(dims);
        out.add(d);
        return new Shape(out);
    }

    public Shape prepend(List<Dim> lead) {
        List<Dim> out = new ArrayList<>(lead);
        out.addAll(dims);
        return new Shape(out);
    }

    public Shape sub(int from, int to) { return new Shape(dims.subList(from, to)); }

    /** Normalises a possibly negative axis, rejecting one out of range. */
    public int axis(int axis) {
        int a = axis < 0 ? axis + rank() : axis;
        if (a < 0 || a >= rank()) throw new ShapeError("axis " + axis + " is out of range for shape " + this);
        return a;
    }

    /** NumPy broadcasting: shapes are aligned on the right; each pair of sizes must match or one must be 1. */
    public static Shape broadcast(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            Dim da = i < r - a.rank() ? Dim.of(1) : a.dims.get(i - (r - a.rank()));
            Dim db = i < r - b.rank() ? Dim.of(1) : b.dims.get(i - (r - b.rank()));
            if (da.equals(db)) out.add(da);
            else if (da.equals(Dim.of(1))) out.add(db);
            else if (db.equals(Dim.of(1))) out.add(da);
            else throw new ShapeError("shapes " + a + " and " + b + " do not broadcast (" + da + " vs " + db + ")");
        }
        return new Shape(out);
    }

    public static Shape parse(String text) {
        String t = text.trim();
        if (!t.startsWith("[") || !t.endsWith("]")) throw new IllegalArgumentException("bad shape " + text);
        String body = t.substring(1, t.length() - 1).trim();
        List<Dim> d = new ArrayList<>();
        if (!body.isEmpty()) for (String p : body.split(",")) d.add(Dim.parse(p));
        return new Shape(d);
    }

    @Override
    public String toString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
