package dev.hyperc.compiler.autodiff;

import dev.hyperc.compiler.ir.Origin;

/**
 * A gradient that cannot be formed: the loss is not a scalar, a name is not a parameter, or the path
 * from a parameter to the loss runs through an op with no derivative. Names the op and the source line.
 */
public final class GradientError extends RuntimeException {
    private final Origin origin;

    public GradientError(String message, Origin origin) {
        super(message);
        this.origin = origin;
    }

    public Origin origin() { return origin; }
}
