package dev.hyperc.runtime.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and loads the four IDX files of an MNIST-like dataset in one folder, and checks that they
 * agree. Both naming conventions are accepted, raw or gzip-compressed:
 * {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]} and, for the test
 * split, {@code test-...} (what {@code scripts/fetch-data.sh} writes for MNIST) or {@code t10k-...}
 * (the original names, kept for FashionMNIST).
 */
public final class IdxFiles {
    private IdxFiles() {}

    /** Images (count x rows x cols, unsigned bytes) and their labels, checked to agree. */
    public record Images(Path imageFile, Path labelFile, int count, int rows, int cols, byte[] pixels, byte[] labels) {
        public int label(int i) { return labels[i] & 0xff; }

        /** How many examples carry each label from 0 to {@code classes - 1}. */
        public int[] classCounts(int classes) {
            int[] c = new int[classes];
            for (byte l : labels) c[l & 0xff]++;
            return c;
        }
    }

    /** Where a split's image file lives: the first candidate that exists, or {@code null}. */
    public static Path find(Path dir, boolean train, String kind) {
        for (Path p : candidates(dir, train, kind)) if (Files.isRegularFile(p)) return p;
        return null;
    }

    static List<Path> candidates(Path dir, boolean train, String kind) {
        String suffix = kind.equals("images") ? "-images-idx3-ubyte" : "-labels-idx1-ubyte";
        List<Path> out = new ArrayList<>();
        for (String prefix : train ? List.of("train") : List.of("test", "t10k")) {
            out.add(dir.resolve(prefix + suffix));
            out.add(dir.resolve(prefix + suffix + ".gz"));
        }
        return out;
    }

    /**
     * Loads one split from {@code dir}: images and labels, with labels checked to lie in
     * {@code 0..classes-1} and the counts checked to agree.
     *
     * @param what the dataset's name for messages, e.g. {@code "mnist"}
     */
    public static Images load(String what, Path dir, boolean train, int classes) {
        Path img = find(dir, train, "images"), lab = find(dir, train, "labels");
        String split = train ? "train" : "test";
        if (img == null || lab == null) {
            String missing = img == null ? candidates(dir, train, "images").get(0).getFileName() + "[.gz]"
                    : candidates(dir, train, "labels").get(0).getFileName() + "[.gz]";
            String hint = Files.isDirectory(dir) ? "" : " (the folder does not exist)";
            throw new DataError(what + ": " + split + " data not found: no " + missing + " in " + dir + hint + ". " + DataError.FETCH_HINT);
        }
        IdxReader.Idx images = IdxReader.readImages(img);
        IdxReader.Idx labels = IdxReader.readLabels(lab);
        if (images.count() != labels.count()) {
            throw new DataError(what + ": " + img + " holds " + images.count() + " images but " + lab + " holds "
                    + labels.count() + " labels; the files do not belong together. " + DataError.FETCH_HINT);
        }
        byte[] l = labels.data();
        for (int i = 0; i < l.length; i++) {
            if ((l[i] & 0xff) >= classes) {
                throw new DataError(lab + ": label " + (l[i] & 0xff) + " at index " + i + " is outside 0.." + (classes - 1)
                        + "; the file is damaged or not a " + what + " label file. " + DataError.FETCH_HINT);
            }
        }
        int[] d = images.dims();
        return new Images(img, lab, d[0], d[1], d[2], images.data(), l);
    }
}
