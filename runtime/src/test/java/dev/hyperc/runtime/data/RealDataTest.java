package dev.hyperc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.front.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Checks the real MNIST and FashionMNIST files that {@code scripts/fetch-data.sh} writes: the splits the
 * launcher trains on. {@code ./run-tests} fetches them first. Under CI ({@code CI=true}) missing data fails
 * this test; elsewhere (a bare {@code mvn test} on a machine without the data) it is skipped, and says so.
 */
class RealDataTest {
    private static void skip(String why) {
        System.out.println("RealDataTest skipped: " + why);
        Assumptions.abort(why);
    }

    @Test
    void fetchedDataLoads() {
        Path data = Datasets.defaultDataDir();
        if (!Files.isRegularFile(data.resolve("mnist/train-images-idx3-ubyte"))
                || !Files.isRegularFile(data.resolve("fashion_mnist/train-images-idx3-ubyte.gz"))) {
            String why = "no fetched data under " + data.toAbsolutePath() + "; run scripts/fetch-data.sh (./run-tests does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) org.junit.jupiter.api.Assertions.fail("CI=true: " + why);
            skip(why + " to enable this test");
        }

        Dataset mnist = Datasets.open(new TrainConfig.Dataset("mnist", Map.of("task", 0L, "train", 8000L, "test", 2000L)), data);
        assertEquals(8000, mnist.train().size());
        assertEquals(2000, mnist.test().size());
        int[] counts = classCounts(mnist.train(), 8000);
        for (int c : counts) assertTrue(c > 650 && c < 950, "mnist train per class " + java.util.Arrays.toString(counts));
        // The converter's split keeps every prefix roughly balanced: the first 1000 see every digit.
        for (int c : classCounts(mnist.train(), 1000)) assertTrue(c > 50, "first 1000 per class");
        assertArrayEquals(new int[] {200, 225, 198, 206, 196, 173, 203, 214, 189, 196}, classCounts(mnist.test(), 2000));

        Map<String, Object> args = new LinkedHashMap<>();
        args.put("task", 1L);
        Dataset fashion = Datasets.open(new TrainConfig.Dataset("fashion_mnist", args), data);
        assertEquals(60000, fashion.train().size());
        assertEquals(10000, fashion.test().size());
        for (int c : classCounts(fashion.train(), 60000)) assertEquals(6000, c);
        for (int c : classCounts(fashion.test(), 10000)) assertEquals(1000, c);
    }

    private static int[] classCounts(Split s, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        int[] c = new int[10];
        for (int l : s.batch("y", idx).i32()) c[l]++;
        return c;
    }
}
