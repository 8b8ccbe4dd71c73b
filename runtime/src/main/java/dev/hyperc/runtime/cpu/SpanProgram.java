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

    /** x, with subnormal lanes set to zeros of their sign: what every stored value goes through ({@link ElementwiseOps#flush}). */
    record Flush(int x) implements Insn {}

    record Store(int stream, int value) implements Insn {}

    /** Unary operators with an exactly rounded vector form (the transcendentals are left to the interpreter). */
    static boolean vectorizes(Op.UnaryFn fn) {
        return switch (fn) {
            case NEG, SQRT, RSQRT, RELU, ABS, SQUARE, RECIP, STEP -> true;
            case EXP, LOG, TANH, SIGMOID -> false;
        };
    }

    static boolean vectorizes(Op.BinaryFn fn) { return fn != Op.BinaryFn.POW; }

    /** A view's identity for forwarding: the same array (by reference), base and strides over the common shape. */
    record View(float[] data, int base, List<Integer> strides, long extentEnd) {
        static View of(Strided s) {
            List<Integer> st = new ArrayList<>();
            for (int x : s.strides()) st.add(x);
            return new View(s.data(), s.base(), st, s.end());
        }

        boolean overlaps(View o) { return data == o.data && base < o.extentEnd && o.base < extentEnd; }
    }

    static final class Builder {
        private final List<float[]> streams = new ArrayList<>();
        private final List<Insn> insns = new ArrayList<>();
        private int scalars;
        /** Values stored earlier in the program, by view: a later load of the same view reuses the value. */
        private final java.util.Map<View, Integer> stored = new java.util.HashMap<>();
        /** Views whose store was left out (dead after the program); a load that overlaps one differently is a conflict. */
        private final List<View> elided = new ArrayList<>();
        private boolean conflict;

        /** The value stored into {@code v} earlier in the program, or -1. */
        int forwarded(View v) {
            Integer i = stored.get(v);
            if (i != null) return i;
            for (View e : elided) if (e.overlaps(v)) conflict = true;
            return -1;
        }

        /** Records that {@code value} is now what {@code v} holds (stored, or elided when {@code elide}). */
        void stored(View v, int value, boolean elide) {
            stored.keySet().removeIf(w -> w.overlaps(v)); // a store invalidates what overlapping views held
            loaded.keySet().removeIf(w -> w.overlaps(v));
            stored.put(v, value);
            if (elide) elided.add(v);
        }

        /**
         * Loads already in the program, by view: a later load of the same view (an optimizer update reads each moment
         * in both branches of its guard) reuses the value. Each extra load would also take a stream, i.e. an array and
         * an offset held in general registers: Adam's three parts had 11 streams over 4 arrays, and the loop ran at
         * 13.4 ms per 26M elements where the same loop with 4 took 8-9.
         */
        private final java.util.Map<View, Integer> loaded = new java.util.HashMap<>();
        /** Streams by view: loads and stores of one view share a stream, whose offset is the same for all of them. */
        private final java.util.Map<View, Integer> streamOf = new java.util.HashMap<>();

        /** The value an earlier load of {@code v} gave, still valid (nothing overlapping stored since), or -1. */
        int loadedValue(View v) {
            Integer i = loaded.get(v);
            return i == null ? -1 : i;
        }

        /** Emits a load of {@code v} through its stream and remembers the value; returns the value. */
        int load(View v) {
            int value = add(new Load(stream(v)));
            loaded.put(v, value);
            return value;
        }

        /** The stream of view {@code v}: one per distinct view. */
        int stream(View v) {
            return streamOf.computeIfAbsent(v, k -> {
                streams.add(k.data());
                return streams.size() - 1;
            });
        }

        void markConflict() { conflict = true; }

        /** Whether a load read memory that an elided store should have written: the program must keep its stores. */
        boolean conflict() { return conflict; }

        int scalarSlot() { return scalars++; }

        int add(Insn i) {
            insns.add(i);
            return insns.size() - 1;
        }

        SpanProgram build() { return new SpanProgram(streams, scalars, insns); }
    }
}
