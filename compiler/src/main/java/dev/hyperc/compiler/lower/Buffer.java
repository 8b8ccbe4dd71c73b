package dev.hyperc.compiler.lower;

/**
 * A buffer of f32 elements (i32 values are stored as exactly representable f32s, |v| < 2^24).
 * Persistent buffers (parameters, state, inputs, outputs that are read back) live across steps;
 * temporaries are placed in one arena by the memory plan ({@code arenaOffset}).
 */
public record Buffer(int id, long size, Kind kind, String name, long arenaOffset) {
    public enum Kind {
        /** A learned parameter, updated in place by the optimizer step. */
        PARAM,
        /** Non-learned state: optimizer moments, batch-norm statistics, the step counter. */
        STATE,
        /** Data fed each step. */
        INPUT,
        /** A filled constant, written once when the plan is built. */
        CONST,
        /** A temporary in the arena. */
        TEMP;

        public boolean persistent() { return this == PARAM || this == STATE; }
    }

    public Buffer withArenaOffset(long off) { return new Buffer(id, size, kind, name, off); }
}
