package dev.hyperc.dsl.ast;

import dev.hyperc.dsl.Span;
import java.util.List;

/** A top-level declaration. Every declaration binds at least one name except {@code output} and {@code train}. */
public sealed interface Decl {
    Span span();

    /** {@code const N = expr}: a compile-time integer or float. */
    record Const(String name, Span nameSpan, Expr value, Span span) implements Decl {}

    /** {@code input x: f32[B, 784]}: a data tensor fed per step; {@code i32} inputs carry ids or labels. */
    record Input(String name, Span nameSpan, TypeRef type, Span span) implements Decl {}

    /** {@code noise z: f32[S, 300] ~ uniform(-1, 1)}: freshly sampled at every step. */
    record Noise(String name, Span nameSpan, TypeRef type, Expr.Call distribution, Span span) implements Decl {}

    /** {@code param e: f32[4, 64] init normal(0, 0.01)}: a learned free tensor. {@code init} may be null. */
    record Param(String name, Span nameSpan, TypeRef type, Expr.Call init, Span span) implements Decl {}

    /**
     * {@code target net(x: f32[16]) = x |> dense(32, relu) |> dense(4)}: a network whose parameters
     * are not learned but bound at each application, from a generated flat vector.
     * The argument type is the shape of one example; leading dimensions are added where it is applied.
     * {@code packing} is null or the word after {@code packed} ({@code per_filter}, {@code contiguous}).
     */
    record Target(String name, Span nameSpan, String argName, TypeRef argType, String packing, Span packingSpan, Expr body, Span span)
            implements Decl {}

    /** {@code let a = expr} or {@code let (a, b) = expr}. */
    record Let(List<String> names, List<Span> nameSpans, Expr value, Span span) implements Decl {}

    /** {@code output logits, probs}: the values that inference returns. */
    record Output(List<String> names, List<Span> nameSpans, Span span) implements Decl {}

    /** {@code train { key = value ... }}. */
    record Train(List<Setting> settings, Span span) implements Decl {}

    record Setting(String key, Span keySpan, Expr value, Span span) {}
}
