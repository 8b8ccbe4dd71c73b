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
            double trainSeconds = measure(() -> s.trainStep(in, 1e-3), seconds);
            Map<String, HostTensor> predictIn = new LinkedHashMap<>(in);
            double infer = measure(() -> s.predict(predictIn), seconds);
            Result r = new Result(model.name(), batch, examples, examples / trainSeconds, examples / infer, threads, s.backend());
            log.printf(Locale.ROOT, "%s on %s: batch %d, %d threads: train %.1f samples/s (%.2f ms/step), inference %.1f samples/s (%.2f ms/batch)%n",
                    model.name(), s.backend(), batch, threads, r.trainSamplesPerSecond(), trainSeconds * 1e3, r.inferSamplesPerSecond(), infer * 1e3);
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

    /** Median seconds per call over rounds of about 1/5 of the budget each, after warm-up. */
    static double measure(Runnable step, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 0.2e9);
        int warm = 0;
        while (System.nanoTime() < end || warm < 3) {
            step.run();
            warm++;
        }
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
        return rounds[rounds.length / 2];
    }
}
