package dev.hyperc.runtime;

import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.runtime.opencl.DeviceContext;
import dev.hyperc.runtime.task.DataTransferMode;
import dev.hyperc.runtime.task.ExecutionPlan;
import dev.hyperc.runtime.task.ExecutionResult;
import dev.hyperc.runtime.task.TaskGraph;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A runner on an OpenCL device, as a one-task {@link TaskGraph}: parameters and state go to the device on the first
 * execution and stay there (shared, by array identity, with the session's other runners on the same context); the
 * batch goes in and the chosen outputs come out on every execution.
 */
final class ClRunner implements Runner, AutoCloseable {
    private final Schedule schedule;
    private final Map<String, float[]> inputs = new LinkedHashMap<>(), outputs = new LinkedHashMap<>();
    private final ExecutionPlan plan;
    private ExecutionResult last;

    ClRunner(String name, Schedule schedule, Map<String, float[]> params, Map<String, float[]> states, DeviceContext context,
             Predicate<String> transferOutput) {
        this.schedule = schedule;
        TaskGraph tg = new TaskGraph(name).task(name, schedule);
        for (var b : schedule.buffers()) {
            if (b.kind() == dev.hyperc.compiler.lower.Buffer.Kind.PARAM) {
                tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, b.name(), params.get(b.name()));
            } else if (b.kind() == dev.hyperc.compiler.lower.Buffer.Kind.STATE) {
                tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, b.name(), states.get(b.name()));
            }
        }
        for (var in : schedule.inputs().entrySet()) {
            float[] a = new float[Math.toIntExact(in.getValue().numel())];
            inputs.put(in.getKey(), a);
            tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, in.getKey(), a);
        }
        for (var out : schedule.outputs().entrySet()) {
            if (!transferOutput.test(out.getKey())) continue;
            float[] a = new float[Math.toIntExact(out.getValue().numel())];
            outputs.put(out.getKey(), a);
            tg.transferToHost(DataTransferMode.EVERY_EXECUTION, out.getKey(), a);
        }
        this.plan = new ExecutionPlan(tg.snapshot()).withContext(context).withWarmUp();
    }

    public Schedule schedule() { return schedule; }

    public void bind(String name, HostTensor t) { Runner.copyInto(name, t, inputs.get(name), 0); }

    public void run(long seed, boolean checked) { last = plan.execute(seed); }

    public float[] read(String key) {
        float[] a = outputs.get(key);
        if (a == null) throw new IllegalArgumentException("output " + key + " stays on the device");
        return a.clone();
    }

    public int kernelCount() { return plan.kernelCount(); }

    /** Bytes moved by the last execution. */
    long lastBytes() { return last == null ? 0 : last.bytesMoved(); }

    @Override
    public void close() { plan.close(); }
}
