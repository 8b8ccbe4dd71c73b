package dev.hyperc.runtime.task;

/** When a host array bound in a {@link TaskGraph} crosses between host and device. */
public enum DataTransferMode {
    /** Host to device once, before the first execution; the device copy is the live one afterwards (parameters, state). */
    FIRST_EXECUTION,
    /** On every execution: a batch going in, a loss or metric coming out. */
    EVERY_EXECUTION,
    /** Device to host only when asked for, with {@link ExecutionPlan#transferToHost} (parameters for a checkpoint). */
    UNDER_DEMAND
}
