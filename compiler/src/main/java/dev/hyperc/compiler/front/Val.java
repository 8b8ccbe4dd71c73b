package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Value;
import java.util.List;

/** What an expression evaluates to while a model is being lowered: IR values and compile-time data. */
sealed interface Val {
    record Tensor(Value value) implements Val {}

    record Int(long value) implements Val {}

    record Real(double value) implements Val {}

    record Str(String value) implements Val {}

    /** Tuples and lists: {@code (784, 128)}, {@code [256, 256]}, the result of {@code split}. */
    record Seq(List<Val> items) implements Val {}

    /** A function named but not called, such as {@code relu} passed as an activation. */
    record Fn(String name) implements Val {}

    /** A target network, applied like a function. */
    record TargetFn(TargetDef target) implements Val {}

    /** The result of an expression that already produced an error; using it produces no further errors. */
    record Poison() implements Val {}

    static String describe(Val v) {
        return switch (v) {
            case Tensor t -> "a tensor " + t.value().type();
            case Int i -> "the integer " + i.value();
            case Real r -> "the number " + r.value();
            case Str s -> "the string \"" + s.value() + "\"";
            case Seq s -> "a list of " + s.items().size();
            case Fn f -> "the function " + f.name();
            case TargetFn t -> "the target network " + t.target().name();
            case Poison p -> "an invalid value";
        };
    }
}
