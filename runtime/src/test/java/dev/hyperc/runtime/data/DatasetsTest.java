package dev.hyperc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.compiler.ir.DType;
import dev.hyperc.runtime.HostTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;

    static TrainConfig.Dataset spec(String name, Object... kv) {
        Map<String, Object> args = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) args.put((String) kv[i], kv[i + 1]);
        return new TrainConfig.Dataset(name, args);
    }

    static byte pix(int example, int i) { return (byte) ((example * 29 + i * 3) & 0xff); }

    /** Writes a tiny MNIST-like dataset: train images named train-*, test t10k-* or test-*. */
    static void writeImages(Path dir, int train, int test, boolean gz, String testPrefix) {
        for (boolean isTrain : new boolean[] {true, false}) {
            int n = isTrain ? train : test;
            int base = isTrain ? 0 : 1000;
            byte[] px = new byte[n * 784], lab = new byte[n];
            for (int e = 0; e < n; e++) {
                for (int i = 0; i < 784; i++) px[e * 784 + i] = pix(base + e, i);
                lab[e] = (byte) ((base + e) % 10);
            }
            String prefix = isTrain ? "train" : testPrefix, sfx = gz ? ".gz" : "";
            IdxWriter.write(dir.resolve(prefix + "-images-idx3-ubyte" + sfx), new int[] {n, 28, 28}, px, gz);
            IdxWriter.write(dir.resolve(prefix + "-labels-idx1-ubyte" + sfx), new int[] {n}, lab, gz);
        }
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    // ---- mnist / fashion_mnist -----------------------------------------------------------

    @Test
    void mnistSelectsTheFirstNAndFillsBothImageShapes() {
        writeImages(dir.resolve("mnist"), 12, 6, false, "test");
        Dataset d = Datasets.open(spec("mnist", "task", 0L, "train", 8L, "test", 5L), dir);
        assertEquals("mnist", d.name());
        assertEquals(0, d.task());
        assertEquals(8, d.train().size());
        assertEquals(5, d.test().size());
        assertEquals("mnist (task 0): 8 train, 5 test", d.describe());
        assertEquals(List.of("x", "y", "task"), d.train().fields().stream().map(Field::name).toList());
        Field x = d.train().field("x");
        assertEquals(DType.F32, x.dtype());
        assertArrayEquals(new int[] {1, 28, 28}, x.shape());
        assertArrayEquals(new int[0], d.train().field("y").shape());
        assertTrue(d.train().field("task").constant());
        assertEquals(Map.of("x", "x", "y", "y", "task", "task"), d.bindings());

        int[] idx = {7, 0, 3};
        HostTensor nchw = HostTensor.zerosF32(3, 1, 28, 28);
        HostTensor flat = HostTensor.zerosF32(3, 784);
        HostTensor y = HostTensor.i32(new int[] {3}, new int[3]);
        HostTensor taskScalar = HostTensor.i32(new int[0], new int[] {-1});
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("x", nchw);
        out.put("y", y);
        out.put("task", taskScalar);
        d.train().fill(idx, out);
        d.train().fill(idx, "x", flat, 0);
        assertArrayEquals(nchw.f32(), flat.f32());
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < 784; i += 97) assertEquals((pix(idx[b], i) & 0xff) / 255f, flat.f32()[b * 784 + i]);
        }
        assertArrayEquals(new int[] {7, 0, 3}, y.i32());
        assertEquals(0, taskScalar.i32()[0]);
        HostTensor taskVec = d.test().batch("task", new int[] {4, 4});
        assertArrayEquals(new int[] {0, 0}, taskVec.i32());
        // Test examples come from the test file, first ones first.
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, d.test().batch("y", range(5)).i32());
        float max = 0, min = 1;
        for (float v : d.test().batch("x", range(5)).f32()) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        assertTrue(min >= 0 && max <= 1 && max > 0.9f);
        assertThrows(IndexOutOfBoundsException.class, () -> d.train().batch("y", new int[] {8}));
    }

    @Test
    void fashionMnistReadsOriginalGzipNamesAndDefaultsToAll() {
        writeImages(dir.resolve("fashion_mnist"), 9, 4, true, "t10k");
        Dataset d = Datasets.open(spec("fashion_mnist", "task", 1L, "x", "x", "y", "y"), dir);
        assertEquals(9, d.train().size());
        assertEquals(4, d.test().size());
        assertArrayEquals(new int[] {1, 1, 1}, d.train().batch("task", new int[] {0, 1, 2}).i32());
        assertArrayEquals(new int[] {0, 1, 2, 3}, d.test().batch("y", range(4)).i32());
    }

    @Test
    void bindingsRenameFields() {
        writeImages(dir.resolve("mnist"), 3, 3, false, "test");
        Dataset d = Datasets.open(spec("mnist", "x", "img", "y", "label"), dir);
        assertEquals(Map.of("x", "img", "y", "label"), d.bindings());
        assertEquals(-1, d.task());
        assertEquals(List.of("x", "y"), d.train().fields().stream().map(Field::name).toList());
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "x", 3L), dir));
        assertTrue(e.getMessage().contains("x: names the model input that dataset field x feeds"), e.getMessage());
    }

    @Test
    void argumentAndSizeErrors() {
        writeImages(dir.resolve("mnist"), 10, 4, false, "test");
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "trian", 5L), dir));
        assertEquals("mnist: unknown argument 'trian' (known: task, train, test, x, y)", e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "train", 8000L, "test", 2000L), dir));
        assertTrue(e.getMessage().contains("train: 8000 asks for more examples than there are") && e.getMessage().contains("holds 10"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "test", 5L), dir));
        assertTrue(e.getMessage().contains("test: 5") && e.getMessage().contains("holds 4"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "train", 2.5), dir));
        assertTrue(e.getMessage().contains("train: must be a whole number, got 2.5"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "train", 0L), dir));
        assertTrue(e.getMessage().contains("train: must be between 1 and"), e.getMessage());
        assertEquals(6, Datasets.open(spec("mnist", "train", 6.0), dir).train().size());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist", "task", "zero"), dir));
        assertTrue(e.getMessage().contains("task: must be a whole number"), e.getMessage());
    }

    @Test
    void missingAndMismatchedFiles() throws IOException {
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("fashion_mnist"), dir));
        assertTrue(e.getMessage().contains("fashion_mnist: train data not found: no train-images-idx3-ubyte[.gz] in " + dir.resolve("fashion_mnist")), e.getMessage());
        assertTrue(e.getMessage().contains("scripts/fetch-data.sh"), e.getMessage());

        Path m = dir.resolve("mnist");
        writeImages(m, 5, 3, false, "test");
        IdxWriter.write(m.resolve("test-labels-idx1-ubyte"), new int[] {2}, new byte[2], false);
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist"), dir));
        assertTrue(e.getMessage().contains("holds 3 images but") && e.getMessage().contains("holds 2 labels"), e.getMessage());

        IdxWriter.write(m.resolve("test-labels-idx1-ubyte"), new int[] {3}, new byte[] {1, 10, 2}, false);
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist"), dir));
        assertTrue(e.getMessage().contains("label 10 at index 1 is outside 0..9"), e.getMessage());

        Files.delete(m.resolve("test-labels-idx1-ubyte"));
        e = assertThrows(DataError.class, () -> Datasets.open(spec("mnist"), dir));
        assertTrue(e.getMessage().contains("test data not found: no test-labels-idx1-ubyte[.gz]"), e.getMessage());
    }

    @Test
    void shapeAndTypeMismatchesAreDataErrors() {
        writeImages(dir.resolve("mnist"), 4, 2, false, "test");
        Split s = Datasets.open(spec("mnist", "task", 0L), dir).train();
        int[] two = {0, 1};
        DataError e = assertThrows(DataError.class, () -> s.fill(two, "x", HostTensor.zerosF32(2, 100), 0));
        assertTrue(e.getMessage().contains("an example has 784 elements but the input has room for 100"), e.getMessage());
        e = assertThrows(DataError.class, () -> s.fill(two, "x", HostTensor.zerosF32(3, 784), 0));
        assertTrue(e.getMessage().contains("has size 3 but the batch holds 2"), e.getMessage());
        e = assertThrows(DataError.class, () -> s.fill(two, "y", HostTensor.zerosF32(2), 0));
        assertTrue(e.getMessage().contains("element types differ"), e.getMessage());
        e = assertThrows(DataError.class, () -> s.fill(two, "y", HostTensor.i32(new int[0], new int[1]), -1));
        assertTrue(e.getMessage().contains("needs a batch axis"), e.getMessage());
        e = assertThrows(DataError.class, () -> s.fill(two, "z", HostTensor.zerosF32(2), 0));
        assertTrue(e.getMessage().contains("no dataset field 'z' (fields: x, y, task)"), e.getMessage());
        e = assertThrows(DataError.class, () -> s.field("x").check("mnist", "img", DType.F32, new int[] {2, 1, 14, 14}, 0, 2));
        assertTrue(e.getMessage().startsWith("mnist field x (f32[1, 28, 28] per example) cannot feed model input img: f32[2, 1, 14, 14]"), e.getMessage());
    }

    // ---- teacher ---------------------------------------------------------------------------

    @Test
    void teacherIsDeterministicAndSeeded() {
        TrainConfig.Dataset kata = spec("teacher", "inputs", 16L, "hidden", 32L, "outputs", 4L, "train", 256L, "test", 64L, "seed", 11L);
        Dataset a = Datasets.open(kata, dir), b = Datasets.open(kata, dir);
        assertEquals(256, a.train().size());
        assertEquals(64, a.test().size());
        assertArrayEquals(new int[] {16}, a.train().field("x").shape());
        assertArrayEquals(new int[] {4}, a.train().field("y").shape());
        assertEquals(DType.F32, a.train().field("y").dtype());
        int[] all = range(256);
        HostTensor ax = a.train().batch("x", all), ay = a.train().batch("y", all);
        assertEquals(ax, b.train().batch("x", all));
        assertEquals(ay, b.train().batch("y", all));
        assertEquals(a.test().batch("y", range(64)), b.test().batch("y", range(64)));

        // Another seed gives other data; a smaller train set is a prefix; the test set does not
        // depend on the train size.
        Dataset c = Datasets.open(spec("teacher", "inputs", 16L, "outputs", 4L, "train", 256L, "test", 64L, "seed", 12L), dir);
        assertNotEquals(ay, c.train().batch("y", all));
        Dataset small = Datasets.open(spec("teacher", "inputs", 16L, "hidden", 32L, "outputs", 4L, "train", 10L, "test", 64L, "seed", 11L), dir);
        assertEquals(a.train().batch("y", range(10)), small.train().batch("y", range(10)));
        assertEquals(a.test().batch("x", range(64)), small.test().batch("x", range(64)));
        assertFalse(java.util.Arrays.equals(a.train().batch("x", range(64)).f32(), a.test().batch("x", range(64)).f32()));

        // y is a smooth function of x with a useful spread: not constant, bounded by the tanh layer.
        double sum = 0, sq = 0;
        for (float v : ay.f32()) {
            assertTrue(Float.isFinite(v) && Math.abs(v) < 10, "y " + v);
            sum += v;
            sq += v * v;
        }
        double var = sq / ay.numel() - (sum / ay.numel()) * (sum / ay.numel());
        assertTrue(var > 0.05 && var < 5, "variance of y " + var);
        // Same x, same y: the teacher is a function.
        Datasets.Teacher t = new Datasets.Teacher(16, 32, 4, 11);
        double[] y0 = t.apply(ax.f32(), 0);
        for (int o = 0; o < 4; o++) assertEquals((float) y0[o], ay.f32()[o]);
    }

    @Test
    void teacherArguments() {
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("teacher", "outputs", 4L), dir));
        assertTrue(e.getMessage().contains("teacher: the argument inputs: is required"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("teacher", "inputs", 4L, "outputs", 4L, "layers", 2L), dir));
        assertTrue(e.getMessage().contains("unknown argument 'layers'"), e.getMessage());
        Dataset d = Datasets.open(spec("teacher", "inputs", 3L, "outputs", 2L), dir);
        assertEquals(4096, d.train().size());
        assertEquals(1024, d.test().size());
    }

    // ---- text ------------------------------------------------------------------------------

    @Test
    void textMapsPrintableAsciiAndShiftsByOne() throws IOException {
        assertEquals(1, Datasets.textId(' '));
        assertEquals('A' - 31, Datasets.textId('A'));
        assertEquals(95, Datasets.textId('~'));
        assertEquals(0, Datasets.textId('\n'));
        assertEquals(0, Datasets.textId(127));
        assertEquals(0, Datasets.textId(0xC3));
        assertEquals(0, Datasets.textId(31));

        // 41 bytes, seq 4: (41 - 1) / 4 = 10 sequences: 9 train, 1 test.
        String text = "abcd\nefgh ijkl~mnop\tqrstuvwxyzABCDEFGHIJ";
        assertEquals(40, text.length());
        Path f = Files.writeString(dir.resolve("t.txt"), text + "K", StandardCharsets.US_ASCII);
        Dataset d = Datasets.open(spec("text", "file", "t.txt", "seq", 4L), dir, dir);
        assertEquals(9, d.train().size());
        assertEquals(1, d.test().size());
        assertEquals(DType.I32, d.train().field("x").dtype());
        assertArrayEquals(new int[] {4}, d.train().field("x").shape());
        HostTensor x = d.train().batch("x", new int[] {0, 1}), y = d.train().batch("y", new int[] {0, 1});
        assertArrayEquals(ids("abcd\nefg"), x.i32());
        assertArrayEquals(ids("bcd\nefgh"), y.i32());
        assertArrayEquals(ids("GHIJ"), d.test().batch("x", new int[] {0}).i32());
        assertArrayEquals(ids("HIJK"), d.test().batch("y", new int[] {0}).i32());

        // Time-major [seq, n] with the batch on axis 1, as ha_hyperlstm's chars: i32[T, B].
        HostTensor tm = d.train().batch("x", new int[] {0, 1}, new int[] {4, 2}, 1);
        assertArrayEquals(ids("a\n" + "be" + "cf" + "dg"), tm.i32());

        // An absolute path works without a base folder; limits take the first sequences.
        Dataset lim = Datasets.open(spec("text", "file", f.toString(), "seq", 4L, "train", 3L), dir);
        assertEquals(3, lim.train().size());
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("text", "file", f.toString(), "seq", 4L, "test", 2L), dir));
        assertTrue(e.getMessage().contains("test: 2 asks for more examples than there are") && e.getMessage().contains("holds 1"), e.getMessage());
    }

    @Test
    void textErrors() throws IOException {
        DataError e = assertThrows(DataError.class, () -> Datasets.open(spec("text", "seq", 4L), dir));
        assertTrue(e.getMessage().contains("text: the argument file: is required"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("text", "file", "missing.txt", "seq", 4L), dir, dir));
        assertTrue(e.getMessage().contains("missing.txt not found"), e.getMessage());
        Files.writeString(dir.resolve("short.txt"), "hello");
        e = assertThrows(DataError.class, () -> Datasets.open(spec("text", "file", "short.txt", "seq", 4L), dir, dir));
        assertTrue(e.getMessage().contains("has 5 bytes, which make 1 sequence(s)"), e.getMessage());
        e = assertThrows(DataError.class, () -> Datasets.open(spec("text", "file", "short.txt"), dir, dir));
        assertTrue(e.getMessage().contains("the argument seq: is required"), e.getMessage());
    }

    @Test
    void gplTextAsInHaHyperlstm() {
        Path gpl = Path.of("/usr/share/common-licenses/GPL-3");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(gpl), "no " + gpl + " on this machine");
        Dataset d = Datasets.open(spec("text", "file", gpl.toString(), "seq", 32L), dir);
        int total = d.train().size() + d.test().size();
        assertEquals(total / 10, d.test().size());
        assertTrue(d.train().size() > 900, "train " + d.train().size());
        for (int v : d.train().batch("x", range(d.train().size())).i32()) assertTrue(v >= 0 && v < Datasets.TEXT_VOCAB);
    }

    static int[] ids(String s) {
        int[] r = new int[s.length()];
        for (int i = 0; i < r.length; i++) r[i] = Datasets.textId(s.charAt(i));
        return r;
    }
}
