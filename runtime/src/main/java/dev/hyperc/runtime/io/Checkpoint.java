package dev.hyperc.runtime.io;

import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.report.JsonOut;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A training checkpoint: which model it belongs to, how far training got, and every tensor needed to
 * continue exactly (parameters, optimizer moments, batch-norm statistics; f32 or i32).
 *
 * <h2>Where checkpoints go</h2>
 * {@link #save} and {@link #load} take a directory or a file. A path that is an existing directory, or whose
 * name does not end in {@value #EXTENSION}, is a <em>checkpoint directory</em> (created when needed): the
 * latest checkpoint is {@code DIR/}{@value #FILE_NAME} and the one before it
 * {@code DIR/}{@value #PREV_FILE_NAME}. Saving rotates them: the old latest becomes the previous one, the new
 * one becomes the latest. A path ending in {@value #EXTENSION} is a single checkpoint file, replaced on each
 * save without rotation.
 *
 * <h2>Atomicity</h2>
 * Every save goes through {@link AtomicFile}: the bytes go to a hidden temporary file in the same directory,
 * which is flushed to the device and then renamed over the final name ({@code ATOMIC_MOVE}); the directory is
 * flushed after. The rotation hard-links the current file to the previous name first, so at every instant
 * {@value #FILE_NAME} is a complete checkpoint, old or new, and {@value #PREV_FILE_NAME} is a complete older
 * one. A crash leaves at worst a stray {@code .checkpoint.hyperckpt.PID.RANDOM.tmp}, which {@link #load} never
 * looks at and the next save deletes. Saves from different threads or processes to the same place must not
 * overlap: each one is atomic, but which one ends up latest would be a race.
 *
 * <h2>File format, version {@value #FORMAT_VERSION}</h2>
 * All integers little-endian. Offsets are from the start of the file.
 * <pre>
 * offset  size  contents
 * 0       9     magic: ASCII "HYPERCKPT"
 * 9       3     zero
 * 12      4     u32 format version (1)
 * 16      8     u64 H: header length in bytes, a multiple of 8
 * 24      8     u64 D: data section length in bytes, a multiple of 8
 * 32      H     header: UTF-8 JSON, padded at the end with spaces (0x20) to H bytes
 * 32+H    D     data: each tensor's elements, row-major, little-endian (f32: IEEE 754 binary32;
 *               i32: two's complement), starting at its "offset" within the data section, which
 *               is a multiple of 8; the gaps between tensors and after the last are zero bytes
 * 32+H+D  32    SHA-256 of bytes [0, 32+H+D)
 * </pre>
 * The header is one JSON object:
 * <pre>
 * {"model":"kata","model_hash":"9f8e…","step":1250,"epoch":5,"rng":[123,-45],
 *  "metadata":{"optimizer":"adam"},
 *  "tensors":[{"name":"gen.w","dtype":"F32","shape":[64,32],"offset":0,"length":8192}, …]}
 * </pre>
 * {@code rng} is a list of signed 64-bit integers; {@code dtype} is {@code "F32"} or {@code "I32"} (the
 * safetensors names); {@code length} is 4 × the number of elements; tensors are listed in the order the
 * caller gave them, with increasing offsets. The file is exactly {@code 32+H+D+32} bytes: anything shorter is
 * reported as truncated, anything longer as corrupt.
 *
 * <h2>Why SHA-256</h2>
 * The trailer is a SHA-256 rather than a CRC32C. Both catch accidental damage (a CRC32C misses a random
 * corruption with probability 2<sup>-32</sup>, which is already negligible); SHA-256 was chosen because
 * <ul>
 *   <li>anyone can check a file with standard tools: the trailer equals
 *       {@code head -c -32 checkpoint.hyperckpt | sha256sum};</li>
 *   <li>it matches the model hash, which is a SHA-256 too, so a checkpoint needs one algorithm only;</li>
 *   <li>its cost does not matter here. Measured on this project's 2-core machine, the JDK's SHA-256 hashes
 *       about 0.7 GB/s (CRC32C: about 24 GB/s), so the largest reference model's state (about 300 MB: 26M
 *       generator parameters plus two Adam moments) costs under half a second per save or load, once per
 *       epoch, next to the write and fsync themselves and an epoch of minutes.</li>
 * </ul>
 * Neither is a signature: a checkpoint from an untrusted source is no safer for having a valid checksum (it
 * is, however, only ever data: loading it runs no code).
 *
 * <h2>Model identity</h2>
 * A checkpoint records the model's name and a hash of the compiled model (the caller's choice; hyperc passes
 * the SHA-256 of the model's IR text, see {@link #sha256Hex}). {@link #load} refuses a checkpoint whose name or
 * hash differs from the model being trained, with a message that says which.
 *
 * @param modelName the model's name, e.g. {@code "multitask_mnist"}
 * @param modelHash lower-case hex (upper case is accepted and lowered)
 * @param step optimizer steps taken
 * @param epoch epochs completed
 * @param rng the random number generator's state, any number of longs
 * @param tensors named tensors, in a fixed order (kept as given)
 * @param metadata free-form strings, e.g. the hyperc version or the optimizer's settings
 */
public record Checkpoint(
        String modelName,
        String modelHash,
        long step,
        long epoch,
        long[] rng,
        Map<String, HostTensor> tensors,
        Map<String, String> metadata) {

    /** The latest checkpoint's name in a checkpoint directory. */
    public static final String FILE_NAME = "checkpoint.hyperckpt";
    /** The previous checkpoint's name in a checkpoint directory. */
    public static final String PREV_FILE_NAME = "checkpoint.prev.hyperckpt";
    /** A path ending in this is a checkpoint file rather than a directory. */
    public static final String EXTENSION = ".hyperckpt";
    /** The format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    static final byte[] MAGIC = "HYPERCKPT".getBytes(StandardCharsets.US_ASCII);
    static final int PREAMBLE = 32;
    static final int CHECKSUM = 32;
    /** Headers above this size are refused as damaged: a real one is a few bytes per tensor. */
    static final long MAX_HEADER = 64L << 20;
    /** How many hex digits of a hash error messages show. */
    static final int HASH_SHOWN = 12;

    public Checkpoint {
        Objects.requireNonNull(modelName, "modelName");
        if (modelName.isEmpty()) throw new IllegalArgumentException("empty model name");
        modelHash = normalizeHash(modelHash);
        rng = rng == null ? new long[0] : rng.clone();
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) throw new IllegalArgumentException("a checkpoint tensor needs a non-empty name");
            t.put(e.getKey(), Objects.requireNonNull(e.getValue(), e.getKey()));
        }
        tensors = Collections.unmodifiableMap(t);
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                m.put(Objects.requireNonNull(e.getKey(), "metadata key"), Objects.requireNonNull(e.getValue(), e.getKey()));
            }
        }
        metadata = Collections.unmodifiableMap(m);
    }

    /** A copy of the RNG state. */
    @Override
    public long[] rng() { return rng.clone(); }

    /** The tensor called {@code name}, or an error naming what there is. */
    public HostTensor tensor(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("checkpoint has no tensor '" + name + "'; it has " + tensors.keySet());
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c
                && modelName.equals(c.modelName)
                && modelHash.equals(c.modelHash)
                && step == c.step
                && epoch == c.epoch
                && Arrays.equals(rng, c.rng)
                && tensors.equals(c.tensors)
                && List.copyOf(tensors.keySet()).equals(List.copyOf(c.tensors.keySet()))
                && metadata.equals(c.metadata);
    }

    @Override
    public int hashCode() { return Objects.hash(modelName, modelHash, step, epoch, Arrays.hashCode(rng), tensors, metadata); }

    @Override
    public String toString() {
        return "Checkpoint[" + modelName + " " + shortHash(modelHash) + ", step " + step + ", epoch " + epoch + ", " + tensors.size() + " tensors]";
    }

    // ---------------------------------------------------------------------------------------------
    // Paths

    /**
     * The checkpoint file {@code dirOrFile} stands for: itself when it ends in {@value #EXTENSION} and is not
     * a directory, otherwise {@code dirOrFile/}{@value #FILE_NAME}.
     */
    public static Path resolve(Path dirOrFile) {
        if (isDirectoryMode(dirOrFile)) return dirOrFile.resolve(FILE_NAME);
        return dirOrFile;
    }

    /** Whether {@link #load} would find a checkpoint at {@code dirOrFile} (it may still be damaged). */
    public static boolean exists(Path dirOrFile) { return Files.isRegularFile(resolve(dirOrFile)); }

    private static boolean isDirectoryMode(Path p) {
        return Files.isDirectory(p) || p.getFileName() == null || !p.getFileName().toString().endsWith(EXTENSION);
    }

    // ---------------------------------------------------------------------------------------------
    // Saving

    /** Saves this checkpoint; see {@link #save(Path, Checkpoint)}. */
    public Path saveTo(Path dirOrFile) { return save(dirOrFile, this); }

    /**
     * Writes {@code ck} atomically to a checkpoint directory (rotating the previous checkpoint) or to a
     * checkpoint file; see the class documentation. Returns the file written.
     *
     * @throws CheckpointError naming the file when it cannot be written; the previous checkpoint is then intact
     */
    public static Path save(Path dirOrFile, Checkpoint ck) {
        boolean dirMode = isDirectoryMode(dirOrFile);
        Path file = dirMode ? dirOrFile.resolve(FILE_NAME) : dirOrFile;
        try {
            if (dirMode) Files.createDirectories(dirOrFile);
            else if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new CheckpointError(file, "cannot create the checkpoint directory for " + file + ": " + describe(e), e);
        }
        Path prev = dirMode ? dirOrFile.resolve(PREV_FILE_NAME) : null;
        try {
            AtomicFile.write(file, prev, ch -> write(ch, ck));
        } catch (IOException e) {
            throw new CheckpointError(file, "cannot write checkpoint " + file + ": " + describe(e), e);
        }
        return file;
    }

    /** The header JSON, unpadded, with each tensor's offset in the data section; returns D through {@code dataLength}. */
    private static String header(Checkpoint ck, long[] dataLength) {
        JsonOut j = new JsonOut().beginObject();
        j.name("model").value(ck.modelName);
        j.name("model_hash").value(ck.modelHash);
        j.name("step").value(ck.step);
        j.name("epoch").value(ck.epoch);
        j.name("rng").value(ck.rng);
        j.name("metadata").value(ck.metadata);
        j.name("tensors").beginArray();
        long off = 0;
        for (Map.Entry<String, HostTensor> e : ck.tensors.entrySet()) {
            HostTensor t = e.getValue();
            long len = LeChannels.byteSize(t);
            j.beginObject();
            j.name("name").value(e.getKey());
            j.name("dtype").value(t.isF32() ? "F32" : "I32");
            j.name("shape").value(t.shape());
            j.name("offset").value(off);
            j.name("length").value(len);
            j.endObject();
            off = LeChannels.align8(off + len);
        }
        j.endArray().endObject();
        dataLength[0] = off;
        return j.toString();
    }

    private static void write(FileChannel ch, Checkpoint ck) throws IOException {
        long[] d = new long[1];
        byte[] json = header(ck, d).getBytes(StandardCharsets.UTF_8);
        int h = (int) LeChannels.align8(json.length);
        byte[] hdr = Arrays.copyOf(json, h);
        Arrays.fill(hdr, json.length, h, (byte) ' ');
        MessageDigest md = sha256();
        LeChannels.Writer w = new LeChannels.Writer(ch, md);
        w.bytes(MAGIC);
        w.zeros(3);
        w.u32(FORMAT_VERSION);
        w.u64(h);
        w.u64(d[0]);
        w.bytes(hdr);
        long dataStart = PREAMBLE + h;
        for (HostTensor t : ck.tensors.values()) {
            w.zeros(LeChannels.align8(w.position() - dataStart) - (w.position() - dataStart));
            w.tensor(t);
        }
        w.zeros(dataStart + d[0] - w.position());
        w.flush();
        ByteBuffer sum = ByteBuffer.wrap(md.digest());
        while (sum.hasRemaining()) ch.write(sum);
    }

    // ---------------------------------------------------------------------------------------------
    // Loading

    /**
     * Reads the checkpoint at {@code dirOrFile} and checks that it belongs to the model being trained.
     *
     * @param expectedModelName the model's name
     * @param expectedHash the model's hash, as passed to the constructor when saving
     * @throws CheckpointError naming the file when there is no checkpoint, it is damaged (bad magic, unknown
     *     version, truncated, checksum mismatch) or it was written for another model or another version of
     *     this one
     */
    public static Checkpoint load(Path dirOrFile, String expectedModelName, String expectedHash) {
        Path file = resolve(dirOrFile);
        Checkpoint ck = read(dirOrFile);
        String want = normalizeHash(expectedHash);
        if (!ck.modelName.equals(expectedModelName)) {
            throw new CheckpointError(file, "checkpoint " + file + " was written for model '" + ck.modelName + "' (hash " + shortHash(ck.modelHash)
                    + ") but this is '" + expectedModelName + "' (hash " + shortHash(want) + "); use a different --checkpoint directory");
        }
        if (!ck.modelHash.equals(want)) {
            throw new CheckpointError(file, "checkpoint " + file + " was written for model '" + ck.modelName + "' (hash " + shortHash(ck.modelHash)
                    + ") but the model file changed since this checkpoint was written (hash now " + shortHash(want)
                    + "); restore the model file, or use a different --checkpoint directory to start afresh");
        }
        return ck;
    }

    /**
     * Reads and verifies the checkpoint at {@code dirOrFile} without checking which model it belongs to.
     *
     * @throws CheckpointError naming the file when it is missing or damaged
     */
    public static Checkpoint read(Path dirOrFile) {
        Path file = resolve(dirOrFile);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch);
        } catch (NoSuchFileException e) {
            if (isDirectoryMode(dirOrFile) && Files.isRegularFile(dirOrFile.resolve(PREV_FILE_NAME))) {
                throw new CheckpointError(file, "no checkpoint at " + file + " (there is an older one, " + dirOrFile.resolve(PREV_FILE_NAME)
                        + "; rename it to " + FILE_NAME + " to use it)", e);
            }
            throw new CheckpointError(file, "no checkpoint at " + file, e);
        } catch (AccessDeniedException e) {
            throw new CheckpointError(file, "cannot read checkpoint " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new CheckpointError(file, "cannot read checkpoint " + file + ": " + describe(e), e);
        }
    }

    private static Checkpoint read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN);
        while (pre.hasRemaining() && ch.read(pre, pre.position()) > 0) {
            // positional reads until full or end of file
        }
        int got = pre.position();
        int magicBytes = Math.min(got, MAGIC.length);
        if (!Arrays.equals(pre.array(), 0, magicBytes, MAGIC, 0, magicBytes)) {
            throw new CheckpointError(file, file + " is not a hyperc checkpoint (it does not start with \"HYPERCKPT\")");
        }
        if (got < PREAMBLE) throw truncated(file, size, got == 0 ? "it is empty" : "it ends inside the preamble");
        int version = pre.getInt(12);
        if (version != FORMAT_VERSION) {
            String why = version > FORMAT_VERSION && version < 1000
                    ? "was written by a newer hyperc (format version " + version + "; this build reads version " + FORMAT_VERSION + ")"
                    : "has an unknown format version " + Integer.toUnsignedString(version) + " (this build reads version " + FORMAT_VERSION + ")";
            throw new CheckpointError(file, "checkpoint " + file + " " + why);
        }
        long h = pre.getLong(16);
        long d = pre.getLong(24);
        if (h < 2 || h > MAX_HEADER || h % 8 != 0 || d < 0 || d % 8 != 0 || d > Long.MAX_VALUE / 2) {
            throw corrupt(file, "its preamble is damaged (header length " + Long.toUnsignedString(h) + ", data length " + Long.toUnsignedString(d) + ")");
        }
        long expected = PREAMBLE + h + d + CHECKSUM;
        if (size < expected) throw truncated(file, size, "it has " + size + " bytes but its preamble says " + expected);
        if (size > expected) throw corrupt(file, "it has " + (size - expected) + " unexpected bytes after its end");

        MessageDigest md = sha256();
        md.update(pre.array(), 0, PREAMBLE);
        ch.position(PREAMBLE);
        LeChannels.Reader r = new LeChannels.Reader(ch, md, h + d);
        byte[] hdrBytes = r.bytes((int) h);
        Header hdr = null;
        String headerProblem = null;
        try {
            hdr = parseHeader(hdrBytes, d);
        } catch (IllegalArgumentException e) {
            headerProblem = e.getMessage();
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        try {
            if (hdr != null) {
                for (TensorEntry te : hdr.tensors) {
                    r.skip(te.offset - (r.position() - h));
                    if (te.f32) {
                        float[] a = new float[te.numel];
                        r.floats(a);
                        tensors.put(te.name, HostTensor.f32(te.shape, a));
                    } else {
                        int[] a = new int[te.numel];
                        r.ints(a);
                        tensors.put(te.name, HostTensor.i32(te.shape, a));
                    }
                }
            }
            r.skip(h + d - r.position());
        } catch (EOFException e) {
            throw truncated(file, ch.size(), "it was cut short while being read");
        }
        ByteBuffer trailer = ByteBuffer.allocate(CHECKSUM);
        while (trailer.hasRemaining()) {
            if (ch.read(trailer, expected - CHECKSUM + trailer.position()) < 0) throw truncated(file, ch.size(), "it was cut short while being read");
        }
        if (!MessageDigest.isEqual(md.digest(), trailer.array())) {
            throw corrupt(file, "its SHA-256 checksum does not match its contents");
        }
        if (headerProblem != null) {
            throw new CheckpointError(file, "checkpoint " + file + " has a valid checksum but an unreadable header (" + headerProblem
                    + "); it was not written by this version of hyperc");
        }
        return new Checkpoint(hdr.model, hdr.hash, hdr.step, hdr.epoch, hdr.rng, tensors, hdr.metadata);
    }

    private record TensorEntry(String name, boolean f32, int[] shape, int numel, long offset) {}

    private record Header(String model, String hash, long step, long epoch, long[] rng, Map<String, String> metadata, List<TensorEntry> tensors) {}

    /** Parses and checks the header; IllegalArgumentException says what is wrong. */
    private static Header parseHeader(byte[] bytes, long dataLength) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the header is not UTF-8");
        }
        Map<String, Object> o = JsonOut.parseObject(text);
        String model = str(o, "model");
        String hash = str(o, "model_hash");
        long step = lng(o.get("step"), "step");
        long epoch = lng(o.get("epoch"), "epoch");
        List<?> rngList = list(o.get("rng"), "rng");
        long[] rng = new long[rngList.size()];
        for (int i = 0; i < rng.length; i++) rng[i] = lng(rngList.get(i), "rng[" + i + "]");
        Map<String, String> metadata = new LinkedHashMap<>();
        if (!(o.get("metadata") instanceof Map<?, ?> mm)) throw new IllegalArgumentException("\"metadata\" is not an object");
        for (Map.Entry<?, ?> e : mm.entrySet()) {
            if (!(e.getValue() instanceof String v)) throw new IllegalArgumentException("metadata \"" + e.getKey() + "\" is not a string");
            metadata.put((String) e.getKey(), v);
        }
        List<TensorEntry> entries = new ArrayList<>();
        long end = 0;
        Set<String> names = new HashSet<>();
        for (Object item : list(o.get("tensors"), "tensors")) {
            if (!(item instanceof Map<?, ?> tm)) throw new IllegalArgumentException("a \"tensors\" entry is not an object");
            @SuppressWarnings("unchecked")
            Map<String, Object> t = (Map<String, Object>) tm;
            String name = str(t, "name");
            if (!names.add(name)) throw new IllegalArgumentException("tensor '" + name + "' appears twice");
            String dtype = str(t, "dtype");
            if (!dtype.equals("F32") && !dtype.equals("I32")) throw new IllegalArgumentException("tensor '" + name + "' has unknown dtype " + dtype);
            List<?> shapeList = list(t.get("shape"), "shape of '" + name + "'");
            int[] shape = new int[shapeList.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                long dim = lng(shapeList.get(i), "shape of '" + name + "'");
                if (dim < 0 || dim > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + name + "' has a bad dimension " + dim);
                shape[i] = (int) dim;
                numel *= dim; // both factors are below 2^31, so this cannot overflow
                if (numel > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + name + "' is too large");
            }
            long offset = lng(t.get("offset"), "offset of '" + name + "'");
            long length = lng(t.get("length"), "length of '" + name + "'");
            if (offset % 8 != 0 || offset < end) throw new IllegalArgumentException("tensor '" + name + "' has a misplaced offset " + offset);
            if (length != 4 * numel) throw new IllegalArgumentException("tensor '" + name + "' has length " + length + " but its shape needs " + 4 * numel);
            if (offset + length > dataLength) throw new IllegalArgumentException("tensor '" + name + "' lies past the end of the data section");
            end = offset + length;
            entries.add(new TensorEntry(name, dtype.equals("F32"), shape, (int) numel, offset));
        }
        return new Header(model, hash, step, epoch, rng, metadata, entries);
    }

    private static String str(Map<String, Object> o, String key) {
        if (!(o.get(key) instanceof String s)) throw new IllegalArgumentException("\"" + key + "\" is missing or not a string");
        return s;
    }

    private static long lng(Object v, String what) {
        if (!(v instanceof Long l)) throw new IllegalArgumentException(what + " is not a 64-bit integer");
        return l;
    }

    private static List<?> list(Object v, String what) {
        if (!(v instanceof List<?> l)) throw new IllegalArgumentException(what + " is not an array");
        return l;
    }

    private static CheckpointError truncated(Path file, long size, String detail) {
        return new CheckpointError(file, "checkpoint " + file + " is truncated: " + detail
                + "; it was damaged or cut short after it was written (hyperc itself never leaves a partial checkpoint under this name)");
    }

    private static CheckpointError corrupt(Path file, String detail) {
        return new CheckpointError(file, "checkpoint " + file + " is corrupt: " + detail);
    }

    // ---------------------------------------------------------------------------------------------
    // Hashes

    /** The lower-case hex SHA-256 of {@code text} in UTF-8: the model hash hyperc uses (over the IR text). */
    public static String sha256Hex(String text) {
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The first {@value #HASH_SHOWN} hex digits and "...", or the whole hash when it is that short. */
    static String shortHash(String hash) {
        return hash.length() <= HASH_SHOWN ? hash : hash.substring(0, HASH_SHOWN) + "...";
    }

    private static String normalizeHash(String hash) {
        Objects.requireNonNull(hash, "modelHash");
        if (hash.isEmpty()) throw new IllegalArgumentException("empty model hash");
        for (int i = 0; i < hash.length(); i++) {
            char c = hash.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                throw new IllegalArgumentException("model hash must be hex digits, got \"" + hash + "\"");
            }
        }
        return hash.toLowerCase(Locale.ROOT);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        String kind = e.getClass().getSimpleName();
        if (e instanceof AccessDeniedException) return "permission denied" + (m != null ? " (" + m + ")" : "");
        if (e instanceof NoSuchFileException) return "no such file or directory" + (m != null ? " (" + m + ")" : "");
        if (e instanceof FileAlreadyExistsException) return (m != null ? m : "a path") + " exists and is not a directory";
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getFile() + ": " + fse.getReason().toLowerCase(Locale.ROOT);
        }
        return m == null ? kind : m;
    }
}
