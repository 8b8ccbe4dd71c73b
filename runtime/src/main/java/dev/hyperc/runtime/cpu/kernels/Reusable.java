package dev.hyperc.runtime.cpu.kernels;

import java.util.function.Supplier;

/**
 * A per-thread supply of one kind of argument object for parallel calls, so that a kernel call on the hot path
 * allocates no lambda and no arguments: each calling thread gets its cached object back, call after call. A nested
 * call on the same thread (a body that itself multiplies) finds its cached object in use and gets a fresh one.
 *
 * <pre>{@code try (Task t = TASKS.acquire()) { t.m = m; ...; par.forChunks(chunks, t); } }</pre>
 */
final class Reusable<T extends Reusable.Args> {
    /** The arguments of one call; closing it frees it for the next call and drops its references to the caller's arrays. */
    abstract static class Args implements AutoCloseable {
        boolean busy;

        /** Drops the references the call set, so that a cached object keeps no caller's array alive. */
        abstract void clear();

        @Override
        public final void close() {
            clear();
            busy = false;
        }
    }

    private final Supplier<T> make;
    private final ThreadLocal<T> cache;

    Reusable(Supplier<T> make) {
        this.make = make;
        this.cache = ThreadLocal.withInitial(make);
    }

    /** This thread's cached object, or a fresh one if that is in use further up the stack. */
    T acquire() {
        T t = cache.get();
        if (t.busy) t = make.get();
        t.busy = true;
        return t;
    }
}
