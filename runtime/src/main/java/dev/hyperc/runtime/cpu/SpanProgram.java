package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.ir.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * One or more fused elementwise kernels over the same elements, as a straight-line program over vectors that
 * {@link SpanCompiler} turns into one loop. Operands are <em>streams</em> (an array read or written at a per-span
 * offset plus the lane index) and <em>scalars</em> (values constant over a span, broadcast before the loop).
 * Instruction i defines value i; stores define nothing. Stores run in program order within each vector of
 * lanes, so a part that reads what an earlier part stored at the same lanes sees the new values, as in a
 * {@link dev.hyperc.compiler.lower.Kernel.FusedGroup}.
 */
record SpanProgram(List<float[]> streams, int scalars, List<Insn> insns) {
    SpanProgram {
        streams = List.copyOf(streams);
        insns = List.copyOf(insns);
    }

    sealed interface Insn {}

    record Load(int stream) implements Insn {}

    record Scalar(int slot) implements Insn {}

    record Un(Op.UnaryFn fn, int x) implements Insn {}

    record Leaky(float alpha, int x) implements Insn {}

    record Bin(Op.BinaryFn fn, int a, int b) implements Insn {}

    /** c != 0 ? a : b */
    record Sel(int c, int a, int b) implements Insn {}

    record Store(int stream, int value) implements Insn {}

    /** Unary operators with an exactly rounded vector form (the transcendentals are left to the interpreter). */
    static boolean vectorizes(Op.UnaryFn fn) {
        return switch (fn) {
            case NEG, SQRT, RSQRT, RELU, ABS, SQUARE, RECIP, STEP -> true;
            case EXP, LOG, TANH, SIGMOID -> false;
        };
    }

    static boolean vectorizes(Op.BinaryFn fn) { return fn != Op.BinaryFn.POW; }

    static final class Builder {
        private final List<float[]> streams = new ArrayList<>();
        private final List<Insn> insns = new ArrayList<>();
        private int scalars;

        int stream(float[] array) {
            streams.add(array);
            return streams.size() - 1;
        }

        int scalarSlot() { return scalars++; }

        int add(Insn i) {
            insns.add(i);
            return insns.size() - 1;
        }

        SpanProgram build() { return new SpanProgram(streams, scalars, insns); }
    }
}
