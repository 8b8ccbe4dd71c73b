package dev.hyperc.runtime.bench;

import dev.hyperc.compiler.autodiff.GradCheck;
import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.Model;
import dev.hyperc.runtime.Session;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Training and inference throughput of a model on a backend (CPU or OpenCL), on synthetic inputs of the model's
 * own shapes (ids drawn below what they index), at the train block's batch size. Warm-up steps are
 * excluded; the reported figure is the median of timed rounds.
 */
public final class ModelBench {
    private ModelBench() {}

    /** Seconds per step in steady state, and the warm-up that preceded it. */
    record Timing(double secondsPerStep, int warmSteps, double warmSeconds) {}

    public record Result(String model, int batch, long examplesPerStep, double trainSamplesPerSecond, double inferSamplesPerSecond, int threads,
                         String backend) {}

    public static Result run(Model model, int batch, int threads, double seconds, PrintStream log) {
        return run(model, batch, threads, dev.hyperc.runtime.Backend.CPU, seconds, log);
    }

    public static Result run(Model model, int batch, int threads, dev.hyperc.runtime.Backend backend, double seconds, PrintStream log) {
        Map<String, HostTensor> in = syntheticInputs(model, batch, 1);
        // Examples per step is the batch size (models with S noise samples see S·B images; report per batch row).
        long examples = batch;
        try (Session s = model.session(Session.Options.defaults().withSeed(1).withThreads(threads).withBackend(backend))) {
            Timing train = measure(() -> s.trainStep(in, 1e-3), seconds);
            double trainSeconds = train.secondsPerStep();
            Map<String, HostTensor> predictIn = new LinkedHashMap<>(in);
            Timing inferTiming = measure(() -> s.predict(predictIn), seconds);
            double infer = inferTiming.secondsPerStep();
            Result r = new Result(model.name(), batch, examples, examples / trainSeconds, examples / infer, threads, s.backend());
            log.printf(Locale.ROOT, "%s on %s: batch %d, %d threads: train %.1f samples/s (%.2f ms/step, after %d warm-up steps in %.1f s), "
                            + "inference %.1f samples/s (%.2f ms/batch, after %d warm-up batches)%n",
                    model.name(), s.backend(), batch, threads, r.trainSamplesPerSecond(), trainSeconds * 1e3, train.warmSteps(), train.warmSeconds(),
                    r.inferSamplesPerSecond(), infer * 1e3, inferTiming.warmSteps());
            return r;
        }
    }

    /** Random inputs of the train graph's shapes at a batch size (ids drawn below what they index), fixed by seed. */
    public static Map<String, HostTensor> syntheticInputs(Model model, long batch, long seed) {
        Graph train = model.ir().graph("train");
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (var e : GradCheck.randomInputs(train, batch, seed).inputs().entrySet()) {
            DTensor t = e.getValue();
            boolean ints = train.nodes().stream().anyMatch(n -> n.op() instanceof dev.hyperc.compiler.ir.Op.Input i
                    && i.name().equals(e.getKey()) && i.type().dtype() == DType.I32);
            if (ints) {
                int[] d = new int[t.numel()];
                for (int i = 0; i < d.length; i++) d[i] = (int) t.data()[i];
                in.put(e.getKey(), HostTensor.i32(t.shape(), d));
            } else {
                float[] d = new float[t.numel()];
                for (int i = 0; i < d.length; i++) d[i] = (float) t.data()[i];
                in.put(e.getKey(), HostTensor.f32(t.shape(), d));
            }
        }
        return in;
    }

    /**
     * Warm-up bounds: at least WARM_MIN_STEPS steps (the JIT compiles the loops of kernels that run once per step only
     * after ~1,000 multitask_mnist steps) and WARM_MIN_SECONDS, then until the steps stop getting faster, at most
     * WARM_MAX_SECONDS (edifice_mlp, ~150 ms a step, is warm after ~20 steps).
     */
    static final double WARM_MIN_SECONDS = 5, WARM_MAX_SECONDS = 30, WARM_BLOCK_SECONDS = 0.5;
    static final int WARM_MIN_STEPS = 1500;

    /**
     * Median seconds per call over rounds of about 1/5 of the budget each, after warm-up. The JIT compiles the
     * kernels' loops only once they have run often enough, and small kernels run once per step, so the first
     * thousand steps of a small model are slower (multitask_mnist: ~38 ms per step for the first 100, 6-9 ms up to
     * ~400, ~5 up to ~1,000, then ~4). Warm-up therefore runs in blocks of {@value #WARM_BLOCK_SECONDS} s until three
     * blocks in a row are not 5% faster than the best before them, and for at least {@value #WARM_MIN_STEPS} steps
     * and {@value #WARM_MIN_SECONDS} s, at most {@value #WARM_MAX_SECONDS} s: the figure is the steady state of a long
     * training run, and the log line says how long the warm-up took.
     */
    static Timing measure(Runnable step, double seconds) {
        long start = System.nanoTime();
        double best = Double.POSITIVE_INFINITY;
        int flat = 0, warm = 0;
        while (true) {
            long t0 = System.nanoTime(), stop = t0 + (long) (WARM_BLOCK_SECONDS * 1e9);
            int n = 0;
            do {
                step.run();
                n++;
            } while (System.nanoTime() < stop);
            warm += n;
            double perStep = (System.nanoTime() - t0) / 1e9 / n;
            flat = perStep < 0.95 * best ? 0 : flat + 1;
            best = Math.min(best, perStep);
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (elapsed >= WARM_MAX_SECONDS || (elapsed >= WARM_MIN_SECONDS && flat >= 3 && warm >= WARM_MIN_STEPS)) break;
        }
        double warmSeconds = (System.nanoTime() - start) / 1e9;
        double[] rounds = new double[5];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime(), stop = t0 + (long) (seconds * 0.16e9);
            int n = 0;
            do {
                step.run();
                n++;
            } while (System.nanoTime() < stop || n < 2);
            rounds[r] = (System.nanoTime() - t0) / 1e9 / n;
        }
        Arrays.sort(rounds);
        return new Timing(rounds[rounds.length / 2], warm, warmSeconds);
    }
}
