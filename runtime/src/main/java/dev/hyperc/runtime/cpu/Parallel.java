package dev.hyperc.runtime.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fixed pool of worker threads. {@link #forRange} splits [0, n) into equal contiguous chunks, one per
 * thread, the same way every time, so results are deterministic for a given thread count; chunk 0
 * runs on the caller.
 */
public final class Parallel implements AutoCloseable {
    @FunctionalInterface
    public interface RangeBody {
        void run(int thread, int from, int to);
    }

    private final int threads;
    private final Thread[] workers;
    private final LinkedBlockingQueue<Runnable>[] queues;
    private volatile boolean closed;

    @SuppressWarnings("unchecked")
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.queues = new LinkedBlockingQueue[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            LinkedBlockingQueue<Runnable> q = new LinkedBlockingQueue<>();
            queues[i] = q;
            Thread t = new Thread(() -> {
                while (!closed) {
                    try {
                        q.take().run();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "hyperc-cpu-" + (i + 1));
            t.setDaemon(true);
            t.start();
            workers[i] = t;
        }
    }

    public int threads() { return threads; }

    public void forRange(int n, RangeBody body) {
        int parts = Math.min(threads, n);
        if (parts <= 1) {
            body.run(0, 0, n);
            return;
        }
        CountDownLatch done = new CountDownLatch(parts - 1);
        RuntimeException[] failure = new RuntimeException[1];
        for (int p = 1; p < parts; p++) {
            int t = p, from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
            queues[p - 1].add(() -> {
                try {
                    body.run(t, from, to);
                } catch (RuntimeException e) {
                    failure[0] = e;
                } finally {
                    done.countDown();
                }
            });
        }
        body.run(0, 0, (int) ((long) n / parts));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for workers", e);
        }
        if (failure[0] != null) throw failure[0];
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) t.interrupt();
    }
}
