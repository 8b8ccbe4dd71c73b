package dev.hyperc.compiler.lower;

import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers an optimised graph, for one batch size, to a {@link Schedule}:
 * <ul>
 *   <li>views become {@link BufferRef}s of their operand's buffer (no kernel);</li>
 *   <li>chains of elementwise ops fuse into one {@link Kernel.Fused} whose loads read through strides,
 *       so broadcasting operands (biases, scalars) cost nothing; an elementwise value is fused into its
 *       consumer when that consumer is its only user, is elementwise or a reduction, and reads it at the
 *       same shape;</li>
 *   <li>updates of parameters and optimizer state are written in place when nothing reads the old
 *       value afterwards;</li>
 *   <li>elementwise kernels over the same shape that depend on each other only element by element are
 *       grouped into one {@link Kernel.FusedGroup}, one pass over memory (Adam's moments and parameter);</li>
 *   <li>temporaries get offsets in one arena from their lifetimes (the memory plan), so a schedule
 *       allocates once and reuses its memory every step.</li>
 * </ul>
 */
public final class Scheduler {
    private final long batch;
    private final List<Buffer> buffers = new ArrayList<>();
    private final List<Kernel> kernels = new ArrayList<>();
    private final Map<Integer, BufferRef> refs = new HashMap<>();
    private final Map<Integer, Expr> inlined = new HashMap<>();
    private final Map<Integer, Integer> uses = new HashMap<>();
    private final Map<Integer, Node> soleUser = new HashMap<>();
    private final Map<String, BufferRef> inputs = new LinkedHashMap<>(), params = new LinkedHashMap<>(), states = new LinkedHashMap<>();
    private final Map<Integer, Double> constants = new LinkedHashMap<>();
    private final Map<Double, BufferRef> constBuffers = new HashMap<>();
    private int noiseStreams;
    private final Map<Integer, Integer> noiseIds = new HashMap<>();

    private Scheduler(long batch) {
        this.batch = batch;
    }

    public static Schedule lower(Graph g, long batch) {
        return new Scheduler(batch).run(g, List.of());
    }

    private Schedule run(Graph g, List<String> bodyParamNames) {
        countUses(g);
        List<BufferRef> bodyParams = new ArrayList<>();
        for (int i = 0; i < g.params().size(); i++) {
            Value p = g.params().get(i);
            BufferRef r = newBuffer(shape(p), Buffer.Kind.INPUT, "param" + i);
            refs.put(p.id(), r);
            bodyParams.add(r);
        }
        for (Node n : g.nodes()) lower(n);
        Map<String, BufferRef> outputs = new LinkedHashMap<>();
        List<BufferRef> yields = new ArrayList<>();
        for (Graph.Output o : g.outputs()) {
            BufferRef r = materialize(o.value(), Origin.NONE);
            outputs.put(o.role().text() + ":" + o.name(), r);
            if (o.role() == Graph.Role.YIELD) yields.add(r);
        }
        writeBack(g, outputs);
        groupElementwise();
        fuseEpilogues();
        long arena = MemoryPlan.place(buffers, kernels, outputs.values());
        return new Schedule(List.copyOf(buffersWithOffsets()), List.copyOf(kernels), inputs, params, states, outputs, constants,
                bodyParams, yields, arena, batch, Map.copyOf(refs), Map.copyOf(noiseIds));
    }

    private List<Buffer> buffersWithOffsets() { return buffers; }

    // ---------------------------------------------------------------- analysis

    private void countUses(Graph g) {
        Map<Integer, Node> lastUser = new HashMap<>();
        for (Node n : g.nodes()) {
            for (Value v : n.operands()) {
                uses.merge(v.id(), 1, Integer::sum);
                lastUser.put(v.id(), n);
            }
        }
        for (Graph.Output o : g.outputs()) uses.merge(o.value().id(), 2, Integer::sum); // outputs are always materialised
        for (Map.Entry<Integer, Integer> e : uses.entrySet()) if (e.getValue() == 1) soleUser.put(e.getKey(), lastUser.get(e.getKey()));
    }

    private static boolean elementwise(Op op) {
        return op instanceof Op.Unary || op instanceof Op.LeakyRelu || op instanceof Op.Binary || op instanceof Op.Select
                || op instanceof Op.Cast || op instanceof Op.StopGradient || op instanceof Op.Noise || op instanceof Op.Const;
    }

    /** Whether value v (made by an elementwise node) can be evaluated inside its only consumer instead of being stored. */
    private boolean fusible(Node producer) {
        Value v = producer.result();
        Node user = soleUser.get(v.id());
        if (user == null) return false;
        boolean sameShape = user.op() instanceof Op.Reduce
                ? true
                : elementwise(user.op()) && user.result().type().shape().equals(v.type().shape());
        return sameShape && (elementwise(user.op()) || user.op() instanceof Op.Reduce);
    }

    // ---------------------------------------------------------------- lowering

    private void lower(Node n) {
        Origin o = n.origin();
        Op op = n.op();
        if (op instanceof Op.Scan s) {
            scan(n, s);
            return;
        }
        Value y = n.result();
        switch (op) {
            case Op.Input in -> refs.put(y.id(), inputs.computeIfAbsent(in.name(), k -> newBuffer(shape(y), Buffer.Kind.INPUT, k)));
            case Op.Param p -> refs.put(y.id(), params.computeIfAbsent(p.name(), k -> newBuffer(shape(y), Buffer.Kind.PARAM, k)));
            case Op.State s -> refs.put(y.id(), states.computeIfAbsent(s.name(), k -> newBuffer(shape(y), Buffer.Kind.STATE, k)));
            case Op.Const c -> inlined.put(y.id(), new Expr.Scalar(c.value()));
            case Op.Noise nz -> {
                noiseIds.put(y.id(), noiseStreams);
                fuseOrStore(n, new Expr.Noise(nz.distribution(), nz.a(), nz.b(), noiseStreams++));
            }
            case Op.Unary u -> fuseOrStore(n, new Expr.Unary(u.fn(), operand(n, 0)));
            case Op.LeakyRelu l -> fuseOrStore(n, new Expr.LeakyRelu(l.alpha(), operand(n, 0)));
            case Op.Binary b -> fuseOrStore(n, new Expr.Binary(b.fn(), operand(n, 0), operand(n, 1)));
            case Op.Select s -> fuseOrStore(n, new Expr.Select(operand(n, 0), operand(n, 1), operand(n, 2)));
            case Op.Cast c -> fuseOrStore(n, c.to() == n.operands().get(0).type().dtype() ? operand(n, 0)
                    : new Expr.Cast(c.to() == dev.hyperc.compiler.ir.DType.I32, operand(n, 0)));
            case Op.StopGradient s -> fuseOrStore(n, operand(n, 0));
            case Op.Reduce r -> {
                Value x = n.operands().get(0);
                Expr in = broadcastLoads(operand(n, 0), shape(x));
                BufferRef out = newTemp(y);
                kernels.add(new Kernel.Reduce(r.fn(), out, in, shape(x), r.axes(), o));
                refs.put(y.id(), out);
            }
            case Op.Reshape r -> {
                BufferRef src = materialize(n.operands().get(0), o);
                BufferRef view = src.reshape(shape(y));
                if (view == null) {
                    BufferRef copy = newTemp(n.operands().get(0));
                    kernels.add(new Kernel.Copy(copy, src, o));
                    view = copy.reshape(shape(y));
                }
                refs.put(y.id(), view);
            }
            case Op.Slice s -> refs.put(y.id(), materialize(n.operands().get(0), o).slice(s.axis(), s.start(), s.end(), s.step()));
            case Op.Transpose t -> refs.put(y.id(), materialize(n.operands().get(0), o).transpose(t.perm()));
            case Op.Broadcast b -> refs.put(y.id(), materialize(n.operands().get(0), o).broadcast(shape(y)));
            case Op.MatMul m when shape(n.operands().get(0))[shape(n.operands().get(0)).length - 1] == 1 ->
                    // An outer product (K = 1, a weight gradient from a single row) is elementwise: a[i, 0] · b[0, j],
                    // each product rounded once as the GEMM rounds it. As an elementwise kernel it fuses with what reads it
                    // (Adam's update of the weight) instead of writing the whole matrix and reading it back.
                    fuseOrStore(n, new Expr.Binary(Op.BinaryFn.MUL, operand(n, 0), operand(n, 1)));
            case Op.MatMul m -> {
                BufferRef out = newTemp(y);
                kernels.add(new Kernel.MatMul(out, in(n, 0), in(n, 1), o));
                refs.put(y.id(), out);
            }
            case Op.Conv2d c -> emit(y, out -> new Kernel.Conv2d(out, dense(n, 0), dense(n, 1), c.stride(), c.padding(), o));
            case Op.Conv2dGradInput c -> emit(y, out -> new Kernel.Conv2dGradInput(out, dense(n, 0), dense(n, 1), c.stride(), c.padding(), o));
            case Op.Conv2dGradKernel c -> emit(y, out -> new Kernel.Conv2dGradKernel(out, dense(n, 0), dense(n, 1), c.stride(), c.padding(), o));
            case Op.Pool2d p -> emit(y, out -> new Kernel.Pool2d(p.kind(), out, dense(n, 0), p.window(), p.stride(), p.padding(), o));
            case Op.Pool2dGrad p -> emit(y, out -> new Kernel.Pool2dGrad(p.kind(), out, dense(n, 0), dense(n, 1), p.window(), p.stride(), p.padding(), o));
            case Op.LogSumExp l -> emit(y, out -> new Kernel.LogSumExp(out, in(n, 0), axis(l.axis(), n), o));
            case Op.ArgMax a -> emit(y, out -> new Kernel.ArgMax(out, in(n, 0), axis(a.axis(), n), o));
            case Op.Gather g -> emit(y, out -> new Kernel.Gather(out, dense(n, 0), in(n, 1), o));
            case Op.ScatterAdd s -> emit(y, out -> new Kernel.ScatterAdd(out, in(n, 0), dense(n, 1), o));
            case Op.OneHot h -> emit(y, out -> new Kernel.OneHot(out, in(n, 0), o));
            case Op.PairwiseDist p -> emit(y, out -> new Kernel.PairwiseDist(out, dense(n, 0), o));
            case Op.NearestDist d -> emit(y, out -> new Kernel.NearestDist(out, dense(n, 0), o));
            case Op.NearestDistGrad d -> emit(y, out -> new Kernel.NearestDistGrad(out, dense(n, 0), dense(n, 1), o));
            case Op.Concat c -> {
                BufferRef out = newTemp(y);
                long off = 0;
                for (Value v : n.operands()) {
                    long len = shape(v)[c.axis()];
                    BufferRef piece = out.slice(c.axis(), off, off + len, 1);
                    if (!computeInto(v, piece)) kernels.add(new Kernel.Copy(piece, materialize(v, o), o));
                    off += len;
                }
                refs.put(y.id(), out);
            }
            case Op.Unslice u -> {
                BufferRef out = newTemp(y);
                kernels.add(new Kernel.Fill(out, 0, o));
                long len = shape(n.operands().get(0))[u.axis()];
                kernels.add(new Kernel.Copy(out.slice(u.axis(), u.start(), u.start() + (len - 1) * u.step() + 1, u.step()),
                        materialize(n.operands().get(0), o), o));
                refs.put(y.id(), out);
            }
            case Op.Scan s -> throw new AssertionError("handled above");
        }
    }

    /**
     * Makes the kernel that computes v write straight into {@code dst} (a piece of a concat), instead of a temporary
     * that would then be copied: the gradient of a generated weight vector is assembled this way from the gradients
     * of the target's weights, with no copy per piece, and a head's weight gradient from a batched product (see
     * {@link dev.hyperc.compiler.passes.GeneratedWeightContraction}). Done for a value whose buffer a single
     * elementwise kernel (or a product without an epilogue, whose rows stay rows of the piece) wrote in full, that
     * nothing has read, and that no value other than this chain of single-use views of it refers to. (A value whose only user is a concat is never left inlined: see {@link #fusible}.)
     */
    private boolean computeInto(Value v, BufferRef dst) {
        BufferRef r = refs.get(v.id());
        if (r == null) return false;
        Buffer b = buffers.get(r.buffer());
        if (b.kind() != Buffer.Kind.TEMP || !r.isContiguous() || r.offset() != 0 || r.numel() != b.size()) return false;
        int writer = -1;
        for (int i = 0; i < kernels.size(); i++) {
            for (BufferRef read : Kernels.reads(kernels.get(i))) if (read.buffer() == b.id()) return false;
            for (BufferRef w : Kernels.writes(kernels.get(i))) {
                if (w.buffer() != b.id()) continue;
                if (writer >= 0) return false;
                writer = i;
            }
        }
        if (writer < 0) return false;
        Kernel w = kernels.get(writer);
        BufferRef out = switch (w) {
            case Kernel.Fused f -> f.out();
            case Kernel.MatMul m when m.epilogue().isEmpty() -> m.out();
            default -> null;
        };
        if (out == null || !out.isContiguous() || out.offset() != 0) return false;
        for (Map.Entry<Integer, BufferRef> ref : refs.entrySet()) {
            if (ref.getValue().buffer() == b.id() && uses.getOrDefault(ref.getKey(), 0) != 1) return false;
        }
        BufferRef target = dst.reshape(out.shape());
        if (target == null) return false;
        if (w instanceof Kernel.MatMul m) {
            // A product writes whole rows: its columns must stay adjacent in the piece.
            if (target.strides()[target.strides().length - 1] != 1) return false;
            kernels.set(writer, new Kernel.MatMul(target, m.a(), m.b(), m.origin()));
        } else {
            Kernel.Fused f = (Kernel.Fused) w;
            kernels.set(writer, new Kernel.Fused(target, f.expr(), f.origin()));
        }
        // The views of the old buffer were all single-use links of the chain that ends here: nothing reads them again.
        return true;
    }

    private interface KernelFor {
        Kernel make(BufferRef out);
    }

    private void emit(Value y, KernelFor f) {
        BufferRef out = newTemp(y);
        kernels.add(f.make(out));
        refs.put(y.id(), out);
    }

    private int axis(int a, Node n) {
        int r = n.operands().get(0).type().rank();
        return a < 0 ? a + r : a;
    }

    private void fuseOrStore(Node n, Expr e) {
        Value y = n.result();
        if (fusible(n)) {
            inlined.put(y.id(), e);
            return;
        }
        BufferRef out = newTemp(y);
        kernels.add(new Kernel.Fused(out, broadcastLoads(e, shape(y)), n.origin()));
        refs.put(y.id(), out);
    }

    /** The expression for operand k of an elementwise node: inlined producer, or a load. */
    private Expr operand(Node n, int k) {
        Value v = n.operands().get(k);
        Expr e = inlined.remove(v.id());
        if (e != null) {
            // Constants can be shared by many users; keep them available.
            if (e instanceof Expr.Scalar) inlined.put(v.id(), e);
            return e;
        }
        return new Expr.Load(materialize(v, n.origin()));
    }

    /** Rewrites loads so each reads its operand broadcast to the kernel's output shape. */
    private static Expr broadcastLoads(Expr e, long[] to) {
        return switch (e) {
            case Expr.Load l -> new Expr.Load(l.ref().broadcast(to));
            case Expr.Scalar s -> s;
            case Expr.Unary u -> new Expr.Unary(u.fn(), broadcastLoads(u.x(), to));
            case Expr.LeakyRelu l -> new Expr.LeakyRelu(l.alpha(), broadcastLoads(l.x(), to));
            case Expr.Binary b -> new Expr.Binary(b.fn(), broadcastLoads(b.a(), to), broadcastLoads(b.b(), to));
            case Expr.Select s -> new Expr.Select(broadcastLoads(s.cond(), to), broadcastLoads(s.a(), to), broadcastLoads(s.b(), to));
            case Expr.Cast c -> new Expr.Cast(c.toInt(), broadcastLoads(c.x(), to));
            case Expr.Noise nz -> nz;
        };
    }

    /** A buffer view holding v, storing an inlined expression or constant first if needed. */
    private BufferRef materialize(Value v, Origin o) {
        BufferRef r = refs.get(v.id());
        if (r != null) return r;
        Expr e = inlined.get(v.id());
        if (e == null) throw new IllegalStateException("value %" + v.id() + " has no buffer");
        if (e instanceof Expr.Scalar s) {
            BufferRef c = constBuffers.computeIfAbsent(s.value(), val -> {
                BufferRef b = newBuffer(new long[] {1}, Buffer.Kind.CONST, "const " + val);
                constants.put(b.buffer(), val);
                return b;
            });
            BufferRef view = new BufferRef(c.buffer(), 0, new long[0], new long[0]).broadcast(shape(v));
            refs.put(v.id(), view);
            return view;
        }
        inlined.remove(v.id());
        BufferRef out = newTemp(v);
        kernels.add(new Kernel.Fused(out, broadcastLoads(e, shape(v)), o));
        refs.put(v.id(), out);
        return out;
    }

    private BufferRef in(Node n, int k) { return materialize(n.operands().get(k), n.origin()); }

    /** Operand k as a dense row-major view, copying when its view is strided. */
    private BufferRef dense(Node n, int k) {
        BufferRef r = in(n, k);
        if (r.isContiguous()) return r;
        BufferRef copy = newTemp(n.operands().get(k));
        kernels.add(new Kernel.Copy(copy, r, n.origin()));
        return copy;
    }

    private void scan(Node n, Op.Scan s) {
        Scheduler inner = new Scheduler(batch);
        inner.noiseStreams = noiseStreams + 1000;
        Schedule body = inner.run(s.body(), List.of());
        noiseStreams = inner.noiseStreams;
        int nc = s.carries(), ns = s.sequences();
        List<BufferRef> init = new ArrayList<>(), seqs = new ArrayList<>(), caps = new ArrayList<>(), cout = new ArrayList<>(), eout = new ArrayList<>();
        for (int i = 0; i < n.operands().size(); i++) {
            BufferRef r = materialize(n.operands().get(i), n.origin());
            (i < nc ? init : i < nc + ns ? seqs : caps).add(r);
        }
        for (int i = 0; i < n.results().size(); i++) {
            BufferRef r = newTemp(n.results().get(i));
            refs.put(n.results().get(i).id(), r);
            (i < nc ? cout : eout).add(r);
        }
        long steps = shape(n.operands().get(nc))[0];
        kernels.add(new Kernel.Scan(body, init, seqs, caps, cout, eout, s.reverse(), steps, n.origin()));
    }

    // ---------------------------------------------------------------- write-back of updates

    /**
     * UPDATE and STATE outputs name the persistent buffer they replace. Where the producing kernel is
     * elementwise and no later kernel reads the old value, the kernel writes the persistent buffer
     * directly; otherwise a copy at the end of the step does.
     */
    private void writeBack(Graph g, Map<String, BufferRef> outputs) {
        for (Graph.Output o : g.outputs()) {
            if (o.role() != Graph.Role.UPDATE && o.role() != Graph.Role.STATE) continue;
            BufferRef target = o.role() == Graph.Role.UPDATE ? params.get(o.name()) : states.get(o.name());
            if (target == null) {
                target = newBuffer(shape(o.value()), o.role() == Graph.Role.UPDATE ? Buffer.Kind.PARAM : Buffer.Kind.STATE, o.name());
                (o.role() == Graph.Role.UPDATE ? params : states).put(o.name(), target);
            }
            String key = o.role().text() + ":" + o.name();
            BufferRef value = outputs.get(key);
            int producer = producerOf(value);
            if (producer >= 0 && inPlaceSafe(producer, value, target)) {
                retarget(producer, value.buffer(), target.buffer());
                for (Map.Entry<String, BufferRef> e : outputs.entrySet()) {
                    if (e.getValue().buffer() == value.buffer()) e.setValue(withBuffer(e.getValue(), target.buffer()));
                }
            } else {
                kernels.add(new Kernel.Copy(target, value, Origin.NONE));
            }
        }
    }

    private int producerOf(BufferRef v) {
        if (buffers.get(v.buffer()).kind() != Buffer.Kind.TEMP || !v.isContiguous() || v.offset() != 0) return -1;
        for (int i = kernels.size() - 1; i >= 0; i--) {
            if (Kernels.writes(kernels.get(i)).stream().anyMatch(w -> w.buffer() == v.buffer())) {
                return kernels.get(i) instanceof Kernel.Fused f && f.out().buffer() == v.buffer() ? i : -1;
            }
        }
        return -1;
    }

    private boolean inPlaceSafe(int k, BufferRef value, BufferRef target) {
        if (value.numel() != target.numel() || buffers.get(value.buffer()).size() != target.numel()) return false;
        for (int i = k + 1; i < kernels.size(); i++) {
            for (BufferRef r : Kernels.reads(kernels.get(i))) if (r.buffer() == target.buffer()) return false;
        }
        // The producer may read the old value only at the index it writes.
        Kernel.Fused f = (Kernel.Fused) kernels.get(k);
        return Kernels.loads(f.expr()).stream().filter(r -> r.buffer() == target.buffer())
                .allMatch(r -> r.offset() == 0 && java.util.Arrays.equals(r.strides(), f.out().strides()));
    }

    private void retarget(int from, int oldBuffer, int newBuffer) {
        for (int i = from; i < kernels.size(); i++) kernels.set(i, Kernels.replaceBuffer(kernels.get(i), oldBuffer, newBuffer));
    }

    private static BufferRef withBuffer(BufferRef r, int buffer) { return new BufferRef(buffer, r.offset(), r.shape(), r.strides()); }

    // ---------------------------------------------------------------- epilogues

    /**
     * Attaches the elementwise kernel (or group) right after a matrix product or a convolution to it as its epilogue
     * when every part reads the product only at the element it writes and writes nothing the product reads: the
     * backend then runs the parts on each block of the product as soon as it is final, while it is in cache (a dense or
     * conv layer's bias and activation). The product keeps its own buffer, since the backward pass may read it.
     */
    private void fuseEpilogues() {
        for (int i = 0; i + 1 < kernels.size(); i++) {
            // A product moved away leaves another at i, which may move too.
            for (int moves = 0; moves < kernels.size() && sinkToConsumer(i); moves++) { }
            Kernel k = kernels.get(i), next = kernels.get(i + 1);
            List<Kernel.Fused> parts = elementwiseParts(next);
            if (parts.isEmpty()) continue;
            Kernel fused = switch (k) {
                case Kernel.MatMul m when m.epilogue().isEmpty() && m.out().rank() == 2 && m.out().isContiguous()
                        && epilogueFits(m.out(), List.of(m.a(), m.b()), parts) -> new Kernel.MatMul(m.out(), m.a(), m.b(), parts, m.origin());
                case Kernel.Conv2d c when c.epilogue().isEmpty() && epilogueFits(c.out(), List.of(c.x(), c.k()), parts) ->
                        new Kernel.Conv2d(c.out(), c.x(), c.k(), c.stride(), c.padding(), parts, c.origin());
                default -> null;
            };
            if (fused == null) continue;
            kernels.set(i, fused);
            kernels.remove(i + 1);
        }
    }

    /**
     * Moves the product at {@code i} down to just before its first reader, and says whether it did, when that reader is
     * an elementwise kernel or group that can be its epilogue and nothing in between touches the product or writes its operands. The case is a
     * weight gradient and the optimizer update of that weight, which waits for the step's scalars (edifice_mlp's
     * hᵀ·dY, 103 MB, then Adam over it): fused, the update reads the gradient from cache instead of from memory.
     */
    private boolean sinkToConsumer(int i) {
        Kernel k = kernels.get(i);
        BufferRef out;
        List<BufferRef> operands;
        switch (k) {
            case Kernel.MatMul m when m.epilogue().isEmpty() && m.out().rank() == 2 && m.out().isContiguous() -> { out = m.out(); operands = List.of(m.a(), m.b()); }
            case Kernel.Conv2d c when c.epilogue().isEmpty() -> { out = c.out(); operands = List.of(c.x(), c.k()); }
            default -> { return false; }
        }
        java.util.Set<Integer> inputs = new java.util.HashSet<>();
        for (BufferRef r : operands) inputs.add(r.buffer());
        for (int j = i + 1; j < kernels.size(); j++) {
            Kernel y = kernels.get(j);
            boolean readsProduct = false;
            for (BufferRef r : Kernels.reads(y)) readsProduct |= r.buffer() == out.buffer();
            if (readsProduct) {
                List<Kernel.Fused> parts = elementwiseParts(y);
                if (j == i + 1 || parts.isEmpty() || !epilogueFits(out, operands, parts)) return false;
                kernels.add(j - 1, kernels.remove(i));
                return true;
            }
            for (BufferRef w : Kernels.writes(y)) if (w.buffer() == out.buffer() || inputs.contains(w.buffer())) return false;
        }
        return false;
    }

    /** The parts of an elementwise kernel or group; empty for any other kernel. */
    private static List<Kernel.Fused> elementwiseParts(Kernel k) {
        return k instanceof Kernel.FusedGroup g ? g.parts() : k instanceof Kernel.Fused f ? List.of(f) : List.of();
    }

    private static boolean epilogueFits(BufferRef product, List<BufferRef> operands, List<Kernel.Fused> parts) {
        for (Kernel.Fused p : parts) {
            if (!java.util.Arrays.equals(p.out().shape(), product.shape()) || p.out().buffer() == product.buffer()) return false;
            for (BufferRef r : Kernels.loads(p.expr())) if (r.buffer() == product.buffer() && !r.equals(product)) return false;
            for (BufferRef o : operands) if (o.buffer() == p.out().buffer()) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- grouping

    /** How far back (in kernels) an elementwise kernel may be moved to join a group. */
    private static final int GROUP_WINDOW = 32;

    /**
     * Moves each elementwise kernel back to join an earlier one of the same shape when that is legal: nothing in
     * between writes what it reads or touches what it writes, and the two read each other's outputs only at the element
     * being written (through the written view itself). Runs after write-back, so in-place updates are visible, and
     * before the memory plan, which then sees the final order.
     */
    private void groupElementwise() {
        List<Kernel> out = new ArrayList<>();
        for (Kernel k : kernels) {
            if (k instanceof Kernel.Fused f) {
                int at = groupTarget(out, f);
                if (at < 0) {
                    // f cannot move up to a group (it needs something computed since), but the group may move down to f.
                    int sink = sinkTarget(out, f);
                    if (sink >= 0) {
                        out.add(out.remove(sink));
                        at = out.size() - 1;
                    }
                }
                if (at >= 0) {
                    Kernel g = out.get(at);
                    List<Kernel.Fused> parts = new ArrayList<>(g instanceof Kernel.FusedGroup fg ? fg.parts() : List.of((Kernel.Fused) g));
                    parts.add(f);
                    out.set(at, new Kernel.FusedGroup(parts, parts.get(0).origin()));
                    continue;
                }
            }
            out.add(k);
        }
        kernels.clear();
        kernels.addAll(out);
    }

    private int groupTarget(List<Kernel> out, Kernel.Fused f) {
        java.util.Set<Integer> reads = new java.util.HashSet<>();
        for (BufferRef r : Kernels.loads(f.expr())) reads.add(r.buffer());
        int writes = f.out().buffer();
        for (int i = out.size() - 1; i >= Math.max(0, out.size() - GROUP_WINDOW); i--) {
            Kernel x = out.get(i);
            List<Kernel.Fused> parts = elementwiseParts(x);
            if (!parts.isEmpty() && groupable(parts, f)) return i;
            for (BufferRef w : Kernels.writes(x)) if (reads.contains(w.buffer()) || w.buffer() == writes) return -1;
            for (BufferRef r : Kernels.reads(x)) if (r.buffer() == writes) return -1;
        }
        return -1;
    }

    /**
     * An elementwise kernel or group before f, groupable with it, that can run later instead: nothing after it reads
     * what it writes, or writes what it reads or writes. (An outer-product weight gradient computed early, and the
     * optimizer update of that weight, which waits for the step's scalars.)
     */
    private int sinkTarget(List<Kernel> out, Kernel.Fused f) {
        for (int i = out.size() - 1; i >= Math.max(0, out.size() - GROUP_WINDOW); i--) {
            Kernel x = out.get(i);
            List<Kernel.Fused> parts = elementwiseParts(x);
            if (parts.isEmpty() || !groupable(parts, f)) continue;
            java.util.Set<Integer> writes = new java.util.HashSet<>(), reads = new java.util.HashSet<>();
            for (BufferRef w : Kernels.writes(x)) writes.add(w.buffer());
            for (BufferRef r : Kernels.reads(x)) reads.add(r.buffer());
            boolean free = true;
            for (int j = i + 1; j < out.size() && free; j++) {
                Kernel y = out.get(j);
                for (BufferRef r : Kernels.reads(y)) free &= !writes.contains(r.buffer());
                for (BufferRef w : Kernels.writes(y)) free &= !writes.contains(w.buffer()) && !reads.contains(w.buffer());
            }
            if (free) return i;
        }
        return -1;
    }

    private static boolean groupable(List<Kernel.Fused> parts, Kernel.Fused f) {
        for (Kernel.Fused p : parts) {
            if (!java.util.Arrays.equals(p.out().shape(), f.out().shape()) || p.out().buffer() == f.out().buffer()) return false;
            for (BufferRef r : Kernels.loads(f.expr())) if (r.buffer() == p.out().buffer() && !r.equals(p.out())) return false;
            for (BufferRef r : Kernels.loads(p.expr())) if (r.buffer() == f.out().buffer() && !r.equals(f.out())) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- buffers

    private long[] shape(Value v) { return concrete(v.type().shape()); }

    private long[] concrete(Shape s) {
        long[] out = new long[s.rank()];
        for (int i = 0; i < out.length; i++) out[i] = s.dim(i).size(batch);
        return out;
    }

    private BufferRef newTemp(Value v) { return newBuffer(shape(v), Buffer.Kind.TEMP, "%" + v.id()); }

    private BufferRef newBuffer(long[] shape, Buffer.Kind kind, String name) {
        long n = 1;
        for (long d : shape) n *= d;
        Buffer b = new Buffer(buffers.size(), Math.max(1, n), kind, name, -1);
        buffers.add(b);
        return BufferRef.contiguous(b.id(), 0, shape);
    }
}
