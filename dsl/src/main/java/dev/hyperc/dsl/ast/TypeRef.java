package dev.hyperc.dsl.ast;

import dev.hyperc.dsl.Span;
import java.util.List;

/** A written tensor type such as {@code f32[B, 1, 28, 28]}. Dimensions may name constants or the batch {@code B}. */
public record TypeRef(String dtype, Span dtypeSpan, List<DimRef> dims, Span span) {
    public sealed interface DimRef {
        Span span();
    }

    public record IntDim(long value, Span span) implements DimRef {}

    public record NamedDim(String name, Span span) implements DimRef {}
}
