package dev.hyperc.runtime.data;

/**
 * A problem with training data that the user can fix: a missing, truncated or mismatched file, a
 * bad dataset argument in the model's {@code train} block, or a model input that does not fit a
 * dataset field. The message is meant to be shown as is: it names the file or argument, says what
 * is wrong and, for data files, how to fetch them.
 */
public final class DataError extends RuntimeException {
    /** The sentence appended to messages about missing or damaged data files. */
    public static final String FETCH_HINT =
            "Run scripts/fetch-data.sh to fetch the data (it replaces damaged files), or set HYPERC_DATA to the folder that holds mnist/ and fashion_mnist/.";

    public DataError(String message) { super(message); }

    public DataError(String message, Throwable cause) { super(message, cause); }
}
