package dev.hyperc.runtime.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The device the OpenCL tests run on. Without a platform they are skipped with the reason, except under CI
 * ({@code CI=true}), where a missing platform is a failure: CI installs PoCL and must run them for real.
 */
final class OpenClTestSupport {
    private OpenClTestSupport() {}

    static Cl.Device device() {
        Cl.Result<Cl.Device> d = Cl.preferredDevice();
        if (d.value().isPresent()) return d.value().get();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail("CI=true but OpenCL is unusable: " + d.reason());
        Assumptions.abort("OpenCL tests skipped: " + d.reason());
        throw new AssertionError("unreachable");
    }
}
