package dev.hyperc.runtime.opencl;

/** An OpenCL call failed: the function, the numeric code and its symbolic name, and what the runtime was doing. */
public final class OpenClError extends RuntimeException {
    public final String function;
    public final int code;

    public OpenClError(String function, int code, String detail) {
        super(function + " failed with " + Cl.errorName(code) + " (" + code + ")" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.function = function;
        this.code = code;
    }

    /** A failure that is not an OpenCL status code (missing library, no platform). */
    public OpenClError(String message) {
        super(message);
        this.function = "";
        this.code = 0;
    }

    public String symbol() { return Cl.errorName(code); }
}
