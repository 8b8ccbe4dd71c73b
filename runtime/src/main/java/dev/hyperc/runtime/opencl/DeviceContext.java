package dev.hyperc.runtime.opencl;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One OpenCL context and in-order queue on one device, shared by every program that runs there.
 *
 * <p><b>Shared buffers by identity.</b> Host arrays that several programs use (parameters, optimizer state) get one device
 * buffer each, keyed by the identity of the Java array, not by name or contents: the training step and the evaluation of
 * a session both hold the same {@code float[]} for a weight, so both read and write the same device buffer, and nothing
 * is copied between them. The buffer is filled from the host array when first used ({@code FIRST_EXECUTION}); after that
 * the device copy is the live one until {@link #download} ({@code UNDER_DEMAND}) or {@link #upload} (after a restore).
 *
 * <p><b>Transfers.</b> {@link #bytesMoved()} counts every byte written to or read from the device through this context,
 * so a caller can measure what a step costs on the bus.
 *
 * <p>Not thread-safe: one thread drives a context.
 */
public final class DeviceContext implements AutoCloseable {
    /**
     * OpenCL C 1.2, with single-precision subnormals allowed to be flushed to zero, as the CPU backend stores them
     * (see {@code ElementwiseOps.flush}): on a CPU device each operation on a subnormal takes a microcode assist.
     * Measured on PoCL (AMD EPYC Zen 3, 2 cores): multitask_mnist's step 22.9-24.2 -> 19.2 ms.
     */
    static final String BUILD_OPTIONS = "-cl-std=CL1.2 -cl-denorms-are-zero";

    private final Cl cl;
    private final Cl.Device device;
    private final boolean profile;
    final MemorySegment ctx, queue;
    private final Map<float[], Shared> shared = new IdentityHashMap<>();
    private long bytesMoved, bytesAllocated;
    private boolean closed;

    /** A device buffer mirroring one host array; {@code name} is for messages. */
    private record Shared(MemorySegment mem, String name) {}

    public DeviceContext(Cl.Device device, boolean profile) {
        this.cl = Cl.get();
        this.device = device;
        this.profile = profile;
        this.ctx = cl.createContext(device);
        MemorySegment q;
        try {
            q = cl.createQueue(ctx, device, profile);
        } catch (RuntimeException e) {
            cl.releaseContext(ctx);
            throw e;
        }
        this.queue = q;
    }

    public Cl.Device device() { return device; }

    public boolean profiling() { return profile; }

    Cl cl() { return cl; }

    /** Bytes written to and read from the device so far. */
    public long bytesMoved() { return bytesMoved; }

    /** Bytes of device memory this context has allocated so far (shared and private buffers). */
    public long bytesAllocated() { return bytesAllocated; }

    void countTransfer(long bytes) { bytesMoved += bytes; }

    /**
     * A device buffer of {@code bytes}. The request is checked against the device's limits first, so that a model too
     * large for the device fails with the buffer's name and size rather than an allocation status from deep inside a
     * step (PoCL and some GPU drivers allocate lazily and would fail later, or not at all until the first kernel).
     */
    MemorySegment allocate(long bytes, String what) {
        if (bytes > device.maxAlloc()) {
            throw new OpenClError("device buffer " + what + " needs " + mib(bytes) + " but " + device.name() + " allows at most "
                    + mib(device.maxAlloc()) + " per buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE); use a smaller batch or model, or --device cpu");
        }
        if (bytesAllocated + bytes > device.globalMem()) {
            throw new OpenClError("device memory exhausted: buffer " + what + " needs " + mib(bytes) + " with " + mib(bytesAllocated)
                    + " already allocated, but " + device.name() + " has " + mib(device.globalMem())
                    + " (CL_DEVICE_GLOBAL_MEM_SIZE); use a smaller batch or model, or --device cpu");
        }
        MemorySegment m = cl.createBuffer(ctx, bytes, what);
        bytesAllocated += bytes;
        return m;
    }

    static String mib(long bytes) {
        return bytes >= 10L << 20 ? (bytes >> 20) + " MiB" : String.format(java.util.Locale.ROOT, "%.2f MiB (%d bytes)", bytes / 1048576.0, bytes);
    }

    /** The device buffer of a shared host array, created and filled from the array on first use. */
    MemorySegment shared(float[] host, String name) {
        Shared s = shared.get(host);
        if (s == null) {
            s = new Shared(allocate(host.length * 4L, name), name);
            shared.put(host, s);
            write(s.mem(), host);
        }
        return s.mem();
    }

    /** Whether a host array has a device buffer. */
    public boolean isShared(float[] host) { return shared.containsKey(host); }

    /** Copies the device buffer of a shared host array back into the array (blocking). No-op if it has none. */
    public void download(float[] host) {
        Shared s = shared.get(host);
        if (s == null) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(JAVA_FLOAT, Math.max(1, host.length));
            cl.read(queue, s.mem(), true, 0, host.length * 4L, seg);
            MemorySegment.copy(seg, JAVA_FLOAT, 0, host, 0, host.length);
        }
        bytesMoved += host.length * 4L;
    }

    /** Copies every shared host array back from the device. */
    public void downloadAll() {
        for (float[] h : new ArrayList<>(shared.keySet())) download(h);
    }

    /** Copies a shared host array to its device buffer (after the host changed it, e.g. a restored checkpoint). */
    public void upload(float[] host) {
        Shared s = shared.get(host);
        if (s != null) write(s.mem(), host);
    }

    /** Copies every shared host array to the device. */
    public void uploadAll() {
        for (float[] h : new ArrayList<>(shared.keySet())) upload(h);
    }

    private void write(MemorySegment mem, float[] host) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(JAVA_FLOAT, Math.max(1, host.length));
            MemorySegment.copy(host, 0, seg, JAVA_FLOAT, 0, host.length);
            cl.write(queue, mem, true, 0, host.length * 4L, seg);
        }
        bytesMoved += host.length * 4L;
    }

    /** Waits for everything enqueued so far. */
    public void finish() { cl.finish(queue); }

    // ---------------------------------------------------------------- programs

    /** Builds {@code source} for this device, through the on-disk binary cache. */
    MemorySegment build(String source) {
        Path dir = cacheDir();
        String key = sha256(source + "\u0000" + device.name() + "\u0000" + device.driverVersion() + "\u0000" + BUILD_OPTIONS);
        Path file = dir == null ? null : dir.resolve(key + ".bin");
        if (file != null && Files.isRegularFile(file)) {
            try {
                MemorySegment p = cl.buildFromBinary(ctx, device, Files.readAllBytes(file), BUILD_OPTIONS, source);
                if (p != null) return p;
            } catch (IOException ignored) {
                // fall through to a source build
            }
        }
        MemorySegment p = cl.buildFromSource(ctx, device, source, BUILD_OPTIONS);
        if (file != null) {
            try {
                byte[] bin = cl.binary(p);
                if (bin.length > 0) {
                    Files.createDirectories(dir);
                    Path tmp = Files.createTempFile(dir, key, ".tmp");
                    Files.write(tmp, bin);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException | RuntimeException ignored) {
                // the cache is an optimisation only
            }
        }
        return p;
    }

    /** {@code $HYPERC_CL_CACHE}, else {@code ~/.cache/hyperc/opencl}. */
    static Path cacheDir() {
        String env = System.getenv("HYPERC_CL_CACHE");
        if (env != null && !env.isEmpty()) return Path.of(env);
        String home = System.getProperty("user.home");
        return home == null ? null : Path.of(home, ".cache", "hyperc", "opencl");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isClosed() { return closed; }

    /** Releases the shared buffers, the queue and the context. Programs built on it must be closed first. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<Shared> all = new ArrayList<>(shared.values());
        shared.clear();
        for (Shared s : all) cl.releaseMem(s.mem());
        cl.releaseQueue(queue);
        cl.releaseContext(ctx);
    }
}
