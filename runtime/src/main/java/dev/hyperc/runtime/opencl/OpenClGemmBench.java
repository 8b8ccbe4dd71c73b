package dev.hyperc.runtime.opencl;

import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Kernel;
import dev.hyperc.compiler.lower.Schedule;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** GEMM GFLOP/s of the generated OpenCL matmul: {@code java ... OpenClGemmBench [n ...]} (default 512). */
public final class OpenClGemmBench {
    public static void main(String[] args) {
        Cl.Device dev = Cl.preferredDevice().value().orElseThrow();
        System.out.println("device: " + dev);
        for (String a : args.length == 0 ? new String[] {"512"} : args) {
            int n = Integer.parseInt(a);
            long[] sh = {n, n};
            List<Buffer> bufs = List.of(new Buffer(0, (long) n * n, Buffer.Kind.INPUT, "a", -1), new Buffer(1, (long) n * n, Buffer.Kind.INPUT, "b", -1),
                    new Buffer(2, (long) n * n, Buffer.Kind.INPUT, "c", -1));
            Kernel k = new Kernel.MatMul(BufferRef.contiguous(2, 0, sh), BufferRef.contiguous(0, 0, sh), BufferRef.contiguous(1, 0, sh), Origin.NONE);
            Schedule s = new Schedule(bufs, List.of(k), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), List.of(), List.of(), 0, 1, Map.of(), Map.of());
            try (OpenClExecutor ex = new OpenClExecutor(s, new HashMap<>(), new HashMap<>(), dev, false)) {
                for (int i = 0; i < 3; i++) ex.run(0);
                int reps = Math.max(3, (int) (2e10 / (2.0 * n * n * n)));
                long t = System.nanoTime();
                for (int i = 0; i < reps; i++) ex.run(0);
                double sec = (System.nanoTime() - t) / 1e9 / reps;
                System.out.printf("matmul %d^3: %.2f ms, %.1f GFLOP/s%n", n, sec * 1e3, 2.0 * n * n * n / sec / 1e9);
            }
        }
    }
}
