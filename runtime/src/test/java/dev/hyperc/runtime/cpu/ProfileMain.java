package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.dsl.SourceFile;
import java.nio.file.Path;
import java.util.HashMap;

/** Developer tool: time per kernel kind of a model's training step. Usage: ProfileMain MODEL BATCH [STEPS [K,K,…]]. */
public final class ProfileMain {
    public static void main(String[] args) throws Exception {
        var m = Compiler.compile(SourceFile.read(Path.of(args[0]))).model().orElseThrow();
        var step = Compiler.trainingStep(m).graph("step");
        Schedule s = Scheduler.lower(step, Long.parseLong(args[1]));
        if (args.length > 3 && !args[3].equals("all")) { // a list of kernel numbers: print those kernels in full
            for (String i : args[3].split(",")) System.out.println("#" + i + " " + s.kernels().get(Integer.parseInt(i.split(":")[0])));
        }
        try (Parallel pool = new Parallel(Runtime.getRuntime().availableProcessors())) {
            var stores = DevInputs.trained(Path.of(args[0]), Long.parseLong(args[1]));
            CpuExecutor ex = new CpuExecutor(s, stores[0], stores[1], pool);
            DevInputs.fill(ex, Path.of(args[0]), Long.parseLong(args[1]));
            for (int i = 0, w = Integer.getInteger("warm", 5); i < w; i++) ex.run(i);
            ex.enableProfiling();
            long t = System.nanoTime();
            int n = Integer.parseInt(args.length > 2 ? args[2] : "20");
            for (int i = 0; i < n; i++) ex.run(i);
            System.out.printf("%s: %d kernels, %.2f ms per step%n", m.name(), ex.kernelCount(), (System.nanoTime() - t) / 1e6 / n);
            ex.profile().forEach((k, v) -> System.out.printf("  %-18s %8.3f ms%n", k, v));
            if (args.length > 3 && args[3].equals("all")) { // every kernel: in the step vs alone in a loop
                double[] inStep = new double[ex.kernelCount()];
                var byKernel = ex.profileByKernel();
                for (var e : byKernel.entrySet()) inStep[Integer.parseInt(e.getKey().substring(1, e.getKey().indexOf(' ')))] = e.getValue() * 1e3;
                double sumAlone = 0;
                for (int i = 0; i < ex.kernelCount(); i++) { final int ki = i;
                    for (int r = 0; r < 50; r++) ex.runKernel(i, r);
                    long t0 = System.nanoTime();
                    for (int r = 0; r < 300; r++) ex.runKernel(i, r);
                    double alone = (System.nanoTime() - t0) / 1e3 / 300;
                    sumAlone += alone;
                    long sub = 0;
                    for (BufferRef w : dev.hyperc.compiler.lower.Kernels.writes(s.kernels().get(i))) {
                        for (float x : ex.read(w)) if (x != 0 && Math.abs(x) < Float.MIN_NORMAL) sub++;
                    }
                    System.out.printf("    #%-3d %8.1f µs in step %8.1f µs alone %7d subnormal  %s%n", i, inStep[i], alone, sub, byKernel.keySet().stream().filter(nm -> nm.startsWith("#" + ki + " ")).findFirst().orElse(""));
                }
                System.out.printf("  sum alone %.2f ms%n", sumAlone / 1e3);
                return;
            }
            if (args.length > 3) for (String k : args[3].split(",")) { // each listed kernel alone, in a loop
                String[] pair = k.split(":"); // K or K:P (time K, running P before it each time)
                int i = Integer.parseInt(pair[0]), before = pair.length > 1 ? Integer.parseInt(pair[1]) : -1;
                long spent = 0;
                for (int r = 0, reps = Integer.getInteger("reps", 1200); r < reps; r++) {
                    if (before >= 0) ex.runKernel(before, r);
                    long t0 = System.nanoTime();
                    ex.runKernel(i, r);
                    if (r >= reps / 6) spent += System.nanoTime() - t0;
                }
                System.out.printf("    #%s alone: %.1f µs%n", k, spent / 1e3 / (Integer.getInteger("reps", 1200) - Integer.getInteger("reps", 1200) / 6));
            }
            ex.profileByKernel().entrySet().stream().limit(12).forEach(e -> System.out.printf("    %-50s %8.3f ms%n", e.getKey(), e.getValue()));
        }
    }
}
