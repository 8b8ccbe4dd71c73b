package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.Model;
import dev.hyperc.runtime.Session;
import dev.hyperc.runtime.bench.ModelBench;
import java.nio.file.Path;

/** Developer tool: WarmupCurve through the public Session API (what --bench measures). */
public final class SessionCurve {
    public static void main(String[] args) throws Exception {
        Model m = Model.compile(Path.of(args[0]));
        int batch = Integer.parseInt(args[1]), blocks = Integer.parseInt(args[2]), per = Integer.parseInt(args[3]);
        var in = ModelBench.syntheticInputs(m, batch, 1);
        try (Session s = m.session(Session.Options.defaults().withSeed(1).withThreads(2))) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < blocks; b++) {
                long t = System.nanoTime();
                for (int i = 0; i < per; i++) s.trainStep(in, 1e-3);
                sb.append(String.format(java.util.Locale.ROOT, " %.2f", (System.nanoTime() - t) / 1e6 / per));
            }
            System.out.println(m.name() + " session: ms/step per block of " + per + ":" + sb);
            s.snapshot().forEach((k, v) -> {
                long sub = 0, zero = 0;
                for (float x : v) { if (x == 0) zero++; else if (Math.abs(x) < Float.MIN_NORMAL) sub++; }
                if (sub > 0 || v.length > 10000) System.out.printf("  %-40s %9d values, %8d subnormal, %8d zero%n", k, v.length, sub, zero);
            });
        }
    }
}
