package dev.hyperc.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir Path dir;

    static byte[] pixels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 37 + 11);
        return b;
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bos)) {
            g.write(b);
        }
        return bos.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private DataError fails(Path p, int rank) {
        DataError e = assertThrows(DataError.class, () -> IdxReader.read(p, rank));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        return e;
    }

    @Test
    void readsRawRank3AndRank1() throws IOException {
        byte[] px = pixels(3 * 4 * 5);
        Path img = dir.resolve("train-images-idx3-ubyte");
        IdxWriter.write(img, new int[] {3, 4, 5}, px, false);
        IdxReader.Idx idx = IdxReader.readImages(img);
        assertArrayEquals(new int[] {3, 4, 5}, idx.dims());
        assertEquals(3, idx.count());
        assertEquals(20, idx.itemSize());
        assertArrayEquals(px, idx.data());
        assertEquals(px[7] & 0xff, idx.get(7));

        Path lab = dir.resolve("train-labels-idx1-ubyte");
        IdxWriter.write(lab, new int[] {3}, new byte[] {7, 0, (byte) 200}, false);
        IdxReader.Idx l = IdxReader.readLabels(lab);
        assertArrayEquals(new int[] {3}, l.dims());
        assertEquals(200, l.get(2));
        assertEquals(16 + 60, Files.size(img)); // 16-byte header + payload, uncompressed
    }

    @Test
    void gzipIsDetectedByMagicNotByName() throws IOException {
        byte[] px = pixels(2 * 28 * 28);
        // A gzip file without .gz, and a raw file with .gz: both read by content.
        Path gz = dir.resolve("images-no-suffix");
        Files.write(gz, gzip(concat(IdxWriter.header(new int[] {2, 28, 28}), px)));
        assertArrayEquals(px, IdxReader.readImages(gz).data());
        Path raw = dir.resolve("raw.gz");
        IdxWriter.write(raw, new int[] {2, 28, 28}, px, false);
        assertArrayEquals(px, IdxReader.readImages(raw).data());
        Path viaWriter = dir.resolve("w.gz");
        IdxWriter.write(viaWriter, new int[] {2, 28, 28}, px, true);
        assertEquals(0x1f, Files.readAllBytes(viaWriter)[0] & 0xff);
        assertArrayEquals(px, IdxReader.read(viaWriter).data());
    }

    @Test
    void truncatedRawFileSaysHowManyBytes() throws IOException {
        Path p = dir.resolve("train-images-idx3-ubyte");
        Files.write(p, concat(IdxWriter.header(new int[] {60000, 28, 28}), new byte[1234]));
        String m = fails(p, 3).getMessage();
        assertTrue(m.contains("truncated: header says 60000 images of 28x28 (47040000 bytes) but only 1234 bytes follow"), m);
        assertTrue(m.contains("scripts/fetch-data.sh"), m);
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] whole = gzip(concat(IdxWriter.header(new int[] {50, 28, 28}), pixels(50 * 784)));
        Path p = dir.resolve("t10k-images-idx3-ubyte.gz");
        Files.write(p, Arrays.copyOf(whole, whole.length / 2));
        String m = fails(p, 3).getMessage();
        assertTrue(m.contains("truncated") && m.contains("50 images of 28x28 (39200 bytes)"), m);
        assertTrue(m.contains("scripts/fetch-data.sh"), m);
    }

    @Test
    void gzipOfATruncatedFile() throws IOException {
        Path p = dir.resolve("labels.gz");
        Files.write(p, gzip(concat(IdxWriter.header(new int[] {10}), new byte[4])));
        assertTrue(fails(p, 1).getMessage().contains("truncated: header says 10 labels (10 bytes) but only 4 bytes follow"));
    }

    @Test
    void extraBytesAreAMismatch() throws IOException {
        Path p = dir.resolve("labels");
        Files.write(p, concat(IdxWriter.header(new int[] {10}), new byte[13]));
        String m = fails(p, 1).getMessage();
        assertTrue(m.contains("header says 10 labels (10 bytes) but 13 bytes follow (3 too many)"), m);
        Path g = dir.resolve("labels.gz");
        Files.write(g, gzip(concat(IdxWriter.header(new int[] {10}), new byte[13])));
        assertTrue(fails(g, 1).getMessage().contains("13 bytes follow (3 too many)"));
    }

    @Test
    void badMagic() throws IOException {
        Path p = dir.resolve("train-images-idx3-ubyte");
        Files.write(p, "PK\3\4 this is a zip".getBytes());
        String m = fails(p, 3).getMessage();
        assertTrue(m.contains("not an IDX file") && m.contains("50 4b 03 04"), m);
        assertTrue(m.contains("scripts/fetch-data.sh"), m);
        Path html = dir.resolve("page.gz");
        Files.write(html, gzip("<html>404</html>".getBytes()));
        assertTrue(fails(html, -1).getMessage().contains("after decompression, it starts with bytes 3c 68 74 6d"));
    }

    @Test
    void unsupportedTypeWrongRankAndTinyFiles() throws IOException {
        Path f = dir.resolve("floats");
        Files.write(f, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
        assertTrue(fails(f, -1).getMessage().contains("IDX element type 0x0d (float) is not supported"));
        Path u = dir.resolve("unknown");
        Files.write(u, new byte[] {0, 0, 0x42, 1, 0, 0, 0, 0});
        assertTrue(fails(u, -1).getMessage().contains("unknown IDX element type 0x42"));

        Path labels = dir.resolve("labels");
        IdxWriter.write(labels, new int[] {4}, new byte[4], false);
        String m = fails(labels, 3).getMessage();
        assertTrue(m.contains("has rank 1 (4 labels), expected rank 3"), m);

        Path r0 = dir.resolve("rank0");
        Files.write(r0, new byte[] {0, 0, 8, 0});
        assertTrue(fails(r0, -1).getMessage().contains("rank 0"));

        Path shortHeader = dir.resolve("short");
        Files.write(shortHeader, new byte[] {0, 0, 8, 3, 0, 0, 0, 5, 0, 0});
        assertTrue(fails(shortHeader, 3).getMessage().contains("truncated: the header says rank 3 (16 header bytes) but the file ends after 10 bytes"));

        Path three = dir.resolve("three");
        Files.write(three, new byte[] {0, 0, 8});
        assertTrue(fails(three, -1).getMessage().contains("only 3 bytes"));

        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        assertTrue(fails(empty, -1).getMessage().contains("empty file"));

        Path huge = dir.resolve("huge");
        Files.write(huge, new byte[] {0, 0, 8, 3, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 28, 0, 0, 0, 28});
        assertTrue(fails(huge, 3).getMessage().contains("dimension 0 is 4294967295, too large"));
        Path big = dir.resolve("big");
        Files.write(big, new byte[] {0, 0, 8, 3, 0, 0x10, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0});
        assertTrue(fails(big, 3).getMessage().contains("more than 2^31 bytes"));
    }

    @Test
    void missingFileSaysHowToFetch() {
        Path p = dir.resolve("nope-idx1-ubyte");
        String m = fails(p, 1).getMessage();
        assertTrue(m.contains("file not found") && m.contains("scripts/fetch-data.sh"), m);
    }
}
