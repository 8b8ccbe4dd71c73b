package dev.hyperc.compiler.passes;

import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.GraphBuilder;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies per-sample generated weights without generating them. A hypernetwork's dense head makes every sample's
 * target weights, {@code W[b] = reshape(h[b]·G + g)} with {@code h: [B, C]} and {@code G: [C, I·J]}, and the target
 * applies them to one input row per sample, {@code y[b] = x[b]·W[b]}. That is a three-way contraction over
 * (c, i, j), and its order is free:
 * <pre>
 *   y[b, j] = Σ_c h[b, c] · P[c, b, j] + (x·reshape(g))[b, j]    with    P[c] = x · G_c,   G_c = reshape(G[c], [I, J])
 * </pre>
 * Both orders cost B·C·I·J multiply-adds forward. Backward they differ: through W, the step needs the head's weight
 * gradient hᵀ·dW <em>and</em> dh = dW·Gᵀ, each B·C·I·J; through P, dG_c = xᵀ·dP[c] is the only large product, since
 * dh[b, c] = Σ_j P[c, b, j]·dy[b, j] reuses P. So training does two large products instead of three, and never
 * writes the B·I·J generated weights or their gradient (edifice_mlp: 25.7M floats each a step), only P (C·B·J).
 *
 * <p>Applied only where that holds: the input rows {@code x} depend on no parameter (otherwise dx = dP·G_cᵀ adds
 * the product back), each sample has exactly one row (with M rows the forward product grows M-fold), and the
 * generated tensor has no reader but column slices, of which the reshaped weight blocks feed only such products.
 * Other slices of the head (the target's biases) become small products of their own, h·G[:, s:e] + g[s:e]. A head
 * whose generated weights are read otherwise (a graph output, a diversity loss) is left as it is.
 *
 * <p>Unlike the passes of the standard pipeline this one adds values, so it takes fresh ids above the graph's
 * largest; it runs once, on the training graph, before differentiation.
 */
public final class GeneratedWeightContraction {
    private GeneratedWeightContraction() {}

    /** {@code g} with every qualifying head rewritten, or {@code g} itself when none qualifies. */
    public static Graph run(Graph g) {
        Map<Value, Node> defs = new HashMap<>();
        Map<Value, List<Node>> users = new HashMap<>();
        Set<Value> outputs = new HashSet<>();
        for (Node n : g.nodes()) {
            for (Value r : n.results()) defs.put(r, n);
            for (Value v : n.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
        }
        for (Graph.Output o : g.outputs()) outputs.add(o.value());
        Set<Value> learned = dependsOnParams(g);

        Map<Node, Head> heads = new HashMap<>();
        for (Node n : g.nodes()) {
            Head h = Head.match(n, defs, users, outputs, learned);
            if (h != null) heads.put(n, h);
        }
        if (heads.isEmpty()) return g;

        GraphBuilder b = new GraphBuilder(g.name(), new GraphBuilder.IdCounter(maxId(g) + 1));
        Map<Node, Head> byNode = new HashMap<>();
        for (Head h : heads.values()) for (Node n : h.touched()) byNode.put(n, h);
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            Head h = byNode.get(n);
            if (h == null) {
                out.add(n);
                continue;
            }
            if (h.slices.contains(n)) out.addAll(h.sliceAsProduct(b, n));
            else if (h.products.contains(n)) out.addAll(h.contracted(b, n));
            // The head product, its bias add and the weight blocks' slices and reshapes have no reader left.
        }
        return new Graph(g.name(), g.params(), out, g.outputs());
    }

    /**
     * One generator head {@code y = h·G (+ g)} whose generated weights are only applied to parameter-free rows.
     *
     * @param slices   the column slices of y that are not weight blocks (rebuilt as small products)
     * @param blocks   the weight blocks' slice and reshape nodes (dropped)
     * @param products the target products x · reshape(y[:, s:e]) (rebuilt as contractions)
     */
    private record Head(Node matmul, Node biasAdd, Value h, Value weights, Value bias, Set<Node> slices,
                        Set<Node> blocks, Set<Node> products, Map<Node, Node> blockOf) {

        List<Node> touched() {
            List<Node> t = new ArrayList<>(List.of(matmul));
            if (biasAdd != null) t.add(biasAdd);
            t.addAll(slices);
            t.addAll(blocks);
            t.addAll(products);
            return t;
        }

        static Head match(Node n, Map<Value, Node> defs, Map<Value, List<Node>> users, Set<Value> outputs, Set<Value> learned) {
            if (!(n.op() instanceof Op.MatMul) || n.operands().get(0).type().rank() != 2 || n.operands().get(1).type().rank() != 2) return null;
            Value y = n.result();
            Node biasAdd = null;
            Value bias = null;
            List<Node> yUsers = users.getOrDefault(y, List.of());
            if (yUsers.size() == 1 && yUsers.get(0).op() instanceof Op.Binary bin && bin.fn() == Op.BinaryFn.ADD && !outputs.contains(y)) {
                Node add = yUsers.get(0);
                Value other = add.operands().get(0).equals(y) ? add.operands().get(1) : add.operands().get(0);
                if (!other.equals(y) && other.type().rank() == 1 && add.result().type().equals(y.type())) {
                    biasAdd = add;
                    bias = other;
                    y = add.result();
                    yUsers = users.getOrDefault(y, List.of());
                }
            }
            if (outputs.contains(y) || yUsers.isEmpty()) return null;
            Dim batch = y.type().shape().dim(0);
            Set<Node> slices = new HashSet<>(), blocks = new HashSet<>(), products = new HashSet<>();
            Map<Node, Node> blockOf = new HashMap<>();
            for (Node u : yUsers) {
                if (!(u.op() instanceof Op.Slice s) || s.axis() != 1 || outputs.contains(u.result())) return null;
                Node reshape = weightBlock(u, s, batch, users, outputs, learned);
                if (reshape == null) {
                    slices.add(u);
                    continue;
                }
                blocks.add(u);
                blocks.add(reshape);
                for (Node p : users.get(reshape.result())) {
                    products.add(p);
                    blockOf.put(p, u);
                }
            }
            if (products.isEmpty()) return null;
            return new Head(n, biasAdd, n.operands().get(0), n.operands().get(1), bias, slices, blocks, products, blockOf);
        }

        /**
         * The reshape that makes slice {@code s} a [B, I, J] weight block, when every reader of the block is a product
         * x[B, 1, I] · block with parameter-free x; else null.
         */
        private static Node weightBlock(Node slice, Op.Slice s, Dim batch, Map<Value, List<Node>> users, Set<Value> outputs,
                                        Set<Value> learned) {
            List<Node> su = users.getOrDefault(slice.result(), List.of());
            if (s.step() != 1 || su.size() != 1 || !(su.get(0).op() instanceof Op.Reshape)) return null;
            Node reshape = su.get(0);
            Shape w = reshape.result().type().shape();
            if (w.rank() != 3 || !w.dim(0).equals(batch) || outputs.contains(reshape.result())) return null;
            List<Node> readers = users.getOrDefault(reshape.result(), List.of());
            if (readers.isEmpty()) return null;
            for (Node p : readers) {
                if (!(p.op() instanceof Op.MatMul) || !p.operands().get(1).equals(reshape.result()) || p.operands().get(0).equals(reshape.result())) return null;
                Value x = p.operands().get(0);
                Shape xs = x.type().shape();
                if (xs.rank() != 3 || !xs.dim(0).equals(batch) || !xs.dim(1).equals(Dim.of(1)) || learned.contains(x)) return null;
            }
            return reshape;
        }

        /** y[:, s:e] as h·G[:, s:e] (+ g[s:e]), keeping the slice's result value. */
        List<Node> sliceAsProduct(GraphBuilder b, Node slice) {
            Op.Slice s = (Op.Slice) slice.op();
            b.at(slice.origin());
            int first = b.nodes().size();
            Value gs = b.add(new Op.Slice(1, s.start(), s.end(), s.step()), weights);
            Op last;
            List<Value> lastOperands;
            if (bias == null) {
                last = new Op.MatMul();
                lastOperands = List.of(h, gs);
            } else {
                Value prod = b.add(new Op.MatMul(), h, gs);
                last = new Op.Binary(Op.BinaryFn.ADD);
                lastOperands = List.of(prod, b.add(new Op.Slice(0, s.start(), s.end(), s.step()), bias));
            }
            List<Node> made = new ArrayList<>(b.nodes().subList(first, b.nodes().size()));
            made.add(new Node(slice.result(), last, lastOperands, slice.origin()));
            return made;
        }

        /** x · W as Σ_c h[:, c]·(x·G_c) + x·reshape(g), keeping the product's result value. */
        List<Node> contracted(GraphBuilder b, Node product) {
            Op.Slice s = (Op.Slice) blockOf.get(product).op();
            Value x = product.operands().get(0);
            Shape w = product.operands().get(1).type().shape(), xs = x.type().shape();
            Dim batch = xs.dim(0), c = h.type().shape().dim(1), in = w.dim(1), out = w.dim(2);
            b.at(product.origin());
            int first = b.nodes().size();
            Value rows = b.add(new Op.Reshape(Shape.of(batch, in)), x);
            Value blocks = b.add(new Op.Reshape(Shape.of(c, in, out)), b.add(new Op.Slice(1, s.start(), s.end(), 1), weights));
            Value p = b.add(new Op.MatMul(), rows, blocks); // [C, B, J]
            Value pt = b.add(new Op.Transpose(new int[] {1, 0, 2}), p); // [B, C, J]
            Value hr = b.add(new Op.Reshape(Shape.of(batch, Dim.of(1), c)), h);
            Op last;
            List<Value> lastOperands;
            if (bias == null) {
                last = new Op.MatMul();
                lastOperands = List.of(hr, pt);
            } else {
                Value viaHead = b.add(new Op.MatMul(), hr, pt);
                Value g = b.add(new Op.Reshape(Shape.of(in, out)), b.add(new Op.Slice(0, s.start(), s.end(), 1), bias));
                Value viaBias = b.add(new Op.Reshape(product.result().type().shape()), b.add(new Op.MatMul(), rows, g));
                last = new Op.Binary(Op.BinaryFn.ADD);
                lastOperands = List.of(viaHead, viaBias);
            }
            List<Node> made = new ArrayList<>(b.nodes().subList(first, b.nodes().size()));
            made.add(new Node(product.result(), last, lastOperands, product.origin()));
            return made;
        }
    }

    /** Values computed from a learned parameter, which a backward pass would differentiate. */
    private static Set<Value> dependsOnParams(Graph g) {
        Set<Value> learned = new HashSet<>();
        for (Node n : g.nodes()) {
            boolean l = n.op() instanceof Op.Param || n.operands().stream().anyMatch(learned::contains);
            if (l) learned.addAll(n.results());
        }
        return learned;
    }

    private static int maxId(Graph g) {
        int m = -1;
        for (Value p : g.params()) m = Math.max(m, p.id());
        for (Node n : g.nodes()) {
            for (Value r : n.results()) m = Math.max(m, r.id());
            if (n.op() instanceof Op.Scan s) m = Math.max(m, maxId(s.body()));
        }
        return m;
    }
}
