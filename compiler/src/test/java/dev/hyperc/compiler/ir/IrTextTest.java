package dev.hyperc.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hyperc.compiler.ir.GraphBuilder.IdCounter;
import dev.hyperc.compiler.ir.Init.Distribution;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The IR text format: printer and parser round-trip, cover every op, and reject malformed text with located errors. */
class IrTextTest {
    private static final Dim B = Dim.B;

    private static TensorType f32(Object... dims) { return TensorType.f32(shape(dims)); }

    private static TensorType i32(Object... dims) { return TensorType.i32(shape(dims)); }

    private static Shape shape(Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) d.add(o instanceof Dim x ? x : Dim.of(((Number) o).longValue()));
        return new Shape(d);
    }

    private static Dim bx(long k) { return new Dim(k, true); }

    /** Prints, parses, prints again: the texts must be identical and the modules equal. */
    private static IrModule roundTrip(IrModule m) {
        String text = IrPrinter.print(m);
        IrModule back = IrParser.parse(text, "roundtrip.ir");
        assertEquals(text, IrPrinter.print(back), "print -> parse -> print must be the identity");
        assertEquals(m, back, "parse(print(m)) must equal m");
        return back;
    }

    // ---------------------------------------------------------------- (1) every op round-trips

    /** A module using every op record, every init kind, every output role, layouts, scans (nested), origins known and unknown. */
    static IrModule everything() {
        IdCounter ids = new IdCounter();
        GraphBuilder g = new GraphBuilder("train", ids);
        g.at(new Origin(3, 5));
        Value x = g.add(new Op.Input("x", f32(B, 16)));
        g.at(Origin.NONE);
        Value tokens = g.add(new Op.Input("ids", i32(B)));
        Value labels = g.add(new Op.Input("la\"bel\\s\n\tz", i32(B)));
        Value img = g.add(new Op.Input("img", f32(B, 3, 8, 8)));
        Value gimg = g.add(new Op.Input("gimg", f32(2, B, 3, 8, 8)));
        Value seq = g.add(new Op.Input("seq", f32(5, B, 16)));
        Value ctx = g.add(new Op.Input("ctx", f32(3, B, 32)));
        Value w = g.add(new Op.Param("dense_1.w", f32(16, 32), new Init.Glorot(16, 32)));
        Value b = g.add(new Op.Param("dense_1.b", f32(32), new Init.Zeros()));
        g.add(new Op.Param("bn_1.gamma", f32(32), new Init.Ones()));
        Value z = g.add(new Op.Param("z", f32(8), new Init.Random(Distribution.NORMAL, 0.0, 1.0)));
        g.add(new Op.Param("u", f32(32), new Init.Random(Distribution.UNIFORM, -0.05, 0.05)));
        Value k = g.add(new Op.Param("conv.k", f32(4, 3, 3, 3), new Init.He(27)));
        Value gk = g.add(new Op.Param("gconv.k", f32(2, 4, 3, 3, 3), new Init.Random(Distribution.NORMAL, -1e-7, 2.5e-3)));
        Value head = g.add(new Op.Param("gen.head", f32(8, 16), new Init.HyperFan(8, 16)));
        Value table = g.add(new Op.Param("emb", f32(100, 16), new Init.Random(Distribution.UNIFORM, -1.0E-7, 1.0E20)));
        Value mean = g.add(new Op.State("bn_1.mean", f32(32), new Init.Zeros()));
        Value nu = g.add(new Op.Noise(Distribution.UNIFORM, -1.0, 1.0, f32(B, 32)));
        Value nn = g.add(new Op.Noise(Distribution.NORMAL, 0.0, 1e-7, f32(B, 32)));
        Value half = g.add(new Op.Const(-0.5, f32()));
        g.add(new Op.Const(1e-7, f32()));
        g.add(new Op.Const(-0.0, f32(1)));
        g.add(new Op.Const(Double.NEGATIVE_INFINITY, f32(2)));
        g.add(new Op.Const(Double.NaN, f32(2)));
        g.add(new Op.Const(Double.MIN_VALUE, f32(2)));
        g.add(new Op.Const(123456789.125, f32(2)));

        g.at(new Origin(12, 7));
        Value h = g.add(new Op.MatMul(), x, w);
        h = g.add(new Op.Binary(Op.BinaryFn.ADD), h, b);
        for (Op.UnaryFn f : Op.UnaryFn.values()) h = g.add(new Op.Unary(f), h);
        h = g.add(new Op.LeakyRelu(0.01), h);
        h = g.add(new Op.LeakyRelu(-3.0E-12), h);
        for (Op.BinaryFn f : Op.BinaryFn.values()) h = g.add(new Op.Binary(f), h, nu);
        h = g.add(new Op.Binary(Op.BinaryFn.MUL), h, half);
        Value mask = g.add(new Op.Binary(Op.BinaryFn.GT), nn, half);
        Value sel = g.add(new Op.Select(), mask, h, nu);
        g.at(Origin.NONE);
        Value asInt = g.add(new Op.Cast(DType.I32), sel);
        Value asFloat = g.add(new Op.Cast(DType.F32), asInt);
        Value sg = g.add(new Op.StopGradient(), asFloat);
        Value loss = g.add(new Op.Reduce(Op.ReduceFn.SUM, new int[] {0, 1}), sg);
        g.add(new Op.Reduce(Op.ReduceFn.MEAN, new int[] {0}), sg);
        g.add(new Op.Reduce(Op.ReduceFn.MAX, new int[] {1}), sg);
        g.add(new Op.Reduce(Op.ReduceFn.MIN, new int[] {}), sg);
        Value pred = g.add(new Op.ArgMax(1), sg);
        g.add(new Op.LogSumExp(-1), sg);

        g.at(new Origin(30, 1));
        Value conv = g.add(new Op.Conv2d(new int[] {1, 1}, new int[] {1, 1, 1, 1}), img, k);
        g.add(new Op.Conv2dGradInput(new int[] {1, 1}, new int[] {1, 1, 1, 1}, shape(B, 3, 8, 8)), conv, k);
        g.add(new Op.Conv2dGradKernel(new int[] {1, 1}, new int[] {1, 1, 1, 1}, shape(4, 3, 3, 3)), img, conv);
        g.add(new Op.Conv2d(new int[] {2, 1}, new int[] {0, 1, 2, 0}), gimg, gk);
        Value mp = g.add(new Op.Pool2d(Op.PoolKind.MAX, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0}), conv);
        Value ap = g.add(new Op.Pool2d(Op.PoolKind.AVG, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}), conv);
        g.add(new Op.Pool2dGrad(Op.PoolKind.MAX, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0}), conv, mp);
        g.add(new Op.Pool2dGrad(Op.PoolKind.AVG, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}), conv, ap);

        Value emb = g.add(new Op.Gather(), table, tokens);
        g.add(new Op.ScatterAdd(100), tokens, emb);
        Value onehot = g.add(new Op.OneHot(10), labels);
        g.add(new Op.Reshape(shape(bx(4), 4)), x);
        g.add(new Op.Reshape(shape(1, 8)), z);
        Value sl = g.add(new Op.Slice(-1, 0, 16, 3), x);
        g.add(new Op.Transpose(new int[] {1, 0}), w);
        g.add(new Op.Broadcast(shape(B, 32)), b);
        g.add(new Op.Concat(1), h, nu);
        g.add(new Op.Concat(0), x, x, x);
        g.add(new Op.Unslice(1, 1, 2, 13), sl);
        g.add(new Op.PairwiseDist(), head);
        Value nd = g.add(new Op.NearestDist(), head);
        g.add(new Op.NearestDistGrad(), head, nd);

        // scan over seq with carry h, capturing w and ctx; its body holds a nested scan over ctx
        GraphBuilder body = new GraphBuilder("body", ids);
        Value ph = body.param(f32(B, 32));
        Value px = body.param(f32(B, 16));
        Value pw = body.param(f32(16, 32));
        Value pctx = body.param(f32(3, B, 32));
        body.at(new Origin(20, 3));
        Value nh = body.add(new Op.Unary(Op.UnaryFn.TANH), body.add(new Op.Binary(Op.BinaryFn.ADD), body.add(new Op.MatMul(), px, pw), ph));
        GraphBuilder inner = new GraphBuilder("body", ids);
        Value ih = inner.param(f32(B, 32));
        Value ie = inner.param(f32(B, 32));
        Value is = inner.add(new Op.Binary(Op.BinaryFn.ADD), ih, ie);
        inner.output("c", is, Graph.Role.YIELD);
        inner.output("e.out", ie, Graph.Role.YIELD);
        body.at(Origin.NONE);
        List<Value> innerRes = body.addMulti(new Op.Scan(inner.build(), 1, 1), List.of(nh, pctx));
        body.output("next_h", innerRes.get(0), Graph.Role.YIELD);
        body.output("out", nh, Graph.Role.YIELD);
        g.at(new Origin(40, 9));
        List<Value> scan = g.addMulti(new Op.Scan(body.build(), 1, 1), List.of(h, seq, w, ctx));
        // a scan with no carries: its only result is the stacked emission
        GraphBuilder e = new GraphBuilder("body", ids);
        Value ep = e.param(f32(B, 16));
        e.output("y", e.add(new Op.Unary(Op.UnaryFn.EXP), ep), Graph.Role.YIELD);
        g.at(Origin.NONE);
        g.addMulti(new Op.Scan(e.build(), 0, 1), List.of(seq));

        g.output("pred", pred, Graph.Role.RESULT);
        g.output("h", scan.get(0), Graph.Role.RESULT);
        g.output("loss", loss, Graph.Role.LOSS);
        g.output("acc", loss, Graph.Role.METRIC);
        g.output("bn_1.mean", mean, Graph.Role.STATE);
        g.output("dense_1.w", w, Graph.Role.UPDATE);
        g.output("dense_1.w", w, Graph.Role.GRAD);
        g.output("odd name", onehot, Graph.Role.RESULT);

        GraphBuilder p = new GraphBuilder("predict", ids);
        p.at(new Origin(1, 1));
        Value px2 = p.add(new Op.Input("x", f32(B, 16)));
        p.output("y", p.add(new Op.Unary(Op.UnaryFn.RELU), px2), Graph.Role.RESULT);

        List<Layout> layouts = List.of(
                new Layout("mlp", Layout.Packing.CONTIGUOUS,
                        List.of(new Layout.Entry("dense_1.w", shape(16, 32), 0), new Layout.Entry("dense_1.b", shape(32), 512)), 544),
                new Layout("conv net", Layout.Packing.PER_FILTER,
                        List.of(new Layout.Entry("conv.w", shape(4, 3, 3, 3), 0), new Layout.Entry("conv.b", shape(4), 27)), 112),
                new Layout("empty", Layout.Packing.CONTIGUOUS, List.of(), 0));
        return new IrModule("kata", layouts, List.of(g.build(), p.build(), new GraphBuilder("nothing", ids).build()));
    }

    @Test
    void everyOpRoundTrips() {
        IrModule m = everything();
        Verifier.verify(m, "test");
        roundTrip(m);
        String text = IrPrinter.print(m);
        assertTrue(text.startsWith("hyperc.ir 1\nmodule kata\n\nlayout mlp size=544 {\n  dense_1.w f32[16,32] @0\n"), text);
        assertTrue(text.contains("\nlayout \"conv net\" packing=per_filter size=112 {\n"), text);
        assertTrue(text.contains(" = input[name=\"x\"] @3:5\n"), text);
        assertTrue(text.contains(" = input[name=\"la\\\"bel\\\\s\\n\\tz\"]\n"), text);
        assertTrue(text.contains(":f32[B*4,4] = reshape[shape=[B*4,4]] %"), text);
        assertTrue(text.contains(" = const[value=-0.0]\n"), text);
        assertTrue(text.contains(" = const[value=1.0E-7]\n"), text);
        assertTrue(text.contains(" = param[name=\"emb\", init=uniform(-1.0E-7, 1.0E20)]\n"), text);
        assertTrue(text.contains("    yield next_h = %"), text);
        assertTrue(text.contains("      yield c = %"), text);
        assertTrue(text.contains("  output grad dense_1.w = %"), text);
        assertTrue(text.contains("  output result \"odd name\" = %"), text);
        assertTrue(text.endsWith("graph nothing {\n}\n"), text);
    }

    @Test
    void smallModulePrintsExactly() {
        IdCounter ids = new IdCounter();
        GraphBuilder g = new GraphBuilder("train", ids);
        Value x = g.add(new Op.Input("x", f32(B, 16)));
        Value z = g.add(new Op.Param("z", f32(8), new Init.Random(Distribution.NORMAL, 0.0, 1.0)));
        Value r = g.add(new Op.Reshape(shape(1, 8)), z);
        g.at(new Origin(12, 7));
        Value y = g.add(new Op.LeakyRelu(0.01), x);
        Value s = g.add(new Op.Reduce(Op.ReduceFn.MEAN, new int[] {0, 1}), y);
        g.output("loss", s, Graph.Role.LOSS);
        g.output("r", r, Graph.Role.RESULT);
        IrModule m = new IrModule("kata", List.of(new Layout("mlp", Layout.Packing.CONTIGUOUS,
                List.of(new Layout.Entry("dense_1.w", shape(16, 32), 0), new Layout.Entry("dense_1.b", shape(32), 512)), 544)),
                List.of(g.build()));
        String expected = """
                hyperc.ir 1
                module kata

                layout mlp size=544 {
                  dense_1.w f32[16,32] @0
                  dense_1.b f32[32] @512
                }

                graph train {
                  %0:f32[B,16] = input[name="x"]
                  %1:f32[8] = param[name="z", init=normal(0.0, 1.0)]
                  %2:f32[1,8] = reshape[shape=[1,8]] %1
                  %3:f32[B,16] = leaky_relu[alpha=0.01] %0 @12:7
                  %4:f32[] = reduce_mean[axes=[0,1]] %3 @12:7
                  output loss loss = %4
                  output result r = %2
                }
                """;
        assertEquals(expected, IrPrinter.print(m));
        roundTrip(m);
    }

    @Test
    void commentsBlankLinesAndAttributeOrderAreAccepted() {
        String text = """
                # a hand-written test graph
                hyperc.ir 1   # format version

                module "hand written"
                graph g {


                  %0:f32[2,3] = input[name="x"]      # the input
                  %1:f32[2,3] = noise[b=2.0, dist=normal, a=-1]
                  %2:f32[2,3] = add %0, %1 @4:2
                  # done
                  output result y = %2
                }
                """;
        IrModule m = IrParser.parse(text, "hand.ir");
        Graph g = m.graph("g");
        assertEquals("hand written", m.model());
        assertEquals(new Op.Noise(Distribution.NORMAL, -1.0, 2.0, f32(2, 3)), g.nodes().get(1).op());
        assertEquals(new Origin(4, 2), g.nodes().get(2).origin());
        roundTrip(m);

        Graph only = IrParser.parseGraph("""
                graph h {
                  %7:i32[B*2] = input[name="ids"]
                  %8:f32[B*2,5] = one_hot[depth=5] %7
                  output result y = %8
                }
                """);
        assertEquals("h", only.name());
        assertEquals(new Op.OneHot(5), only.nodes().get(1).op());
    }

    // ---------------------------------------------------------------- (2) the codec covers every op

    private static void concreteOps(Class<?> c, Set<Class<?>> out) {
        if (c.isInterface()) {
            Class<?>[] sub = c.getPermittedSubclasses();
            assertNotNull(sub, c + " must be sealed");
            for (Class<?> s : sub) concreteOps(s, out);
        } else {
            out.add(c);
        }
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    @Test
    void codecTableCoversEveryOp() {
        Set<Class<?>> ops = new HashSet<>();
        concreteOps(Op.class, ops);
        assertTrue(ops.size() >= 30, "found only " + ops);
        // Fields that are not attributes: the leaf type is the result type, the scan body is its block,
        // and family selectors are part of the mnemonic. Noise's distribution is written 'dist'.
        Set<String> notAttributes = Set.of("type", "body", "fn", "kind");
        Map<String, String> renamed = Map.of("distribution", "dist");
        Set<String> mnemonics = new TreeSet<>();
        for (Class<?> c : ops) {
            assertTrue(c.isRecord(), c + " should be a record");
            IrCodec.Codec codec = IrCodec.forClass(c);
            if (codec == null) fail("op " + c.getSimpleName() + " has no row in IrCodec.TABLE, so it has no text form");
            List<String> want = new ArrayList<>();
            for (RecordComponent rc : c.getRecordComponents()) {
                if (!notAttributes.contains(rc.getName())) want.add(renamed.getOrDefault(rc.getName(), snake(rc.getName())));
            }
            List<String> have = codec.attrs().stream().map(IrCodec.Attr::name).toList();
            assertEquals(want, have, "attributes of " + c.getSimpleName() + " must mirror its fields, in order");
            for (String mn : codec.mnemonics()) {
                assertTrue(mnemonics.add(mn), "mnemonic " + mn + " is used twice");
                assertEquals(codec, IrCodec.forMnemonic(mn));
            }
        }
        assertEquals(ops.size(), IrCodec.TABLE.size(), "the codec table has rows for classes that are not ops");
        // The mnemonic families cover every enum value.
        for (Op.UnaryFn f : Op.UnaryFn.values()) assertTrue(mnemonics.contains(new Op.Unary(f).mnemonic()));
        for (Op.BinaryFn f : Op.BinaryFn.values()) assertTrue(mnemonics.contains(new Op.Binary(f).mnemonic()));
        for (Op.ReduceFn f : Op.ReduceFn.values()) assertTrue(mnemonics.contains(f.text()));
        for (Op.PoolKind f : Op.PoolKind.values()) {
            assertTrue(mnemonics.contains(f.text() + "_pool2d"));
            assertTrue(mnemonics.contains(f.text() + "_pool2d_grad"));
        }
        // And the round-trip module really uses every mnemonic, so every row is exercised.
        Set<String> used = new TreeSet<>();
        collectMnemonics(everything().graphs(), used);
        Set<String> missing = new TreeSet<>(mnemonics);
        missing.removeAll(used);
        assertTrue(missing.isEmpty(), "everything() does not use " + missing);
    }

    private static void collectMnemonics(List<Graph> graphs, Set<String> out) {
        for (Graph g : graphs) {
            for (Node n : g.nodes()) {
                out.add(n.op().mnemonic());
                if (n.op() instanceof Op.Scan s) collectMnemonics(List.of(s.body()), out);
            }
        }
    }

    // ---------------------------------------------------------------- (3) malformed IR

    private static final String HEAD = "hyperc.ir 1\nmodule t\n\n";

    private static String graph(String... lines) {
        return HEAD + "graph g {\n" + String.join("\n", lines) + "\n}\n";
    }

    private static final String X = "  %0:f32[2,3] = input[name=\"x\"]";

    static List<Arguments> malformed() {
        return List.of(
                Arguments.of("empty file", "", "1:1", "expected the header 'hyperc.ir 1'"),
                Arguments.of("blank file", "\n\n  # nothing\n", "4:1", "found end of input"),
                Arguments.of("wrong version", "hyperc.ir 2\nmodule t\n", "1:11", "unsupported IR format version 2"),
                Arguments.of("no module line", "hyperc.ir 1\ngraph g {\n}\n", "2:1", "expected 'module NAME'"),
                Arguments.of("unknown op", graph(X, "  %1:f32[2,3] = frobnicate %0"), "6:17", "unknown op 'frobnicate'"),
                Arguments.of("bad dtype", graph("  %0:f64[2,3] = input[name=\"x\"]"), "5:6", "unknown dtype 'f64'"),
                Arguments.of("bad dimension", graph("  %0:f32[2,x] = input[name=\"x\"]"), "5:12", "expected a dimension"),
                Arguments.of("shape rule mismatch", graph(X, "  %1:f32[3,2] = relu %0"), "6:3",
                        "result type f32[3,2] does not match the shape rule of relu, which gives f32[2,3]"),
                Arguments.of("shape rule violated", graph(X, "  %1:f32[2,2] = matmul %0, %0"), "6:17",
                        "matmul violates its shape rule: matmul inner sizes differ"),
                Arguments.of("wrong arity", graph(X, "  %1:f32[2,3] = relu %0, %0"), "6:17", "relu takes 1 operand, got 2"),
                Arguments.of("use before def", graph(X, "  %1:f32[2,3] = relu %7"), "6:22", "%7 is used before it is defined"),
                Arguments.of("self use", graph(X, "  %1:f32[2,3] = relu %1"), "6:22", "%1 is used before it is defined"),
                Arguments.of("duplicate id", graph(X, "  %0:f32[2,3] = relu %0"), "6:3", "%0 is defined more than once (first at line 5)"),
                Arguments.of("duplicate id across graphs", HEAD + "graph a {\n" + X + "\n}\ngraph b {\n" + X + "\n}\n", "8:3",
                        "%0 is defined more than once (first at line 5)"),
                Arguments.of("unterminated scan", graph(X,
                        "  %1:f32[2,3] = input[name=\"s\"]",
                        "  %2:f32[2,3] = scan[carries=0, sequences=1, reverse=false] %1 {",
                        "    (%3:f32[3])").replace("\n}\n", "\n"), "9:1", "unterminated scan body (opened at 7:64)"),
                Arguments.of("scan without yield", graph(X,
                        "  %1:f32[2,3] = scan[carries=0, sequences=1, reverse=false] %0 {",
                        "    (%3:f32[3])",
                        "  }"), "8:3", "a scan body must end with a 'yield' line"),
                Arguments.of("scan uses an outer value", graph(X,
                        "  %1:f32[2,3] = scan[carries=0, sequences=1, reverse=false] %0 {",
                        "    (%3:f32[3])",
                        "    %4:f32[3] = relu %0",
                        "    yield y = %4",
                        "  }"), "8:22", "%0 is defined outside this scan body"),
                Arguments.of("scan result types", graph(X,
                        "  %1:f32[2,3] = scan[carries=0, sequences=1, reverse=false] %0 {",
                        "    (%3:f32[3])",
                        "    %4:f32[3] = relu %3",
                        "    yield y = %4, z = %4",
                        "  }"), "6:3", "result types [f32[2,3]] do not match the shape rule of scan, which gives [f32[2,3], f32[2,3]]"),
                Arguments.of("unknown attribute", graph("  %0:f32[2,3] = input[nam=\"x\"]"), "5:23", "unknown attribute 'nam' for input (expected name)"),
                Arguments.of("attribute of wrong kind", graph(X, "  %1:f32[2,3] = leaky_relu[alpha=\"x\"] %0"), "6:34", "expected a number, found string"),
                Arguments.of("missing attribute", graph("  %0:f32[2,3] = input"), "5:17", "missing attribute 'name' for input"),
                Arguments.of("duplicate attribute", graph("  %0:f32[2,3] = input[name=\"x\", name=\"y\"]"), "5:33", "attribute 'name' is given twice"),
                Arguments.of("bad attribute value", graph(X, "  %1:f32[2,3] = reduce_sum[axes=[1,0]] %0"), "6:17",
                        "bad attributes for reduce_sum: reduce axes must be sorted and distinct"),
                Arguments.of("unknown init", graph("  %0:f32[2] = param[name=\"p\", init=xavier(1, 2)]"), "5:36", "unknown init 'xavier'"),
                Arguments.of("garbage character", graph(X, "  %1:f32[2,3] = relu %0 $$"), "6:25", "unexpected character '$'"),
                Arguments.of("control character", graph(X + "\u0007"), "5:32", "unexpected character U+0007"),
                Arguments.of("trailing tokens", graph(X, "  %1:f32[2,3] = relu %0 %0"), "6:25", "expected end of line, found '%0'"),
                Arguments.of("truncated file", HEAD + "graph g {\n" + X + "\n  %1:f32[2,", "6:12", "expected a dimension (a size, B or B*k), found end of input"),
                Arguments.of("unterminated graph", HEAD + "graph g {\n" + X + "\n", "6:1", "unterminated graph g (opened at 4:9)"),
                Arguments.of("unterminated string", graph("  %0:f32[2,3] = input[name=\"x]"), "5:28", "unterminated string"),
                Arguments.of("unknown role", graph(X, "  output answer y = %0"), "6:10", "unknown output role 'answer'"),
                Arguments.of("duplicate output", graph(X, "  output result y = %0", "  output result y = %0"), "7:17",
                        "output result y is listed twice"),
                Arguments.of("malformed number", graph(X, "  %1:f32[2,3] = leaky_relu[alpha=1.5x] %0"), "6:34", "malformed number '1.5x'"),
                Arguments.of("int out of range", graph(X, "  %1:f32[2,3] = concat[axis=99999999999] %0"), "6:29", "integer 99999999999 is out of range"),
                Arguments.of("bad origin", graph("  %0:f32[2,3] = input[name=\"x\"] @0:1"), "5:34", "a source line must be positive"),
                Arguments.of("layout without size", HEAD + "layout l {\n}\n", "4:10", "expected 'size=N'"),
                Arguments.of("layout with batch entry", HEAD + "layout l size=4 {\n  w f32[B,4] @0\n}\n", "5:5", "batch-dependent shape"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedIrIsALocatedParseError(String what, String text, String where, String phrase) {
        IrParser.ParseError e = assertThrows(IrParser.ParseError.class, () -> IrParser.parse(text, "bad.ir"), what);
        assertTrue(e.getMessage().startsWith("bad.ir:" + where + ": "), what + ": got " + e.getMessage());
        assertTrue(e.getMessage().contains(phrase), what + ": got " + e.getMessage());
    }

    /** Any prefix and random corruptions of valid IR either parse or fail with a ParseError; nothing else escapes. */
    @Test
    void corruptedTextOnlyEverRaisesParseError() {
        String text = IrPrinter.print(everything());
        for (int cut = 0; cut < text.length(); cut += 13) parseOrParseError(text.substring(0, cut));
        Random r = new Random(7);
        String junk = "%@:=,[](){}*#\"\\-.0123456789eEBxf32i\n \t\u00e9\u0000";
        for (int i = 0; i < 600; i++) {
            StringBuilder sb = new StringBuilder(text);
            for (int j = 1 + r.nextInt(3); j > 0; j--) {
                int at = r.nextInt(sb.length());
                switch (r.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(at);
                    case 1 -> sb.setCharAt(at, junk.charAt(r.nextInt(junk.length())));
                    default -> sb.insert(at, junk.charAt(r.nextInt(junk.length())));
                }
            }
            parseOrParseError(sb.toString());
        }
    }

    private static void parseOrParseError(String text) {
        try {
            IrParser.parse(text, "fuzz.ir");
        } catch (IrParser.ParseError e) {
            assertTrue(e.getMessage().matches("(?s)fuzz\\.ir:\\d+:\\d+: .+"), e.getMessage());
            assertTrue(!e.getMessage().contains("internal parser error"), () -> "internal error on:\n" + text + "\n" + e.getMessage());
        } catch (RuntimeException e) {
            throw new AssertionError("non-ParseError " + e + " on:\n" + text, e);
        }
    }

    // ---------------------------------------------------------------- (4) random round-trips

    @Test
    void randomGraphsRoundTrip() {
        Random r = new Random(20240611);
        for (int i = 0; i < 200; i++) {
            IrModule m = randomModule(r, i);
            Verifier.verify(m, "random");
            roundTrip(m);
        }
    }

    private static Shape randomShape(Random r) {
        int rank = 1 + r.nextInt(3);
        List<Dim> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            if (d == 0 && r.nextInt(3) == 0) dims.add(r.nextBoolean() ? Dim.B : bx(2 + r.nextInt(3)));
            else dims.add(Dim.of(1 + r.nextInt(6)));
        }
        return new Shape(dims);
    }

    private static double randomDouble(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> r.nextInt(21) - 10;
            case 1 -> r.nextGaussian();
            case 2 -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            case 3 -> Double.longBitsToDouble(r.nextLong());
            case 4 -> List.of(0.0, -0.0, 1e-7, -1e-7, 1e15, Double.MAX_VALUE, Double.MIN_NORMAL, Double.POSITIVE_INFINITY).get(r.nextInt(8));
            default -> r.nextInt(1000) / 8.0;
        };
    }

    private static IrModule randomModule(Random r, int index) {
        IdCounter ids = new IdCounter(r.nextInt(3) * 100);
        GraphBuilder g = new GraphBuilder("g" + index, ids);
        List<Value> pool = new ArrayList<>();
        for (int n = 1 + r.nextInt(3); n > 0; n--) pool.add(g.add(new Op.Input("in" + n, TensorType.f32(randomShape(r)))));
        for (int step = 5 + r.nextInt(10); step > 0; step--) {
            g.at(r.nextBoolean() ? Origin.NONE : new Origin(1 + r.nextInt(500), r.nextInt(80)));
            Value a = pool.get(r.nextInt(pool.size()));
            Shape s = a.type().shape();
            Value v = switch (r.nextInt(7)) {
                case 0 -> g.add(new Op.Unary(Op.UnaryFn.values()[r.nextInt(Op.UnaryFn.values().length)]), a);
                case 1 -> g.add(new Op.LeakyRelu(randomDouble(r)), a);
                case 2 -> {
                    Op.BinaryFn f = Op.BinaryFn.values()[r.nextInt(Op.BinaryFn.values().length)];
                    Value other = r.nextBoolean() ? a : g.add(new Op.Const(randomDouble(r), TensorType.f32(r.nextBoolean() ? Shape.SCALAR : s)));
                    yield r.nextBoolean() ? g.add(new Op.Binary(f), a, other) : g.add(new Op.Binary(f), other, a);
                }
                case 3 -> {
                    // flatten, or split the last fixed axis off as [n, 1]
                    Dim numel = s.numel();
                    Shape to = r.nextBoolean() ? new Shape(List.of(numel)) : s.append(Dim.of(1));
                    yield g.add(new Op.Reshape(to), a);
                }
                case 4 -> {
                    Value x = s.rank() >= 2 ? a : g.add(new Op.Reshape(s.append(Dim.of(1))), a);
                    Dim kd = x.type().shape().dim(-1);
                    Value w = g.add(new Op.Param("w" + step, f32(kd.coeff(), 1 + r.nextInt(5)),
                            r.nextBoolean() ? new Init.Glorot(kd.coeff(), 3) : new Init.Random(Distribution.NORMAL, 0.0, randomDouble(r))));
                    yield kd.isFixed() ? g.add(new Op.MatMul(), x, w) : g.add(new Op.Unary(Op.UnaryFn.NEG), x);
                }
                case 5 -> g.add(new Op.Noise(r.nextBoolean() ? Distribution.UNIFORM : Distribution.NORMAL, randomDouble(r), randomDouble(r),
                        TensorType.f32(randomShape(r))));
                default -> g.add(new Op.StopGradient(), a);
            };
            pool.add(v);
        }
        Graph.Role[] roles = {Graph.Role.RESULT, Graph.Role.LOSS, Graph.Role.METRIC, Graph.Role.STATE, Graph.Role.UPDATE, Graph.Role.GRAD};
        for (int o = 1 + r.nextInt(3); o > 0; o--) {
            g.output("out_" + o + "." + r.nextInt(9), pool.get(r.nextInt(pool.size())), roles[r.nextInt(roles.length)]);
        }
        return new IrModule("random_" + index, List.of(), List.of(g.build()));
    }
}
