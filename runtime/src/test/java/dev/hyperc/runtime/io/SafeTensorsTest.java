package dev.hyperc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.report.JsonOut;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    /**
     * The smallest interesting file, computed by hand from the spec: a scalar f32 "a" = 1.5 and an i32 "b" =
     * [1, -2], with metadata format=pt. The header JSON is 138 bytes, padded with 6 spaces to N = 144 = 0x90;
     * "a" comes first (sorted names), so its 4 bytes are [0,4) and b's 8 bytes are [4,12).
     */
    @Test
    void aTinyFileMatchesTheSpecByteForByte() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("b", HostTensor.i32(new int[] {2}, new int[] {1, -2}));
        t.put("a", HostTensor.scalar(1.5f));
        byte[] actual = SafeTensors.toBytes(t, Map.of("format", "pt"));

        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertEquals(138, json.length());
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {(byte) 0x90, 0, 0, 0, 0, 0, 0, 0}); // N = 144, u64 little-endian
        expected.writeBytes((json + "      ").getBytes(StandardCharsets.US_ASCII)); // 138 + 6 spaces
        expected.writeBytes(new byte[] {0, 0, (byte) 0xC0, 0x3F}); // 1.5f = 0x3FC00000
        expected.writeBytes(new byte[] {1, 0, 0, 0}); // 1
        expected.writeBytes(new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}); // -2
        assertEquals(164, expected.size());
        assertArrayEquals(expected.toByteArray(), actual);
    }

    /** The safetensors package sorts by dtype (descending in its enum, where I32 precedes F32), then by name. */
    @Test
    void f32TensorsPrecedeI32OnesAsInTheReferenceWriter() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("a", HostTensor.i32(new int[] {1}, new int[] {7}));
        t.put("c", HostTensor.f32(new int[] {1}, new float[] {1f}));
        t.put("b", HostTensor.f32(new int[] {1}, new float[] {2f}));
        byte[] b = SafeTensors.toBytes(t, null);
        String json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        int n = (json.length() + 7) / 8 * 8;
        assertEquals(n, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(json + " ".repeat(n - json.length()), new String(b, 8, n, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {0, 0, 0, 0x40, 0, 0, (byte) 0x80, 0x3F, 7, 0, 0, 0}, Arrays.copyOfRange(b, 8 + n, b.length));
    }

    @Test
    void noMetadataMeansNoMetadataKey() {
        byte[] b = SafeTensors.toBytes(Map.of("x", HostTensor.i32(new int[] {1}, new int[] {7})), Map.of());
        String json = "{\"x\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertEquals(json.length() + 8 - json.length() % 8, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(json + " ".repeat(8 - json.length() % 8), new String(b, 8, b.length - 12, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {7, 0, 0, 0}, Arrays.copyOfRange(b, b.length - 4, b.length));
    }

    static Map<String, HostTensor> sample() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("target.layer2.weight", HostTensor.f32(new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, Float.NaN}));
        t.put("target.layer1.bias", HostTensor.f32(new int[] {3}, new float[] {-1e-30f, 0, Float.NEGATIVE_INFINITY}));
        t.put("task_id", HostTensor.i32(new int[] {}, new int[] {1}));
        t.put("empty", HostTensor.f32(new int[] {2, 0}, new float[0]));
        t.put("Zeta \"quoted\" é", HostTensor.i32(new int[] {1, 1, 2}, new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}));
        return t;
    }

    @Test
    void writeThenReadGivesTheSameTensorsAndMetadata() {
        Path file = tmp.resolve("out/weights.safetensors");
        Map<String, String> meta = Map.of("task", "1", "model", "multitask_mnist", "note", "tab\there, ünïcode");
        SafeTensors.write(file, sample(), meta);
        SafeTensors.Contents back = SafeTensors.read(file);
        assertEquals(sample(), back.tensors());
        assertEquals(meta, back.metadata());
        assertEquals(List.of("empty", "target.layer1.bias", "target.layer2.weight", "Zeta \"quoted\" é", "task_id"), List.copyOf(back.tensors().keySet()),
                "data is laid out as the reference writer does: F32 before I32, then by name");
        assertEquals(List.of("weights.safetensors"), CheckpointTest.names(file.getParent()), "no temporary file remains");
    }

    @Test
    void theFileHoldsExactlyTheBytesOfToBytesAndIsWellFormed() throws IOException {
        Path file = tmp.resolve("w.safetensors");
        SafeTensors.write(file, sample(), Map.of("k", "v"));
        byte[] b = Files.readAllBytes(file);
        assertArrayEquals(SafeTensors.toBytes(sample(), Map.of("k", "v")), b);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals('{', header.charAt(0));
        Map<String, Object> h = JsonOut.parseObject(header);
        assertEquals("__metadata__", h.keySet().iterator().next(), "metadata first, as the reference writer does");
        long pos = 0;
        for (Map.Entry<String, Object> e : h.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            List<?> offs = (List<?>) ((Map<?, ?>) e.getValue()).get("data_offsets");
            assertEquals(pos, offs.get(0), "contiguous: " + e.getKey());
            pos = (Long) offs.get(1);
        }
        assertEquals(b.length - 8 - n, pos, "the tensors cover the whole byte buffer");
    }

    @Test
    void largeTensorsRoundTrip() {
        int n = 600_000;
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = i * 0.5f;
        Map<String, HostTensor> t = Map.of("a", HostTensor.f32(new int[] {n}, f), "b", HostTensor.i32(new int[] {3}, new int[] {1, 2, 3}));
        Path file = tmp.resolve("big.safetensors");
        SafeTensors.write(file, t, null);
        assertEquals(t, SafeTensors.read(file).tensors());
    }

    @Test
    void theReaderAcceptsAnyKeyOrderAndLayoutTheSpecAllows() {
        // Pretty JSON, no padding, keys in an order unrelated to the data's, metadata last.
        String header = "{\n  \"second\": {\"data_offsets\": [8, 12], \"dtype\": \"I32\", \"shape\": [1]},\n"
                + "  \"first\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},\n"
                + "  \"__metadata__\": {\"a\": \"b\"}\n}";
        byte[] file = build(header, new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40, 5, 0, 0, 0});
        SafeTensors.Contents c = SafeTensors.fromBytes(file);
        assertEquals(HostTensor.f32(new int[] {2}, new float[] {1f, 2f}), c.tensors().get("first"));
        assertEquals(HostTensor.i32(new int[] {1}, new int[] {5}), c.tensors().get("second"));
        assertEquals(Map.of("a", "b"), c.metadata());
        assertEquals(List.of("first", "second"), List.copyOf(c.tensors().keySet()), "tensors come back in data order");
    }

    @Test
    void anEmptyHeaderObjectIsAValidEmptyFile() {
        SafeTensors.Contents c = SafeTensors.fromBytes(build("{}", new byte[0]));
        assertEquals(Map.of(), c.tensors());
        assertEquals(Map.of(), c.metadata());
        assertArrayEquals(build("{}      ", new byte[0]), SafeTensors.toBytes(Map.of(), Map.of()));
    }

    @Test
    void writerRefusesReservedAndEmptyNames() {
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(Map.of("__metadata__", HostTensor.scalar(1)), null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(Map.of("", HostTensor.scalar(1)), null));
    }

    @Test
    void readerErrorsNameTheFileAndTheProblem() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        String f32x2 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        byte[] eight = new byte[8];
        assertBad(file, new byte[] {1, 2, 3}, "it has 3 bytes, too few for the 8-byte header length");
        assertBad(file, build("{\"a\":" + f32x2 + "[0,8]}}", new byte[4]), "it is truncated: its tensors need 8 data bytes but only 4 follow the header");
        assertBad(file, Arrays.copyOf(build("{\"a\":" + f32x2 + "[0,8]}}", eight), 20), "it is truncated: its header length is");
        assertBad(file, build("{\"a\":" + f32x2 + "[0,8]}}", new byte[12]), "it has 4 bytes after the last tensor's data");
        assertBad(file, build("{\"a\":" + f32x2 + "[4,12]}}", new byte[12]), "its byte buffer has a hole before tensor 'a' (bytes 0 to 4 belong to no tensor)");
        assertBad(file, build("{\"a\":" + f32x2 + "[0,8]},\"b\":" + f32x2 + "[4,12]}}", new byte[12]), "tensor 'b' overlaps another tensor's data");
        assertBad(file, build("{\"a\":" + f32x2 + "[0,12]}}", new byte[12]), "tensor 'a' has 12 data bytes but its shape [2] and dtype F32 need 8");
        assertBad(file, build("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a' has dtype F16, which hyperc cannot load (it reads F32 and I32)");
        assertBad(file, build("{\"__metadata__\":{\"n\":1}}", new byte[0]), "its metadata value for \"n\" is a number, not a string");
        assertBad(file, build("{\"a\":" + f32x2 + "[0,8]},\"a\":" + f32x2 + "[8,16]}}", new byte[16]), "duplicate key \"a\"");
        assertBad(file, build("[1,2]", new byte[0]), "its header does not start with '{'");
        assertBad(file, build(" {}", new byte[0]), "its header does not start with '{'");
        assertBad(file, build("{\"a\":", new byte[0]), "its header is not valid JSON");
        assertBad(file, build("{\"a\":" + f32x2 + "[8,0]}}", new byte[8]), "tensor 'a' has bad data_offsets [8, 0]");
        assertBad(file, build("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", new byte[0]), "tensor 'a' has a bad shape [-1]");
        byte[] huge = new byte[16];
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L);
        assertBad(file, huge, "its header length 200000000 exceeds the 100 MB limit");
        byte[] badUtf8 = build("{\"\u00e9\":1}", new byte[0]);
        badUtf8[10] = (byte) 0xFF;
        assertBad(file, badUtf8, "its header is not valid UTF-8");
    }

    private static void assertBad(Path file, byte[] bytes, String detail) throws IOException {
        Files.write(file, bytes);
        SafeTensorsError e = assertThrows(SafeTensorsError.class, () -> SafeTensors.read(file), detail);
        assertTrue(e.getMessage().startsWith(file + " is not a valid safetensors file: "), e.getMessage());
        assertTrue(e.getMessage().contains(detail), "expected \"" + detail + "\" in: " + e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = tmp.resolve("nope.safetensors");
        SafeTensorsError e = assertThrows(SafeTensorsError.class, () -> SafeTensors.read(file));
        assertEquals("no such file: " + file, e.getMessage());
    }

    @Test
    void anUnwritableTargetIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("d.safetensors"));
        SafeTensorsError e = assertThrows(SafeTensorsError.class, () -> SafeTensors.write(dir, sample(), null));
        assertTrue(e.getMessage().startsWith("cannot write " + dir + ": "), e.getMessage());
    }

    /** A file: N, the header as given (no padding added), the data. */
    static byte[] build(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }
}
