package dev.hyperc.runtime.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and FashionMNIST: a 4-byte magic {@code 00 00 TYPE RANK},
 * {@code RANK} big-endian unsigned 32-bit dimensions, then the elements in row-major order.
 *
 * <p>Files may be raw or gzip-compressed; gzip is recognised by its magic bytes {@code 1f 8b},
 * not by the file name. Only the unsigned-byte element type ({@code 0x08}) is supported, which is
 * what every MNIST-like dataset uses; other types are recognised and refused by name. Every check
 * that fails (magic, type, rank, dimensions, payload length, trailing bytes, gzip damage) throws a
 * {@link DataError} whose message names the file, says exactly what is wrong and how to fetch the
 * data again.
 */
public final class IdxReader {
    /** The unsigned-byte element type code. */
    public static final int UBYTE = 0x08;
    /** The largest rank accepted. */
    public static final int MAX_RANK = 8;

    private IdxReader() {}

    /** The contents of an IDX file of unsigned bytes. */
    public record Idx(Path file, int[] dims, byte[] data) {
        public Idx {
            dims = dims.clone();
        }

        @Override
        public int[] dims() { return dims.clone(); }

        public int rank() { return dims.length; }

        /** The first dimension: the number of items (images, labels). */
        public int count() { return dims[0]; }

        /** The number of bytes per item: the product of the dimensions after the first. */
        public int itemSize() {
            int s = 1;
            for (int i = 1; i < dims.length; i++) s *= dims[i];
            return s;
        }

        /** The unsigned value of element {@code i}. */
        public int get(int i) { return data[i] & 0xff; }

        @Override
        public String toString() { return "Idx[" + file + ", " + describe(dims) + "]"; }
    }

    /** Reads an IDX file of any rank from 1 to {@link #MAX_RANK}. */
    public static Idx read(Path file) { return read(file, -1); }

    /** Reads a rank-3 IDX file: {@code count x rows x cols} images. */
    public static Idx readImages(Path file) { return read(file, 3); }

    /** Reads a rank-1 IDX file: {@code count} labels. */
    public static Idx readLabels(Path file) { return read(file, 1); }

    /**
     * Reads an IDX file, requiring the given rank ({@code -1}: any rank from 1 to {@link #MAX_RANK}).
     *
     * @throws DataError if the file is missing, unreadable or not a well-formed ubyte IDX file
     */
    public static Idx read(Path file, int expectedRank) {
        String name = file.toString();
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataError(name + ": file not found. " + DataError.FETCH_HINT, e);
        } catch (IOException e) {
            throw new DataError(name + ": cannot read: " + e.getMessage() + ". " + DataError.FETCH_HINT, e);
        }
        if (Files.isDirectory(file)) throw new DataError(name + ": is a directory, expected an IDX file. " + DataError.FETCH_HINT);
        if (fileSize == 0) throw new DataError(name + ": empty file (0 bytes); an IDX file starts with a 4-byte header. " + DataError.FETCH_HINT);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
                return parse(file, in, gzip, gzip ? -1 : fileSize, expectedRank);
            }
        } catch (DataError e) {
            throw e;
        } catch (EOFException e) {
            // Raised by GZIPInputStream while reading the header: the compressed stream is cut short.
            throw new DataError(name + ": truncated gzip stream: it ends before the IDX header is complete. " + DataError.FETCH_HINT, e);
        } catch (ZipException e) {
            throw new DataError(name + ": corrupt gzip data (" + e.getMessage() + "). " + DataError.FETCH_HINT, e);
        } catch (IOException e) {
            throw new DataError(name + ": cannot read: " + e.getMessage() + ". " + DataError.FETCH_HINT, e);
        }
    }

    private static Idx parse(Path file, InputStream in, boolean gzip, long fileSize, int expectedRank) throws IOException {
        String name = file.toString();
        String what = gzip ? "after decompression, " : "";
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new DataError(name + ": truncated: " + what + "only " + magic.length + " bytes, but an IDX header needs at least 4. " + DataError.FETCH_HINT);
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DataError(name + ": not an IDX file: " + what + "it starts with bytes " + hex(magic)
                    + ", but IDX files start with 00 00 <type> <rank>. " + DataError.FETCH_HINT);
        }
        int type = magic[2] & 0xff, rank = magic[3] & 0xff;
        if (type != UBYTE) {
            String tn = typeName(type);
            throw new DataError(name + ": " + (tn == null ? "unknown IDX element type 0x" + hex2(type)
                    : "IDX element type 0x" + hex2(type) + " (" + tn + ") is not supported")
                    + "; hyperc reads unsigned-byte IDX files (type 0x08), as MNIST and FashionMNIST use. " + DataError.FETCH_HINT);
        }
        if (rank < 1 || rank > MAX_RANK) {
            throw new DataError(name + ": bad IDX header: rank " + rank + " (expected 1 to " + MAX_RANK + "). " + DataError.FETCH_HINT);
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new DataError(name + ": truncated: the header says rank " + rank + " (" + (4 + 4 * rank)
                    + " header bytes) but " + what + "the file ends after " + (4 + dimBytes.length) + " bytes. " + DataError.FETCH_HINT);
        }
        int[] dims = new int[rank];
        long payload = 1;
        for (int i = 0; i < rank; i++) {
            long d = ((dimBytes[4 * i] & 0xffL) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16) | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            if (d > Integer.MAX_VALUE) {
                throw new DataError(name + ": bad IDX header: dimension " + i + " is " + d + ", too large. " + DataError.FETCH_HINT);
            }
            dims[i] = (int) d;
            payload *= d;
            if (payload > Integer.MAX_VALUE - 16) {
                throw new DataError(name + ": bad IDX header: dimensions " + dimsText(dimBytes, rank) + " make more than 2^31 bytes; hyperc reads IDX files smaller than 2 GiB. " + DataError.FETCH_HINT);
            }
        }
        if (expectedRank > 0 && rank != expectedRank) {
            throw new DataError(name + ": has rank " + rank + " (" + describe(dims) + "), expected rank " + expectedRank
                    + (expectedRank == 3 ? " (count x rows x cols images)" : expectedRank == 1 ? " (a vector of labels)" : "")
                    + "; is it the right file? " + DataError.FETCH_HINT);
        }
        int n = (int) payload;
        long headerLen = 4 + 4L * rank;
        if (fileSize >= 0) {
            long follow = fileSize - headerLen;
            if (follow < n) throw truncated(name, dims, n, follow, "");
            if (follow > n) throw extra(name, dims, n, follow, "");
        }
        byte[] data = new byte[n];
        int got = 0;
        try {
            while (got < n) {
                int r = in.read(data, got, n - got);
                if (r < 0) break;
                got += r;
            }
        } catch (EOFException e) {
            throw truncated(name, dims, n, got, " (the gzip stream is cut short)");
        }
        if (got < n) throw truncated(name, dims, n, got, "");
        long more = 0;
        try {
            byte[] sink = new byte[8192];
            for (int r; (r = in.read(sink)) > 0; ) more += r;
        } catch (EOFException e) {
            // A payload followed by a damaged tail: still a mismatched file.
            if (more == 0) more = 1;
        }
        if (more > 0) throw extra(name, dims, n, n + more, "");
        return new Idx(file, dims, data);
    }

    private static DataError truncated(String name, int[] dims, long need, long have, String why) {
        return new DataError(name + ": truncated" + why + ": header says " + describe(dims) + " (" + need + " bytes) but only "
                + have + " bytes follow. " + DataError.FETCH_HINT);
    }

    private static DataError extra(String name, int[] dims, long need, long have, String why) {
        return new DataError(name + ": size mismatch" + why + ": header says " + describe(dims) + " (" + need + " bytes) but "
                + have + " bytes follow (" + (have - need) + " too many); the file is damaged or not what its header says. " + DataError.FETCH_HINT);
    }

    /** "60000 images of 28x28", "60000 labels", or "an array of 2x3x4x5". */
    static String describe(int[] dims) {
        return switch (dims.length) {
            case 1 -> dims[0] + " labels";
            case 3 -> dims[0] + " images of " + dims[1] + "x" + dims[2];
            default -> "an array of " + String.join("x", Arrays.stream(dims).mapToObj(Integer::toString).toList());
        };
    }

    private static String dimsText(byte[] dimBytes, int rank) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rank; i++) {
            long d = ((dimBytes[4 * i] & 0xffL) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16) | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            if (i > 0) sb.append('x');
            sb.append(d);
        }
        return sb.toString();
    }

    static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> null;
        };
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(hex2(b[i] & 0xff));
        }
        return sb.toString();
    }

    private static String hex2(int v) { return String.format("%02x", v); }
}
