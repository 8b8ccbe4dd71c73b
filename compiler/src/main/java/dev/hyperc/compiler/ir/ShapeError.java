package dev.hyperc.compiler.ir;

/** A shape rule was violated. The front end turns it into a located diagnostic; inside the compiler it is a bug. */
public final class ShapeError extends RuntimeException {
    public ShapeError(String message) {
        super(message);
    }
}
