package dev.hyperc.runtime.io;

import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.report.JsonOut;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format, so that
 * PyTorch, JAX, numpy and others can load the weights a hypernetwork generates, and hyperc can load them back.
 *
 * <h2>The format</h2>
 * <pre>
 * 8 bytes   N: unsigned 64-bit little-endian, the header's length in bytes
 * N bytes   header: UTF-8 JSON object, starting with '{', optionally padded at the end with spaces (0x20)
 * rest      byte buffer: the tensors' data
 * </pre>
 * The header maps each tensor's name to {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}},
 * where BEGIN and END (one past the last byte) are relative to the start of the byte buffer. The optional key
 * {@code "__metadata__"} maps to an object of strings only. Data is little-endian and row-major; a shape
 * {@code []} is a scalar; a zero-element tensor has BEGIN = END. The tensors must cover the byte buffer exactly:
 * contiguous, non-overlapping, no holes, nothing after the last one. Keys may appear in any order.
 *
 * <h2>What this writer produces</h2>
 * The same layout as the reference (Rust) implementation, byte for byte when there is at most one metadata
 * key (checked against the {@code safetensors} 0.8.0 Python package): compact JSON (no spaces),
 * {@code "__metadata__"} first when there is any metadata, then the tensors in the reference's data order
 * (dtype descending in its enum order, which puts F32 before I32, then name by UTF-8 bytes), their data back to
 * back in that order, and the header padded with spaces so that N is a multiple of 8 (the byte buffer then
 * starts 8-byte aligned). The reference keeps metadata in a hash map, so its key order is arbitrary; this writer
 * sorts the keys, so that the same input always gives the same bytes. Files are written atomically
 * ({@link AtomicFile}).
 *
 * <h2>What the reader accepts</h2>
 * Any valid file whose tensors are F32 or I32 (other dtypes are reported by name), in any key order, with
 * any padding. It checks everything the reference does: N against the file size and a 100 MB limit, the
 * leading '{', strict UTF-8 JSON without duplicate keys, string-only metadata, each tensor's byte length against
 * its shape and dtype, and full, hole-free coverage of the byte buffer.
 */
public final class SafeTensors {
    /** The reference implementation's header size limit. */
    public static final long MAX_HEADER = 100_000_000L;
    /** The key reserved for string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** A file's tensors (in byte-buffer order) and its metadata (empty when there is none). */
    public record Contents(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    private SafeTensors() {}

    // ---------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes {@code tensors} and {@code metadata} (may be null or empty) to {@code file}, atomically.
     *
     * @throws SafeTensorsError naming the file when it cannot be written; an existing file is then untouched
     * @throws IllegalArgumentException for a tensor name that is empty or {@value #METADATA_KEY}
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Layout layout = layout(tensors, metadata);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            AtomicFile.write(file, ch -> layout.writeTo(ch));
        } catch (AccessDeniedException e) {
            throw new SafeTensorsError(file, "cannot write " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new SafeTensorsError(file, "cannot write " + file + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        }
    }

    /** The bytes {@link #write} would put in a file. */
    public static byte[] toBytes(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Layout layout = layout(tensors, metadata);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            layout.writeTo(Channels.newChannel(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The header (padded) and the tensors in data order. */
    private record Layout(byte[] header, List<HostTensor> order) {
        void writeTo(WritableByteChannel ch) throws IOException {
            LeChannels.Writer w = new LeChannels.Writer(ch, null);
            w.u64(header.length);
            w.bytes(header);
            for (HostTensor t : order) w.tensor(t);
            w.flush();
        }
    }

    /** Rust's {@code String} order: by UTF-8 bytes. */
    private static final Comparator<String> UTF8_ORDER =
            (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    /**
     * The reference writer's data order: dtype descending in its {@code Dtype} enum order (where I32 comes
     * before F32, so F32 tensors go first), then name.
     */
    private static final Comparator<Map.Entry<String, HostTensor>> DATA_ORDER =
            Comparator.<Map.Entry<String, HostTensor>>comparingInt(e -> e.getValue().isF32() ? 0 : 1)
                    .thenComparing(Map.Entry::getKey, UTF8_ORDER);

    private static Layout layout(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        List<Map.Entry<String, HostTensor>> sorted = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            if (name.isEmpty()) throw new IllegalArgumentException("a safetensors tensor needs a non-empty name");
            if (name.equals(METADATA_KEY)) throw new IllegalArgumentException("'" + METADATA_KEY + "' is reserved and cannot name a tensor");
            sorted.add(Map.entry(name, Objects.requireNonNull(e.getValue(), name)));
        }
        sorted.sort(DATA_ORDER);
        JsonOut j = new JsonOut().beginObject();
        if (metadata != null && !metadata.isEmpty()) {
            j.name(METADATA_KEY).beginObject();
            TreeMap<String, String> m = new TreeMap<>(UTF8_ORDER);
            m.putAll(metadata);
            for (Map.Entry<String, String> e : m.entrySet()) j.name(e.getKey()).value(Objects.requireNonNull(e.getValue(), e.getKey()));
            j.endObject();
        }
        long off = 0;
        for (Map.Entry<String, HostTensor> e : sorted) {
            HostTensor t = e.getValue();
            long end = off + LeChannels.byteSize(t);
            j.name(e.getKey()).beginObject();
            j.name("dtype").value(t.isF32() ? "F32" : "I32");
            j.name("shape").value(t.shape());
            j.name("data_offsets").beginArray().value(off).value(end).endArray();
            j.endObject();
            off = end;
        }
        byte[] json = j.endObject().toString().getBytes(StandardCharsets.UTF_8);
        int n = (int) LeChannels.align8(json.length);
        byte[] header = Arrays.copyOf(json, n);
        Arrays.fill(header, json.length, n, (byte) ' ');
        return new Layout(header, sorted.stream().map(Map.Entry::getValue).toList());
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /**
     * Reads a safetensors file.
     *
     * @throws SafeTensorsError naming the file when it is missing, unreadable, not valid safetensors, or holds a
     *     dtype other than F32 and I32
     */
    public static Contents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, ch.size(), file);
        } catch (NoSuchFileException e) {
            throw new SafeTensorsError(file, "no such file: " + file, e);
        } catch (AccessDeniedException e) {
            throw new SafeTensorsError(file, "cannot read " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new SafeTensorsError(file, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads safetensors bytes held in memory. */
    public static Contents fromBytes(byte[] bytes) {
        try {
            return read(Channels.newChannel(new ByteArrayInputStream(bytes)), bytes.length, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Entry(String name, boolean f32, int[] shape, int numel, long begin, long end) {}

    private static Contents read(ReadableByteChannel ch, long size, Path file) throws IOException {
        String what = file == null ? "safetensors data" : file.toString();
        if (size < 8) throw bad(file, what, "it has " + size + " bytes, too few for the 8-byte header length");
        LeChannels.Reader r = new LeChannels.Reader(ch, null, size);
        ByteBuffer nb = ByteBuffer.wrap(r.bytes(8)).order(ByteOrder.LITTLE_ENDIAN);
        long n = nb.getLong();
        if (n < 0 || n > MAX_HEADER) throw bad(file, what, "its header length " + Long.toUnsignedString(n) + " exceeds the 100 MB limit");
        if (n > size - 8) throw bad(file, what, "it is truncated: its header length is " + n + " but only " + (size - 8) + " bytes follow");
        byte[] hb = r.bytes((int) n);
        if (n == 0 || hb[0] != '{') throw bad(file, what, "its header does not start with '{'");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(hb))
                    .toString();
        } catch (CharacterCodingException e) {
            throw bad(file, what, "its header is not valid UTF-8");
        }
        Map<String, Object> header;
        try {
            header = JsonOut.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw bad(file, what, "its header is not valid JSON (" + e.getMessage() + ")");
        }
        long bufferLength = size - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                if (!(e.getValue() instanceof Map<?, ?> mm)) throw bad(file, what, "its " + METADATA_KEY + " is not an object");
                for (Map.Entry<?, ?> me : mm.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw bad(file, what, "its metadata value for \"" + me.getKey() + "\" is a " + JsonOut.typeName(me.getValue()) + ", not a string");
                    }
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            entries.add(entry(file, what, name, e.getValue()));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long pos = 0;
        for (Entry en : entries) {
            if (en.begin != pos) {
                throw bad(file, what, en.begin > pos
                        ? "its byte buffer has a hole before tensor '" + en.name + "' (bytes " + pos + " to " + en.begin + " belong to no tensor)"
                        : "tensor '" + en.name + "' overlaps another tensor's data");
            }
            pos = en.end;
        }
        if (pos != bufferLength) {
            throw bad(file, what, pos > bufferLength
                    ? "it is truncated: its tensors need " + pos + " data bytes but only " + bufferLength + " follow the header"
                    : "it has " + (bufferLength - pos) + " bytes after the last tensor's data");
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        try {
            for (Entry en : entries) {
                if (en.f32) {
                    float[] a = new float[en.numel];
                    r.floats(a);
                    tensors.put(en.name, HostTensor.f32(en.shape, a));
                } else {
                    int[] a = new int[en.numel];
                    r.ints(a);
                    tensors.put(en.name, HostTensor.i32(en.shape, a));
                }
            }
        } catch (EOFException e) {
            throw bad(file, what, "it was cut short while being read");
        }
        return new Contents(tensors, metadata);
    }

    private static Entry entry(Path file, String what, String name, Object v) {
        if (!(v instanceof Map<?, ?> m)) throw bad(file, what, "its header entry '" + name + "' is a " + JsonOut.typeName(v) + ", not an object");
        if (!(m.get("dtype") instanceof String dtype)) throw bad(file, what, "tensor '" + name + "' has no \"dtype\" string");
        if (!dtype.equals("F32") && !dtype.equals("I32")) {
            throw bad(file, what, "tensor '" + name + "' has dtype " + dtype + ", which hyperc cannot load (it reads F32 and I32)");
        }
        if (!(m.get("shape") instanceof List<?> shapeList)) throw bad(file, what, "tensor '" + name + "' has no \"shape\" array");
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0) throw bad(file, what, "tensor '" + name + "' has a bad shape " + shapeList);
            if (d > Integer.MAX_VALUE) throw bad(file, what, "tensor '" + name + "' has a dimension too large for hyperc: " + d);
            shape[i] = (int) (long) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE) throw bad(file, what, "tensor '" + name + "' has more elements than hyperc can hold: " + shapeList);
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end) || begin < 0 || end < begin) {
            throw bad(file, what, "tensor '" + name + "' has bad data_offsets " + m.get("data_offsets"));
        }
        if (end - begin != 4 * numel) {
            throw bad(file, what, "tensor '" + name + "' has " + (end - begin) + " data bytes but its shape " + shapeList + " and dtype " + dtype + " need " + 4 * numel);
        }
        return new Entry(name, dtype.equals("F32"), shape, (int) numel, begin, end);
    }

    private static SafeTensorsError bad(Path file, String what, String detail) {
        return new SafeTensorsError(file, what + " is not a valid safetensors file: " + detail);
    }
}
