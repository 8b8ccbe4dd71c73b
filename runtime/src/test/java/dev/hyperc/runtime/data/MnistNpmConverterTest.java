package dev.hyperc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistNpmConverterTest {
    @TempDir Path dir;

    /** The pixel bytes of image {@code k} of digit {@code d} in the synthetic package. */
    static byte pixel(int d, int k, int i) { return (byte) ((d * 31 + k * 7 + i * 13) % 256); }

    /** Writes src/digits/d.json as the npm package does: pixel / 255 rounded to 3 decimals. */
    static Path fakePackage(Path root, int[] counts) throws IOException {
        Path digits = Files.createDirectories(root.resolve("src/digits"));
        for (int d = 0; d < 10; d++) {
            StringBuilder sb = new StringBuilder("{ \"data\": [");
            for (int k = 0; k < counts[d]; k++) {
                for (int i = 0; i < 784; i++) {
                    if (k + i > 0) sb.append(',');
                    double v = Math.round((pixel(d, k, i) & 0xff) / 255.0 * 1000) / 1000.0;
                    sb.append(v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v));
                }
            }
            Files.writeString(digits.resolve(d + ".json"), sb.append("]}\n"));
        }
        return root;
    }

    @Test
    void testSharesAreProportionalAndExact() {
        int[] real = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
        int[] s = MnistNpmConverter.testShares(real, 2000);
        assertEquals(2000, Arrays.stream(s).sum());
        // floor(n/5) plus one each for the four largest remainders (digits 6, 8, 5, 9).
        assertArrayEquals(new int[] {200, 225, 198, 206, 196, 173, 203, 214, 189, 196}, s);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, MnistNpmConverter.testShares(new int[] {5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, 10));
        assertEquals(0, Arrays.stream(MnistNpmConverter.testShares(real, 0)).sum());
    }

    @Test
    void convertsSyntheticPackageExactlyAndDeterministically() throws IOException {
        int[] counts = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // 75 digits
        Path pkg = fakePackage(dir.resolve("package"), counts);
        Path out = dir.resolve("mnist");
        MnistNpmConverter.Result r = MnistNpmConverter.convert(pkg, out, 15);
        assertEquals(60, r.train().count());
        assertEquals(15, r.test().count());

        // The files load with IdxReader (through the same loader the datasets use).
        IdxFiles.Images tr = IdxFiles.load("mnist", out, true, 10), te = IdxFiles.load("mnist", out, false, 10);
        assertEquals(60, tr.count());
        assertEquals(15, te.count());
        assertEquals(28, tr.rows());
        assertArrayEquals(r.train().images(), tr.pixels());
        assertArrayEquals(r.test().labels(), te.labels());
        int[] testShares = MnistNpmConverter.testShares(counts, 15);
        assertArrayEquals(testShares, te.classCounts(10));
        for (int d = 0; d < 10; d++) assertEquals(counts[d] - testShares[d], tr.classCounts(10)[d]);

        // Every image is an original image, bytes recovered exactly; none is in both splits;
        // train takes each digit's first images, test its last.
        Set<String> seen = new HashSet<>();
        for (IdxFiles.Images s : new IdxFiles.Images[] {tr, te}) {
            for (int e = 0; e < s.count(); e++) {
                int d = s.label(e);
                byte[] img = Arrays.copyOfRange(s.pixels(), e * 784, (e + 1) * 784);
                int k = -1;
                for (int c = 0; c < counts[d] && k < 0; c++) {
                    boolean same = true;
                    for (int i = 0; i < 784 && same; i++) same = img[i] == pixel(d, c, i);
                    if (same) k = c;
                }
                assertTrue(k >= 0, "image " + e + " is not one of digit " + d + "'s images");
                assertTrue(seen.add(d + "/" + k), "image " + d + "/" + k + " appears twice");
                assertEquals(s == te, k >= counts[d] - testShares[d]);
            }
        }
        assertEquals(75, seen.size());

        // Deterministic: a second conversion writes identical files.
        Path again = dir.resolve("again");
        MnistNpmConverter.convert(pkg, again, 15);
        for (String f : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "test-images-idx3-ubyte", "test-labels-idx1-ubyte"}) {
            assertArrayEquals(Files.readAllBytes(out.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
        // Shuffled, not grouped by digit.
        byte[] labels = r.train().labels();
        byte[] sorted = labels.clone();
        Arrays.sort(sorted);
        assertTrue(!Arrays.equals(labels, sorted));
    }

    @Test
    void rejectsDamagedPackages() throws IOException {
        Path pkg = fakePackage(dir.resolve("p"), new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        Path three = pkg.resolve("src/digits/3.json");
        Files.writeString(three, "{\"data\": [0.5004" + ",0".repeat(783) + "]}");
        DataError e = assertThrows(DataError.class, () -> MnistNpmConverter.readPackage(pkg));
        assertTrue(e.getMessage().contains("3.json: value 0.5004 (number 0) is not a pixel/255"), e.getMessage());

        Files.writeString(three, "{\"data\": [0" + ",0".repeat(782) + "]}");
        e = assertThrows(DataError.class, () -> MnistNpmConverter.readPackage(pkg));
        assertTrue(e.getMessage().contains("holds 783 values, not a multiple of 784"), e.getMessage());

        Files.writeString(three, "{\"pixels\": []}");
        e = assertThrows(DataError.class, () -> MnistNpmConverter.readPackage(pkg));
        assertTrue(e.getMessage().contains("expected the key \"data\""), e.getMessage());

        Files.delete(three);
        e = assertThrows(DataError.class, () -> MnistNpmConverter.readPackage(pkg));
        assertTrue(e.getMessage().contains("3.json: not found"), e.getMessage());
    }

    @Test
    void parsesTheDigitsFolderDirectlyAndExactValues() {
        byte[] b = MnistNpmConverter.parseDigitFile("x.json", "{\"data\":[0,1,0.992,0.988,0.004" + ",0".repeat(779) + "]}");
        assertEquals(784, b.length);
        assertEquals(0, b[0]);
        assertEquals(255, b[1] & 0xff);
        assertEquals(253, b[2] & 0xff);
        assertEquals(252, b[3] & 0xff);
        assertEquals(1, b[4] & 0xff);
        // Every byte survives the package's encoding.
        for (int v = 0; v < 256; v++) {
            double enc = Math.round(v / 255.0 * 1000) / 1000.0;
            byte[] one = MnistNpmConverter.parseDigitFile("x", "{\"data\":[" + enc + ",0".repeat(783) + "]}");
            assertEquals(v, one[0] & 0xff);
        }
    }

    @Test
    void dataCheckAcceptsConvertedFilesAndRejectsWrongCounts() throws IOException {
        int[] counts = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
        Path pkg = fakePackage(dir.resolve("package"), counts);
        Path out = dir.resolve("mnist");
        MnistNpmConverter.convert(pkg, out, 10);
        String line = DataCheck.check("mnist", out, true, 10);
        assertTrue(line.contains("mnist train: 10 images 28x28") && line.contains("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"), line);
        DataError e = assertThrows(DataError.class, () -> DataCheck.check("mnist", out, false, 2000));
        assertTrue(e.getMessage().contains("holds 10 test images, expected 2000"), e.getMessage());
    }
}
