package dev.hyperc.runtime.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A minimal binding to the OpenCL 1.2 C API in {@code libOpenCL.so.1} (the ICD loader) through the JDK's
 * Foreign Function &amp; Memory API: no third-party native code. Handles ({@code cl_context}, {@code cl_mem}, ...)
 * are {@link MemorySegment} addresses. Every call that returns a status checks it and throws {@link OpenClError}
 * with the function name and the symbolic code.
 *
 * <p>Use {@link #load()}: it returns empty with a reason when the library or a platform is missing, so callers can
 * fall back to the CPU backend without catching linkage errors.
 */
public final class Cl {
    // ---------------------------------------------------------------- constants (cl.h, OpenCL 1.2)
    public static final long CL_DEVICE_TYPE_CPU = 1 << 1, CL_DEVICE_TYPE_GPU = 1 << 2, CL_DEVICE_TYPE_ACCELERATOR = 1 << 3,
            CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    public static final int CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    public static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023,
            CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F,
            CL_DEVICE_EXTENSIONS = 0x1030;
    public static final long CL_MEM_READ_WRITE = 1;
    public static final long CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    public static final int CL_PROGRAM_NUM_DEVICES = 0x1162, CL_PROGRAM_BINARY_SIZES = 0x1165, CL_PROGRAM_BINARIES = 0x1166;
    public static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    public static final int CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;
    public static final int CL_SUCCESS = 0, CL_MEM_OBJECT_ALLOCATION_FAILURE = -4, CL_OUT_OF_RESOURCES = -5,
            CL_BUILD_PROGRAM_FAILURE = -11, CL_PLATFORM_NOT_FOUND_KHR = -1001;

    private static final String[] ERRORS = new String[70];

    static {
        String[] names = {"CL_SUCCESS", "CL_DEVICE_NOT_FOUND", "CL_DEVICE_NOT_AVAILABLE", "CL_COMPILER_NOT_AVAILABLE",
                "CL_MEM_OBJECT_ALLOCATION_FAILURE", "CL_OUT_OF_RESOURCES", "CL_OUT_OF_HOST_MEMORY", "CL_PROFILING_INFO_NOT_AVAILABLE",
                "CL_MEM_COPY_OVERLAP", "CL_IMAGE_FORMAT_MISMATCH", "CL_IMAGE_FORMAT_NOT_SUPPORTED", "CL_BUILD_PROGRAM_FAILURE",
                "CL_MAP_FAILURE", "CL_MISALIGNED_SUB_BUFFER_OFFSET", "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
                "CL_COMPILE_PROGRAM_FAILURE", "CL_LINKER_NOT_AVAILABLE", "CL_LINK_PROGRAM_FAILURE", "CL_DEVICE_PARTITION_FAILED",
                "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"};
        for (int i = 0; i < names.length; i++) ERRORS[i] = names[i];
        String[] invalid = {"CL_INVALID_VALUE", "CL_INVALID_DEVICE_TYPE", "CL_INVALID_PLATFORM", "CL_INVALID_DEVICE", "CL_INVALID_CONTEXT",
                "CL_INVALID_QUEUE_PROPERTIES", "CL_INVALID_COMMAND_QUEUE", "CL_INVALID_HOST_PTR", "CL_INVALID_MEM_OBJECT",
                "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", "CL_INVALID_IMAGE_SIZE", "CL_INVALID_SAMPLER", "CL_INVALID_BINARY",
                "CL_INVALID_BUILD_OPTIONS", "CL_INVALID_PROGRAM", "CL_INVALID_PROGRAM_EXECUTABLE", "CL_INVALID_KERNEL_NAME",
                "CL_INVALID_KERNEL_DEFINITION", "CL_INVALID_KERNEL", "CL_INVALID_ARG_INDEX", "CL_INVALID_ARG_VALUE",
                "CL_INVALID_ARG_SIZE", "CL_INVALID_KERNEL_ARGS", "CL_INVALID_WORK_DIMENSION", "CL_INVALID_WORK_GROUP_SIZE",
                "CL_INVALID_WORK_ITEM_SIZE", "CL_INVALID_GLOBAL_OFFSET", "CL_INVALID_EVENT_WAIT_LIST", "CL_INVALID_EVENT",
                "CL_INVALID_OPERATION", "CL_INVALID_GL_OBJECT", "CL_INVALID_BUFFER_SIZE", "CL_INVALID_MIP_LEVEL",
                "CL_INVALID_GLOBAL_WORK_SIZE", "CL_INVALID_PROPERTY"};
        for (int i = 0; i < invalid.length; i++) ERRORS[30 + i] = invalid[i];
    }

    /** The symbolic name of an OpenCL status code. */
    public static String errorName(int code) {
        if (code == CL_PLATFORM_NOT_FOUND_KHR) return "CL_PLATFORM_NOT_FOUND_KHR";
        if (code <= 0 && -code < ERRORS.length && ERRORS[-code] != null) return ERRORS[-code];
        return "CL_UNKNOWN_ERROR";
    }

    // ---------------------------------------------------------------- binding

    private final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, createCommandQueue,
            createBuffer, enqueueWriteBuffer, enqueueReadBuffer, enqueueCopyBuffer, enqueueFillBuffer, createProgramWithSource,
            buildProgram, getProgramBuildInfo, getProgramInfo, createProgramWithBinary, createKernel, setKernelArg,
            enqueueNDRangeKernel, finish, getEventProfilingInfo, releaseMemObject, releaseKernel, releaseProgram,
            releaseCommandQueue, releaseContext, releaseEvent;

    private static volatile Object loaded;

    private Cl(SymbolLookup lib) {
        Linker l = Linker.nativeLinker();
        java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> h = (name, fd) -> l.downcallHandle(
                lib.find(name).orElseThrow(() -> new OpenClError("no OpenCL platform: libOpenCL.so.1 lacks " + name)), fd);
        getPlatformIDs = h.apply("clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        getPlatformInfo = h.apply("clGetPlatformInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        getDeviceIDs = h.apply("clGetDeviceIDs", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        getDeviceInfo = h.apply("clGetDeviceInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        createContext = h.apply("clCreateContext", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        createCommandQueue = h.apply("clCreateCommandQueue", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        createBuffer = h.apply("clCreateBuffer", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
        FunctionDescriptor rw = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueWriteBuffer = h.apply("clEnqueueWriteBuffer", rw);
        enqueueReadBuffer = h.apply("clEnqueueReadBuffer", rw);
        enqueueCopyBuffer = h.apply("clEnqueueCopyBuffer",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        enqueueFillBuffer = h.apply("clEnqueueFillBuffer",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        createProgramWithSource = h.apply("clCreateProgramWithSource", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        buildProgram = h.apply("clBuildProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        getProgramBuildInfo = h.apply("clGetProgramBuildInfo",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        getProgramInfo = h.apply("clGetProgramInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        createProgramWithBinary = h.apply("clCreateProgramWithBinary",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        createKernel = h.apply("clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        setKernelArg = h.apply("clSetKernelArg", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
        enqueueNDRangeKernel = h.apply("clEnqueueNDRangeKernel",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        finish = h.apply("clFinish", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getEventProfilingInfo = h.apply("clGetEventProfilingInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        FunctionDescriptor rel = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        releaseMemObject = h.apply("clReleaseMemObject", rel);
        releaseKernel = h.apply("clReleaseKernel", rel);
        releaseProgram = h.apply("clReleaseProgram", rel);
        releaseCommandQueue = h.apply("clReleaseCommandQueue", rel);
        releaseContext = h.apply("clReleaseContext", rel);
        releaseEvent = h.apply("clReleaseEvent", rel);
    }

    /** The binding, or an {@link OpenClError} whose message starts "no OpenCL platform: " when the loader is absent. */
    public static Cl get() {
        Object o = loaded;
        if (o == null) {
            synchronized (Cl.class) {
                o = loaded;
                if (o == null) {
                    try {
                        o = new Cl(SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global()));
                    } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
                        o = new OpenClError("no OpenCL platform: libOpenCL.so.1 could not be loaded (" + e.getMessage() + ")");
                    } catch (OpenClError e) {
                        o = e;
                    } catch (IllegalCallerException e) {
                        o = new OpenClError("no OpenCL platform: native access is disabled; run the JVM with --enable-native-access=ALL-UNNAMED");
                    }
                    loaded = o;
                }
            }
        }
        if (o instanceof OpenClError e) throw new OpenClError(e.getMessage());
        return (Cl) o;
    }

    // ---------------------------------------------------------------- devices

    /** One OpenCL device as discovered. */
    public record Device(MemorySegment platform, MemorySegment id, String platformName, String name, String vendor, String driverVersion,
                         String version, boolean gpu, boolean cpu, int computeUnits, long maxWorkGroupSize, long localMem, long globalMem,
                         long maxAlloc, boolean fp64) {
        @Override
        public String toString() {
            return name + " [" + (gpu ? "GPU" : cpu ? "CPU" : "accelerator") + ", " + platformName + ", driver " + driverVersion + "] "
                    + computeUnits + " compute units, max work-group " + maxWorkGroupSize + ", local " + (localMem >> 10) + " KiB, global "
                    + (globalMem >> 20) + " MiB";
        }
    }

    /** All devices of all platforms; throws an {@link OpenClError} starting "no OpenCL platform: " when there is none. */
    public List<Device> devices() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = (int) getPlatformIDs.invokeExact(0, MemorySegment.NULL, n);
            if (st == CL_PLATFORM_NOT_FOUND_KHR || (st == CL_SUCCESS && n.get(JAVA_INT, 0) == 0)) {
                throw new OpenClError("no OpenCL platform: the ICD loader found none (" + errorName(st) + "); install one, e.g. pocl-opencl-icd");
            }
            check("clGetPlatformIDs", st);
            int np = n.get(JAVA_INT, 0);
            MemorySegment ps = a.allocate(ADDRESS, np);
            check("clGetPlatformIDs", (int) getPlatformIDs.invokeExact(np, ps, n));
            List<Device> out = new ArrayList<>();
            for (int p = 0; p < np; p++) {
                MemorySegment pl = ps.getAtIndex(ADDRESS, p);
                String pname = platformString(pl, CL_PLATFORM_NAME);
                int s2 = (int) getDeviceIDs.invokeExact(pl, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
                if (s2 == -1) continue; // CL_DEVICE_NOT_FOUND
                check("clGetDeviceIDs", s2);
                int nd = n.get(JAVA_INT, 0);
                MemorySegment ds = a.allocate(ADDRESS, Math.max(1, nd));
                check("clGetDeviceIDs", (int) getDeviceIDs.invokeExact(pl, CL_DEVICE_TYPE_ALL, nd, ds, n));
                for (int d = 0; d < nd; d++) {
                    MemorySegment dev = ds.getAtIndex(ADDRESS, d);
                    long type = deviceLong(dev, CL_DEVICE_TYPE);
                    out.add(new Device(pl, dev, pname, deviceString(dev, CL_DEVICE_NAME).trim(), deviceString(dev, CL_DEVICE_VENDOR),
                            deviceString(dev, CL_DRIVER_VERSION), deviceString(dev, CL_DEVICE_VERSION), (type & CL_DEVICE_TYPE_GPU) != 0,
                            (type & CL_DEVICE_TYPE_CPU) != 0, deviceInt(dev, CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceLong(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceLong(dev, CL_DEVICE_LOCAL_MEM_SIZE),
                            deviceLong(dev, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceString(dev, CL_DEVICE_EXTENSIONS).contains("cl_khr_fp64")));
                }
            }
            if (out.isEmpty()) throw new OpenClError("no OpenCL platform: " + np + " platform(s) but no devices");
            return out;
        } catch (OpenClError e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The preferred device: a GPU if any, else the first device. Empty with the reason if OpenCL is unusable. */
    public static Result<Device> preferredDevice() {
        try {
            List<Device> ds = get().devices();
            return Result.of(ds.stream().filter(Device::gpu).findFirst().orElse(ds.get(0)));
        } catch (OpenClError e) {
            return Result.failure(e.getMessage());
        }
    }

    /** A value or the reason there is none. */
    public record Result<T>(Optional<T> value, String reason) {
        static <T> Result<T> of(T v) { return new Result<>(Optional.of(v), ""); }

        static <T> Result<T> failure(String why) { return new Result<>(Optional.empty(), why); }
    }

    private String platformString(MemorySegment pl, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check("clGetPlatformInfo", (int) getPlatformInfo.invokeExact(pl, param, 0L, MemorySegment.NULL, n));
            MemorySegment s = a.allocate(Math.max(1, n.get(JAVA_LONG, 0)));
            check("clGetPlatformInfo", (int) getPlatformInfo.invokeExact(pl, param, s.byteSize(), s, MemorySegment.NULL));
            return s.getString(0);
        }
    }

    private String deviceString(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check("clGetDeviceInfo", (int) getDeviceInfo.invokeExact(dev, param, 0L, MemorySegment.NULL, n));
            MemorySegment s = a.allocate(Math.max(1, n.get(JAVA_LONG, 0)));
            check("clGetDeviceInfo", (int) getDeviceInfo.invokeExact(dev, param, s.byteSize(), s, MemorySegment.NULL));
            return s.getString(0);
        }
    }

    private long deviceLong(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check("clGetDeviceInfo", (int) getDeviceInfo.invokeExact(dev, param, 8L, v, MemorySegment.NULL));
            return v.get(JAVA_LONG, 0);
        }
    }

    private int deviceInt(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("clGetDeviceInfo", (int) getDeviceInfo.invokeExact(dev, param, 4L, v, MemorySegment.NULL));
            return v.get(JAVA_INT, 0);
        }
    }

    // ---------------------------------------------------------------- objects

    public MemorySegment createContext(Device d) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, d.id());
            MemorySegment ctx = (MemorySegment) createContext.invokeExact(MemorySegment.NULL, 1, devs, MemorySegment.NULL, MemorySegment.NULL, err);
            check("clCreateContext", err.get(JAVA_INT, 0));
            return ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment createQueue(MemorySegment ctx, Device d, boolean profiling) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment q = (MemorySegment) createCommandQueue.invokeExact(ctx, d.id(), profiling ? CL_QUEUE_PROFILING_ENABLE : 0L, err);
            check("clCreateCommandQueue", err.get(JAVA_INT, 0));
            return q;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A read-write buffer of {@code bytes}; {@code what} names it in an allocation-failure message. */
    public MemorySegment createBuffer(MemorySegment ctx, long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment m = (MemorySegment) createBuffer.invokeExact(ctx, CL_MEM_READ_WRITE, Math.max(4L, bytes), MemorySegment.NULL, err);
            int st = err.get(JAVA_INT, 0);
            if (st != CL_SUCCESS) {
                throw new OpenClError("clCreateBuffer", st, "device buffer " + what + " of " + bytes + " bytes (" + (bytes >> 20) + " MiB)"
                        + (st == CL_MEM_OBJECT_ALLOCATION_FAILURE || st == CL_OUT_OF_RESOURCES || st == -61 ? " does not fit in device memory" : ""));
            }
            return m;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void write(MemorySegment q, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment host) {
        try {
            check("clEnqueueWriteBuffer", (int) enqueueWriteBuffer.invokeExact(q, mem, blocking ? 1 : 0, offset, bytes, host, 0,
                    MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void read(MemorySegment q, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment host) {
        try {
            check("clEnqueueReadBuffer", (int) enqueueReadBuffer.invokeExact(q, mem, blocking ? 1 : 0, offset, bytes, host, 0,
                    MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void copy(MemorySegment q, MemorySegment src, MemorySegment dst, long srcOff, long dstOff, long bytes) {
        try {
            check("clEnqueueCopyBuffer", (int) enqueueCopyBuffer.invokeExact(q, src, dst, srcOff, dstOff, bytes, 0, MemorySegment.NULL,
                    MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void fill(MemorySegment q, MemorySegment mem, float value, long offset, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pat = a.allocate(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            pat.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, value);
            check("clEnqueueFillBuffer", (int) enqueueFillBuffer.invokeExact(q, mem, pat, 4L, offset, bytes, 0, MemorySegment.NULL,
                    MemorySegment.NULL));
            // The pattern is copied at enqueue time (OpenCL 1.2 §5.2.2), so freeing it here is safe.
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Compiles {@code source}; a build failure throws with the build log and the numbered source. */
    public MemorySegment buildFromSource(MemorySegment ctx, Device d, String source, String options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment src = a.allocateFrom(source);
            MemorySegment strs = a.allocate(ADDRESS);
            strs.set(ADDRESS, 0, src);
            MemorySegment prog = (MemorySegment) createProgramWithSource.invokeExact(ctx, 1, strs, MemorySegment.NULL, err);
            check("clCreateProgramWithSource", err.get(JAVA_INT, 0));
            build(prog, d, options, source);
            return prog;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Loads a program from a binary previously returned by {@link #binary}; null if the driver rejects it. */
    public MemorySegment buildFromBinary(MemorySegment ctx, Device d, byte[] bin, String options, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT), status = a.allocate(JAVA_INT);
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, d.id());
            MemorySegment lens = a.allocate(JAVA_LONG);
            lens.set(JAVA_LONG, 0, bin.length);
            MemorySegment data = a.allocate(bin.length);
            MemorySegment.copy(bin, 0, data, JAVA_BYTE, 0, bin.length);
            MemorySegment ptrs = a.allocate(ADDRESS);
            ptrs.set(ADDRESS, 0, data);
            MemorySegment prog = (MemorySegment) createProgramWithBinary.invokeExact(ctx, 1, devs, lens, ptrs, status, err);
            if (err.get(JAVA_INT, 0) != CL_SUCCESS || status.get(JAVA_INT, 0) != CL_SUCCESS) return null;
            try {
                build(prog, d, options, source);
            } catch (OpenClError e) {
                release(prog, releaseProgram);
                return null;
            }
            return prog;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void build(MemorySegment prog, Device d, String options, String source) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, d.id());
            int st = (int) buildProgram.invokeExact(prog, 1, devs, a.allocateFrom(options), MemorySegment.NULL, MemorySegment.NULL);
            if (st != CL_SUCCESS) {
                String log = buildLog(prog, d);
                throw new OpenClError("clBuildProgram", st, "kernel build failed on " + d.name() + "\n--- build log ---\n" + log
                        + "\n--- source ---\n" + numbered(source));
            }
        }
    }

    public String buildLog(MemorySegment prog, Device d) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check("clGetProgramBuildInfo", (int) getProgramBuildInfo.invokeExact(prog, d.id(), CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, n));
            MemorySegment s = a.allocate(Math.max(1, n.get(JAVA_LONG, 0)));
            check("clGetProgramBuildInfo", (int) getProgramBuildInfo.invokeExact(prog, d.id(), CL_PROGRAM_BUILD_LOG, s.byteSize(), s,
                    MemorySegment.NULL));
            return s.getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The compiled binary of a single-device program (for the on-disk cache). */
    public byte[] binary(MemorySegment prog) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check("clGetProgramInfo", (int) getProgramInfo.invokeExact(prog, CL_PROGRAM_BINARY_SIZES, 8L, size, MemorySegment.NULL));
            long n = size.get(JAVA_LONG, 0);
            if (n <= 0) return new byte[0];
            MemorySegment data = a.allocate(n);
            MemorySegment ptrs = a.allocate(ADDRESS);
            ptrs.set(ADDRESS, 0, data);
            check("clGetProgramInfo", (int) getProgramInfo.invokeExact(prog, CL_PROGRAM_BINARIES, ADDRESS.byteSize(), ptrs, MemorySegment.NULL));
            return data.toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment createKernel(MemorySegment prog, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = (MemorySegment) createKernel.invokeExact(prog, a.allocateFrom(name), err);
            check("clCreateKernel", err.get(JAVA_INT, 0), name);
            return k;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets argument {@code index} from {@code value} ({@code value.byteSize()} bytes: a cl_mem handle, an int, a long). */
    public void setArg(MemorySegment kernel, int index, MemorySegment value) {
        try {
            check("clSetKernelArg", (int) setKernelArg.invokeExact(kernel, index, value.byteSize(), value), "argument " + index);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Enqueues a kernel; {@code local} may be NULL; {@code event} may be NULL or a one-handle segment to receive the event. */
    public void enqueue(MemorySegment q, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local, MemorySegment event,
                        String name) {
        try {
            check("clEnqueueNDRangeKernel", (int) enqueueNDRangeKernel.invokeExact(q, kernel, dims, MemorySegment.NULL, global, local, 0,
                    MemorySegment.NULL, event), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void finish(MemorySegment q) {
        try {
            check("clFinish", (int) finish.invokeExact(q));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Nanoseconds between the start and end of a finished command (needs a profiling queue). */
    public long eventNanos(MemorySegment event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_LONG), e = a.allocate(JAVA_LONG);
            check("clGetEventProfilingInfo", (int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_START, 8L, s, MemorySegment.NULL));
            check("clGetEventProfilingInfo", (int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_END, 8L, e, MemorySegment.NULL));
            return e.get(JAVA_LONG, 0) - s.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void releaseMem(MemorySegment m) { release(m, releaseMemObject); }

    public void releaseKernel(MemorySegment m) { release(m, releaseKernel); }

    public void releaseProgram(MemorySegment m) { release(m, releaseProgram); }

    public void releaseQueue(MemorySegment m) { release(m, releaseCommandQueue); }

    public void releaseContext(MemorySegment m) { release(m, releaseContext); }

    public void releaseEvent(MemorySegment m) { release(m, releaseEvent); }

    private static void release(MemorySegment m, MethodHandle h) {
        if (m == null || m.equals(MemorySegment.NULL)) return;
        try {
            int ignored = (int) h.invokeExact(m);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- helpers

    static void check(String fn, int status) { check(fn, status, ""); }

    static void check(String fn, int status, String detail) {
        if (status == CL_SUCCESS) return;
        if (status == CL_PLATFORM_NOT_FOUND_KHR) throw new OpenClError("no OpenCL platform: " + fn + " returned CL_PLATFORM_NOT_FOUND_KHR");
        throw new OpenClError(fn, status, detail);
    }

    /** The source with 1-based line numbers, as build logs refer to them. */
    public static String numbered(String source) {
        String[] lines = source.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        int w = String.valueOf(lines.length).length();
        for (int i = 0; i < lines.length; i++) sb.append(String.format("%" + w + "d| ", i + 1)).append(lines[i]).append('\n');
        return sb.toString();
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new RuntimeException(t);
    }
}
