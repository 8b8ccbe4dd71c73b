package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.dsl.SourceFile;
import java.nio.file.Path;
import java.util.HashMap;

/** Developer tool: time per kernel kind of a model's training step. Usage: ProfileMain MODEL BATCH. */
public final class ProfileMain {
    public static void main(String[] args) throws Exception {
        var m = Compiler.compile(SourceFile.read(Path.of(args[0]))).model().orElseThrow();
        var step = Compiler.trainingStep(m).graph("step");
        Schedule s = Scheduler.lower(step, Long.parseLong(args[1]));
        try (Parallel pool = new Parallel(Runtime.getRuntime().availableProcessors())) {
            CpuExecutor ex = new CpuExecutor(s, new HashMap<>(), new HashMap<>(), pool);
            for (BufferRef in : s.inputs().values()) java.util.Arrays.fill(ex.array(in), ex.base(in), ex.base(in) + (int) in.numel(), 0f);
            for (int i = 0; i < 5; i++) ex.run(i);
            ex.enableProfiling();
            long t = System.nanoTime();
            int n = Integer.parseInt(args.length > 2 ? args[2] : "20");
            for (int i = 0; i < n; i++) ex.run(i);
            System.out.printf("%s: %d kernels, %.2f ms per step%n", m.name(), ex.kernelCount(), (System.nanoTime() - t) / 1e6 / n);
            ex.profile().forEach((k, v) -> System.out.printf("  %-18s %8.3f ms%n", k, v));
            ex.profileByKernel().entrySet().stream().limit(12).forEach(e -> System.out.printf("    %-50s %8.3f ms%n", e.getKey(), e.getValue()));
        }
    }
}
