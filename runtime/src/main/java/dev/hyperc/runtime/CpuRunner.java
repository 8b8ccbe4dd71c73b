package dev.hyperc.runtime;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.runtime.cpu.CpuExecutor;

/** A runner on the JVM backend: inputs are copied straight into the executor's planned memory. */
record CpuRunner(CpuExecutor executor) implements Runner {
    public Schedule schedule() { return executor.schedule(); }

    public void bind(String name, HostTensor t) {
        BufferRef r = executor.schedule().inputs().get(name);
        Runner.copyInto(name, t, executor.array(r), executor.base(r));
    }

    public void run(long seed, boolean checked) {
        if (checked) executor.runChecked(seed);
        else executor.run(seed);
    }

    public float[] read(String key) { return executor.read(executor.schedule().outputs().get(key)); }

    public int kernelCount() { return executor.kernelCount(); }
}
