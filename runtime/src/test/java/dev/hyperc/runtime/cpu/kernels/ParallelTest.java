package dev.hyperc.runtime.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void chunksAreContiguousEqualAndFixed() {
        try (Parallel par = new Parallel(3)) {
            for (int n : new int[] {1, 2, 3, 10, 1000}) {
                int[] owner = new int[n];
                int[][] bounds = new int[3][];
                par.forChunks(n, (c, s, e) -> {
                    bounds[c] = new int[] {s, e};
                    for (int i = s; i < e; i++) owner[i] += c + 1;
                });
                for (int t = 0; t < 3; t++) {
                    int s = Parallel.chunkStart(n, 3, t), e = Parallel.chunkStart(n, 3, t + 1);
                    if (s < e) assertArrayEquals(new int[] {s, e}, bounds[t], "chunk " + t + " of " + n);
                    for (int i = s; i < e; i++) assertEquals(t + 1, owner[i], "each index once, by its chunk");
                    assertTrue(e - s == n / 3 || e - s == n / 3 + 1, "sizes differ by at most one");
                }
            }
        }
    }

    @Test
    void nestedLoopsRunInlineAndManyLoopsComplete() {
        AtomicInteger sum = new AtomicInteger();
        try (Parallel par = new Parallel(2)) {
            for (int rep = 0; rep < 10_000; rep++) {
                par.forRange(4, (s, e) -> par.forRange(3, (s2, e2) -> sum.addAndGet((e - s) * (e2 - s2))));
            }
        }
        assertEquals(10_000 * 12, sum.get());
    }

    @Test
    void anExceptionInAWorkerReachesTheCaller() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(10, (s, t) -> {
                if (s > 0) throw new IllegalStateException("chunk " + s);
            }));
            assertEquals("chunk 5", e.getMessage());
            AtomicInteger ok = new AtomicInteger();
            par.forRange(10, (s, e2) -> ok.addAndGet(e2 - s)); // the pool still works
            assertEquals(10, ok.get());
        }
    }
}
