package dev.hyperc.compiler.lower;

import java.util.ArrayList;
import java.util.List;

/** What each kernel reads and writes, for liveness, in-place decisions and backends. */
public final class Kernels {
    private Kernels() {}

    public static List<BufferRef> writes(Kernel k) {
        return switch (k) {
            case Kernel.Fused f -> List.of(f.out());
            case Kernel.FusedGroup g -> g.parts().stream().map(Kernel.Fused::out).toList();
            case Kernel.Reduce r -> List.of(r.out());
            case Kernel.MatMul m -> withEpilogue(m.out(), m.epilogue());
            case Kernel.Conv2d c -> withEpilogue(c.out(), c.epilogue());
            case Kernel.Conv2dGradInput c -> List.of(c.out());
            case Kernel.Conv2dGradKernel c -> List.of(c.out());
            case Kernel.Pool2d p -> List.of(p.out());
            case Kernel.Pool2dGrad p -> List.of(p.out());
            case Kernel.LogSumExp l -> List.of(l.out());
            case Kernel.ArgMax a -> List.of(a.out());
            case Kernel.Gather g -> List.of(g.out());
            case Kernel.ScatterAdd s -> List.of(s.out());
            case Kernel.OneHot h -> List.of(h.out());
            case Kernel.Copy c -> List.of(c.out());
            case Kernel.Fill f -> List.of(f.out());
            case Kernel.PairwiseDist p -> List.of(p.out());
            case Kernel.NearestDist n -> List.of(n.out());
            case Kernel.NearestDistGrad n -> List.of(n.out());
            case Kernel.Scan s -> {
                List<BufferRef> out = new ArrayList<>(s.carryOut());
                out.addAll(s.emitOut());
                yield out;
            }
        };
    }

    public static List<BufferRef> reads(Kernel k) {
        return switch (k) {
            case Kernel.Fused f -> loads(f.expr());
            case Kernel.FusedGroup g -> g.parts().stream().flatMap(f -> loads(f.expr()).stream()).toList();
            case Kernel.Reduce r -> loads(r.in());
            case Kernel.MatMul m -> epilogueReads(List.of(m.a(), m.b()), m.epilogue());
            case Kernel.Conv2d c -> epilogueReads(List.of(c.x(), c.k()), c.epilogue());
            case Kernel.Conv2dGradInput c -> List.of(c.dy(), c.k());
            case Kernel.Conv2dGradKernel c -> List.of(c.x(), c.dy());
            case Kernel.Pool2d p -> List.of(p.x());
            case Kernel.Pool2dGrad p -> List.of(p.x(), p.dy());
            case Kernel.LogSumExp l -> List.of(l.x());
            case Kernel.ArgMax a -> List.of(a.x());
            case Kernel.Gather g -> List.of(g.table(), g.ids());
            case Kernel.ScatterAdd s -> List.of(s.ids(), s.updates());
            case Kernel.OneHot h -> List.of(h.ids());
            case Kernel.Copy c -> List.of(c.in());
            case Kernel.Fill f -> List.of();
            case Kernel.PairwiseDist p -> List.of(p.x());
            case Kernel.NearestDist n -> List.of(n.x());
            case Kernel.NearestDistGrad n -> List.of(n.x(), n.dy());
            case Kernel.Scan s -> {
                List<BufferRef> in = new ArrayList<>(s.carryInit());
                in.addAll(s.sequences());
                in.addAll(s.captures());
                yield in;
            }
        };
    }

    public static List<BufferRef> loads(Expr e) {
        List<BufferRef> out = new ArrayList<>();
        collect(e, out);
        return out;
    }

    private static void collect(Expr e, List<BufferRef> out) {
        switch (e) {
            case Expr.Load l -> out.add(l.ref());
            case Expr.Scalar s -> {}
            case Expr.Noise n -> {}
            case Expr.Unary u -> collect(u.x(), out);
            case Expr.LeakyRelu l -> collect(l.x(), out);
            case Expr.Cast c -> collect(c.x(), out);
            case Expr.Binary b -> {
                collect(b.a(), out);
                collect(b.b(), out);
            }
            case Expr.Select s -> {
                collect(s.cond(), out);
                collect(s.a(), out);
                collect(s.b(), out);
            }
        }
    }

    /** The kernel with every view of buffer {@code from} redirected to buffer {@code to}. */
    public static Kernel replaceBuffer(Kernel k, int from, int to) {
        java.util.function.UnaryOperator<BufferRef> f = r -> r.buffer() == from ? new BufferRef(to, r.offset(), r.shape(), r.strides()) : r;
        return switch (k) {
            case Kernel.Fused x -> new Kernel.Fused(f.apply(x.out()), replace(x.expr(), f), x.origin());
            case Kernel.FusedGroup x -> new Kernel.FusedGroup(parts(x.parts(), f), x.origin());
            case Kernel.Reduce x -> new Kernel.Reduce(x.fn(), f.apply(x.out()), replace(x.in(), f), x.inShape(), x.axes(), x.origin());
            case Kernel.MatMul x -> new Kernel.MatMul(f.apply(x.out()), f.apply(x.a()), f.apply(x.b()), parts(x.epilogue(), f), x.origin());
            case Kernel.Conv2d x -> new Kernel.Conv2d(f.apply(x.out()), f.apply(x.x()), f.apply(x.k()), x.stride(), x.padding(),
                    parts(x.epilogue(), f), x.origin());
            case Kernel.Conv2dGradInput x -> new Kernel.Conv2dGradInput(f.apply(x.out()), f.apply(x.dy()), f.apply(x.k()), x.stride(), x.padding(), x.origin());
            case Kernel.Conv2dGradKernel x -> new Kernel.Conv2dGradKernel(f.apply(x.out()), f.apply(x.x()), f.apply(x.dy()), x.stride(), x.padding(), x.origin());
            case Kernel.Pool2d x -> new Kernel.Pool2d(x.kind(), f.apply(x.out()), f.apply(x.x()), x.window(), x.stride(), x.padding(), x.origin());
            case Kernel.Pool2dGrad x -> new Kernel.Pool2dGrad(x.kind(), f.apply(x.out()), f.apply(x.x()), f.apply(x.dy()), x.window(), x.stride(), x.padding(), x.origin());
            case Kernel.LogSumExp x -> new Kernel.LogSumExp(f.apply(x.out()), f.apply(x.x()), x.axis(), x.origin());
            case Kernel.ArgMax x -> new Kernel.ArgMax(f.apply(x.out()), f.apply(x.x()), x.axis(), x.origin());
            case Kernel.Gather x -> new Kernel.Gather(f.apply(x.out()), f.apply(x.table()), f.apply(x.ids()), x.origin());
            case Kernel.ScatterAdd x -> new Kernel.ScatterAdd(f.apply(x.out()), f.apply(x.ids()), f.apply(x.updates()), x.origin());
            case Kernel.OneHot x -> new Kernel.OneHot(f.apply(x.out()), f.apply(x.ids()), x.origin());
            case Kernel.Copy x -> new Kernel.Copy(f.apply(x.out()), f.apply(x.in()), x.origin());
            case Kernel.Fill x -> new Kernel.Fill(f.apply(x.out()), x.value(), x.origin());
            case Kernel.PairwiseDist x -> new Kernel.PairwiseDist(f.apply(x.out()), f.apply(x.x()), x.origin());
            case Kernel.NearestDist x -> new Kernel.NearestDist(f.apply(x.out()), f.apply(x.x()), x.origin());
            case Kernel.NearestDistGrad x -> new Kernel.NearestDistGrad(f.apply(x.out()), f.apply(x.x()), f.apply(x.dy()), x.origin());
            case Kernel.Scan x -> new Kernel.Scan(x.body(), x.carryInit().stream().map(f).toList(), x.sequences().stream().map(f).toList(),
                    x.captures().stream().map(f).toList(), x.carryOut().stream().map(f).toList(), x.emitOut().stream().map(f).toList(),
                    x.reverse(), x.steps(), x.origin());
        };
    }

    private static List<Kernel.Fused> parts(List<Kernel.Fused> ps, java.util.function.UnaryOperator<BufferRef> f) {
        return ps.stream().map(p -> new Kernel.Fused(f.apply(p.out()), replace(p.expr(), f), p.origin())).toList();
    }

    private static List<BufferRef> withEpilogue(BufferRef out, List<Kernel.Fused> epilogue) {
        List<BufferRef> w = new ArrayList<>(List.of(out));
        for (Kernel.Fused p : epilogue) w.add(p.out());
        return w;
    }

    private static List<BufferRef> epilogueReads(List<BufferRef> operands, List<Kernel.Fused> epilogue) {
        List<BufferRef> r = new ArrayList<>(operands);
        for (Kernel.Fused p : epilogue) r.addAll(loads(p.expr()));
        return r;
    }

    private static Expr replace(Expr e, java.util.function.UnaryOperator<BufferRef> f) {
        return switch (e) {
            case Expr.Load l -> new Expr.Load(f.apply(l.ref()));
            case Expr.Scalar s -> s;
            case Expr.Noise n -> n;
            case Expr.Unary u -> new Expr.Unary(u.fn(), replace(u.x(), f));
            case Expr.LeakyRelu l -> new Expr.LeakyRelu(l.alpha(), replace(l.x(), f));
            case Expr.Cast c -> new Expr.Cast(c.toInt(), replace(c.x(), f));
            case Expr.Binary b -> new Expr.Binary(b.fn(), replace(b.a(), f), replace(b.b(), f));
            case Expr.Select s -> new Expr.Select(replace(s.cond(), f), replace(s.a(), f), replace(s.b(), f));
        };
    }
}
