package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.step.TrainingStep;
import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.Model;
import dev.hyperc.runtime.bench.ModelBench;
import java.nio.file.Path;

/** The bench's synthetic inputs (and a real learning rate) written into a step executor, for the developer tools. */
final class DevInputs {
    private DevInputs() {}

    /**
     * Parameters and optimizer state after {@code steps} session training steps on the synthetic batch (-Dtrained=N,
     * default 0: the session's initial values), as the stores a CpuExecutor takes.
     */
    static java.util.Map<String, float[]>[] trained(Path model, long batch) throws Exception {
        int steps = Integer.getInteger("trained", 0);
        Model m = Model.compile(model);
        var in = ModelBench.syntheticInputs(m, batch, 1);
        try (dev.hyperc.runtime.Session s = m.session(dev.hyperc.runtime.Session.Options.defaults().withSeed(1).withThreads(2))) {
            for (int i = 0; i < steps; i++) s.trainStep(in, 1e-3);
            java.util.Map<String, float[]> params = new java.util.HashMap<>(), states = new java.util.HashMap<>();
            s.snapshot().forEach((k, v) -> (k.startsWith("param:") ? params : states).put(k.substring(6), v));
            @SuppressWarnings("unchecked")
            java.util.Map<String, float[]>[] out = new java.util.Map[] {params, states};
            return out;
        }
    }

    static void fill(CpuExecutor ex, Path model, long batch) throws Exception {
        var in = ModelBench.syntheticInputs(Model.compile(model), batch, 1);
        for (var e : ex.schedule().inputs().entrySet()) {
            BufferRef r = e.getValue();
            HostTensor t = in.get(e.getKey());
            float[] d = new float[(int) r.numel()];
            if (e.getKey().equals(TrainingStep.LR)) d[0] = 1e-3f;
            else if (t != null && t.f32() != null) d = t.f32();
            else if (t != null) for (int i = 0; i < d.length; i++) d[i] = t.i32()[i];
            ex.write(r, d);
        }
    }
}
