package dev.hyperc.compiler.codegen;

import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Expr;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Schedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates OpenCL C 1.2 source for every kernel of a {@link Schedule} (and of its scan bodies) as ONE program,
 * plus the launch list a host runtime replays per step. Independent of any OpenCL binding: the FFM executor in the
 * runtime and a future TornadoVM backend consume the same {@link Program}.
 *
 * <p><b>Memory model.</b> Each persistent/input/const buffer of a schedule is its own device memory object
 * ({@link Mem}); all temporaries of a schedule share one arena memory object at the offsets the memory plan chose.
 * A scan body is a separate scope with its own memory objects (and staging buffers for the carries).
 *
 * <p><b>Kernel ABI.</b> {@code __kernel void kN(__global float* m0, ..., __global float* mK, const ulong seed, const int dyn)}:
 * one pointer per distinct memory object the kernel touches (in {@link Launch#mems()} order), the step's noise seed,
 * and a dynamic element index used only by scan copies. Every shape, stride and offset (including arena offsets)
 * is a compile-time constant: a schedule is specialised to one batch size, so the source is fully static and
 * deterministic (same schedule and options → byte-identical source).
 *
 * <p><b>Device specialisation.</b> {@link DeviceKind#CPU} (PoCL and other CPU drivers): matmul is an explicitly
 * vectorised register-blocked kernel, a {@link #CPU_ROWS}×16 block per work-item with float16 accumulators along N.
 * {@link DeviceKind#GPU}: matmul is a local-memory tiled kernel with TS×TS work-groups, TS = 16 when the device allows
 * 256 work-items per group, else 8. Elementwise and small kernels are one work-item per output element on both;
 * global sizes are rounded up to a multiple of 64 with a bounds guard, and the local size is left to the driver.
 */
public final class OpenClCodegen {
    public enum DeviceKind { CPU, GPU }

    /** @param fp64 whether the device has cl_khr_fp64 (needed for bit-exact counter-based noise; falls back to float math) */
    public record Options(DeviceKind kind, long maxWorkGroupSize, boolean fp64) {
        public static Options cpu() { return new Options(DeviceKind.CPU, 4096, true); }
    }

    /** A device memory object: buffer {@code buffer} of scope {@code scope}, its arena ({@code buffer == -1}) or a staging buffer (-2). */
    public record Mem(int scope, int buffer, long floats, Buffer.Kind kind, String name, double fill) {}

    /** What the host replays per step. */
    public sealed interface Step {}

    /**
     * Launches kernel {@code kernel} with the memory objects {@code mems} (indices into {@link Program#mems()}) as its
     * pointer arguments. {@code global} has 1–3 dimensions; {@code local} is null (driver's choice) or the same rank.
     */
    public record Launch(String kernel, int[] mems, long[] global, long[] local, String label, Origin origin) implements Step {}

    /**
     * A scan: run {@code prologue} once; for each step s (t = reverse ? steps-1-s : s) run {@code in} with dyn = t, {@code body}
     * with seed' = seed·1000003 + t (Java long arithmetic), then {@code out} with dyn = t; finally {@code epilogue}.
     */
    public record ScanLoop(List<Step> prologue, long steps, boolean reverse, List<Step> in, List<Step> body, List<Step> out,
                           List<Step> epilogue, String label, Origin origin) implements Step {}

    /**
     * @param topMem  for each buffer id of the top-level schedule, its memory object
     * @param topBase for each buffer id of the top-level schedule, its element offset inside that memory object
     */
    public record Program(String source, List<Mem> mems, List<Step> steps, int[] topMem, long[] topBase, int kernelCount) {}

    /** Elements per work-item row block of the CPU matmul. */
    public static final int CPU_ROWS = 8;
    static final int VEC = 16;

    private final Options opt;
    private final StringBuilder src = new StringBuilder();
    private final List<Mem> mems = new ArrayList<>();
    private int kernels;
    private int scopes;

    private OpenClCodegen(Options opt) { this.opt = opt; }

    public static Program generate(Schedule s, Options opt) {
        OpenClCodegen g = new OpenClCodegen(opt);
        g.preamble();
        Scope top = g.scope(s);
        List<Step> steps = g.steps(top);
        int[] tm = new int[s.buffers().size()];
        long[] tb = new long[s.buffers().size()];
        for (Buffer b : s.buffers()) {
            View v = top.view(BufferRef.contiguous(b.id(), 0, new long[] {b.size()}));
            tm[b.id()] = v.mem;
            tb[b.id()] = v.base;
        }
        return new Program(g.src.toString(), List.copyOf(g.mems), steps, tm, tb, g.kernels);
    }

    // ---------------------------------------------------------------- scopes and views

    /** A resolved window: memory object, element offset of element (0,...,0), shape, strides. */
    record View(int mem, long base, long[] shape, long[] strides) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        int rank() { return shape.length; }

        View shifted(long by) { return new View(mem, base + by, shape, strides); }

        boolean contiguous() {
            long expect = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] != 1 && strides[i] != expect) return false;
                expect *= shape[i];
            }
            return true;
        }
    }

    final class Scope {
        final Schedule s;
        final int id;
        final int[] memOf;
        int arena = -1;

        Scope(Schedule s) {
            this.s = s;
            this.id = scopes++;
            memOf = new int[s.buffers().size()];
            for (Buffer b : s.buffers()) {
                if (b.kind() == Buffer.Kind.TEMP) {
                    if (arena < 0) {
                        arena = mems.size();
                        mems.add(new Mem(id, -1, Math.max(1, s.arenaSize()), Buffer.Kind.TEMP, "arena" + (id == 0 ? "" : "#" + id), 0));
                    }
                    memOf[b.id()] = arena;
                } else {
                    memOf[b.id()] = mems.size();
                    Double c = s.constants().get(b.id());
                    mems.add(new Mem(id, b.id(), Math.max(1, b.size()), b.kind(), b.name() + (id == 0 ? "" : "#" + id), c == null ? 0 : c));
                }
            }
        }

        View view(BufferRef r) {
            Buffer b = s.buffer(r.buffer());
            long base = (b.kind() == Buffer.Kind.TEMP ? Math.max(0, b.arenaOffset()) : 0) + r.offset();
            View v = new View(memOf[r.buffer()], base, r.shape(), r.strides());
            long ext = base;
            for (int i = 0; i < r.rank(); i++) ext += Math.max(0, r.shape()[i] - 1) * Math.abs(r.strides()[i]);
            if (ext >= Integer.MAX_VALUE) throw new UnsupportedOperationException("OpenCL codegen: view " + r + " needs 64-bit indexing");
            return v;
        }
    }

    private Scope scope(Schedule s) { return new Scope(s); }

    private List<Step> steps(Scope sc) {
        List<Step> out = new ArrayList<>();
        for (Kernel k : sc.s.kernels()) {
            if (k instanceof Kernel.Scan scan) out.add(scan(sc, scan));
            else out.add(kernel(sc, k));
        }
        return out;
    }

    // ---------------------------------------------------------------- kernel builder

    /** One kernel under construction: its pointer arguments and body. */
    private final class KB {
        final String name = "k" + kernels++;
        final List<Integer> args = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        final StringBuilder helpers = new StringBuilder();
        int tmp;
        /** The shape a fused kernel iterates over in row-major order by its flat id; null in other kernels. */
        long[] iter;

        /** The element of v at the flat iteration id: a plain offset when v is dense in the iteration's own shape. */
        String at(View v, String[] idx, String flat) {
            if (iter != null && flat != null && v.contiguous() && Arrays.equals(v.shape, iter)) return v.base + " + " + flat;
            return at(v, idx);
        }

        String ptr(View v) {
            int i = args.indexOf(v.mem);
            if (i < 0) {
                args.add(v.mem);
                i = args.size() - 1;
            }
            return "m" + i;
        }

        String fresh(String p) { return p + (tmp++); }

        KB line(String s) {
            body.append("    ").append(s).append('\n');
            return this;
        }

        Launch finish(String label, Origin origin, long[] global, long[] local) {
            src.append(helpers);
            src.append("__kernel void ").append(name).append('(');
            for (int i = 0; i < args.size(); i++) src.append("__global float* m").append(i).append(", ");
            src.append("const ulong seed, const int dyn) {\n").append(body);
            if (body.indexOf("#define nearest") >= 0) src.append("#undef nearest\n");
            src.append("}\n\n");
            return new Launch(name, args.stream().mapToInt(Integer::intValue).toArray(), global, local, label, origin);
        }

        /** A 1-D kernel over n elements with {@code gid} in scope. */
        Launch finish1(String label, Origin origin, long n) {
            return finish(label, origin, new long[] {Math.max(64, (n + 63) / 64 * 64)}, null);
        }

        void gid(long n) {
            line("const int gid = get_global_id(0);");
            line("if (gid >= " + n + ") return;");
        }

        /** Declares ints {@code p0..} with the row-major coordinates of {@code flat} over {@code shape}; returns their names. */
        String[] coords(String flat, long[] shape, String p) {
            String[] idx = new String[shape.length];
            long inner = 1;
            for (int k = shape.length - 1; k >= 0; k--) {
                if (shape[k] == 1) idx[k] = "0";
                else {
                    idx[k] = fresh(p);
                    String q = inner == 1 ? flat : "(" + flat + " / " + inner + ")";
                    boolean outermost = true;
                    for (int j = 0; j < k; j++) outermost &= shape[j] == 1;
                    line("const int " + idx[k] + " = " + (outermost ? q : q + " % " + shape[k]) + ";");
                }
                inner *= shape[k];
            }
            return idx;
        }

        /** The element offset of a view at coordinates {@code idx} (same rank as the view). */
        String at(View v, String[] idx) {
            StringBuilder sb = new StringBuilder().append(v.base);
            for (int k = 0; k < v.rank(); k++) {
                if (v.shape[k] == 1 || v.strides[k] == 0 || idx[k].equals("0")) continue;
                sb.append(" + ").append(idx[k]);
                if (v.strides[k] != 1) sb.append(" * ").append(v.strides[k]);
            }
            return sb.toString();
        }

        /** {@code ptr[at(...)]} for the row-major flat index {@code flat} of the view. */
        String elem(View v, String flat) {
            if (v.contiguous()) return ptr(v) + "[" + v.base + " + " + flat + "]";
            String f = fresh("f");
            line("const int " + f + " = " + flat + ";");
            return ptr(v) + "[" + at(v, coords(f, v.shape, "c")) + "]";
        }
    }

    // ---------------------------------------------------------------- preamble and expressions

    private void preamble() {
        src.append("// generated by hyperc OpenClCodegen (").append(opt.kind()).append(")\n");
        if (opt.fp64()) src.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
        src.append("#pragma OPENCL FP_CONTRACT OFF\n\n");
        src.append("inline ulong hc_mix(ulong z) {\n    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;\n    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;\n"
                + "    return z ^ (z >> 31);\n}\n\n");
        String real = opt.fp64() ? "double" : "float";
        src.append("inline ").append(real).append(" hc_uniform(ulong seed, long stream, ulong i) {\n")
                .append("    ulong h = hc_mix(seed * 0x9E3779B97F4A7C15UL + hc_mix((ulong)stream + 0x632BE59BD9B4E019UL) + i * 0xD1B54A32D192ED03UL);\n")
                .append(opt.fp64() ? "    return ((double)(h >> 11) + 0.5) * 0x1.0p-53;\n" : "    return ((float)(h >> 40) + 0.5f) * 0x1.0p-24f;\n")
                .append("}\n\n");
        src.append("inline float hc_noise_uniform(ulong seed, long stream, ulong i, float a, float b) {\n")
                .append("    return (float)((").append(real).append(")a + (").append(real).append(")(b - a) * hc_uniform(seed, stream, i));\n}\n\n");
        src.append("inline float hc_noise_normal(ulong seed, long stream, ulong i, float a, float b) {\n")
                .append("    ").append(real).append(" u1 = hc_uniform(seed, stream, 2 * i), u2 = hc_uniform(seed, stream, 2 * i + 1);\n")
                .append("    return (float)((").append(real).append(")a + (").append(real).append(")b * sqrt(-2 * log(u1)) * cos(2 * M_PI")
                .append(opt.fp64() ? "" : "_F").append(" * u2));\n}\n\n");
    }

    static String lit(double d) {
        float f = (float) d;
        if (Float.isNaN(f)) return "NAN";
        if (Float.isInfinite(f)) return f > 0 ? "INFINITY" : "(-INFINITY)";
        if (f == 0) return (1 / f < 0) ? "(-0.0f)" : "0.0f";
        return "(" + Float.toHexString(f) + "f)";
    }

    /** Emits statements computing {@code e} at coordinates {@code idx} (flat row-major index {@code flat}); returns the variable. */
    private String expr(KB kb, Scope sc, Expr e, String[] idx, String flat) {
        String v = kb.fresh("v");
        String rhs = switch (e) {
            case Expr.Load l -> {
                View w = sc.view(l.ref());
                if (w.rank() != idx.length) throw new IllegalStateException("load rank " + w.rank() + " vs index rank " + idx.length);
                yield kb.ptr(w) + "[" + kb.at(w, idx, flat) + "]";
            }
            case Expr.Scalar s -> lit(s.value());
            case Expr.Unary u -> {
                String x = expr(kb, sc, u.x(), idx, flat);
                yield switch (u.fn()) {
                    case NEG -> "-" + x;
                    case EXP -> "exp(" + x + ")";
                    case LOG -> "log(" + x + ")";
                    case SQRT -> "sqrt(" + x + ")";
                    case RSQRT -> "1.0f / sqrt(" + x + ")";
                    case TANH -> "tanh(" + x + ")";
                    case SIGMOID -> "1.0f / (1.0f + exp(-" + x + "))";
                    case RELU -> "fmax(" + x + ", 0.0f)";
                    case ABS -> "fabs(" + x + ")";
                    case SQUARE -> x + " * " + x;
                    case RECIP -> "1.0f / " + x;
                    case STEP -> "(" + x + " > 0.0f ? 1.0f : 0.0f)";
                };
            }
            case Expr.LeakyRelu l -> {
                String x = expr(kb, sc, l.x(), idx, flat);
                yield "fmax(" + x + ", " + lit(l.alpha()) + " * " + x + ")";
            }
            case Expr.Binary b -> {
                String x = expr(kb, sc, b.a(), idx, flat), y = expr(kb, sc, b.b(), idx, flat);
                yield switch (b.fn()) {
                    case ADD -> x + " + " + y;
                    case SUB -> x + " - " + y;
                    case MUL -> x + " * " + y;
                    case DIV -> x + " / " + y;
                    case MAX -> "fmax(" + x + ", " + y + ")";
                    case MIN -> "fmin(" + x + ", " + y + ")";
                    case POW -> "pow(" + x + ", " + y + ")";
                    case GT -> "(" + x + " > " + y + " ? 1.0f : 0.0f)";
                    case GE -> "(" + x + " >= " + y + " ? 1.0f : 0.0f)";
                    case LT -> "(" + x + " < " + y + " ? 1.0f : 0.0f)";
                    case LE -> "(" + x + " <= " + y + " ? 1.0f : 0.0f)";
                    case EQ -> "(" + x + " == " + y + " ? 1.0f : 0.0f)";
                };
            }
            case Expr.Select s -> {
                String c = expr(kb, sc, s.cond(), idx, flat), a = expr(kb, sc, s.a(), idx, flat), b = expr(kb, sc, s.b(), idx, flat);
                yield "(" + c + " != 0.0f ? " + a + " : " + b + ")";
            }
            case Expr.Cast c -> {
                String x = expr(kb, sc, c.x(), idx, flat);
                yield c.toInt() ? "(float)convert_int_sat_rtz(" + x + ")" : x;
            }
            case Expr.Noise n -> (n.distribution() == Init.Distribution.UNIFORM ? "hc_noise_uniform" : "hc_noise_normal") + "(seed, "
                    + n.stream() + ", (ulong)(" + flat + "), " + lit(n.a()) + ", " + lit(n.b()) + ")";
        };
        kb.line("const float " + v + " = " + rhs + ";");
        return v;
    }

    // ---------------------------------------------------------------- kernels

    private static String label(Kernel k) {
        var w = dev.hyperc.compiler.lower.Kernels.writes(k);
        return k.getClass().getSimpleName() + (w.isEmpty() ? "" : Arrays.toString(w.get(0).shape()));
    }

    private Launch kernel(Scope sc, Kernel k) {
        KB kb = new KB();
        String label = label(k);
        Origin o = k.origin();
        kb.body.append("    // ").append(label).append('\n');
        switch (k) {
            case Kernel.Fused f -> { return elementwise(kb, sc, List.of(f), label, o); }
            // Each work-item runs every part at its element in order; a part reads an earlier part's output only at
            // this element, which this work-item has just written.
            case Kernel.FusedGroup g -> { return elementwise(kb, sc, g.parts(), label, o); }
            case Kernel.Reduce r -> { return reduce(kb, sc, r, label); }
            case Kernel.MatMul m -> { return matmul(kb, sc, m.epilogue(), sc.view(m.out()), sc.view(m.a()), sc.view(m.b()), label, o); }
            case Kernel.Conv2d c -> { return conv(kb, sc, c.out(), c.x(), c.k(), c.stride(), c.padding(), 0, c.epilogue(), label, o); }
            case Kernel.Conv2dGradInput c -> { return conv(kb, sc, c.dy(), c.out(), c.k(), c.stride(), c.padding(), 1, List.of(), label, o); }
            case Kernel.Conv2dGradKernel c -> { return conv(kb, sc, c.dy(), c.x(), c.out(), c.stride(), c.padding(), 2, List.of(), label, o); }
            case Kernel.Pool2d p -> { return pool(kb, sc, p.kind(), p.out(), p.x(), null, p.window(), p.stride(), p.padding(), label, o); }
            case Kernel.Pool2dGrad p -> { return pool(kb, sc, p.kind(), p.out(), p.x(), p.dy(), p.window(), p.stride(), p.padding(), label, o); }
            case Kernel.LogSumExp l -> { return axisKernel(kb, sc.view(l.out()), sc.view(l.x()), l.axis(), true, label, o); }
            case Kernel.ArgMax a -> { return axisKernel(kb, sc.view(a.out()), sc.view(a.x()), a.axis(), false, label, o); }
            case Kernel.Gather g -> {
                View out = sc.view(g.out()), t = sc.view(g.table()), ids = sc.view(g.ids());
                long rows = t.shape[0], row = t.numel() / Math.max(1, rows), n = out.numel();
                kb.gid(n);
                kb.line("const int i = gid / " + row + ", j = gid % " + row + ";");
                kb.line("const float idf = " + kb.elem(ids, "i") + ";");
                kb.line("const int id = convert_int_sat_rtz(idf);");
                kb.line("float v = NAN;");
                kb.line("if ((float)id == idf && id >= 0 && id < " + rows + ") v = " + kb.elem(t, "id * " + row + " + j") + ";");
                kb.line(kb.elem(out, "gid") + " = v;");
                return kb.finish1(label, o, n);
            }
            case Kernel.ScatterAdd s -> {
                View out = sc.view(s.out()), ids = sc.view(s.ids()), u = sc.view(s.updates());
                long rows = out.shape[0], row = out.numel() / Math.max(1, rows), n = out.numel(), nid = ids.numel();
                kb.gid(n);
                kb.line("const int k = gid / " + row + ", j = gid % " + row + ";");
                kb.line("float acc = 0.0f;");
                kb.line("for (int i = 0; i < " + nid + "; i++) {");
                kb.line("  if (" + kb.elem(ids, "i") + " == (float)k) acc += " + kb.elem(u, "i * " + row + " + j") + ";");
                kb.line("}");
                kb.line(kb.elem(out, "gid") + " = acc;");
                return kb.finish1(label, o, n);
            }
            case Kernel.OneHot h -> {
                View out = sc.view(h.out()), ids = sc.view(h.ids());
                long depth = out.shape[out.rank() - 1], n = out.numel();
                kb.gid(n);
                kb.line("const int i = gid / " + depth + ", d = gid % " + depth + ";");
                kb.line(kb.elem(out, "gid") + " = " + kb.elem(ids, "i") + " == (float)d ? 1.0f : 0.0f;");
                return kb.finish1(label, o, n);
            }
            case Kernel.Copy c -> { return copy(kb, sc.view(c.out()), sc.view(c.in()), 0, 0, label, o); }
            case Kernel.Fill f -> {
                View out = sc.view(f.out());
                kb.gid(out.numel());
                kb.line(kb.elem(out, "gid") + " = " + lit(f.value()) + ";");
                return kb.finish1(label, o, out.numel());
            }
            case Kernel.PairwiseDist p -> {
                View out = sc.view(p.out()), x = sc.view(p.x());
                long n = x.shape[0], d = x.shape[1];
                kb.gid(n * n);
                kb.line("const int i = gid / " + n + ", j = gid % " + n + ";");
                kb.line("float s = 0.0f;");
                kb.line("for (int k = 0; k < " + d + "; k++) { const float t = " + kb.elem(x, "i * " + d + " + k") + " - "
                        + kb.elem(x, "j * " + d + " + k") + "; s += t * t; }");
                kb.line(kb.elem(out, "gid") + " = sqrt(s);");
                return kb.finish1(label, o, n * n);
            }
            case Kernel.NearestDist p -> {
                View out = sc.view(p.out()), x = sc.view(p.x());
                long n = x.shape[0];
                kb.gid(n);
                nearestFn(kb, x);
                kb.line("float dist;");
                kb.line("nearest(gid, &dist);");
                kb.line(kb.elem(out, "gid") + " = dist;");
                return kb.finish1(label, o, n);
            }
            case Kernel.NearestDistGrad p -> {
                View out = sc.view(p.out()), x = sc.view(p.x()), dy = sc.view(p.dy());
                long n = x.shape[0], d = x.shape[1];
                kb.gid(n * d);
                nearestFn(kb, x);
                kb.line("const int a = gid / " + d + ", k = gid % " + d + ";");
                kb.line("float acc = 0.0f, dist;");
                kb.line("for (int i = 0; i < " + n + "; i++) {");
                kb.line("  const int j = nearest(i, &dist);");
                kb.line("  if (i != a && j != a) continue;");
                kb.line("  const float g = " + kb.elem(dy, "i") + " / dist;");
                kb.line("  const float diff = " + kb.elem(x, "i * " + d + " + k") + " - " + kb.elem(x, "j * " + d + " + k") + ";");
                kb.line("  if (i == a) acc += g * diff;");
                kb.line("  if (j == a) acc -= g * diff;");
                kb.line("}");
                kb.line(kb.elem(out, "gid") + " = acc;");
                return kb.finish1(label, o, n * d);
            }
            case Kernel.Scan s -> throw new IllegalStateException("scan handled by the caller");
        }
    }

    /** Emits {@code kN_nearest(x, i, &dist)}: the nearest other row of the [n, d] view x and its distance (ties: the lowest row). */
    private void nearestFn(KB kb, View x) {
        long n = x.shape[0], d = x.shape[1], s0 = x.strides[0], s1 = x.strides[1];
        kb.helpers.append("int ").append(kb.name).append("_nearest(__global const float* x, const int i, float* dist) {\n")
                .append("    int best = -1; float bd = INFINITY;\n")
                .append("    for (int j = 0; j < ").append(n).append("; j++) {\n")
                .append("        if (j == i) continue;\n        float s = 0.0f;\n")
                .append("        for (int k = 0; k < ").append(d).append("; k++) { const float t = x[").append(x.base).append(" + i * ").append(s0)
                .append(" + k * ").append(s1).append("] - x[").append(x.base).append(" + j * ").append(s0).append(" + k * ").append(s1)
                .append("]; s += t * t; }\n")
                .append("        if (s < bd) { bd = s; best = j; }\n    }\n    *dist = sqrt(bd);\n    return best;\n}\n\n");
        kb.line("#define nearest(I, D) " + kb.name + "_nearest(" + kb.ptr(x) + ", I, D)");
    }

    private Launch copy(KB kb, View out, View in, long outShift, long inShift, String label, Origin o) {
        long n = out.numel();
        kb.gid(n);
        String oe, ie;
        if (Arrays.equals(out.shape, in.shape)) {
            String[] idx = kb.coords("gid", out.shape, "i");
            oe = kb.ptr(out) + "[" + kb.at(out, idx) + (outShift != 0 ? " + dyn * " + outShift : "") + "]";
            ie = kb.ptr(in) + "[" + kb.at(in, idx) + (inShift != 0 ? " + dyn * " + inShift : "") + "]";
        } else {
            oe = kb.elem(out, "gid");
            ie = kb.elem(in, "gid");
            if (outShift != 0) oe = oe.substring(0, oe.length() - 1) + " + dyn * " + outShift + "]";
            if (inShift != 0) ie = ie.substring(0, ie.length() - 1) + " + dyn * " + inShift + "]";
        }
        kb.line(oe + " = " + ie + ";");
        return kb.finish1(label, o, n);
    }

    private Launch reduce(KB kb, Scope sc, Kernel.Reduce r, String label) {
        View out = sc.view(r.out());
        long[] in = r.inShape();
        boolean[] red = new boolean[in.length];
        for (int a : r.axes()) red[a] = true;
        List<Long> kept = new ArrayList<>(), gone = new ArrayList<>();
        long count = 1;
        for (int i = 0; i < in.length; i++) {
            if (red[i]) {
                gone.add(in[i]);
                count *= in[i];
            } else kept.add(in[i]);
        }
        long n = out.numel();
        kb.gid(n);
        String[] oidx = kb.coords("gid", out.shape, "o");
        String[] kidx = kb.coords("gid", kept.stream().mapToLong(Long::longValue).toArray(), "q");
        String init = switch (r.fn()) {
            case SUM, MEAN -> "0.0f";
            case MAX -> "-INFINITY";
            case MIN -> "INFINITY";
        };
        kb.line("float acc = " + init + ", comp = 0.0f;");
        kb.line("for (int r = 0; r < " + count + "; r++) {");
        KB inner = kb;
        String[] ridx = inner.coords("r", gone.stream().mapToLong(Long::longValue).toArray(), "w");
        String[] idx = new String[in.length];
        int ki = 0, gi = 0;
        long[] rm = BufferRef.rowMajor(in);
        StringBuilder flat = new StringBuilder("0");
        for (int i = 0; i < in.length; i++) {
            idx[i] = red[i] ? ridx[gi++] : kidx[ki++];
            if (!idx[i].equals("0")) flat.append(" + (long)").append(idx[i]).append(" * ").append(rm[i]);
        }
        String v = expr(kb, sc, r.in(), idx, flat.toString());
        switch (r.fn()) {
            case SUM, MEAN -> kb.line("{ const float y = " + v + " - comp; const float t = acc + y; comp = (t - acc) - y; acc = t; }");
            case MAX -> kb.line("acc = fmax(acc, " + v + ");");
            case MIN -> kb.line("acc = fmin(acc, " + v + ");");
        }
        kb.line("}");
        kb.line(kb.ptr(out) + "[" + kb.at(out, oidx) + "] = " + (r.fn() == Op.ReduceFn.MEAN ? "acc / " + lit(count) : "acc") + ";");
        return kb.finish1(label, r.origin(), n);
    }

    private Launch axisKernel(KB kb, View out, View x, int axis, boolean lse, String label, Origin o) {
        long[] oshape = new long[x.rank() - 1], ostr = new long[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) {
            if (i == axis) continue;
            oshape[j] = x.shape[i];
            ostr[j++] = x.strides[i];
        }
        long m = 1;
        for (long d : oshape) m *= d;
        long n = x.shape[axis], st = x.strides[axis];
        kb.gid(m);
        View outer = new View(x.mem, x.base, oshape, ostr);
        String[] idx = kb.coords("gid", oshape, "i");
        String p = kb.ptr(x);
        kb.line("const int b = " + kb.at(outer, idx) + ";");
        if (lse) {
            kb.line("float mx = -INFINITY;");
            kb.line("for (int j = 0; j < " + n + "; j++) mx = fmax(mx, " + p + "[b + j * " + st + "]);");
            kb.line("float res = mx;");
            kb.line("if (mx != -INFINITY) { float s = 0.0f; for (int j = 0; j < " + n + "; j++) s += exp(" + p + "[b + j * " + st
                    + "] - mx); res = mx + log(s); }");
        } else {
            kb.line("float mx = " + p + "[b]; int best = 0;");
            kb.line("for (int j = 1; j < " + n + "; j++) { const float v = " + p + "[b + j * " + st + "]; if (v > mx) { mx = v; best = j; } }");
            kb.line("const float res = (float)best;");
        }
        kb.line(kb.elem(out, "gid") + " = res;");
        return kb.finish1(label, o, m);
    }

    /**
     * Direct convolutions. mode 0: y = conv(x, k), one work-item per y element; mode 1: dx from dy and k, one work-item per dx
     * element (a gather, so no atomics); mode 2: dk from x and dy, one work-item per dk element.
     */
    private Launch conv(KB kb, Scope sc, BufferRef yRef, BufferRef xRef, BufferRef kRef, int[] s, int[] p, int mode, List<Kernel.Fused> epi,
                        String label, Origin o) {
        View y = sc.view(yRef), x = sc.view(xRef), k = sc.view(kRef);
        for (View v : List.of(y, x, k)) if (!v.contiguous()) throw new IllegalStateException("conv operands must be dense: " + label);
        int g = x.rank() == 5 ? 1 : 0;
        long G = g == 1 ? x.shape[0] : 1, N = x.shape[g], C = x.shape[g + 1], H = x.shape[g + 2], W = x.shape[g + 3];
        long O = k.shape[g], KH = k.shape[g + 2], KW = k.shape[g + 3], HO = y.shape[g + 2], WO = y.shape[g + 3];
        String yp = kb.ptr(y), xp = kb.ptr(x), kp = kb.ptr(k);
        String X = xp + "[" + x.base + " + (((gg * " + N + " + img) * " + C + " + c) * " + H + " + iy) * " + W + " + ix]";
        String K = kp + "[" + k.base + " + (((gg * " + O + " + oc) * " + C + " + c) * " + KH + " + ky) * " + KW + " + kx]";
        String Y = yp + "[" + y.base + " + (((gg * " + N + " + img) * " + O + " + oc) * " + HO + " + oy) * " + WO + " + ox]";
        if (opt.kind() == DeviceKind.CPU && Math.max(W, WO) <= 1024 && KH * KW <= 64) return convRows(kb, sc, y, x, k, s, p, mode, epi, label, o);
        long total;
        switch (mode) {
            case 0 -> {
                total = G * N * O * HO * WO;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, N, O, HO, WO}, "i");
                kb.line("const int gg = " + c[0] + ", img = " + c[1] + ", oc = " + c[2] + ", oy = " + c[3] + ", ox = " + c[4] + ";");
                kb.line("float acc = 0.0f;");
                kb.line("for (int c = 0; c < " + C + "; c++) for (int ky = 0; ky < " + KH + "; ky++) {");
                kb.line("  const int iy = oy * " + s[0] + " - " + p[0] + " + ky; if (iy < 0 || iy >= " + H + ") continue;");
                kb.line("  for (int kx = 0; kx < " + KW + "; kx++) { const int ix = ox * " + s[1] + " - " + p[2] + " + kx;");
                kb.line("    if (ix >= 0 && ix < " + W + ") acc += " + X + " * " + K + "; }");
                kb.line("}");
                kb.line(Y + " = acc;");
                parts(kb, sc, epi, convIdx(g, "ox"), "gid");
            }
            case 1 -> {
                total = G * N * C * H * W;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, N, C, H, W}, "i");
                kb.line("const int gg = " + c[0] + ", img = " + c[1] + ", c = " + c[2] + ", iy = " + c[3] + ", ix = " + c[4] + ";");
                kb.line("float acc = 0.0f;");
                kb.line("for (int oc = 0; oc < " + O + "; oc++) for (int ky = 0; ky < " + KH + "; ky++) {");
                kb.line("  const int ty = iy + " + p[0] + " - ky; if (ty < 0 || ty % " + s[0] + " != 0) continue;");
                kb.line("  const int oy = ty / " + s[0] + "; if (oy >= " + HO + ") continue;");
                kb.line("  for (int kx = 0; kx < " + KW + "; kx++) { const int tx = ix + " + p[2] + " - kx;");
                kb.line("    if (tx < 0 || tx % " + s[1] + " != 0) continue; const int ox = tx / " + s[1] + "; if (ox >= " + WO + ") continue;");
                kb.line("    acc += " + Y + " * " + K + "; }");
                kb.line("}");
                kb.line(X + " = acc;");
            }
            default -> {
                total = G * O * C * KH * KW;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, O, C, KH, KW}, "i");
                kb.line("const int gg = " + c[0] + ", oc = " + c[1] + ", c = " + c[2] + ", ky = " + c[3] + ", kx = " + c[4] + ";");
                kb.line("float acc = 0.0f;");
                kb.line("for (int img = 0; img < " + N + "; img++) for (int oy = 0; oy < " + HO + "; oy++) {");
                kb.line("  const int iy = oy * " + s[0] + " - " + p[0] + " + ky; if (iy < 0 || iy >= " + H + ") continue;");
                kb.line("  for (int ox = 0; ox < " + WO + "; ox++) { const int ix = ox * " + s[1] + " - " + p[2] + " + kx;");
                kb.line("    if (ix >= 0 && ix < " + W + ") acc += " + Y + " * " + X + "; }");
                kb.line("}");
                kb.line(K + " = acc;");
            }
        }
        return kb.finish1(label, o, total);
    }

    /**
     * Convolutions for CPU devices, one work-item per output row. PoCL vectorises the loop over work-items only when
     * their control flow agrees, and the per-element kernels branch on padding and stride for every tap, so they run at
     * about 1 GFLOP/s. Here the taps are unrolled at generation time, so the valid range of every tap is a constant,
     * and the innermost loop runs over a row with no branch at all, which the compiler vectorises.
     * mode 0: y rows (img, oc, oy) += x rows · k taps; mode 1: dx rows (img, c, iy) gather dy rows · k taps;
     * mode 2: dk (oc, c) accumulates row products of dy and x over images and output rows.
     */
    /** Output coordinates of a convolution at (…, oy, {@code ox}), with the group axis when there is one. */
    private static String[] convIdx(int g, String ox) {
        return g == 1 ? new String[] {"gg", "img", "oc", "oy", ox} : new String[] {"img", "oc", "oy", ox};
    }

    private Launch convRows(KB kb, Scope sc, View y, View x, View k, int[] s, int[] p, int mode, List<Kernel.Fused> epi, String label, Origin o) {
        int g = x.rank() == 5 ? 1 : 0;
        long G = g == 1 ? x.shape[0] : 1, N = x.shape[g], C = x.shape[g + 1], H = x.shape[g + 2], W = x.shape[g + 3];
        long O = k.shape[g], KH = k.shape[g + 2], KW = k.shape[g + 3], HO = y.shape[g + 2], WO = y.shape[g + 3];
        int sy = s[0], sx = s[1], py = p[0], px = p[2];
        String yp = kb.ptr(y), xp = kb.ptr(x), kp = kb.ptr(k);
        String xRow = xp + " + " + x.base + " + (((gg * " + N + " + img) * " + C + " + c) * " + H + " + iy) * " + W;
        String yRow = yp + " + " + y.base + " + (((gg * " + N + " + img) * " + O + " + oc) * " + HO + " + oy) * " + WO;
        String kTap = kp + "[" + k.base + " + (((gg * " + O + " + oc) * " + C + " + c) * " + KH + " + KY) * " + KW + " + KX]";
        long total;
        switch (mode) {
            case 0 -> {
                total = G * N * O * HO;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, N, O, HO}, "i");
                kb.line("const int gg = " + c[0] + ", img = " + c[1] + ", oc = " + c[2] + ", oy = " + c[3] + ";");
                kb.line("float acc[" + WO + "];");
                kb.line("for (int ox = 0; ox < " + WO + "; ox++) acc[ox] = 0.0f;");
                kb.line("for (int c = 0; c < " + C + "; c++) {");
                inputRowTaps(kb, KH, KW, sy, sx, py, px, H, W, WO, xRow, (ky, kx, lo, hi) -> {
                    kb.line("      { const float w = " + kTap.replace("KY", "" + ky).replace("KX", "" + kx) + ";");
                    kb.line("        for (int ox = " + lo + "; ox < " + hi + "; ox++) acc[ox] = fma(xr[ox * " + sx + " + " + (kx - px) + "], w, acc[ox]); }");
                });
                kb.line("}");
                kb.line("__global float* yr = " + yRow + ";");
                kb.line("for (int ox = 0; ox < " + WO + "; ox++) yr[ox] = acc[ox];");
                if (!epi.isEmpty()) {
                    // The epilogue over the row just stored (its elements are in this work-item's cache).
                    kb.line("for (int ox = 0; ox < " + WO + "; ox++) {");
                    parts(kb, sc, epi, convIdx(g, "ox"), "(gid * " + WO + " + ox)");
                    kb.line("}");
                }
            }
            case 1 -> {
                total = G * N * C * H;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, N, C, H}, "i");
                kb.line("const int gg = " + c[0] + ", img = " + c[1] + ", c = " + c[2] + ", iy = " + c[3] + ";");
                // acc[r][q] holds dx column q·s + r: for a fixed tap the columns one output row touches have one residue
                // r and consecutive q, so the innermost loop writes a contiguous run (vectorisable) instead of every s-th.
                long WQ = (W + sx - 1) / sx + 1;
                kb.line("float acc[" + sx + "][" + WQ + "];");
                kb.line("for (int r = 0; r < " + sx + "; r++) for (int q = 0; q < " + WQ + "; q++) acc[r][q] = 0.0f;");
                kb.line("for (int oc = 0; oc < " + O + "; oc++) {");
                for (int ky = 0; ky < KH; ky++) {
                    kb.line("  { const int ty = iy + " + (py - ky) + ";");
                    kb.line("    if (ty >= 0 && ty % " + sy + " == 0 && ty / " + sy + " < " + HO + ") { const int oy = ty / " + sy + "; __global const float* yr = " + yRow + ";");
                    for (int kx = 0; kx < KW; kx++) {
                        long lo = tapLo(kx, px, sx), hi = tapHi(kx, px, sx, W, WO);
                        if (lo >= hi) continue;
                        kb.line("      { const float w = " + kTap.replace("KY", "" + ky).replace("KX", "" + kx) + ";");
                        long d = kx - px, r = Math.floorMod(d, sx), q0 = Math.floorDiv(d, sx);
                        kb.line("        for (int ox = " + lo + "; ox < " + hi + "; ox++) acc[" + r + "][ox + " + q0 + "] = fma(yr[ox], w, acc[" + r + "][ox + " + q0 + "]); }");
                    }
                    kb.line("    } }");
                }
                kb.line("}");
                kb.line("__global float* xo = " + xRow + ";");
                kb.line("for (int ix = 0; ix < " + W + "; ix++) xo[ix] = acc[ix % " + sx + "][ix / " + sx + "];");
            }
            default -> {
                total = G * O * C;
                kb.gid(total);
                String[] c = kb.coords("gid", new long[] {G, O, C}, "i");
                kb.line("const int gg = " + c[0] + ", oc = " + c[1] + ", c = " + c[2] + ";");
                // Per tap, lane-wise partial sums over the output row, summed once at the end: the inner loop is then an
                // elementwise update (vectorisable), not a floating-point reduction the compiler may not reorder.
                kb.line("float part[" + (KH * KW) + "][" + WO + "];");
                kb.line("for (int t = 0; t < " + (KH * KW) + "; t++) for (int ox = 0; ox < " + WO + "; ox++) part[t][ox] = 0.0f;");
                kb.line("for (int img = 0; img < " + N + "; img++) for (int oy = 0; oy < " + HO + "; oy++) {");
                kb.line("  __global const float* yr = " + yRow + ";");
                inputRowTaps(kb, KH, KW, sy, sx, py, px, H, W, WO, xRow, (ky, kx, lo, hi) -> {
                    long t = ky * KW + kx;
                    kb.line("      for (int ox = " + lo + "; ox < " + hi + "; ox++) part[" + t + "][ox] = fma(yr[ox], xr[ox * " + sx + " + " + (kx - px)
                            + "], part[" + t + "][ox]);");
                });
                kb.line("}");
                for (int ky = 0; ky < KH; ky++) {
                    for (int kx = 0; kx < KW; kx++) {
                        int t = (int) (ky * KW + kx);
                        kb.line("{ float sum = 0.0f; for (int ox = 0; ox < " + WO + "; ox++) sum += part[" + t + "][ox]; "
                                + kTap.replace("KY", "" + ky).replace("KX", "" + kx) + " = sum; }");
                    }
                }
            }
        }
        return kb.finish1(label, o, total);
    }

    /** Emits the code of one kernel tap (ky, kx) over output columns [lo, hi), with {@code xr} the input row it reads. */
    @FunctionalInterface
    private interface Tap {
        void emit(long ky, long kx, long lo, long hi);
    }

    /**
     * For each kernel row ky whose input row iy = oy·s − p + ky is inside the image, binds {@code xr} to that row and emits
     * every tap with a non-empty column range: the loop nest the forward and kernel-gradient row convolutions share.
     */
    private static void inputRowTaps(KB kb, long KH, long KW, int sy, int sx, int py, int px, long H, long W, long WO, String xRow, Tap tap) {
        for (long ky = 0; ky < KH; ky++) {
            kb.line("  { const int iy = oy * " + sy + " + " + (ky - py) + ";");
            kb.line("    if (iy >= 0 && iy < " + H + ") { __global const float* xr = " + xRow + ";");
            for (long kx = 0; kx < KW; kx++) {
                long lo = tapLo(kx, px, sx), hi = tapHi(kx, px, sx, W, WO);
                if (lo < hi) tap.emit(ky, kx, lo, hi);
            }
            kb.line("    } }");
        }
    }

    /** First output column whose input column ox·s − p + kx is not left of the image. */
    private static long tapLo(long kx, long p, long s) {
        long need = p - kx;
        return need <= 0 ? 0 : (need + s - 1) / s;
    }

    /** One past the last output column whose input column is inside an image of width w (clamped to wo). */
    private static long tapHi(long kx, long p, long s, long w, long wo) {
        long last = w - 1 + p - kx;
        return last < 0 ? 0 : Math.min(wo, last / s + 1);
    }

    /** Pooling over the last two axes of dense operands; the gradient is a gather over the windows covering each input element. */
    private Launch pool(KB kb, Scope sc, Op.PoolKind kind, BufferRef outRef, BufferRef xRef, BufferRef dyRef, int[] win, int[] s, int[] p,
                        String label, Origin o) {
        View out = sc.view(outRef), x = sc.view(xRef), dy = dyRef == null ? null : sc.view(dyRef);
        int r = x.rank();
        long H = x.shape[r - 2], W = x.shape[r - 1];
        View ys = dy == null ? out : dy;
        long HO = ys.shape[r - 2], WO = ys.shape[r - 1];
        long planes = x.numel() / (H * W);
        String xp = kb.ptr(x);
        // Window (oy, ox) of plane pl: max or mean, and the position of the first maximum.
        String window = "float best = -INFINITY, sum = 0.0f; int cnt = 0, bestAt = -1;"
                + " for (int ky = 0; ky < " + win[0] + "; ky++) { const int yy = oy * " + s[0] + " - " + p[0] + " + ky; if (yy < 0 || yy >= " + H
                + ") continue; for (int kx = 0; kx < " + win[1] + "; kx++) { const int xx = ox * " + s[1] + " - " + p[2] + " + kx;"
                + " if (xx < 0 || xx >= " + W + ") continue; const float v = " + xp + "[" + x.base + " + pl * " + (H * W) + " + yy * " + W
                + " + xx]; if (v > best) { best = v; bestAt = yy * " + W + " + xx; } sum += v; cnt++; } }";
        if (dy == null) {
            long total = planes * HO * WO;
            kb.gid(total);
            kb.line("const int pl = gid / " + (HO * WO) + ", oy = (gid / " + WO + ") % " + HO + ", ox = gid % " + WO + ";");
            kb.line(window);
            kb.line(kb.ptr(out) + "[" + out.base + " + gid] = " + (kind == Op.PoolKind.MAX ? "best" : "sum / (float)cnt") + ";");
            return kb.finish1(label, o, total);
        }
        long total = planes * H * W;
        kb.gid(total);
        kb.line("const int pl = gid / " + (H * W) + ", iy = (gid / " + W + ") % " + H + ", ix = gid % " + W + ";");
        kb.line("float acc = 0.0f;");
        kb.line("const int oy0 = max(0, (iy + " + p[0] + " - " + (win[0] - 1) + " + " + (s[0] - 1) + ") / " + s[0] + "), oy1 = min("
                + (HO - 1) + ", (iy + " + p[0] + ") / " + s[0] + ");");
        kb.line("const int ox0 = max(0, (ix + " + p[2] + " - " + (win[1] - 1) + " + " + (s[1] - 1) + ") / " + s[1] + "), ox1 = min("
                + (WO - 1) + ", (ix + " + p[2] + ") / " + s[1] + ");");
        kb.line("for (int oy = oy0; oy <= oy1; oy++) for (int ox = ox0; ox <= ox1; ox++) {");
        kb.line("  if (iy + " + p[0] + " - oy * " + s[0] + " < 0 || iy + " + p[0] + " - oy * " + s[0] + " >= " + win[0] + ") continue;");
        kb.line("  if (ix + " + p[2] + " - ox * " + s[1] + " < 0 || ix + " + p[2] + " - ox * " + s[1] + " >= " + win[1] + ") continue;");
        kb.line("  " + window);
        kb.line("  const float g = " + kb.ptr(dy) + "[" + dy.base + " + pl * " + (HO * WO) + " + oy * " + WO + " + ox];");
        if (kind == Op.PoolKind.MAX) kb.line("  if (bestAt == iy * " + W + " + ix) acc += g;");
        else kb.line("  acc += g / (float)cnt;");
        kb.line("}");
        kb.line(kb.ptr(out) + "[" + out.base + " + gid] = acc;");
        return kb.finish1(label, o, total);
    }

    // ---------------------------------------------------------------- matmul

    /**
     * The epilogue parts over the block of C this work-item wrote: rows [iLo, iLo + rows), columns [jLo, jLo + cols),
     * clipped to M × N (N = Long.MAX_VALUE: all columns are inside, so the column loop has a constant trip count). A
     * part reads C, and earlier parts' outputs, at the element it writes: values this work-item has just stored.
     */
    private void epilogue(KB kb, Scope sc, List<Kernel.Fused> epi, View c, String iLo, long rows, String jLo, long cols, long M, long N) {
        if (epi.isEmpty()) return;
        kb.line("for (int ei = " + iLo + "; ei < min(" + iLo + " + " + rows + ", " + M + "); ei++)");
        kb.line(N == Long.MAX_VALUE ? "for (int ej = " + jLo + "; ej < " + jLo + " + " + cols + "; ej++) {"
                : "for (int ej = " + jLo + "; ej < min(" + jLo + " + " + cols + ", " + N + "); ej++) {");
        parts(kb, sc, epi, new String[] {"ei", "ej"}, "(ei * " + c.shape[1] + " + ej)");
        kb.line("}");
    }

    /** Stores every part at coordinates idx (flat index {@code flat}, for noise and dense operands of a fused kernel). */
    private void parts(KB kb, Scope sc, List<Kernel.Fused> epi, String[] idx, String flat) {
        for (Kernel.Fused f : epi) {
            View out = sc.view(f.out());
            String v = expr(kb, sc, f.expr(), idx, flat);
            kb.line(kb.ptr(out) + "[" + kb.at(out, idx, flat) + "] = " + v + ";");
        }
    }

    /** Elementwise parts over one shape, one work-item per element. */
    private Launch elementwise(KB kb, Scope sc, List<Kernel.Fused> ps, String label, Origin o) {
        long[] shape = ps.get(0).out().shape();
        long n = 1;
        for (long d : shape) n *= d;
        kb.gid(n);
        kb.iter = shape;
        parts(kb, sc, ps, kb.coords("gid", shape, "i"), "gid");
        return kb.finish1(label, o, n);
    }

    private Launch matmul(KB kb, Scope sc, List<Kernel.Fused> epi, View c, View a, View b, String label, Origin o) {
        if (!epi.isEmpty() && c.rank() != 2) throw new IllegalStateException("a matmul epilogue needs a rank-2 product: " + label);
        int r = c.rank(), ra = a.rank(), rb = b.rank();
        long M = c.shape[r - 2], N = c.shape[r - 1], K = a.shape[ra - 1];
        long[] bshape = Arrays.copyOf(c.shape, r - 2);
        long batch = 1;
        for (long d : bshape) batch *= d;
        long crs = c.strides[r - 2], ccs = c.strides[r - 1], ars = a.strides[ra - 2], acs = a.strides[ra - 1];
        long brs = b.strides[rb - 2], bcs = b.strides[rb - 1];
        String cp = kb.ptr(c), ap = kb.ptr(a), bp = kb.ptr(b);
        boolean gpu = opt.kind() == DeviceKind.GPU;
        boolean vec = !gpu && bcs == 1 && ccs == 1 && N >= VEC;
        kb.line("const int g = get_global_id(2);");
        String[] gi = kb.coords("g", bshape, "b");
        kb.line("const int cb = " + batchBase(c, bshape, gi, r) + ";");
        kb.line("const int ab = " + batchBase(a, bshape, gi, r) + ";");
        kb.line("const int bb = " + batchBase(b, bshape, gi, r) + ";");
        if (gpu) {
            int ts = opt.maxWorkGroupSize() >= 256 ? 16 : 8;
            kb.line("__local float As[" + ts + "][" + ts + "], Bs[" + ts + "][" + ts + "];");
            kb.line("const int tj = get_local_id(0), ti = get_local_id(1);");
            kb.line("const int j = get_global_id(0), i = get_global_id(1);");
            kb.line("float acc = 0.0f;");
            kb.line("for (int k0 = 0; k0 < " + K + "; k0 += " + ts + ") {");
            kb.line("  As[ti][tj] = (i < " + M + " && k0 + tj < " + K + ") ? " + ap + "[ab + i * " + ars + " + (k0 + tj) * " + acs + "] : 0.0f;");
            kb.line("  Bs[ti][tj] = (j < " + N + " && k0 + ti < " + K + ") ? " + bp + "[bb + (k0 + ti) * " + brs + " + j * " + bcs + "] : 0.0f;");
            kb.line("  barrier(CLK_LOCAL_MEM_FENCE);");
            kb.line("  for (int kk = 0; kk < " + ts + "; kk++) acc = fma(As[ti][kk], Bs[kk][tj], acc);");
            kb.line("  barrier(CLK_LOCAL_MEM_FENCE);");
            kb.line("}");
            kb.line("if (i < " + M + " && j < " + N + ") " + cp + "[cb + i * " + crs + " + j * " + ccs + "] = acc;");
            epilogue(kb, sc, epi, c, "i", 1, "j", 1, M, N);
            long gx = (N + ts - 1) / ts * ts, gy = (M + ts - 1) / ts * ts;
            return kb.finish(label, o, new long[] {gx, gy, batch}, new long[] {ts, ts, 1});
        }
        if (vec) {
            // Rows per work-item: fewer when the product has fewer rows, since clamped rows would be computed for nothing.
            int rm = (int) Math.min(CPU_ROWS, M >= 8 ? 8 : M >= 4 ? 4 : M);
            kb.line("const int j0 = get_global_id(0) * " + VEC + ", i0 = get_global_id(1) * " + rm + ";");
            kb.line("if (j0 >= " + N + " || i0 >= " + M + ") return;");
            for (int q = 0; q < rm; q++) {
                kb.line("float16 acc" + q + " = (float16)(0.0f);");
                kb.line("const int ar" + q + " = ab + min(i0 + " + q + ", " + (M - 1) + ") * " + ars + ";");
            }
            kb.line("if (j0 + " + VEC + " <= " + N + ") {");
            kb.line("  for (int k = 0; k < " + K + "; k++) {");
            kb.line("    const float16 bv = vload16(0, " + bp + " + bb + k * " + brs + " + j0);");
            for (int q = 0; q < rm; q++) kb.line("    acc" + q + " = fma((float16)(" + ap + "[ar" + q + " + k * " + acs + "]), bv, acc" + q + ");");
            kb.line("  }");
            for (int q = 0; q < rm; q++) kb.line("  if (i0 + " + q + " < " + M + ") vstore16(acc" + q + ", 0, " + cp + " + cb + (i0 + " + q + ") * " + crs + " + j0);");
            // Full tiles: the epilogue loops have constant bounds (all 16 columns), which keeps the kernel vectorisable.
            epilogue(kb, sc, epi, c, "i0", rm, "j0", VEC, M, Long.MAX_VALUE);
            kb.line("} else {");
            kb.line("  for (int q = 0; q < " + rm + "; q++) {");
            kb.line("    if (i0 + q >= " + M + ") break;");
            kb.line("    for (int j = j0; j < " + N + "; j++) {");
            kb.line("      float s = 0.0f;");
            kb.line("      for (int k = 0; k < " + K + "; k++) s = fma(" + ap + "[ab + (i0 + q) * " + ars + " + k * " + acs + "], " + bp + "[bb + k * "
                    + brs + " + j], s);");
            kb.line("      " + cp + "[cb + (i0 + q) * " + crs + " + j] = s;");
            kb.line("    }");
            kb.line("  }");
            epilogue(kb, sc, epi, c, "i0", rm, "j0", VEC, M, N);
            kb.line("}");
            return kb.finish(label, o, new long[] {(N + VEC - 1) / VEC, (M + rm - 1) / rm, batch}, null);
        }
        if (acs == 1 && brs == 1 && K >= VEC) {
            // a·bᵀ-like: both operands dense along K, so vectorise the dot products along K, and compute a block of up to
            // 4×4 outputs per work-item so that each loaded vector feeds four FMAs (the long-K products of a generator
            // head's backward pass are otherwise bound by re-reading both operands once per output).
            int bm = M >= 4 ? 4 : 1, bn = N >= 4 ? 4 : 1;
            kb.line("const int j0 = get_global_id(0) * " + bn + ", i0 = get_global_id(1) * " + bm + ";");
            kb.line("if (j0 >= " + N + " || i0 >= " + M + ") return;");
            for (int q = 0; q < bm; q++) kb.line("const int ao" + q + " = ab + min(i0 + " + q + ", " + (M - 1) + ") * " + ars + ";");
            for (int r2 = 0; r2 < bn; r2++) kb.line("const int bo" + r2 + " = bb + min(j0 + " + r2 + ", " + (N - 1) + ") * " + bcs + ";");
            for (int q = 0; q < bm; q++) for (int r2 = 0; r2 < bn; r2++) kb.line("float16 acc" + q + r2 + " = (float16)(0.0f);");
            kb.line("int k = 0;");
            kb.line("for (; k + " + VEC + " <= " + K + "; k += " + VEC + ") {");
            for (int q = 0; q < bm; q++) kb.line("  const float16 av" + q + " = vload16(0, " + ap + " + ao" + q + " + k);");
            for (int r2 = 0; r2 < bn; r2++) kb.line("  const float16 bv" + r2 + " = vload16(0, " + bp + " + bo" + r2 + " + k);");
            for (int q = 0; q < bm; q++) for (int r2 = 0; r2 < bn; r2++) kb.line("  acc" + q + r2 + " = fma(av" + q + ", bv" + r2 + ", acc" + q + r2 + ");");
            kb.line("}");
            for (int q = 0; q < bm; q++) {
                for (int r2 = 0; r2 < bn; r2++) {
                    String av = "acc" + q + r2;
                    kb.line("if (i0 + " + q + " < " + M + " && j0 + " + r2 + " < " + N + ") {");
                    kb.line("  float s = ((" + av + ".s0 + " + av + ".s1) + (" + av + ".s2 + " + av + ".s3)) + ((" + av + ".s4 + " + av + ".s5) + (" + av + ".s6 + "
                            + av + ".s7)) + ((" + av + ".s8 + " + av + ".s9) + (" + av + ".sa + " + av + ".sb)) + ((" + av + ".sc + " + av + ".sd) + (" + av
                            + ".se + " + av + ".sf));");
                    kb.line("  for (int kk = k; kk < " + K + "; kk++) s = fma(" + ap + "[ao" + q + " + kk], " + bp + "[bo" + r2 + " + kk], s);");
                    kb.line("  " + cp + "[cb + (i0 + " + q + ") * " + crs + " + (j0 + " + r2 + ") * " + ccs + "] = s;");
                    kb.line("}");
                }
            }
            epilogue(kb, sc, epi, c, "i0", bm, "j0", bn, M, N);
            return kb.finish(label, o, new long[] {(N + bn - 1) / bn, (M + bm - 1) / bm, batch}, null);
        }
        kb.line("const int j = get_global_id(0), i = get_global_id(1);");
        kb.line("if (j >= " + N + " || i >= " + M + ") return;");
        kb.line("float s = 0.0f;");
        kb.line("for (int k = 0; k < " + K + "; k++) s = fma(" + ap + "[ab + i * " + ars + " + k * " + acs + "], " + bp + "[bb + k * " + brs
                + " + j * " + bcs + "], s);");
        kb.line(cp + "[cb + i * " + crs + " + j * " + ccs + "] = s;");
        epilogue(kb, sc, epi, c, "i", 1, "j", 1, M, N);
        return kb.finish(label, o, new long[] {N, M, batch}, null);
    }

    /** Element offset of batch element (coordinates gi over the output's batch shape) in x, batch axes right-aligned, size-1 broadcast. */
    private static String batchBase(View x, long[] bshape, String[] gi, int outRank) {
        StringBuilder sb = new StringBuilder().append(x.base);
        int xb = x.rank() - 2, extra = bshape.length - xb;
        for (int i = 0; i < bshape.length; i++) {
            int xi = i - extra;
            if (xi >= 0 && x.shape[xi] != 1 && x.strides[xi] != 0 && !gi[i].equals("0")) sb.append(" + ").append(gi[i]).append(" * ").append(x.strides[xi]);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- scan

    private ScanLoop scan(Scope outer, Kernel.Scan s) {
        Scope body = scope(s.body());
        String label = label(s);
        int nc = s.carryInit().size(), ns = s.sequences().size();
        List<BufferRef> params = s.body().bodyParams(), yields = s.body().bodyYields();
        List<Step> pro = new ArrayList<>(), in = new ArrayList<>(), out = new ArrayList<>(), epi = new ArrayList<>();
        for (int j = 0; j < s.captures().size(); j++) pro.add(copyStep(body.view(params.get(nc + ns + j)), outer.view(s.captures().get(j)), 0, 0, label, s));
        for (int i = 0; i < nc; i++) pro.add(copyStep(body.view(params.get(i)), outer.view(s.carryInit().get(i)), 0, 0, label, s));
        for (int j = 0; j < ns; j++) {
            View seq = outer.view(s.sequences().get(j));
            in.add(copyStep(body.view(params.get(nc + j)), element(seq), 0, seq.strides[0], label, s));
        }
        List<Step> bodySteps = steps(body);
        List<View> staging = new ArrayList<>();
        for (int i = 0; i < nc; i++) {
            View y = body.view(yields.get(i));
            long n = Math.max(1, y.numel());
            int m = mems.size();
            mems.add(new Mem(body.id, -2, n, Buffer.Kind.TEMP, "staging" + i + "#" + body.id, 0));
            staging.add(new View(m, 0, y.shape, BufferRef.rowMajor(y.shape)));
            out.add(copyStep(staging.get(i), y, 0, 0, label, s));
        }
        for (int e = 0; e < s.emitOut().size(); e++) {
            View em = outer.view(s.emitOut().get(e));
            out.add(copyStep(element(em), body.view(yields.get(nc + e)), em.strides[0], 0, label, s));
        }
        for (int i = 0; i < nc; i++) out.add(copyStep(body.view(params.get(i)), staging.get(i), 0, 0, label, s));
        for (int i = 0; i < nc; i++) epi.add(copyStep(outer.view(s.carryOut().get(i)), body.view(params.get(i)), 0, 0, label, s));
        return new ScanLoop(pro, s.steps(), s.reverse(), in, bodySteps, out, epi, label, s.origin());
    }

    /** Element 0 of a stacked view (axis 0 dropped); element t is this shifted by t·stride0. */
    private static View element(View x) {
        return new View(x.mem, x.base, Arrays.copyOfRange(x.shape, 1, x.rank()), Arrays.copyOfRange(x.strides, 1, x.rank()));
    }

    private Launch copyStep(View out, View in, long outShift, long inShift, String label, Kernel.Scan s) {
        KB kb = new KB();
        kb.body.append("    // scan copy for ").append(label).append('\n');
        return copy(kb, out, in, outShift, inShift, "ScanCopy" + Arrays.toString(out.shape), s.origin());
    }

    /** The generated source, for {@code --emit kernels}. */
    public static String source(Schedule s, Options opt) { return generate(s, opt).source(); }

    /** Launch labels in order (for tests and profiles). */
    public static Map<String, Integer> kernelKinds(Program p) {
        Map<String, Integer> m = new LinkedHashMap<>();
        count(p.steps(), m);
        return m;
    }

    private static void count(List<Step> steps, Map<String, Integer> m) {
        for (Step s : steps) {
            if (s instanceof Launch l) m.merge(l.label().replaceAll("\\[.*", ""), 1, Integer::sum);
            else if (s instanceof ScanLoop sl) {
                count(sl.prologue(), m);
                count(sl.in(), m);
                count(sl.body(), m);
                count(sl.out(), m);
                count(sl.epilogue(), m);
            }
        }
    }
}
