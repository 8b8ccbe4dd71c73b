package dev.hyperc.runtime.cli;

/** A bad command line: the launcher prints the message and a hint, and exits with status 2. */
final class UsageError extends Exception {
    UsageError(String message) {
        super(message, null, false, false);
    }
}
