package dev.hyperc.runtime.cli;

import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.dsl.Diagnostics;
import dev.hyperc.dsl.Span;
import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.Model;
import dev.hyperc.runtime.Backend;
import dev.hyperc.runtime.Session;
import dev.hyperc.runtime.data.DataError;
import dev.hyperc.runtime.data.Dataset;
import dev.hyperc.runtime.data.Datasets;
import dev.hyperc.runtime.io.Checkpoint;
import dev.hyperc.runtime.io.CheckpointError;
import dev.hyperc.runtime.io.SafeTensors;
import dev.hyperc.runtime.report.EpochTable;
import dev.hyperc.runtime.report.JsonOut;
import dev.hyperc.runtime.report.ProgressBar;
import dev.hyperc.runtime.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The launcher's main job: train a model on its datasets, report per epoch, checkpoint and export. */
final class TrainCommand {
    private TrainCommand() {}

    static int run(Model model, Options opts, PrintStream out, PrintStream err) {
        TrainConfig tc = model.trainConfig();
        if (tc == null) {
            err.println("compile-and-run: " + model.name() + " has no train block; add one, or use --emit ir");
            return 1;
        }
        if (tc.data().isEmpty()) {
            err.println("compile-and-run: the train block of " + model.name() + " names no data (add data = mnist(...) or similar)");
            return 1;
        }
        try {
            model.trainingStep();
        } catch (dev.hyperc.compiler.autodiff.GradientError e) {
            err.print(dev.hyperc.compiler.Compiler.render(model.source(), e));
            return 1;
        }
        Trainer.Config cfg = new Trainer.Config(
                opts.epochs() != null ? opts.epochs() : tc.epochs(),
                opts.batch() != null ? opts.batch() : tc.batch(),
                opts.lr() != null ? opts.lr() : tc.optimizer().lr(),
                opts.seed() != null ? opts.seed() : tc.seed(),
                tc.schedule());
        List<Dataset> data;
        try {
            data = openData(tc, model, err);
        } catch (DataError e) {
            err.println("compile-and-run: " + e.getMessage());
            return 3;
        }
        int threads = opts.threads() != null ? opts.threads() : Runtime.getRuntime().availableProcessors();
        Backend backend = switch (opts.device()) {
            case CPU -> Backend.CPU;
            case OPENCL -> Backend.OPENCL;
            case AUTO -> Backend.AUTO;
        };
        Session opened;
        try {
            opened = model.session(new Session.Options(threads, cfg.seed(), false, backend));
        } catch (dev.hyperc.runtime.opencl.OpenClError e) {
            err.println("compile-and-run: --device opencl: " + e.getMessage());
            return 3;
        }
        if (!opened.backendNote().isEmpty()) err.println("hyperc: " + opened.backendNote());
        if (!opts.json() && opened.onDevice()) err.println("hyperc: training on " + opened.backend());
        try (Session session = opened) {
            int epochsDone = 0;
            if (opts.resume()) {
                Checkpoint ck;
                try {
                    ck = Checkpoint.load(opts.checkpoint(), model.name(), model.hash());
                } catch (CheckpointError e) {
                    err.println("compile-and-run: " + e.getMessage());
                    return 3;
                }
                Map<String, float[]> snap = new LinkedHashMap<>();
                ck.tensors().forEach((k, v) -> snap.put(k, v.f32()));
                session.restore(snap, ck.step());
                epochsDone = (int) ck.epoch();
                if (!opts.json()) err.printf(Locale.ROOT, "hyperc: resumed from %s after epoch %d (step %d)%n", Checkpoint.resolve(opts.checkpoint()), epochsDone, ck.step());
            }
            Trainer trainer = new Trainer(session, cfg, data);
            ProgressBar bar = opts.json() ? new ProgressBar(err, false, System::nanoTime) : ProgressBar.forConsole(err);
            List<String> metrics = new ArrayList<>(List.of("train loss"));
            for (String m : tc.metrics()) metrics.add("train " + m);
            metrics.add("test loss");
            for (String m : tc.metrics()) metrics.add("test " + m);
            EpochTable table = EpochTable.of(opts.json() ? new PrintStream(PrintStream.nullOutputStream()) : out, cfg.epochs(),
                    data.stream().map(Dataset::name).toList(), metrics);
            List<Trainer.EpochResult> all = new ArrayList<>();
            Trainer.Listener listener = new Trainer.Listener() {
                public void passStarted(int epoch, String dataset, long samples) {
                    bar.start(String.format(Locale.ROOT, "epoch %d/%d %s", epoch, cfg.epochs(), dataset), samples);
                }

                public void batchDone(long done, double loss) { bar.update(done, loss); }

                public void passFinished(Trainer.EpochResult r) {
                    bar.finish();
                    List<Double> v = new ArrayList<>(List.of(r.trainLoss()));
                    for (String m : tc.metrics()) v.add(r.trainMetrics().getOrDefault(m, Double.NaN));
                    v.add(r.testLoss());
                    for (String m : tc.metrics()) v.add(r.testMetrics().getOrDefault(m, Double.NaN));
                    table.row(r.epoch(), r.dataset(), r.seconds(), v.stream().mapToDouble(Double::doubleValue).toArray());
                    all.add(r);
                }

                public void epochFinished(int epoch) {
                    if (opts.checkpoint() != null) save(session, model, opts.checkpoint(), epoch);
                }
            };
            long t0 = System.nanoTime();
            try {
                trainer.fit(epochsDone, listener);
            } catch (Trainer.NonFiniteLoss e) {
                bar.finish();
                Diagnostics d = new Diagnostics(model.source());
                Span at = e.origin.isKnown() ? Span.of(model.source().name(), e.origin.line(), e.origin.column()) : Span.of(model.source().name(), 1, 1);
                d.error(at, e.getMessage());
                err.print(d.render());
                return 1;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // Final evaluation per dataset, like the Lux tutorial's [FINAL] lines.
            Map<String, Session.StepResult> finals = new LinkedHashMap<>();
            for (Dataset d : data) finals.put(d.name(), trainer.evaluate(d, d.test()));
            if (!opts.json()) {
                out.println();
                for (var e : finals.entrySet()) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[FINAL] %14s  test loss %.4f", e.getKey(), e.getValue().loss()));
                    e.getValue().metrics().forEach((k, v) -> line.append(String.format(Locale.ROOT, "  test %s %s", k,
                            k.contains("acc") ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : String.format(Locale.ROOT, "%.4f", v))));
                    out.println(line);
                }
                out.printf(Locale.ROOT, "trained %d steps in %.1f s%n", session.steps(), seconds);
            }
            if (opts.export() != null) {
                int code = export(session, model, data, opts.export(), opts.json() ? err : out, err);
                if (code != 0) return code;
            }
            if (opts.json()) out.println(json(model, cfg, all, finals, session.steps(), seconds));
            return 0;
        }
    }

    private static void save(Session session, Model model, Path dir, int epoch) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        session.snapshot().forEach((k, v) -> tensors.put(k, HostTensor.f32(new int[] {v.length}, v)));
        Checkpoint.save(dir, new Checkpoint(model.name(), model.hash(), session.steps(), epoch, new long[] {session.steps()}, tensors,
                Map.of("hyperc", Main.VERSION)));
    }

    /** Writes the generated target weights for each dataset's conditioning (its task id) as safetensors. */
    private static int export(Session session, Model model, List<Dataset> data, Path file, PrintStream out, PrintStream err) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        var generateInputs = dev.hyperc.compiler.Compiler.generateGraph(model.compiled()).nodes().stream()
                .filter(n -> n.op() instanceof dev.hyperc.compiler.ir.Op.Input).map(n -> (dev.hyperc.compiler.ir.Op.Input) n.op()).toList();
        for (Dataset d : data) {
            Map<String, HostTensor> cond = new LinkedHashMap<>();
            for (var in : generateInputs) {
                if (!in.name().equals("task") || in.type().rank() > 1) {
                    err.println("compile-and-run: --export needs a scalar or per-sample task id as the only conditioning input; "
                            + model.name() + " generates from '" + in.name() + "' " + in.type());
                    return 3;
                }
                int task = Math.max(0, d.task());
                cond.put("task", in.type().rank() == 0 ? HostTensor.i32(new int[0], new int[] {task}) : HostTensor.i32(new int[] {1}, new int[] {task}));
            }
            String prefix = data.size() > 1 ? d.name() + "." : "";
            session.generate(cond).forEach((layout, parts) -> parts.forEach((n, t) -> tensors.put(prefix + layout + "." + n, t)));
        }
        SafeTensors.write(file, tensors, Map.of("model", model.name(), "model_hash", model.hash(), "format", "hyperc generated target weights"));
        out.println("exported " + tensors.size() + " generated tensors to " + file);
        return 0;
    }

    private static List<Dataset> openData(TrainConfig tc, Model model, PrintStream err) {
        Path dir = Datasets.defaultDataDir();
        List<Dataset> out = new ArrayList<>();
        for (TrainConfig.Dataset spec : tc.data()) {
            try {
                out.add(Datasets.open(spec, dir, Path.of(model.source().name()).toAbsolutePath().getParent()));
            } catch (DataError e) {
                if (!fetchable(spec) || !fetch(err)) throw e;
                out.add(Datasets.open(spec, dir, Path.of(model.source().name()).toAbsolutePath().getParent()));
            }
        }
        return out;
    }

    private static boolean fetchable(TrainConfig.Dataset spec) {
        return spec.name().equals("mnist") || spec.name().equals("fashion_mnist");
    }

    /** Runs scripts/fetch-data.sh once; true if it succeeded. */
    private static boolean fetch(PrintStream err) {
        String root = System.getProperty("hyperc.root");
        if (root == null) return false;
        Path script = Path.of(root, "scripts", "fetch-data.sh");
        if (!Files.isExecutable(script)) return false;
        err.println("hyperc: data not found; running scripts/fetch-data.sh");
        try {
            Process p = new ProcessBuilder(script.toString()).inheritIO().redirectOutput(ProcessBuilder.Redirect.to(new java.io.File("/dev/stderr"))).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String json(Model model, Trainer.Config cfg, List<Trainer.EpochResult> all, Map<String, Session.StepResult> finals,
                               long steps, double seconds) {
        JsonOut j = JsonOut.pretty().beginObject();
        j.name("model").value(model.name()).name("model_hash").value(model.hash());
        j.name("epochs").value(cfg.epochs()).name("batch").value(cfg.batch()).name("lr").value(cfg.lr()).name("seed").value(cfg.seed());
        j.name("steps").value(steps).name("seconds").value(seconds);
        j.name("history").beginArray();
        for (Trainer.EpochResult r : all) {
            j.beginObject().name("epoch").value(r.epoch()).name("dataset").value(r.dataset()).name("seconds").value(r.seconds())
                    .name("samples_per_second").value(r.samplesPerSecond()).name("train_loss").value(r.trainLoss());
            r.trainMetrics().forEach((k, v) -> j.name("train_" + k).value(v));
            j.name("test_loss").value(r.testLoss());
            r.testMetrics().forEach((k, v) -> j.name("test_" + k).value(v));
            j.endObject();
        }
        j.endArray().name("final").beginObject();
        finals.forEach((k, v) -> {
            j.name(k).beginObject().name("test_loss").value(v.loss());
            v.metrics().forEach((m, x) -> j.name("test_" + m).value(x));
            j.endObject();
        });
        j.endObject().endObject();
        return j.toString();
    }
}
