package dev.hyperc.runtime;

/** Where a {@link Session} runs its compiled steps. */
public enum Backend {
    /** The JVM backend: Vector API kernels on all cores. */
    CPU,
    /** An OpenCL device (the preferred one: a GPU if there is one); fails if OpenCL is unusable. */
    OPENCL,
    /**
     * An OpenCL GPU or accelerator if there is one, else the CPU backend. A CPU-only OpenCL platform (PoCL) is not
     * chosen automatically: it runs on the same cores as the JVM backend, which is faster there (see bench/RESULTS.md).
     */
    AUTO
}
