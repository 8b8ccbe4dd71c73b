package dev.hyperc.runtime.task;

import dev.hyperc.compiler.lower.Schedule;
import java.util.ArrayList;
import java.util.List;

/**
 * What to run on a device and which host arrays go in and come out, and when. Build it, then {@link #snapshot()} it
 * into an {@link ImmutableTaskGraph} for an {@link ExecutionPlan}.
 *
 * <p>A task is one compiled schedule (all the kernels of a training step, an evaluation, a prediction). Host arrays
 * are bound to a task's buffers by name: an input's name, a parameter's or state's name, or an output's key
 * ({@code loss:loss}, {@code metric:acc}, {@code result:y}). Arrays are matched by identity: the same {@code float[]}
 * bound in two graphs run on one device is one device buffer, which is how a training step and an evaluation share
 * the weights without copying them.
 *
 * <pre>{@code
 * TaskGraph tg = new TaskGraph("train")
 *         .task("step", stepSchedule)
 *         .transferToDevice(DataTransferMode.FIRST_EXECUTION, "w", w)
 *         .transferToDevice(DataTransferMode.EVERY_EXECUTION, "x", xBatch)
 *         .transferToHost(DataTransferMode.EVERY_EXECUTION, "loss:loss", loss)
 *         .transferToHost(DataTransferMode.UNDER_DEMAND, "w", w);
 * try (ExecutionPlan plan = new ExecutionPlan(tg.snapshot()).withDevice(device)) {
 *     plan.execute(seed);
 * }
 * }</pre>
 */
public final class TaskGraph {
    /** A host array bound to buffer {@code name} of task {@code task} (null: every task that has the name). */
    public record Binding(DataTransferMode mode, String task, String name, float[] array) {}

    /** One compiled schedule. */
    public record Task(String name, Schedule schedule) {}

    private final String name;
    private final List<Task> tasks = new ArrayList<>();
    private final List<Binding> toDevice = new ArrayList<>(), toHost = new ArrayList<>();

    public TaskGraph(String name) { this.name = name; }

    public String name() { return name; }

    /** Adds a task; tasks run in the order added. */
    public TaskGraph task(String taskName, Schedule schedule) {
        if (tasks.stream().anyMatch(t -> t.name().equals(taskName))) throw new IllegalArgumentException("task graph " + name + " already has a task " + taskName);
        tasks.add(new Task(taskName, schedule));
        return this;
    }

    /** Binds a host array as the device-side value of buffer {@code buffer} (an input, parameter or state) of every task that has it. */
    public TaskGraph transferToDevice(DataTransferMode mode, String buffer, float[] array) {
        toDevice.add(new Binding(mode, null, buffer, array));
        return this;
    }

    /** Binds a host array to receive buffer {@code buffer} (an output key, a parameter or a state) of the last task that has it. */
    public TaskGraph transferToHost(DataTransferMode mode, String buffer, float[] array) {
        if (mode == DataTransferMode.FIRST_EXECUTION) {
            throw new IllegalArgumentException("transferToHost(" + buffer + "): FIRST_EXECUTION is a host-to-device mode; use EVERY_EXECUTION or UNDER_DEMAND");
        }
        toHost.add(new Binding(mode, null, buffer, array));
        return this;
    }

    /** An immutable copy, checked: every buffer a task needs is bound with an array of the right size. */
    public ImmutableTaskGraph snapshot() {
        return ImmutableTaskGraph.of(name, tasks, toDevice, toHost);
    }
}
