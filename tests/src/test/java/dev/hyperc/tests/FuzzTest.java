package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.dsl.SourceFile;
import dev.hyperc.dsl.grammar.HyperLexer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever the text, the compiler answers with a model or with located diagnostics. It never
 * lets an exception escape, never reports an internal compiler error, and never hangs.
 *
 * <p>{@link #mutatedModels} takes every model in models/, splits it into tokens with the language's own
 * lexer, and compiles thousands of mutants made with a fixed-seed {@link Random}: a token deleted,
 * duplicated, inserted (one of the model's own tokens, or punctuation, keywords and numbers such as 0, -1,
 * 99999999999999999999 and 1e400), two adjacent tokens swapped, a number replaced, a name replaced; plus
 * mutants with several mutations at once. {@link #builtinArguments} calls every built-in with
 * arguments of the wrong kind, rank, type and size, at top level, in a pipeline, inside a target and
 * inside a scan body. {@link #formerCrashes} pins inputs that once crashed or hung the compiler.
 *
 * <p>Time limits: each case may use {@value #CPU_LIMIT_MS} ms of CPU time (measured on the compiling
 * thread, so a loaded machine does not make the test flaky); a case still running after
 * {@value #HANG_LIMIT_S} s of wall-clock time is a hang. A failure prints the failing source, shrunk to a
 * minimal one that fails the same way.
 *
 * <p>{@code -Dhyperc.fuzz.seed=N -Dhyperc.fuzz.scale=K} runs other or more cases, to hunt for new bugs.
 */
class FuzzTest {
    /** {@code -Dhyperc.fuzz.seed=N} and {@code -Dhyperc.fuzz.scale=K} explore further than the default run (K times the cases). */
    static final long SEED = Long.getLong("hyperc.fuzz.seed", 0x5eed_c0deL);
    static final int SCALE = Math.max(1, Integer.getInteger("hyperc.fuzz.scale", 1));
    static final int SINGLE_PER_MODEL = 560 * SCALE;
    static final int MULTI_PER_MODEL = 40 * SCALE;
    static final long CPU_LIMIT_MS = 2000;
    static final long HANG_LIMIT_S = 30;
    static final int BUILTIN_CASES = 4000 * SCALE;

    /** Tokens inserted besides the model's own: punctuation, keywords and awkward numbers. */
    static final List<String> EXTRA = List.of("(", ")", "[", "]", "{", "}", ",", ":", "=", "~", "|>", "+", "-", "*", "/", "^", "..",
            "B", "0", "1", "-1", "2", "99999999999999999999", "1e400", "0.0", "1e-3", "2147483648", "\"s\"", "\"", "@", "#", "/*",
            "hyperc", "model", "const", "input", "noise", "param", "init", "target", "let", "output", "train", "scan", "in", "with",
            "emit", "packed", "per_filter", "f32", "i32", "dense", "relu", "params", "x");
    /** Replacements for a number: the edges of every range the compiler checks. */
    static final List<String> NUMBERS = List.of("0", "1", "-1", "2", "3", "7", "4096", "4097", "65536", "1000000", "2147483647",
            "2147483648", "99999999999", "99999999999999999999", "1e400", "1e-400", "0.5", "-0.5", "1_000");
    /** Replacements for a name: built-ins, keywords of the argument language and names the models use. */
    static final List<String> NAMES = List.of("dense", "conv2d", "split", "reshape", "flatten", "concat", "chunk", "transpose", "mean",
            "sum", "norm", "softmax", "matmul", "linear", "conv", "max_pool", "avg_pool", "global_mean_pool", "embedding", "layer_norm",
            "batch_norm", "dropout", "one_hot", "argmax", "digamma", "float", "maximum", "kl_entropy", "nn_dist", "pairwise_dist",
            "zeros", "ones", "full", "params", "hypernetwork", "cross_entropy", "mse", "accuracy", "stop_gradient", "B", "same",
            "valid", "true", "false", "relu", "adam", "sgd", "mnist");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z_0-9]*");
    private static final Pattern NUMBER = Pattern.compile("[0-9][0-9_]*(\\.[0-9_]+)?([eE][+-]?[0-9]+)?");

    private static ExecutorService worker;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @BeforeAll
    static void start() { worker = newWorker(); }

    @AfterAll
    static void stop() { worker.shutdownNow(); }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-compile");
            t.setDaemon(true);
            return t;
        });
    }

    // ================================================================ the property

    enum Verdict { OK, REJECTED, EXCEPTION, INTERNAL_ERROR, SILENT_REJECTION, TOO_SLOW, HANG }

    record Outcome(Verdict verdict, String detail) {
        boolean failed() { return verdict != Verdict.OK && verdict != Verdict.REJECTED; }
    }

    private record Timed(Compiler.Result result, long cpuNanos) {}

    /** Compiles one source on the worker thread and judges the answer. */
    static Outcome check(String source) {
        Future<Timed> f = worker.submit(() -> {
            long t0 = THREADS.getCurrentThreadCpuTime();
            Compiler.Result r = Compiler.compile(new SourceFile("fuzz.hyper", source));
            return new Timed(r, THREADS.getCurrentThreadCpuTime() - t0);
        });
        Timed t;
        try {
            t = f.get(HANG_LIMIT_S, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker = newWorker(); // the stuck thread is a daemon; later cases get a fresh one
            return new Outcome(Verdict.HANG, "still compiling after " + HANG_LIMIT_S + " s");
        } catch (ExecutionException e) {
            return new Outcome(Verdict.EXCEPTION, String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (t.cpuNanos() > CPU_LIMIT_MS * 1_000_000) {
            return new Outcome(Verdict.TOO_SLOW, "took " + t.cpuNanos() / 1_000_000 + " ms of CPU time (limit " + CPU_LIMIT_MS + " ms)");
        }
        Compiler.Result r = t.result();
        if (r.ok()) return new Outcome(Verdict.OK, "");
        String rendered = r.diagnostics().render();
        if (!r.diagnostics().hasErrors()) return new Outcome(Verdict.SILENT_REJECTION, "rejected without an error message");
        for (String banned : List.of("internal compiler error", "Exception", "at dev.hyperc")) {
            if (rendered.contains(banned)) return new Outcome(Verdict.INTERNAL_ERROR, rendered.lines().filter(l -> l.contains(banned)).findFirst().orElse(rendered));
        }
        if (!rendered.startsWith("fuzz.hyper:")) return new Outcome(Verdict.INTERNAL_ERROR, "diagnostics without a location:\n" + rendered);
        return new Outcome(Verdict.REJECTED, "");
    }

    /** Tallies outcomes and keeps the first failures of each kind, shrunk, for the report. */
    static final class Tally {
        final String what;
        int cases, ok, rejected, failed;
        final List<String> failures = new ArrayList<>();
        final List<Verdict> failedKinds = new ArrayList<>();

        Tally(String what) { this.what = what; }

        void add(List<String> tokens, List<String> gaps, String tail) {
            String source = join(tokens, gaps, tail);
            Outcome o = check(source);
            cases++;
            switch (o.verdict()) {
                case OK -> ok++;
                case REJECTED -> rejected++;
                default -> {
                    failed++;
                    if (failedKinds.stream().filter(k -> k == o.verdict()).count() >= 3) return;
                    failedKinds.add(o.verdict());
                    String shown = o.verdict() == Verdict.HANG || o.verdict() == Verdict.TOO_SLOW ? source : shrink(tokens, gaps, tail, o.verdict());
                    failures.add(o.verdict() + ": " + o.detail() + "\n--- minimal failing source ---\n" + shown + "\n--- end ---");
                }
            }
        }

        void report(long nanos) {
            System.out.printf(java.util.Locale.ROOT, "fuzz %s: %d cases, %d compiled ok, %d rejected with diagnostics, %d failures (%.1f s)%n",
                    what, cases, ok, rejected, failed, nanos / 1e9);
            if (!failures.isEmpty()) {
                failures.forEach(System.out::println);
                fail(what + ": " + failed + " inputs broke the compiler (the first of each kind shown):\n\n" + String.join("\n\n", failures));
            }
        }
    }

    /**
     * Greedy delta debugging: drop chunks of tokens, halving the chunk size, as long as the source still
     * fails the same way. Bounded, so a failing run stays quick.
     */
    static String shrink(List<String> tokens, List<String> gaps, String tail, Verdict verdict) {
        List<String> t = new ArrayList<>(tokens), g = new ArrayList<>(gaps);
        int budget = 1500;
        for (int chunk = Math.max(1, t.size() / 2); chunk >= 1 && budget > 0; chunk = chunk == 1 ? 0 : chunk / 2) {
            for (int start = 0; start < t.size() && budget > 0; ) {
                List<String> t2 = new ArrayList<>(t), g2 = new ArrayList<>(g);
                int end = Math.min(t.size(), start + chunk);
                t2.subList(start, end).clear();
                g2.subList(start, end).clear();
                budget--;
                if (check(join(t2, g2, "\n")).verdict() == verdict) {
                    t = t2;
                    g = g2;
                } else {
                    start += chunk;
                }
            }
        }
        return join(t, g, "\n");
    }

    // ================================================================ mutants of the reference models

    /** A model split into tokens, with the text between them (whitespace, comments) kept for realism. */
    record Tokens(String name, List<String> tokens, List<String> gaps, String tail) {
        static Tokens of(Path model) throws IOException {
            String text = Files.readString(model);
            HyperLexer lexer = new HyperLexer(CharStreams.fromString(text));
            lexer.removeErrorListeners();
            List<String> tokens = new ArrayList<>(), gaps = new ArrayList<>();
            int pos = 0;
            for (Token t : lexer.getAllTokens()) {
                gaps.add(text.substring(pos, t.getStartIndex()));
                tokens.add(t.getText());
                pos = t.getStopIndex() + 1;
            }
            return new Tokens(model.getFileName().toString(), tokens, gaps, text.substring(pos));
        }
    }

    static String join(List<String> tokens, List<String> gaps, String tail) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) sb.append(gaps.get(i)).append(tokens.get(i));
        return sb.append(tail).toString();
    }

    static <T> T pick(Random r, List<T> from) { return from.get(r.nextInt(from.size())); }

    /** Applies one random mutation in place. */
    static void mutate(Random r, List<String> t, List<String> g, List<String> own) {
        if (t.isEmpty()) return;
        int i = r.nextInt(t.size());
        switch (r.nextInt(6)) {
            case 0 -> { // delete: the text before the token stays, so lines keep their numbers
                t.remove(i);
                String gap = g.remove(i);
                if (i < g.size()) g.set(i, gap + g.get(i));
            }
            case 1 -> { // duplicate
                t.add(i, t.get(i));
                g.add(i + 1, " ");
            }
            case 2 -> { // insert
                t.add(i, r.nextBoolean() ? pick(r, own) : pick(r, EXTRA));
                g.add(i, " ");
            }
            case 3 -> { // swap adjacent
                if (i + 1 < t.size()) {
                    String a = t.get(i);
                    t.set(i, t.get(i + 1));
                    t.set(i + 1, a);
                }
            }
            case 4 -> replace(r, t, NUMBER, NUMBERS);
            default -> replace(r, t, NAME, NAMES);
        }
    }

    private static void replace(Random r, List<String> t, Pattern which, List<String> with) {
        List<Integer> at = new ArrayList<>();
        for (int j = 0; j < t.size(); j++) if (which.matcher(t.get(j)).matches()) at.add(j);
        if (!at.isEmpty()) t.set(pick(r, at), pick(r, with));
    }

    @Test
    void mutatedModels() throws IOException {
        List<Path> models = Golden.models();
        assertTrue(models.size() >= 6, "expected the reference models in models/");
        Random r = new Random(SEED);
        Tally single = new Tally("single mutations"), multi = new Tally("multiple mutations");
        long t0 = System.nanoTime();
        for (Path m : models) {
            Tokens base = Tokens.of(m);
            for (int k = 0; k < SINGLE_PER_MODEL + MULTI_PER_MODEL; k++) {
                List<String> t = new ArrayList<>(base.tokens()), g = new ArrayList<>(base.gaps());
                boolean several = k >= SINGLE_PER_MODEL;
                int n = several ? 2 + r.nextInt(5) : 1;
                for (int j = 0; j < n; j++) mutate(r, t, g, base.tokens());
                (several ? multi : single).add(t, g, base.tail());
            }
        }
        long nanos = System.nanoTime() - t0;
        System.out.printf(java.util.Locale.ROOT, "fuzz mutated models: %d cases in total, %d compiled ok, %d rejected%n",
                single.cases + multi.cases, single.ok + multi.ok, single.rejected + multi.rejected);
        single.report(nanos);
        multi.report(nanos);
        assertTrue(single.cases + multi.cases >= 3000, "too few fuzz cases");
        assertTrue(multi.cases >= 200, "too few multi-mutation cases");
        // A fuzzer whose mutants all fail to parse tests only the parser: make sure the checker is reached.
        assertTrue(single.ok + multi.ok >= 100, "too few mutants compile; the mutations no longer reach the type checker");
    }

    // ================================================================ built-ins with wrong arguments

    static final String PRELUDE = """
            hyperc 1
            model m
            input s: f32[]
            input v: f32[5]
            input m2: f32[B, 6]
            input m3: f32[B, 3, 6]
            input img: f32[B, 3, 8, 8]
            input ids: i32[B]
            input si: i32[]
            input x5: f32[B, 2, 3, 8, 8]
            input seq: f32[4, B, 6]
            input ws: f32[B, 6, 4]
            param w4: f32[4, 3, 3, 3]
            param w2: f32[6, 4]
            param b4: f32[4]
            target tg(e: f32[6]) = e |> dense(4)
            """;

    /** One correct call per built-in (the first element is the callee); mutants replace, drop or add arguments. */
    static final List<List<String>> CALLS = List.of(
            List.of("dense", "m2", "4", "activation: relu", "bias: false"),
            List.of("conv2d", "img", "4", "3", "padding: same", "stride: 2"),
            List.of("max_pool", "img", "2"),
            List.of("avg_pool", "img", "2", "stride: 1", "padding: 1"),
            List.of("global_mean_pool", "img"),
            List.of("flatten", "img", "from: 1"),
            List.of("reshape", "m2", "[B, 2, 3]"),
            List.of("embedding", "ids", "10", "4"),
            List.of("layer_norm", "m2", "eps: 1e-5"),
            List.of("batch_norm", "img", "axis: 1", "momentum: 0.1"),
            List.of("dropout", "m2", "0.5"),
            List.of("hypernetwork", "m2", "m2", "conditioning_size: 6", "input_size: 6", "target_layer_sizes: [(6, 4), (4, 3)]",
                    "hidden_sizes: [8]", "activation: relu"),
            List.of("softmax", "m2", "axis: -1"),
            List.of("leaky_relu", "m2", "alpha: 0.1"),
            List.of("log", "m2"),
            List.of("maximum", "m2", "m2"),
            List.of("cross_entropy", "m2", "ids"),
            List.of("mse", "m2", "m2"),
            List.of("accuracy", "m2", "ids"),
            List.of("mean", "m2", "axis: 1", "keepdims: true"),
            List.of("sum", "img", "axis: [1, 2]"),
            List.of("norm", "m2", "axis: -1"),
            List.of("concat", "[m2, m2]", "axis: 1"),
            List.of("split", "m2", "[2, 4]", "axis: 1"),
            List.of("chunk", "m2", "2"),
            List.of("transpose", "img", "perm: [0, 2, 1, 3]"),
            List.of("zeros", "[B, 6]"),
            List.of("full", "[2, 3]", "1.5"),
            List.of("pairwise_dist", "w2"),
            List.of("nn_dist", "w2"),
            List.of("kl_entropy", "w2", "dim: 4"),
            List.of("params", "tg"),
            List.of("matmul", "m2", "w2"),
            List.of("linear", "m2", "w2", "bias: b4", "activation: relu"),
            List.of("conv", "img", "w4", "bias: b4", "padding: same", "stride: 1"),
            List.of("one_hot", "ids", "10"),
            List.of("argmax", "m2", "axis: 1"),
            List.of("digamma", "3"),
            List.of("float", "ids"),
            List.of("stop_gradient", "m2"),
            List.of("tg", "m2", "zeros([B, params(tg)])"),
            List.of("tg", "m2", "zeros([params(tg)])"));
    /** Argument values of every kind: tensors of each rank and dtype, numbers at the edges, lists, names, strings. */
    static final List<String> VALUES = List.of("s", "v", "m2", "m3", "img", "ids", "si", "x5", "seq", "w2", "w4", "b4", "ws", "tg",
            "0", "-1", "-2", "3", "5", "6", "2.5", "1000000", "99999999999", "-99999999999", "[]", "[2, 3]", "[1, 2, 3]", "[0, 0]",
            "[0, 1, 3, 2]", "[B]", "[B, B]", "[B, 6]", "(1, 2)", "(2, 3)", "[s]", "[v, v]", "[m2, m3]", "[img, img]",
            "[(6, 4), (4, 3)]", "[(6, 4), 2]", "[1000000, 1000000, 1000]", "\"a\"", "relu", "same", "true", "nope", "B",
            "zeros([4])", "-s", "s ^ 2");
    static final List<String> KEYS = List.of("axis", "activation", "bias", "padding", "stride", "name", "keepdims", "perm", "from",
            "init", "eps", "momentum", "rate", "x", "weight", "dim", "alpha", "unknown");

    /** A built-in call with one argument replaced, dropped, renamed or added. */
    static String mutantCall(Random r) {
        List<String> call = pick(r, CALLS);
        List<String> args = new ArrayList<>(call.subList(1, call.size()));
        int i = r.nextInt(args.size());
        String arg = args.get(i);
        String key = arg.contains(": ") ? arg.substring(0, arg.indexOf(": ") + 2) : "";
        switch (r.nextInt(6)) {
            case 0, 1 -> args.set(i, key + pick(r, VALUES));
            case 2 -> args.remove(i);
            case 3 -> args.set(i, pick(r, KEYS) + ": " + (key.isEmpty() ? arg : arg.substring(key.length())));
            case 4 -> args.add(pick(r, KEYS) + ": " + pick(r, VALUES));
            default -> args.add(r.nextInt(args.size() + 1), pick(r, VALUES));
        }
        return call.get(0) + "(" + String.join(", ", args) + ")";
    }

    /** The call at top level, as a pipeline stage, inside a target body (shared and per-sample weights) or in a scan body. */
    static String program(Random r, String call) {
        String body = switch (r.nextInt(5)) {
            case 0 -> "let r = " + call + "\n";
            case 1 -> {
                int open = call.indexOf('(');
                String[] parts = call.substring(open + 1, call.length() - 1).split(", ", 2);
                yield "let r = " + parts[0] + " |> " + call.substring(0, open) + "(" + (parts.length > 1 ? parts[1] : "") + ")\n";
            }
            case 2 -> "target t2(q: f32[6]) = (" + call.replace("m2", "q") + ") |> flatten |> dense(2)\n"
                    + "let r = t2(m2, zeros([B, params(t2)]))\n";
            case 3 -> "target t3(q: f32[3, 8, 8]) = (" + call.replace("img", "q") + ") |> flatten |> dense(2)\n"
                    + "let r = t3(img, zeros([params(t3)]))\n";
            default -> "let r = scan e in seq with (h = zeros([B, 6])) {\n  let y = " + call + "\n  h = e\n  emit y\n}\n";
        };
        return PRELUDE + body + "output r\n";
    }

    @Test
    void builtinArguments() {
        Random r = new Random(SEED + 1);
        Tally tally = new Tally("built-in calls with wrong arguments");
        long t0 = System.nanoTime();
        for (int k = 0; k < BUILTIN_CASES; k++) {
            String src = program(r, mutantCall(r));
            // Tokens are whole lines here: shrinking drops lines, which keeps the program readable.
            List<String> lines = new ArrayList<>(Arrays.asList(src.split("\n")));
            List<String> gaps = new ArrayList<>();
            for (int j = 0; j < lines.size(); j++) gaps.add(j == 0 ? "" : "\n");
            tally.add(lines, gaps, "\n");
        }
        tally.report(System.nanoTime() - t0);
        assertTrue(tally.ok >= 100, "too few of the calls compile; the mutants no longer reach the layers");
    }

    // ================================================================ inputs that once broke the compiler

    /** Each of these crashed (an internal compiler error) or hung the compiler before it was fixed. */
    static final List<String> FORMER_CRASHES = List.of(
            // digamma's recurrence stepped one by one from a huge negative number up to 6
            "let r = digamma(-99999999999)\n",
            // integer powers multiplied y times: 1 ^ 99999999999 ran for minutes
            "const K = 1 ^ 99999999999\nlet r = m2 * K\n",
            // conv with a scalar bias, and conv of a vector: Shape.dim(-1) on too few axes
            "param b: f32[] init zeros()\nlet r = conv(img, w4, b)\n",
            "let r = conv(v, w4, b4, padding: same)\n",
            // layer_norm of a scalar; a scalar conditioning for hypernetwork
            "let r = mean(m2) |> layer_norm\n",
            "let r = hypernetwork(s, m2, conditioning_size: 6, input_size: 6, target_layer_sizes: [(6, 4)])\n",
            // batch_norm in a scan body: its state update escaped the body (IR verification failed)
            "let r = scan e in seq with (h = zeros([B, 6])) {\n  h = batch_norm(e)\n  emit h\n}\n",
            // sizes whose product overflows 64 bits: reported as "long overflow" with no position
            "let big = zeros([1000000, 1000000, 1000000, 1000000])\nlet r = reshape(big, [10])\n",
            // an axis beyond the int range was silently wrapped
            "let r = mean(m2, axis: 4294967296)\n",
            // a hypernetwork in a target body exported a weight vector of the throwaway probe graph
            "target t2(q: f32[6]) = hypernetwork(q, q, conditioning_size: 6, input_size: 6, target_layer_sizes: [(6, 4)]) |> dense(2)\n"
                    + "let r = t2(m2, zeros([B, params(t2)]))\n");

    @Test
    void formerCrashes() {
        List<String> failures = new ArrayList<>();
        for (String body : FORMER_CRASHES) {
            String src = PRELUDE + body + "output r\n";
            Outcome o = check(src);
            if (o.failed()) failures.add(o.verdict() + ": " + o.detail() + "\n" + body);
        }
        if (!failures.isEmpty()) fail(String.join("\n\n", failures));
    }
}
