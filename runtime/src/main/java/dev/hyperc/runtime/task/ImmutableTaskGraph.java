package dev.hyperc.runtime.task;

import dev.hyperc.compiler.lower.Buffer;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A checked, frozen {@link TaskGraph}: its tasks and bindings can no longer change, so an {@link ExecutionPlan} may
 * compile and allocate for it once. The host arrays themselves stay live: their contents are what moves.
 */
public record ImmutableTaskGraph(String name, List<TaskGraph.Task> tasks, List<TaskGraph.Binding> toDevice, List<TaskGraph.Binding> toHost) {
    public ImmutableTaskGraph {
        tasks = List.copyOf(tasks);
        toDevice = List.copyOf(toDevice);
        toHost = List.copyOf(toHost);
    }

    static ImmutableTaskGraph of(String name, List<TaskGraph.Task> tasks, List<TaskGraph.Binding> toDevice, List<TaskGraph.Binding> toHost) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("task graph " + name + " has no tasks");
        List<String> problems = new ArrayList<>();
        Set<String> known = new LinkedHashSet<>();
        for (TaskGraph.Task t : tasks) {
            Schedule s = t.schedule();
            known.addAll(s.inputs().keySet());
            known.addAll(s.outputs().keySet());
            for (Buffer b : s.buffers()) if (b.kind() == Buffer.Kind.PARAM || b.kind() == Buffer.Kind.STATE) known.add(b.name());
            for (var in : s.inputs().entrySet()) {
                TaskGraph.Binding b = find(toDevice, in.getKey());
                if (b == null) problems.add("task " + t.name() + ": input '" + in.getKey() + "' is not bound (transferToDevice)");
                else if (b.array().length != in.getValue().numel()) {
                    problems.add("task " + t.name() + ": input '" + in.getKey() + "' needs " + in.getValue().numel() + " floats, the bound array has " + b.array().length);
                }
            }
            for (Buffer buf : s.buffers()) {
                if (buf.kind() != Buffer.Kind.PARAM && buf.kind() != Buffer.Kind.STATE) continue;
                TaskGraph.Binding b = find(toDevice, buf.name());
                if (b == null) problems.add("task " + t.name() + ": " + buf.kind().name().toLowerCase(java.util.Locale.ROOT) + " '" + buf.name() + "' is not bound (transferToDevice)");
                else if (b.array().length < buf.size()) {
                    problems.add("task " + t.name() + ": '" + buf.name() + "' needs " + buf.size() + " floats, the bound array has " + b.array().length);
                } else if (b.mode() == DataTransferMode.UNDER_DEMAND) {
                    problems.add("'" + buf.name() + "': UNDER_DEMAND is a device-to-host mode; bind parameters with FIRST_EXECUTION");
                }
            }
        }
        for (TaskGraph.Binding b : toHost) {
            if (!known.contains(b.name())) problems.add("transferToHost: no task has a buffer '" + b.name() + "'");
            for (TaskGraph.Task t : tasks) {
                BufferRef r = t.schedule().outputs().get(b.name());
                if (r != null && r.numel() != b.array().length) {
                    problems.add("transferToHost: '" + b.name() + "' has " + r.numel() + " floats, the bound array has " + b.array().length);
                }
            }
        }
        for (TaskGraph.Binding b : toDevice) if (!known.contains(b.name())) problems.add("transferToDevice: no task has a buffer '" + b.name() + "'");
        if (!problems.isEmpty()) throw new IllegalArgumentException("task graph " + name + ": " + String.join("; ", problems));
        return new ImmutableTaskGraph(name, tasks, toDevice, toHost);
    }

    static TaskGraph.Binding find(List<TaskGraph.Binding> bs, String name) {
        for (TaskGraph.Binding b : bs) if (b.name().equals(name)) return b;
        return null;
    }
}
