package dev.hyperc.runtime.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPOutputStream;

/** Writes unsigned-byte IDX files, raw or gzip-compressed, atomically (temp file + rename). */
public final class IdxWriter {
    private IdxWriter() {}

    /** Writes {@code data} with dimensions {@code dims} to {@code file}; gzip-compressed if {@code gzip}. */
    public static void write(Path file, int[] dims, byte[] data, boolean gzip) {
        if (dims.length < 1 || dims.length > IdxReader.MAX_RANK) throw new IllegalArgumentException("rank " + dims.length);
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension");
            n *= d;
        }
        if (n != data.length) throw new IllegalArgumentException("dims need " + n + " bytes, got " + data.length);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            // A sibling created the ordinary way, so the umask applies (createTempFile would make it 0600).
            Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
            try {
                try (OutputStream fo = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16);
                     OutputStream out = gzip ? new GZIPOutputStream(fo, 1 << 16) : fo) {
                    out.write(header(dims));
                    out.write(data);
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The IDX header for unsigned bytes of the given dimensions. */
    public static byte[] header(int[] dims) {
        byte[] h = new byte[4 + 4 * dims.length];
        h[2] = (byte) IdxReader.UBYTE;
        h[3] = (byte) dims.length;
        for (int i = 0; i < dims.length; i++) {
            int d = dims[i];
            h[4 + 4 * i] = (byte) (d >>> 24);
            h[5 + 4 * i] = (byte) (d >>> 16);
            h[6 + 4 * i] = (byte) (d >>> 8);
            h[7 + 4 * i] = (byte) d;
        }
        return h;
    }
}
