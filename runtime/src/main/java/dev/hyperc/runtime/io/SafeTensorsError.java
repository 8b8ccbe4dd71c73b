package dev.hyperc.runtime.io;

import java.nio.file.Path;

/** A safetensors file could not be written or read; the message names the file and the problem. */
public final class SafeTensorsError extends RuntimeException {
    private final transient Path file;

    public SafeTensorsError(Path file, String message) { this(file, message, null); }

    public SafeTensorsError(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file concerned, or null for an in-memory buffer. */
    public Path file() { return file; }
}
