package dev.hyperc.runtime.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code DataCheck NAME DIR TRAIN TEST}: loads an MNIST-like dataset's four IDX files from
 * {@code DIR} with {@link IdxReader} and checks that they hold exactly {@code TRAIN} and
 * {@code TEST} 28x28 images with labels 0..9. Prints the counts per class; exit code 1 with the
 * reason when a check fails, 2 on bad usage. Run by {@code scripts/fetch-data.sh} after fetching.
 */
public final class DataCheck {
    private DataCheck() {}

    /** Checks one split; returns a one-line summary or throws {@link DataError}. */
    public static String check(String name, Path dir, boolean train, int expected) {
        IdxFiles.Images s = IdxFiles.load(name, dir, train, 10);
        String split = train ? "train" : "test";
        if (s.count() != expected) {
            throw new DataError(name + ": " + s.imageFile() + " holds " + s.count() + " " + split + " images, expected " + expected + ". " + DataError.FETCH_HINT);
        }
        if (s.rows() != 28 || s.cols() != 28) {
            throw new DataError(name + ": " + s.imageFile() + " holds " + s.rows() + "x" + s.cols() + " images, expected 28x28. " + DataError.FETCH_HINT);
        }
        int[] counts = s.classCounts(10);
        for (int c = 0; c < 10; c++) {
            if (counts[c] == 0) throw new DataError(name + ": " + s.labelFile() + " has no example of class " + c + ". " + DataError.FETCH_HINT);
        }
        long sum = 0;
        for (byte p : s.pixels()) sum += p & 0xff;
        return String.format("%s %s: %d images 28x28, labels 0..9 per class %s, mean pixel %.4f (%s, %s)", name, split, s.count(),
                Arrays.toString(counts), sum / 255.0 / s.pixels().length, s.imageFile().getFileName(), s.labelFile().getFileName());
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: DataCheck NAME DIR TRAIN TEST");
            System.exit(2);
        }
        try {
            Path dir = Path.of(args[1]);
            System.out.println(check(args[0], dir, true, Integer.parseInt(args[2])));
            System.out.println(check(args[0], dir, false, Integer.parseInt(args[3])));
        } catch (DataError e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
