package dev.hyperc.compiler.front;

/** Raised when an expression uses an already-reported bad value: abandon quietly, without a second message. */
final class PoisonedError extends RuntimeException {
    PoisonedError() {
        super(null, null, false, false);
    }
}
