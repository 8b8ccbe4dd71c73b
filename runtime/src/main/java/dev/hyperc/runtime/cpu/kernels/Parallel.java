package dev.hyperc.runtime.cpu.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed-size pool of daemon worker threads that runs one data-parallel loop at a time.
 *
 * <p>{@link #forRange} splits {@code [0, n)} into {@code threads} contiguous chunks whose bounds depend only on
 * {@code n} and the thread count ({@code chunk t = [t·n/T, (t+1)·n/T)}), so a kernel whose chunks are computed
 * independently gives bitwise the same result on every run. Chunk 0 runs on the calling thread, which saves a
 * hand-off and lets a 1-thread pool run with no synchronisation at all.
 *
 * <p>Why not an {@code ExecutorService}: a training step issues thousands of small loops (a conv layer of a batch of
 * 32 MNIST images is ~100 µs of work), so the per-loop cost must be a few microseconds. Workers wait on a volatile
 * generation counter (a short spin, then yielding, then parking after {@value #SPIN_NANOS} ns), and a loop
 * allocates nothing.
 *
 * <p>A loop started from inside a running body (nested parallelism), or while another thread is using the pool,
 * runs its chunks one after the other on the calling thread, with the same split, hence the same results.
 */
public final class Parallel implements AutoCloseable {

    /** A loop body over a half-open index range. */
    @FunctionalInterface
    public interface IntRangeBody {
        void run(int start, int end);
    }

    /** A loop body that also receives its chunk number in {@code [0, threads)}, e.g. to pick per-thread scratch. */
    @FunctionalInterface
    public interface ChunkBody {
        void run(int chunk, int start, int end);
    }

    /**
     * How long a waiting thread stays awake (spinning, then yielding) before it parks: longer than the gap between
     * the back-to-back loops of a training step, so a worker is awake when the next loop starts, short enough not
     * to burn a core between steps. Waking a parked thread costs ~50 µs or more on a busy machine.
     */
    private static final long SPIN_NANOS = 100_000;
    /**
     * Busy-wait iterations (~1 µs of PAUSEs) before a waiting thread starts yielding instead. On a machine with more
     * runnable threads than cores the pool's two threads often share one core, and a pure spin keeps the very
     * thread it waits for off that core: a 2-thread empty loop took 56–120 µs with a 50 µs spin, 12.9 µs with 200
     * spins then yields, 3.8 µs with 20 (load average 3.3 on 2 cores).
     */
    private static final int PURE_SPINS = 20;

    private final int threads;
    private final Worker[] workers;
    /** Held while a loop is running; deliberately not reentrant, so that a nested loop on the caller runs inline. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Thread caller;
    // The current job; written before the generation bump, which publishes it.
    private ChunkBody job;
    private IntRangeBody rangeJob;
    private int jobN;
    private volatile Throwable failure;

    /** A pool using every available processor. */
    public Parallel() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A pool of {@code threads} threads in all: the caller plus {@code threads − 1} daemon workers. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].setDaemon(true);
            workers[i].setName("hyperc-cpu-" + (i + 1));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Start of chunk {@code t} of {@code n} split {@code parts} ways. */
    public static int chunkStart(int n, int parts, int t) {
        return (int) ((long) n * t / parts);
    }

    /** Runs {@code body} over {@code [0, n)} split into {@link #threads()} contiguous chunks. */
    public void forRange(int n, IntRangeBody body) {
        start(n, null, body);
    }

    /**
     * Runs {@code body(chunk, start, end)} for each of the {@link #threads()} chunks of {@code [0, n)}; empty chunks
     * are skipped. Returns when all have finished; the first exception thrown by a chunk is rethrown.
     */
    public void forChunks(int n, ChunkBody body) {
        start(n, body, null);
    }

    /** Runs chunk t of the current loop: exactly one of the two bodies is set. */
    private static void runChunk(ChunkBody chunkBody, IntRangeBody rangeBody, int t, int s, int e) {
        if (chunkBody != null) chunkBody.run(t, s, e);
        else rangeBody.run(s, e);
    }

    private void start(int n, ChunkBody body, IntRangeBody rangeBody) {
        if (n <= 0) return;
        if (threads == 1) {
            runChunk(body, rangeBody, 0, 0, n);
            return;
        }
        if (closed) throw new IllegalStateException("Parallel pool is closed");
        Thread me = Thread.currentThread();
        if (n == 1 || me instanceof Worker || !busy.compareAndSet(false, true)) {
            // One element (not worth a hand-off), nested or concurrent use: the same split, run serially here.
            for (int t = 0; t < threads; t++) {
                int s = chunkStart(n, threads, t), e = chunkStart(n, threads, t + 1);
                if (s < e) runChunk(body, rangeBody, t, s, e);
            }
            return;
        }
        try {
            job = body;
            rangeJob = rangeBody;
            jobN = n;
            failure = null;
            caller = me;
            pending.set(workers.length);
            generation++; // publishes job/jobN
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
            Throwable mine = null;
            try {
                int e = chunkStart(n, threads, 1);
                if (e > 0) runChunk(body, rangeBody, 0, 0, e);
            } catch (Throwable t) {
                mine = t;
            }
            long deadline = 0;
            for (int spin = 0; pending.get() != 0; spin++) {
                if (spin < PURE_SPINS) {
                    Thread.onSpinWait();
                } else if (deadline == 0) {
                    deadline = System.nanoTime() + SPIN_NANOS;
                } else if (System.nanoTime() < deadline) {
                    Thread.yield();
                } else {
                    LockSupport.parkNanos(this, 20_000);
                }
            }
            job = null;
            rangeJob = null;
            Throwable f = mine != null ? mine : failure;
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error err) throw err;
            if (f != null) throw new RuntimeException(f);
        } finally {
            busy.set(false);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        private final int index;
        volatile boolean parked;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                long deadline = 0;
                for (int spin = 0; generation == seen && !closed; spin++) {
                    if (spin < PURE_SPINS) {
                        Thread.onSpinWait();
                    } else if (deadline == 0) {
                        deadline = System.nanoTime() + SPIN_NANOS;
                    } else if (System.nanoTime() < deadline) {
                        Thread.yield();
                    } else {
                        parked = true;
                        if (generation == seen && !closed) LockSupport.park(this);
                        parked = false;
                        deadline = 0;
                        spin = 0;
                    }
                }
                if (closed) return;
                seen = generation;
                ChunkBody body = job;
                IntRangeBody rangeBody = rangeJob;
                int n = jobN;
                try {
                    int s = chunkStart(n, threads, index), e = chunkStart(n, threads, index + 1);
                    if (s < e) runChunk(body, rangeBody, index, s, e);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    if (pending.decrementAndGet() == 0) {
                        Thread c = caller;
                        if (c != null) LockSupport.unpark(c);
                    }
                }
            }
        }
    }
}
