package dev.hyperc.runtime.data;

import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.compiler.ir.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Opens the datasets a model's {@code train} block names. Each takes {@code task:} (an integer
 * id, provided as the constant field {@code task}), {@code x:} and {@code y:} (the model inputs
 * the fields {@code x} and {@code y} feed; by default the inputs of the same names), and:
 *
 * <ul>
 *   <li>{@code mnist}, {@code fashion_mnist}: {@code train:}, {@code test:} = how many examples to
 *       use, by default all; always the first ones of each file, so the selection is
 *       deterministic. Read from {@code DATA/mnist} and {@code DATA/fashion_mnist} (see
 *       {@link IdxFiles} for the file names), which {@code scripts/fetch-data.sh} fills. Field
 *       {@code x}: f32 {@code [1, 28, 28]} in [0, 1]; {@code y}: i32 {@code []} in 0..9.</li>
 *   <li>{@code teacher}: a regression task made by a seeded random teacher MLP
 *       {@code inputs -> hidden (tanh, or relu with activation: relu) -> outputs}: {@code inputs:} and
 *       {@code outputs:} (required), {@code hidden:} (32), {@code train:} (4096), {@code test:} (1024), {@code seed:} (0).
 *       {@code x} ~ N(0, 1), f32 {@code [inputs]}; {@code y} = W2 tanh(W1 x + b1) + b2, f32
 *       {@code [outputs]}, with W1 ~ N(0, 1/inputs), W2 ~ N(0, 1/hidden), b1, b2 ~ N(0, 0.01).
 *       The weights, the train inputs and the test inputs each come from their own
 *       {@code java.util.Random} stream derived from the seed, so {@code train: 100} is a prefix
 *       of {@code train: 4096} and the test set does not depend on the train size.</li>
 *   <li>{@code text}: {@code file:} (required; relative paths resolve against the model's folder)
 *       and {@code seq:} (required), {@code train:}, {@code test:} (limits, default all). The file's
 *       bytes map to ids: printable ASCII 32..126 to 1..95, anything else to 0 (vocabulary 96).
 *       The ids are cut into non-overlapping sequences: sequence {@code i} has {@code x[t]} =
 *       id at {@code i * seq + t} and {@code y[t]} = id at {@code i * seq + t + 1}, both i32
 *       {@code [seq]}. The first 90% of the sequences (by position in the file) are train, the
 *       rest test (at least one).</li>
 * </ul>
 *
 * Every argument problem (unknown name, wrong type, size larger than available) and every data
 * file problem is a {@link DataError} with a message for the user.
 */
public final class Datasets {
    /** Vocabulary of the {@code text} dataset: id 0 for non-printable bytes, 1..95 for ASCII 32..126. */
    public static final int TEXT_VOCAB = 96;

    private Datasets() {}

    /**
     * The data folder: {@code $HYPERC_DATA} if set, else the system property {@code hyperc.data},
     * else {@code data} under the system property {@code hyperc.root} (the repository), else
     * {@code ./data}.
     */
    public static Path defaultDataDir() {
        String env = System.getenv("HYPERC_DATA");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("hyperc.data");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        String root = System.getProperty("hyperc.root");
        if (root != null && !root.isBlank()) return Path.of(root, "data");
        return Path.of("data");
    }

    /** Opens a dataset; relative {@code text} files resolve against the current directory. */
    public static Dataset open(TrainConfig.Dataset spec, Path dataDir) { return open(spec, dataDir, Path.of("")); }

    /**
     * Opens a dataset.
     *
     * @param dataDir the folder holding {@code mnist/} and {@code fashion_mnist/}
     * @param baseDir the folder relative {@code text} files resolve against (the model's folder)
     * @throws DataError for bad arguments or missing, damaged or too small data
     */
    public static Dataset open(TrainConfig.Dataset spec, Path dataDir, Path baseDir) {
        return switch (spec.name()) {
            case "mnist", "fashion_mnist" -> images(spec, dataDir);
            case "teacher" -> teacher(spec);
            case "text" -> text(spec, baseDir);
            default -> throw new DataError("unknown dataset '" + spec.name() + "' (known: mnist, fashion_mnist, teacher, text)");
        };
    }

    // ---- mnist, fashion_mnist -------------------------------------------------------------

    private static Dataset images(TrainConfig.Dataset spec, Path dataDir) {
        Args a = new Args(spec, List.of("task", "train", "test", "x", "y"));
        long trainN = a.count("train", -1), testN = a.count("test", -1);
        Path dir = dataDir.resolve(spec.name());
        IdxFiles.Images tr = IdxFiles.load(spec.name(), dir, true, 10);
        IdxFiles.Images te = IdxFiles.load(spec.name(), dir, false, 10);
        if (tr.rows() != te.rows() || tr.cols() != te.cols()) {
            throw new DataError(spec.name() + ": " + tr.imageFile() + " holds " + tr.rows() + "x" + tr.cols() + " images but "
                    + te.imageFile() + " holds " + te.rows() + "x" + te.cols() + ". " + DataError.FETCH_HINT);
        }
        int trainSize = a.limit("train", trainN, tr.count(), tr.imageFile().toString());
        int testSize = a.limit("test", testN, te.count(), te.imageFile().toString());
        Field x = new Field("x", DType.F32, new int[] {1, tr.rows(), tr.cols()}, false);
        Field y = new Field("y", DType.I32, new int[0], false);
        return a.dataset(
                split(a, trainSize, new ColumnSplit.Pixels(x, tr.pixels()), new ColumnSplit.ByteLabels(y, tr.labels())),
                split(a, testSize, new ColumnSplit.Pixels(x, te.pixels()), new ColumnSplit.ByteLabels(y, te.labels())));
    }

    // ---- teacher ----------------------------------------------------------------------------

    private static Dataset teacher(TrainConfig.Dataset spec) {
        Args a = new Args(spec, List.of("task", "inputs", "hidden", "outputs", "train", "test", "seed", "activation", "x", "y"));
        int in = a.size("inputs", -1), hidden = a.size("hidden", 32), out = a.size("outputs", -1);
        int trainN = a.size("train", 4096), testN = a.size("test", 1024);
        long seed = a.integer("seed", 0);
        if ((long) Math.max(in, out) * (trainN + (long) testN) > 1L << 28 || (long) in * hidden > 1L << 26 || (long) hidden * out > 1L << 26) {
            throw new DataError("teacher: inputs: " + in + ", hidden: " + hidden + ", outputs: " + out + ", train: " + trainN + ", test: " + testN
                    + " make a dataset too large to hold in memory");
        }
        Object act = spec.args().getOrDefault("activation", "tanh");
        if (!act.equals("tanh") && !act.equals("relu")) throw new DataError("teacher: activation must be tanh or relu, got " + act);
        Teacher t = new Teacher(in, hidden, out, seed, act.equals("relu"));
        Field x = new Field("x", DType.F32, new int[] {in}, false);
        Field y = new Field("y", DType.F32, new int[] {out}, false);
        float[][] tr = t.sample(trainN, stream(seed, 1));
        float[][] te = t.sample(testN, stream(seed, 2));
        return a.dataset(
                split(a, trainN, new ColumnSplit.Floats(x, tr[0], 0), new ColumnSplit.Floats(y, tr[1], 0)),
                split(a, testN, new ColumnSplit.Floats(x, te[0], 0), new ColumnSplit.Floats(y, te[1], 0)));
    }

    /** A {@code java.util.Random} for stream {@code k} of {@code seed}: splitmix64-mixed so streams are unrelated. */
    static Random stream(long seed, int k) {
        long z = seed + (k + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }

    /** The teacher MLP: weights drawn once from stream 0 of the seed. */
    static final class Teacher {
        final int in, hidden, out;
        final double[] w1, b1, w2, b2;
        /** relu makes the teacher exactly representable by a relu student of its size (the kata's target). */
        final boolean relu;

        Teacher(int in, int hidden, int out, long seed) {
            this(in, hidden, out, seed, false);
        }

        Teacher(int in, int hidden, int out, long seed, boolean relu) {
            this.relu = relu;
            this.in = in;
            this.hidden = hidden;
            this.out = out;
            Random r = stream(seed, 0);
            w1 = gaussian(r, hidden * in, 1 / Math.sqrt(in));
            b1 = gaussian(r, hidden, 0.1);
            w2 = gaussian(r, out * hidden, 1 / Math.sqrt(hidden));
            b2 = gaussian(r, out, 0.1);
        }

        private static double[] gaussian(Random r, int n, double std) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * std;
            return v;
        }

        /** The teacher's output for input {@code x}. */
        double[] apply(float[] x, int off) {
            double[] h = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                double s = b1[j];
                for (int i = 0; i < in; i++) s += w1[j * in + i] * x[off + i];
                h[j] = relu ? Math.max(0, s) : Math.tanh(s);
            }
            double[] y = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b2[o];
                for (int j = 0; j < hidden; j++) s += w2[o * hidden + j] * h[j];
                y[o] = s;
            }
            return y;
        }

        /** {@code n} examples: inputs ~ N(0, 1) from {@code r}, and the teacher's outputs. */
        float[][] sample(int n, Random r) {
            float[] xs = new float[n * in], ys = new float[n * out];
            for (int k = 0; k < n * in; k++) xs[k] = (float) r.nextGaussian();
            for (int e = 0; e < n; e++) {
                double[] y = apply(xs, e * in);
                for (int o = 0; o < out; o++) ys[e * out + o] = (float) y[o];
            }
            return new float[][] {xs, ys};
        }
    }

    // ---- text -------------------------------------------------------------------------------

    /** The id of a byte: printable ASCII 32..126 maps to 1..95, anything else to 0. */
    public static int textId(int b) {
        b &= 0xff;
        return b >= 32 && b <= 126 ? b - 31 : 0;
    }

    private static Dataset text(TrainConfig.Dataset spec, Path baseDir) {
        Args a = new Args(spec, List.of("task", "file", "seq", "train", "test", "x", "y"));
        String name = a.string("file");
        int seq = a.size("seq", -1);
        long trainN = a.count("train", -1), testN = a.count("test", -1);
        Path file = baseDir.resolve(name);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataError("text: file: " + file + " not found", e);
        } catch (IOException e) {
            throw new DataError("text: file: cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length > Integer.MAX_VALUE - 16) throw new DataError("text: file: " + file + " is too large");
        byte[] ids = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = (byte) textId(bytes[i]);
        int total = bytes.length <= 1 ? 0 : (bytes.length - 1) / seq;
        if (total < 2) {
            throw new DataError("text: " + file + " has " + bytes.length + " bytes, which make " + total + " sequence(s) of seq: " + seq
                    + " (each needs seq + 1 bytes of context); need at least 2 (one train, one test)");
        }
        int test = Math.max(1, total / 10), train = total - test;
        int trainSize = a.limit("train", trainN, train, file + " (90% of its " + total + " sequences of " + seq + ")");
        int testSize = a.limit("test", testN, test, file + " (10% of its " + total + " sequences of " + seq + ")");
        Field x = new Field("x", DType.I32, new int[] {seq}, false);
        Field y = new Field("y", DType.I32, new int[] {seq}, false);
        return a.dataset(
                split(a, trainSize, new ColumnSplit.Sequences(x, ids, 0, 0), new ColumnSplit.Sequences(y, ids, 0, 1)),
                split(a, testSize, new ColumnSplit.Sequences(x, ids, train, 0), new ColumnSplit.Sequences(y, ids, train, 1)));
    }

    // ---- shared -----------------------------------------------------------------------------

    private static Split split(Args a, int size, ColumnSplit.Column x, ColumnSplit.Column y) {
        List<ColumnSplit.Column> cols = new ArrayList<>(List.of(x, y));
        if (a.task >= 0) cols.add(new ColumnSplit.Constant(new Field("task", DType.I32, new int[0], true), a.task));
        return new ColumnSplit(a.dataset, size, cols);
    }

    /** A dataset's arguments, checked against the names it knows. */
    private static final class Args {
        final String dataset;
        final Map<String, Object> args;
        final int task;
        final Map<String, String> bindings;

        Args(TrainConfig.Dataset spec, List<String> known) {
            this.dataset = spec.name();
            this.args = spec.args();
            for (String k : args.keySet()) {
                if (!known.contains(k)) {
                    throw new DataError(dataset + ": unknown argument '" + k + "' (known: " + String.join(", ", known) + ")");
                }
            }
            this.task = args.containsKey("task") ? Math.toIntExact(integerIn("task", 0, Integer.MAX_VALUE)) : -1;
            this.bindings = bindings();
        }

        boolean has(String k) { return args.containsKey(k); }

        /** An integer argument, or {@code dflt} when absent. */
        long integer(String k, long dflt) {
            if (!has(k)) return dflt;
            Object v = args.get(k);
            if (v instanceof Long l) return l;
            if (v instanceof Integer i) return i;
            if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return d.longValue();
            throw new DataError(dataset + ": " + k + ": must be a whole number, got " + show(v));
        }

        private long integerIn(String k, long min, long max) {
            long v = integer(k, min);
            if (v < min || v > max) throw new DataError(dataset + ": " + k + ": must be between " + min + " and " + max + ", got " + v);
            return v;
        }

        /** A positive size argument; {@code dflt < 0} means required. */
        int size(String k, int dflt) {
            if (!has(k)) {
                if (dflt < 0) throw new DataError(dataset + ": the argument " + k + ": is required, e.g. " + dataset + "(" + k + ": 32, ...)");
                return dflt;
            }
            return Math.toIntExact(integerIn(k, 1, 1 << 30));
        }

        /** An optional count: {@code dflt} when absent, else at least 1. */
        long count(String k, long dflt) { return has(k) ? integerIn(k, 1, Integer.MAX_VALUE) : dflt; }

        /** The number of examples to use: all {@code available}, or the requested count if it fits. */
        int limit(String k, long requested, int available, String source) {
            if (requested < 0) return available;
            if (requested > available) {
                throw new DataError(dataset + ": " + k + ": " + requested + " asks for more examples than there are: " + source + " holds " + available);
            }
            return (int) requested;
        }

        String string(String k) {
            if (!has(k)) throw new DataError(dataset + ": the argument " + k + ": is required");
            Object v = args.get(k);
            if (v instanceof String s) return s;
            throw new DataError(dataset + ": " + k + ": must be a string, got " + show(v));
        }

        /** Field name to model input name, renamed by the x: and y: arguments. */
        private Map<String, String> bindings() {
            Map<String, String> b = new LinkedHashMap<>();
            for (String f : task >= 0 ? List.of("x", "y", "task") : List.of("x", "y")) {
                Object v = args.getOrDefault(f, f);
                if (f.equals("task")) v = "task";
                if (!(v instanceof String s) || s.isEmpty()) {
                    throw new DataError(dataset + ": " + f + ": names the model input that dataset field " + f + " feeds, e.g. " + f + ": img; got " + show(v));
                }
                b.put(f, s);
            }
            return Collections.unmodifiableMap(b);
        }

        Dataset dataset(Split train, Split test) { return new Simple(dataset, train, test, bindings, task); }

        private static String show(Object v) { return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v); }
    }

    private record Simple(String name, Split train, Split test, Map<String, String> bindings, int task) implements Dataset {
        @Override
        public String toString() { return describe(); }
    }
}
