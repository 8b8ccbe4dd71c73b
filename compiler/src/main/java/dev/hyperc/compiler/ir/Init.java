package dev.hyperc.compiler.ir;

/**
 * How a parameter is initialised. Fan-in and fan-out are recorded so that the runtime needs no
 * knowledge of which layer made the parameter.
 */
public sealed interface Init {
    enum Distribution {
        UNIFORM, NORMAL;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    record Zeros() implements Init {
        @Override public String toString() { return "zeros"; }
    }

    record Ones() implements Init {
        @Override public String toString() { return "ones"; }
    }

    /** uniform(a, b) or normal(mean a, std b). */
    record Random(Distribution distribution, double a, double b) implements Init {
        @Override public String toString() { return distribution.text() + "(" + Num.format(a) + ", " + Num.format(b) + ")"; }
    }

    /** Glorot/Xavier uniform: U(±sqrt(6 / (fan_in + fan_out))). */
    record Glorot(long fanIn, long fanOut) implements Init {
        @Override public String toString() { return "glorot(" + fanIn + ", " + fanOut + ")"; }
    }

    /** He/Kaiming normal: N(0, sqrt(2 / fan_in)). */
    record He(long fanIn) implements Init {
        @Override public String toString() { return "he(" + fanIn + ")"; }
    }

    /**
     * Hypernetwork-aware init of a generator's output head (after hypnettorch's "hyperfan-in"): the head's
     * weights are scaled so that the generated target weights start with the variance He init would give
     * them. {@code targetFanIn} is the fan-in of the target layer whose weights this head produces,
     * {@code headFanIn} the head's own input size.
     */
    record HyperFan(long headFanIn, long targetFanIn) implements Init {
        @Override public String toString() { return "hyperfan(" + headFanIn + ", " + targetFanIn + ")"; }
    }
}
