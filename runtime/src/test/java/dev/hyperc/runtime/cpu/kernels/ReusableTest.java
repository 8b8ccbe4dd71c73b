package dev.hyperc.runtime.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ReusableTest {
    static final class Args extends Reusable.Args {
        float[] data;

        @Override
        void clear() {
            data = null;
        }
    }

    @Test
    void aThreadGetsItsObjectBackAndANestedCallAFreshOne() {
        Reusable<Args> pool = new Reusable<>(Args::new);
        Args first;
        try (Args outer = pool.acquire()) {
            first = outer;
            outer.data = new float[1];
            try (Args inner = pool.acquire()) {
                assertNotSame(outer, inner, "a nested call must not share the arguments in use further up the stack");
            }
        }
        assertNull(first.data, "closing drops the caller's arrays");
        try (Args again = pool.acquire()) {
            assertSame(first, again, "the next call on the thread reuses the cached object");
        }
    }

    @Test
    void otherThreadsHaveTheirOwn() throws InterruptedException {
        Reusable<Args> pool = new Reusable<>(Args::new);
        Args mine = pool.acquire();
        Args[] theirs = new Args[1];
        Thread t = new Thread(() -> { try (Args a = pool.acquire()) { theirs[0] = a; } });
        t.start();
        t.join();
        assertNotSame(mine, theirs[0]);
        mine.close();
    }
}
