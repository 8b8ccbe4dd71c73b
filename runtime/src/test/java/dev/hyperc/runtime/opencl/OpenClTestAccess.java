package dev.hyperc.runtime.opencl;

/** {@link OpenClTestSupport} for tests outside this package. */
public final class OpenClTestAccess {
    private OpenClTestAccess() {}

    /** The device, or skips (fails under CI=true) with the reason. */
    public static Cl.Device device() { return OpenClTestSupport.device(); }
}
