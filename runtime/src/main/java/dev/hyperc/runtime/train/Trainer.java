package dev.hyperc.runtime.train;

import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.compiler.ir.DType;
import dev.hyperc.compiler.ir.Dim;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.ir.Op;
import dev.hyperc.compiler.ir.Shape;
import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.Session;
import dev.hyperc.runtime.data.DataError;
import dev.hyperc.runtime.data.Dataset;
import dev.hyperc.runtime.data.Field;
import dev.hyperc.runtime.data.Split;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The training loop, separate from the model (as in Axon): epochs over one or more datasets, with
 * shuffling, the learning rate, evaluation after each pass, and a listener for progress, tables and
 * checkpoints. Multi-task schedules follow the train block: {@code alternate} runs a full pass of each
 * dataset in turn (the Lux tutorial), {@code interleave} alternates batches.
 */
public final class Trainer {
    /** Settings after command-line overrides. */
    public record Config(int epochs, int batch, double lr, long seed, TrainConfig.Schedule schedule) {}

    /** One row of the per-epoch table. Train metrics are running means over the epoch's steps. */
    public record EpochResult(int epoch, String dataset, double seconds, long samples, double trainLoss, Map<String, Double> trainMetrics,
                              double testLoss, Map<String, Double> testMetrics) {
        public double samplesPerSecond() { return samples / Math.max(1e-9, seconds); }
    }

    /** Hooks for progress output and checkpoints. All have empty defaults. */
    public interface Listener {
        default void passStarted(int epoch, String dataset, long samples) {}

        default void batchDone(long samplesDone, double loss) {}

        default void passFinished(EpochResult result) {}

        /** Called after each full epoch (every dataset visited); {@code epoch} counts from 1. */
        default void epochFinished(int epoch) {}
    }

    /** Raised when a step's loss is not finite; names the op and source position that first produced it. */
    public static final class NonFiniteLoss extends RuntimeException {
        public final dev.hyperc.compiler.ir.Origin origin;

        public NonFiniteLoss(String message, dev.hyperc.compiler.ir.Origin origin) {
            super(message);
            this.origin = origin;
        }
    }

    private final Session session;
    private final Config config;
    private final List<Dataset> data;
    private final List<Binding> bindings = new ArrayList<>();

    public Trainer(Session session, Config config, List<Dataset> data) {
        this.session = session;
        this.config = config;
        this.data = data;
        Graph train = session.model().ir().graph("train");
        for (Node n : train.nodes()) if (n.op() instanceof Op.Input in) bindings.add(new Binding(in.name(), in.type().dtype(), in.type().shape()));
        for (Dataset d : data) checkFeeds(d);
    }

    /** How one model input is filled from a dataset field. */
    private record Binding(String input, DType dtype, Shape shape) {
        /** Axis of B in the input's shape, or -1. */
        int batchAxis() {
            for (int i = 0; i < shape.rank(); i++) if (shape.dim(i).batch()) return i;
            return -1;
        }
    }

    private static String fieldFor(Dataset d, String input) {
        for (Map.Entry<String, String> e : d.bindings().entrySet()) if (e.getValue().equals(input)) return e.getKey();
        return null;
    }

    private void checkFeeds(Dataset d) {
        for (Binding b : bindings) {
            if (fieldFor(d, b.input()) == null) {
                throw new DataError("dataset " + d.name() + " does not feed the model input '" + b.input() + "' (it provides "
                        + String.join(", ", d.bindings().entrySet().stream().map(e -> e.getKey() + " -> " + e.getValue()).toList())
                        + "); bind a field to it in the train block, e.g. " + d.name() + "(x: " + b.input() + ")");
            }
        }
    }

    /** Examples one step consumes: B times the fixed axes in front of B (Deutsch's S samples of z each see B images). */
    private long examplesPerStep(int batch) {
        long per = batch;
        for (Binding b : bindings) {
            int k = b.batchAxis();
            if (k > 0 && !fillsAlongAxis(b)) {
                long lead = 1;
                for (int i = 0; i < k; i++) lead *= b.shape().dim(i).fixed();
                per = Math.max(per, lead * batch);
            }
        }
        return per;
    }

    /** True when the input's batch axis is not the outermost example axis (time-major sequences [T, B]). */
    private boolean fillsAlongAxis(Binding b) {
        int k = b.batchAxis();
        if (k <= 0) return false;
        for (Dataset d : data) {
            Field f = d.train().field(fieldFor(d, b.input()));
            return f.shape().length == b.shape().rank() - 1 && !java.util.Arrays.equals(f.shape(), tail(b, k));
        }
        return false;
    }

    private static int[] tail(Binding b, int k) {
        int[] t = new int[b.shape().rank() - k - 1];
        for (int i = 0; i < t.length; i++) t[i] = (int) b.shape().dim(k + 1 + i).fixed();
        return t;
    }

    /** A batch of inputs for the examples {@code idx}, shaped as the model declares them with B = batch. */
    Map<String, HostTensor> batch(Dataset d, Split split, int[] idx, int batch) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Binding b : bindings) {
            String field = fieldFor(d, b.input());
            int[] shape = new int[b.shape().rank()];
            for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(b.shape().dim(i).size(batch));
            int n = Math.toIntExact(HostTensor.numel(shape));
            HostTensor t = b.dtype() == DType.F32 ? HostTensor.f32(shape, new float[n]) : HostTensor.i32(shape, new int[n]);
            int k = b.batchAxis();
            if (k < 0) {
                split.fill(idx, field, t, -1);
            } else if (k == 0 || fillsAlongAxis(b)) {
                split.fill(idx, field, t, k);
            } else {
                // Fixed axes in front of B: fill [lead·B, ...] over the same memory, then view it as declared.
                int[] flat = new int[shape.length - k];
                flat[0] = n / (int) HostTensor.numel(java.util.Arrays.copyOfRange(shape, k + 1, shape.length));
                System.arraycopy(shape, k + 1, flat, 1, shape.length - k - 1);
                HostTensor view = b.dtype() == DType.F32 ? HostTensor.f32(flat, t.f32()) : HostTensor.i32(flat, t.i32());
                split.fill(idx, field, view, 0);
            }
            out.put(b.input(), t);
        }
        return out;
    }

    /** Trains for the configured epochs starting after {@code epochsDone}. */
    public List<EpochResult> fit(int epochsDone, Listener listener) {
        List<EpochResult> results = new ArrayList<>();
        for (int epoch = epochsDone + 1; epoch <= config.epochs(); epoch++) {
            if (config.schedule() == TrainConfig.Schedule.ALTERNATE || data.size() == 1) {
                for (int di = 0; di < data.size(); di++) results.add(pass(epoch, List.of(data.get(di)), listener));
            } else {
                results.add(pass(epoch, data, listener));
            }
            listener.epochFinished(epoch);
        }
        return results;
    }

    private EpochResult pass(int epoch, List<Dataset> sets, Listener listener) {
        long perStep = examplesPerStep(config.batch());
        List<int[][]> orders = new ArrayList<>();
        long total = 0;
        for (int di = 0; di < sets.size(); di++) {
            Dataset d = sets.get(di);
            int[] perm = shuffled(d.train().size(), config.seed() * 1_000_003L + epoch * 7919L + data.indexOf(d));
            int steps = (int) (perm.length / perStep);
            int[][] batches = new int[steps][];
            for (int s = 0; s < steps; s++) batches[s] = java.util.Arrays.copyOfRange(perm, (int) (s * perStep), (int) ((s + 1) * perStep));
            orders.add(batches);
            total += steps * perStep;
        }
        String name = String.join("+", sets.stream().map(Dataset::name).toList());
        listener.passStarted(epoch, name, total);
        long start = System.nanoTime(), done = 0;
        double lossSum = 0;
        Map<String, Double> metricSums = new LinkedHashMap<>();
        int stepsTaken = 0;
        int maxSteps = orders.stream().mapToInt(o -> o.length).max().orElse(0);
        for (int s = 0; s < maxSteps; s++) {
            for (int di = 0; di < sets.size(); di++) {
                if (s >= orders.get(di).length) continue;
                Dataset d = sets.get(di);
                Map<String, HostTensor> in = batch(d, d.train(), orders.get(di)[s], config.batch());
                Session.StepResult r = session.trainStep(in, config.lr());
                if (!Double.isFinite(r.loss())) throw diagnose(in, r.loss());
                lossSum += r.loss();
                r.metrics().forEach((k, v) -> metricSums.merge(k, v, Double::sum));
                stepsTaken++;
                done += perStep;
                listener.batchDone(done, r.loss());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> trainMetrics = new LinkedHashMap<>();
        final int n = Math.max(1, stepsTaken);
        metricSums.forEach((k, v) -> trainMetrics.put(k, v / n));
        // Evaluate on each dataset's test split.
        double testLoss = 0;
        Map<String, Double> testMetrics = new LinkedHashMap<>();
        long testCount = 0;
        for (Dataset d : sets) {
            Session.StepResult t = evaluate(d, d.test());
            long c = d.test().size();
            testLoss += t.loss() * c;
            for (var e : t.metrics().entrySet()) testMetrics.merge(e.getKey(), e.getValue() * c, Double::sum);
            testCount += c;
        }
        final long tc = Math.max(1, testCount);
        testMetrics.replaceAll((k, v) -> v / tc);
        EpochResult res = new EpochResult(epoch, name, seconds, done, lossSum / n, trainMetrics, testLoss / tc, testMetrics);
        listener.passFinished(res);
        return res;
    }

    /** Loss and metrics over a whole split in inference mode, weighted by batch size (the last batch may be smaller). */
    public Session.StepResult evaluate(Dataset d, Split split) {
        long perStep = examplesPerStep(config.batch());
        int size = split.size();
        double loss = 0;
        Map<String, Double> metrics = new LinkedHashMap<>();
        long seen = 0;
        for (int start = 0; start < size; start += (int) perStep) {
            int count = (int) Math.min(perStep, size - start);
            int b = (int) (count * config.batch() / perStep);
            if (b == 0) break;
            count = (int) (b * perStep / config.batch());
            int[] idx = new int[count];
            for (int i = 0; i < count; i++) idx[i] = start + i;
            Session.StepResult r = session.evaluate(batch(d, split, idx, b));
            loss += r.loss() * count;
            r.metrics().forEach((k, v) -> metrics.merge(k, v * idx.length, Double::sum));
            seen += count;
        }
        final long s = Math.max(1, seen);
        metrics.replaceAll((k, v) -> v / s);
        return new Session.StepResult(loss / s, metrics);
    }

    private RuntimeException diagnose(Map<String, HostTensor> batch, double loss) {
        try {
            session.diagnose(batch, config.lr());
        } catch (dev.hyperc.runtime.cpu.CpuExecutor.NonFiniteError e) {
            return new NonFiniteLoss("the loss became " + loss + " at step " + session.steps() + ": " + e.getMessage()
                    + " (the step was not applied)", e.origin);
        }
        return new NonFiniteLoss("the loss became " + loss + " at step " + session.steps() + " (the step was not applied)",
                dev.hyperc.compiler.ir.Origin.NONE);
    }

    static int[] shuffled(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static long unused(Dim d) { return d.coeff(); }
}
