package dev.hyperc.runtime.cli;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.autodiff.GradCheck;
import dev.hyperc.compiler.autodiff.GradientError;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.dsl.ModelParser;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/** The {@code compile-and-run} launcher. Exit status: 0 ok, 1 compile errors, 2 bad usage, 3 environment problem. */
public final class Main {
    public static final String VERSION = "0.1.0";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (UsageError e) {
            err.println("compile-and-run: " + e.getMessage());
            err.println("try 'compile-and-run --help'");
            return 2;
        }
        if (opts.help()) {
            out.print(Options.helpText());
            return 0;
        }
        if (opts.version()) {
            out.println("hyperc " + VERSION + " (language version " + ModelParser.LANGUAGE_VERSION + ")");
            return 0;
        }
        SourceFile source;
        try {
            if (Files.isDirectory(opts.model())) {
                err.println("compile-and-run: " + opts.model() + " is a directory, not a .hyper file");
                return 2;
            }
            source = SourceFile.read(opts.model());
        } catch (NoSuchFileException e) {
            err.println("compile-and-run: no such model file: " + opts.model());
            return 2;
        } catch (MalformedInputException e) {
            err.println("compile-and-run: " + opts.model() + " is not UTF-8 text");
            return 1;
        } catch (IOException e) {
            err.println("compile-and-run: cannot read " + opts.model() + ": " + e.getMessage());
            return 2;
        }
        Compiler.Result result = Compiler.compile(source);
        if (!result.ok()) {
            err.print(result.diagnostics().render());
            return 1;
        }
        CompiledModel model = result.model().orElseThrow();
        if (opts.gradcheck()) return gradcheck(source, model, opts, out, err);
        if (opts.bench()) {
            dev.hyperc.runtime.Model m = dev.hyperc.runtime.Model.compile(source.name(), source.text());
            int batch = opts.batch() != null ? opts.batch() : model.train() != null ? model.train().batch() : 32;
            int threads = opts.threads() != null ? opts.threads() : Runtime.getRuntime().availableProcessors();
            var backend = switch (opts.device()) {
                case CPU -> dev.hyperc.runtime.Backend.CPU;
                case OPENCL -> dev.hyperc.runtime.Backend.OPENCL;
                case AUTO -> dev.hyperc.runtime.Backend.AUTO;
            };
            dev.hyperc.runtime.bench.ModelBench.Result r;
            try {
                r = dev.hyperc.runtime.bench.ModelBench.run(m, batch, threads, backend, 10, out);
            } catch (dev.hyperc.runtime.opencl.OpenClError e) {
                err.println("compile-and-run: --device opencl: " + e.getMessage());
                return 3;
            }
            if (opts.json()) {
                out.println(dev.hyperc.runtime.report.JsonOut.pretty().beginObject().name("model").value(r.model()).name("batch").value(r.batch())
                        .name("threads").value(r.threads()).name("backend").value(r.backend()).name("train_samples_per_second").value(r.trainSamplesPerSecond())
                        .name("inference_samples_per_second").value(r.inferSamplesPerSecond()).endObject());
            }
            return 0;
        }
        if (opts.emit() != null) {
            switch (opts.emit()) {
                case IR -> out.print(IrPrinter.print(model.ir()));
                case SUMMARY -> out.print(model.summary().render(model.name()));
                case GRAD_IR -> {
                    try {
                        out.print(IrPrinter.print(Compiler.trainingStep(model)));
                    } catch (GradientError e) {
                        err.print(Compiler.render(source, e));
                        return 1;
                    }
                }
                case KERNELS -> {
                    // The OpenCL C generated for the training step at the train block's batch size: for a generic CPU
                    // device, or with --device opencl for the device that would run it (its kind and work-group limit).
                    try {
                        var step = Compiler.trainingStep(model).graph("step");
                        long batch = opts.batch() != null ? opts.batch() : model.train() != null ? model.train().batch() : 1;
                        var schedule = dev.hyperc.compiler.lower.Scheduler.lower(step, batch);
                        var codegen = dev.hyperc.compiler.codegen.OpenClCodegen.Options.cpu();
                        if (opts.device() == Options.Device.OPENCL) {
                            var d = dev.hyperc.runtime.opencl.Cl.preferredDevice();
                            if (d.value().isEmpty()) {
                                err.println("compile-and-run: --device opencl: " + d.reason());
                                return 3;
                            }
                            codegen = dev.hyperc.runtime.opencl.OpenClExecutor.options(d.value().get());
                        }
                        out.print(dev.hyperc.compiler.codegen.OpenClCodegen.source(schedule, codegen));
                    } catch (GradientError e) {
                        err.print(Compiler.render(source, e));
                        return 1;
                    }
                }
            }
            return 0;
        }
        return TrainCommand.run(dev.hyperc.runtime.Model.compile(source.name(), source.text()), opts, out, err);
    }

    /** Exit status of a gradient check whose worst relative error exceeds {@link #GRADCHECK_TOLERANCE}. */
    public static final int CHECK_FAILED = 4;
    public static final double GRADCHECK_TOLERANCE = 1e-6;

    /**
     * Finite-difference check of the model's loss gradient in f64 (reference evaluator), batch 2,
     * a sample of coordinates per parameter. Prints the worst relative error per parameter.
     */
    private static int gradcheck(SourceFile source, CompiledModel model, Options opts, PrintStream out, PrintStream err) {
        if (model.train() == null) {
            err.println("compile-and-run: " + model.name() + " has no train block, so there is no loss to check");
            return 1;
        }
        long seed = opts.seed() != null ? opts.seed() : model.train().seed();
        var train = model.ir().graph("train");
        var bindings = GradCheck.randomInputs(train, 2, seed);
        java.util.List<GradCheck.ParamResult> results;
        long t0 = System.nanoTime();
        try {
            results = GradCheck.check(train, model.train().loss(), bindings, 6, 1e-5, seed);
        } catch (GradientError e) {
            err.print(Compiler.render(source, e));
            return 1;
        }
        int w = Math.max(9, results.stream().mapToInt(r -> r.param().length()).max().orElse(9));
        out.printf(java.util.Locale.ROOT, "gradient check of %s: loss '%s', batch 2, f64 central differences (h = 1e-5)%n",
                model.name(), model.train().loss());
        out.printf(java.util.Locale.ROOT, "%-" + w + "s  %7s  %5s  %14s  %12s%n", "parameter", "checked", "kinks", "max rel error", "max |grad|");
        double worst = 0;
        for (GradCheck.ParamResult r : results) {
            out.printf(java.util.Locale.ROOT, "%-" + w + "s  %7d  %5d  %14.3e  %12.3e%n", r.param(), r.checked(), r.skippedKinks(),
                    r.maxRelError(), r.maxAnalytic());
            worst = Math.max(worst, r.maxRelError());
        }
        boolean ok = worst < GRADCHECK_TOLERANCE;
        out.printf(java.util.Locale.ROOT, "worst relative error %.3e: %s (tolerance %.0e, %.1f s)%n", worst, ok ? "PASS" : "FAIL",
                GRADCHECK_TOLERANCE, (System.nanoTime() - t0) / 1e9);
        return ok ? 0 : CHECK_FAILED;
    }
}
