package dev.hyperc.runtime.opencl;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.dsl.SourceFile;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Developer tool: device time per kernel of a model's training step on OpenCL. Usage: ClProfileMain MODEL BATCH [STEPS]. */
public final class ClProfileMain {
    public static void main(String[] args) throws Exception {
        var m = Compiler.compile(SourceFile.read(Path.of(args[0]))).model().orElseThrow();
        var step = Compiler.trainingStep(m).graph("step");
        Schedule s = Scheduler.lower(step, Long.parseLong(args[1]));
        Cl.Device dev = Cl.preferredDevice().value().orElseThrow();
        int n = Integer.parseInt(args.length > 2 ? args[2] : "20");
        Map<BufferRef, float[]> in = new LinkedHashMap<>();
        for (BufferRef r : s.inputs().values()) in.put(r, new float[(int) r.numel()]);
        for (boolean profile : new boolean[] {false, true}) {
            try (OpenClExecutor ex = new OpenClExecutor(s, new HashMap<>(), new HashMap<>(), dev, profile)) {
                for (int i = 0; i < 5; i++) ex.step(i, in, List.of());
                long t = System.nanoTime();
                for (int i = 0; i < n; i++) ex.step(i, in, List.of());
                System.out.printf("%s (profile %s): %d kernels, %.2f ms per step%n", m.name(), profile, ex.kernelCount(), (System.nanoTime() - t) / 1e6 / n);
                if (profile) {
                    double total = ex.profileByKernel().values().stream().mapToDouble(Double::doubleValue).sum();
                    System.out.printf("  device time %.2f ms per step%n", total);
                    ex.profileByKernel().entrySet().stream().limit(25).forEach(e -> System.out.printf("    %-70s %8.3f ms%n", e.getKey(), e.getValue()));
                }
            }
        }
    }
}
