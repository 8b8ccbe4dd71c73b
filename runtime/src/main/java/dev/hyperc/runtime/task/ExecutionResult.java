package dev.hyperc.runtime.task;

import java.util.Map;

/**
 * What one {@link ExecutionPlan#execute} did.
 *
 * @param bytesMoved   bytes written to and read from the device by this execution
 * @param kernelMillis mean device milliseconds per kernel and per execution so far (empty without the profiler)
 * @param executions   executions of the plan so far, this one included
 */
public record ExecutionResult(long bytesMoved, Map<String, Double> kernelMillis, long executions) {
    public ExecutionResult {
        kernelMillis = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(kernelMillis));
    }
}
