package dev.hyperc.compiler.ir;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The text form of every op, in one table shared by {@link IrPrinter} and {@link IrParser}: for each op
 * record its mnemonic(s), its attributes in print order with their kinds, and how to rebuild the op from
 * parsed attributes. Families whose variant is part of the mnemonic (unary and binary functions,
 * reductions, pools) have one row with several mnemonics. A test checks that every permitted subclass of
 * {@link Op} has a row, so a new op cannot land without a text form.
 */
final class IrCodec {
    private IrCodec() {}

    /** How an attribute value is written. */
    enum Kind {
        /** A Java int: {@code -1}. */
        INT,
        /** A Java long: {@code 676}. */
        LONG,
        /** A double, written by {@link Num#format}: {@code 0.01}, {@code -1.0E-7}, {@code NaN}. */
        FLOAT,
        /** A double-quoted string with {@code \" \\ \n} escapes. */
        STRING,
        /** An int array: {@code [1,2]}. */
        INTS,
        /** A shape: {@code [B*4,16]}. */
        SHAPE,
        /** An {@link Init}: {@code zeros}, {@code normal(0.0, 1.0)}, {@code glorot(16, 32)}. */
        INIT,
        /** An {@link Init.Distribution}: {@code uniform} or {@code normal}. */
        DIST,
        /** A {@link DType}: {@code f32} or {@code i32}. */
        DTYPE,
        /** {@code true} or {@code false}. */
        BOOL
    }

    /** One attribute: its name in the text, its kind, and how to read it from the op. */
    record Attr(String name, Kind kind, Function<Op, Object> get) {}

    /** Rebuilds an op from its mnemonic and attribute values (in table order). */
    @FunctionalInterface
    interface Maker {
        /**
         * @param type the written result type, which leaves carry as their {@code type} field (null for others)
         * @param body the parsed body block for {@link Op.Scan} (null for others)
         */
        Op make(String mnemonic, Object[] attrs, TensorType type, Graph body);
    }

    /** One row of the table. */
    record Codec(Class<? extends Op> type, List<String> mnemonics, List<Attr> attrs, Maker maker) {
        boolean isLeaf() { return Op.Leaf.class.isAssignableFrom(type); }

        boolean hasBody() { return type == Op.Scan.class; }
    }

    private static final Kind INT = Kind.INT, LONG = Kind.LONG, FLOAT = Kind.FLOAT, STRING = Kind.STRING, INTS = Kind.INTS,
            SHAPE = Kind.SHAPE, INIT = Kind.INIT, DIST = Kind.DIST, DTYPE = Kind.DTYPE, BOOL = Kind.BOOL;

    private static final Map<String, Op.UnaryFn> UNARY = byText(Op.UnaryFn.values(), Op.UnaryFn::text);
    private static final Map<String, Op.BinaryFn> BINARY = byText(Op.BinaryFn.values(), Op.BinaryFn::text);
    private static final Map<String, Op.ReduceFn> REDUCE = byText(Op.ReduceFn.values(), Op.ReduceFn::text);
    private static final Map<String, Op.PoolKind> POOL = byText(Op.PoolKind.values(), k -> k.text() + "_pool2d");
    private static final Map<String, Op.PoolKind> POOL_GRAD = byText(Op.PoolKind.values(), k -> k.text() + "_pool2d_grad");

    /** The table: one row per op record. */
    static final List<Codec> TABLE = List.of(
            // leaves: their type is the written result type
            row(Op.Input.class, "input", (m, a, t, b) -> new Op.Input((String) a[0], t),
                    attr("name", STRING, Op.Input::name)),
            row(Op.Param.class, "param", (m, a, t, b) -> new Op.Param((String) a[0], t, (Init) a[1]),
                    attr("name", STRING, Op.Param::name), attr("init", INIT, Op.Param::init)),
            row(Op.State.class, "state", (m, a, t, b) -> new Op.State((String) a[0], t, (Init) a[1]),
                    attr("name", STRING, Op.State::name), attr("init", INIT, Op.State::init)),
            row(Op.Noise.class, "noise", (m, a, t, b) -> new Op.Noise((Init.Distribution) a[0], (double) a[1], (double) a[2], t),
                    attr("dist", DIST, Op.Noise::distribution), attr("a", FLOAT, Op.Noise::a), attr("b", FLOAT, Op.Noise::b)),
            row(Op.Const.class, "const", (m, a, t, b) -> new Op.Const((double) a[0], t),
                    attr("value", FLOAT, Op.Const::value)),
            // elementwise
            row(Op.Unary.class, UNARY.keySet(), (m, a, t, b) -> new Op.Unary(UNARY.get(m))),
            row(Op.LeakyRelu.class, "leaky_relu", (m, a, t, b) -> new Op.LeakyRelu((double) a[0]),
                    attr("alpha", FLOAT, Op.LeakyRelu::alpha)),
            row(Op.Binary.class, BINARY.keySet(), (m, a, t, b) -> new Op.Binary(BINARY.get(m))),
            row(Op.Select.class, "select", (m, a, t, b) -> new Op.Select()),
            row(Op.Cast.class, "cast", (m, a, t, b) -> new Op.Cast((DType) a[0]),
                    attr("to", DTYPE, Op.Cast::to)),
            row(Op.StopGradient.class, "stop_gradient", (m, a, t, b) -> new Op.StopGradient()),
            // reductions
            row(Op.Reduce.class, REDUCE.keySet(), (m, a, t, b) -> new Op.Reduce(REDUCE.get(m), (int[]) a[0]),
                    attr("axes", INTS, Op.Reduce::axes)),
            row(Op.ArgMax.class, "argmax", (m, a, t, b) -> new Op.ArgMax((int) a[0]),
                    attr("axis", INT, Op.ArgMax::axis)),
            row(Op.LogSumExp.class, "logsumexp", (m, a, t, b) -> new Op.LogSumExp((int) a[0]),
                    attr("axis", INT, Op.LogSumExp::axis)),
            // linear algebra
            row(Op.MatMul.class, "matmul", (m, a, t, b) -> new Op.MatMul()),
            row(Op.Conv2d.class, "conv2d", (m, a, t, b) -> new Op.Conv2d((int[]) a[0], (int[]) a[1]),
                    attr("stride", INTS, Op.Conv2d::stride), attr("padding", INTS, Op.Conv2d::padding)),
            row(Op.Conv2dGradInput.class, "conv2d_grad_input",
                    (m, a, t, b) -> new Op.Conv2dGradInput((int[]) a[0], (int[]) a[1], (Shape) a[2]),
                    attr("stride", INTS, Op.Conv2dGradInput::stride), attr("padding", INTS, Op.Conv2dGradInput::padding),
                    attr("input_shape", SHAPE, Op.Conv2dGradInput::inputShape)),
            row(Op.Conv2dGradKernel.class, "conv2d_grad_kernel",
                    (m, a, t, b) -> new Op.Conv2dGradKernel((int[]) a[0], (int[]) a[1], (Shape) a[2]),
                    attr("stride", INTS, Op.Conv2dGradKernel::stride), attr("padding", INTS, Op.Conv2dGradKernel::padding),
                    attr("kernel_shape", SHAPE, Op.Conv2dGradKernel::kernelShape)),
            row(Op.Pool2d.class, POOL.keySet(), (m, a, t, b) -> new Op.Pool2d(POOL.get(m), (int[]) a[0], (int[]) a[1], (int[]) a[2]),
                    attr("window", INTS, Op.Pool2d::window), attr("stride", INTS, Op.Pool2d::stride),
                    attr("padding", INTS, Op.Pool2d::padding)),
            row(Op.Pool2dGrad.class, POOL_GRAD.keySet(),
                    (m, a, t, b) -> new Op.Pool2dGrad(POOL_GRAD.get(m), (int[]) a[0], (int[]) a[1], (int[]) a[2]),
                    attr("window", INTS, Op.Pool2dGrad::window), attr("stride", INTS, Op.Pool2dGrad::stride),
                    attr("padding", INTS, Op.Pool2dGrad::padding)),
            // indexing
            row(Op.Gather.class, "gather", (m, a, t, b) -> new Op.Gather()),
            row(Op.ScatterAdd.class, "scatter_add", (m, a, t, b) -> new Op.ScatterAdd((long) a[0]),
                    attr("rows", LONG, Op.ScatterAdd::rows)),
            row(Op.OneHot.class, "one_hot", (m, a, t, b) -> new Op.OneHot((long) a[0]),
                    attr("depth", LONG, Op.OneHot::depth)),
            // views
            row(Op.Reshape.class, "reshape", (m, a, t, b) -> new Op.Reshape((Shape) a[0]),
                    attr("shape", SHAPE, Op.Reshape::shape)),
            row(Op.Slice.class, "slice", (m, a, t, b) -> new Op.Slice((int) a[0], (long) a[1], (long) a[2], (long) a[3]),
                    attr("axis", INT, Op.Slice::axis), attr("start", LONG, Op.Slice::start), attr("end", LONG, Op.Slice::end),
                    attr("step", LONG, Op.Slice::step)),
            row(Op.Transpose.class, "transpose", (m, a, t, b) -> new Op.Transpose((int[]) a[0]),
                    attr("perm", INTS, Op.Transpose::perm)),
            row(Op.Broadcast.class, "broadcast", (m, a, t, b) -> new Op.Broadcast((Shape) a[0]),
                    attr("shape", SHAPE, Op.Broadcast::shape)),
            // structure
            row(Op.Concat.class, "concat", (m, a, t, b) -> new Op.Concat((int) a[0]),
                    attr("axis", INT, Op.Concat::axis)),
            row(Op.Unslice.class, "unslice", (m, a, t, b) -> new Op.Unslice((int) a[0], (long) a[1], (long) a[2], (long) a[3]),
                    attr("axis", INT, Op.Unslice::axis), attr("start", LONG, Op.Unslice::start), attr("step", LONG, Op.Unslice::step),
                    attr("size", LONG, Op.Unslice::size)),
            // entropy estimation
            row(Op.PairwiseDist.class, "pairwise_dist", (m, a, t, b) -> new Op.PairwiseDist()),
            row(Op.NearestDist.class, "nn_dist", (m, a, t, b) -> new Op.NearestDist()),
            row(Op.NearestDistGrad.class, "nn_dist_grad", (m, a, t, b) -> new Op.NearestDistGrad()),
            // recurrence: followed by a body block
            row(Op.Scan.class, "scan", (m, a, t, b) -> new Op.Scan(b, (int) a[0], (int) a[1], (boolean) a[2]),
                    attr("carries", INT, Op.Scan::carries), attr("sequences", INT, Op.Scan::sequences),
                    attr("reverse", BOOL, Op.Scan::reverse)));

    private static final Map<String, Codec> BY_MNEMONIC = new HashMap<>();
    private static final Map<Class<? extends Op>, Codec> BY_CLASS = new HashMap<>();

    static {
        for (Codec c : TABLE) {
            if (BY_CLASS.put(c.type(), c) != null) throw new IllegalStateException("two codec rows for " + c.type());
            for (String m : c.mnemonics()) {
                if (BY_MNEMONIC.put(m, c) != null) throw new IllegalStateException("mnemonic " + m + " is used twice");
            }
        }
    }

    /** The row for a mnemonic, or null. */
    static Codec forMnemonic(String mnemonic) { return BY_MNEMONIC.get(mnemonic); }

    /** The row for an op. */
    static Codec forOp(Op op) {
        Codec c = BY_CLASS.get(op.getClass());
        if (c == null) throw new IllegalStateException("no text form for op " + op.getClass().getName());
        return c;
    }

    /** The row for an op class, or null. */
    static Codec forClass(Class<?> type) { return BY_CLASS.get(type); }

    // ---------------------------------------------------------------- table helpers

    private static Codec row(Class<? extends Op> type, String mnemonic, Maker maker, Attr... attrs) {
        return new Codec(type, List.of(mnemonic), List.of(attrs), maker);
    }

    private static Codec row(Class<? extends Op> type, java.util.Collection<String> mnemonics, Maker maker, Attr... attrs) {
        return new Codec(type, List.copyOf(mnemonics), List.of(attrs), maker);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Op> Attr attr(String name, Kind kind, Function<T, ?> get) {
        return new Attr(name, kind, op -> ((Function<Op, Object>) (Function<?, ?>) get).apply(op));
    }

    private static <E> Map<String, E> byText(E[] values, Function<E, String> text) {
        Map<String, E> m = new LinkedHashMap<>();
        for (E v : values) m.put(text.apply(v), v);
        return m;
    }

    /** Formats an int array as {@code [1,2]}. */
    static String ints(int[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(a[i]);
        }
        return sb.append(']').toString();
    }

    /** An attribute value in its text form. */
    static String format(Kind kind, Object v) {
        return switch (kind) {
            case INT, LONG -> v.toString();
            case FLOAT -> Num.format((double) v);
            case STRING -> quote((String) v);
            case INTS -> ints((int[]) v);
            case SHAPE, INIT -> v.toString();
            case DIST -> ((Init.Distribution) v).text();
            case DTYPE -> ((DType) v).text();
            case BOOL -> v.toString();
        };
    }

    /** A double-quoted string literal. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Whether a name can be written without quotes: letters, digits, {@code _} and {@code .}, not starting with a digit or dot. */
    static boolean isBareName(String s) {
        if (s.isEmpty() || !isIdentStart(s.charAt(0))) return false;
        for (int i = 1; i < s.length(); i++) if (!isIdentPart(s.charAt(i))) return false;
        return true;
    }

    /** A name: bare when it can be, else quoted. */
    static String name(String s) { return isBareName(s) ? s : quote(s); }

    static boolean isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

    static boolean isIdentPart(char c) { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.'; }
}
