package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import dev.hyperc.dsl.SourceFile;
import dev.hyperc.runtime.cpu.kernels.Parallel;
import java.nio.file.Path;
import java.util.HashMap;

/** Developer tool: mean step time per block of steps from a cold JVM, to see how long JIT warm-up takes. Usage: WarmupCurve MODEL BATCH BLOCKS BLOCK_STEPS. */
public final class WarmupCurve {
    public static void main(String[] args) throws Exception {
        long t00 = System.nanoTime();
        var m = Compiler.compile(SourceFile.read(Path.of(args[0]))).model().orElseThrow();
        Schedule s = Scheduler.lower(Compiler.trainingStep(m).graph("step"), Long.parseLong(args[1]));
        int blocks = Integer.parseInt(args[2]), per = Integer.parseInt(args[3]);
        try (Parallel pool = new Parallel(Runtime.getRuntime().availableProcessors())) {
            var stores = DevInputs.trained(Path.of(args[0]), Long.parseLong(args[1]));
            CpuExecutor ex = new CpuExecutor(s, stores[0], stores[1], pool);
            DevInputs.fill(ex, Path.of(args[0]), Long.parseLong(args[1]));
            StringBuilder sb = new StringBuilder();
            int step = 0;
            for (int b = 0; b < blocks; b++) {
                long t = System.nanoTime();
                for (int i = 0; i < per; i++) ex.run(step++);
                sb.append(String.format(java.util.Locale.ROOT, " %.2f", (System.nanoTime() - t) / 1e6 / per));
            }
            System.out.printf("%s: ms/step per block of %d:%s; total %.1f s%n", m.name(), per, sb, (System.nanoTime() - t00) / 1e9);
        }
    }
}
