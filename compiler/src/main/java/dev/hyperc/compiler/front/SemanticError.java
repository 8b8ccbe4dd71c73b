package dev.hyperc.compiler.front;

import dev.hyperc.dsl.Span;

/**
 * A mistake in the user's model. Thrown to abandon the current declaration; the lowering catches it
 * at the declaration, reports it, binds the declared names to poison and carries on with the next
 * declaration, so independent mistakes are all reported in one run.
 */
final class SemanticError extends RuntimeException {
    final Span span;

    SemanticError(Span span, String message) {
        super(message, null, false, false);
        this.span = span;
    }
}
