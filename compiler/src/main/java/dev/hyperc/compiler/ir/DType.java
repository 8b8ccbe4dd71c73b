package dev.hyperc.compiler.ir;

import java.util.Locale;

/** Element types. Indices, ids and labels are i32; everything differentiable is f32. */
public enum DType {
    F32, I32;

    public String text() { return name().toLowerCase(Locale.ROOT); }

    public static DType parse(String s) {
        return switch (s) {
            case "f32" -> F32;
            case "i32" -> I32;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (expected f32 or i32)");
        };
    }

    public int bytes() { return 4; }
}
