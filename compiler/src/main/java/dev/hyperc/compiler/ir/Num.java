package dev.hyperc.compiler.ir;

/** Number formatting shared by the IR printer and messages: shortest text that reads back to the same double. */
public final class Num {
    private Num() {}

    public static String format(double v) {
        if (v == 0 && Double.doubleToRawLongBits(v) != 0) return "-0.0"; // (long) -0.0 would lose the sign
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v) + ".0";
        return Double.toString(v);
    }
}
