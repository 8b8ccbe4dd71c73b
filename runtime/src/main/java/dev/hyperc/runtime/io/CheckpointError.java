package dev.hyperc.runtime.io;

import java.nio.file.Path;

/**
 * A checkpoint could not be written, found, read or used. The message is meant for the user as it stands:
 * it names the file and says what to do.
 */
public final class CheckpointError extends RuntimeException {
    private final transient Path file;

    public CheckpointError(Path file, String message) { this(file, message, null); }

    public CheckpointError(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The checkpoint file concerned. */
    public Path file() { return file; }
}
