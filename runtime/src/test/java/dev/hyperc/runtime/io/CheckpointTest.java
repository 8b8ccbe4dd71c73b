package dev.hyperc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.runtime.HostTensor;
import dev.hyperc.runtime.report.JsonOut;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckpointTest {
    static final String KATA_HASH = Checkpoint.sha256Hex("model kata { ... }");
    static final String MNIST_HASH = Checkpoint.sha256Hex("model multitask_mnist { ... }");

    @TempDir
    Path tmp;

    @AfterEach
    void resetHook() { AtomicFile.crashHook = stage -> {}; }

    static Checkpoint sample(String model, String hash, long step) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("gen.w", HostTensor.f32(new int[] {2, 3}, new float[] {1f, -2f, 3.5f, Float.NaN, Float.POSITIVE_INFINITY, -0f}));
        t.put("adam.t", HostTensor.i32(new int[] {1}, new int[] {(int) step}));
        t.put("bn.mean", HostTensor.f32(new int[] {3}, new float[] {0.25f, step, 1e-30f})); // 12 bytes: next one needs padding
        t.put("lr", HostTensor.scalar(3e-4f));
        t.put("empty", HostTensor.f32(new int[] {0, 4}, new float[0]));
        t.put("labels", HostTensor.i32(new int[] {5}, new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("hyperc", "0.1.0");
        meta.put("note", "ünïcode \"quoted\" back\\slash\nnew line");
        return new Checkpoint(model, hash, step, step / 10, new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE, step}, t, meta);
    }

    static Checkpoint kata(long step) { return sample("kata", KATA_HASH, step); }

    // ---------------------------------------------------------------------------------------------
    // Round trips

    @Test
    void roundTripInADirectory() {
        Checkpoint ck = kata(1250);
        Path dir = tmp.resolve("runs");
        Path written = Checkpoint.save(dir, ck);
        assertEquals(dir.resolve("checkpoint.hyperckpt"), written);
        Checkpoint back = Checkpoint.load(dir, "kata", KATA_HASH);
        assertEquals(ck, back);
        assertEquals(List.copyOf(ck.tensors().keySet()), List.copyOf(back.tensors().keySet()), "tensor order is kept");
        assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE, 1250}, back.rng());
        assertEquals(1250, back.step());
        assertEquals(125, back.epoch());
        assertEquals("ünïcode \"quoted\" back\\slash\nnew line", back.metadata().get("note"));
        assertEquals(HostTensor.i32(new int[] {5}, new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}), back.tensor("labels"));
        assertFalse(back.tensor("labels").isF32());
        assertEquals(0, Float.compare(-0f, back.tensor("gen.w").f32()[5]), "bit-exact: -0.0 stays -0.0");
        assertTrue(Float.isNaN(back.tensor("gen.w").f32()[3]));
        assertArrayEquals(new int[] {0, 4}, back.tensor("empty").shape());
        assertArrayEquals(new int[0], back.tensor("lr").shape());
    }

    @Test
    void roundTripOfASingleFileWithoutRotation() {
        Path file = tmp.resolve("sub/my.hyperckpt");
        assertEquals(file, Checkpoint.save(file, kata(1)));
        assertEquals(file, Checkpoint.save(file, kata(2)));
        assertEquals(kata(2), Checkpoint.load(file, "kata", KATA_HASH));
        assertEquals(List.of("my.hyperckpt"), names(file.getParent()));
    }

    @Test
    void roundTripOfLargeTensorsCrossingBufferBoundaries() {
        int n = 700_001; // 2.8 MB: crosses the 1 MiB I/O buffer, odd length so padding follows
        float[] f = new float[n];
        int[] k = new int[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) Math.sin(i) * i;
            k[i] = i * 7919;
        }
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("f", HostTensor.f32(new int[] {n}, f));
        t.put("small", HostTensor.f32(new int[] {1}, new float[] {42f}));
        t.put("k", HostTensor.i32(new int[] {1, n}, k));
        Checkpoint ck = new Checkpoint("big", KATA_HASH, 7, 1, new long[] {3}, t, Map.of());
        Checkpoint.save(tmp, ck);
        assertEquals(ck, Checkpoint.load(tmp, "big", KATA_HASH));
    }

    @Test
    void readSkipsTheModelCheck() {
        Checkpoint.save(tmp, kata(3));
        assertEquals(kata(3), Checkpoint.read(tmp));
        assertTrue(Checkpoint.exists(tmp));
        assertFalse(Checkpoint.exists(tmp.resolve("elsewhere")));
    }

    @Test
    void theModelHashIsCaseInsensitive() {
        Checkpoint.save(tmp, sample("kata", KATA_HASH.toUpperCase(), 1));
        assertEquals(KATA_HASH, Checkpoint.read(tmp).modelHash());
        assertEquals(kata(1), Checkpoint.load(tmp, "kata", KATA_HASH.toUpperCase()));
    }

    @Test
    void constructorCopiesAndChecks() {
        long[] rng = {1, 2};
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("w", HostTensor.scalar(1));
        Checkpoint ck = new Checkpoint("m", "ab12", 0, 0, rng, t, null);
        rng[0] = 99;
        t.put("x", HostTensor.scalar(2));
        ck.rng()[1] = 99;
        assertArrayEquals(new long[] {1, 2}, ck.rng());
        assertEquals(List.of("w"), List.copyOf(ck.tensors().keySet()));
        assertEquals(Map.of(), ck.metadata());
        assertThrows(UnsupportedOperationException.class, () -> ck.tensors().put("y", HostTensor.scalar(3)));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("m", "not-hex", 0, 0, null, Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("m", "", 0, 0, null, Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("", "ab", 0, 0, null, Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint("m", "ab", 0, 0, null, Map.of("", HostTensor.scalar(1)), null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ck.tensor("nope"));
        assertEquals("checkpoint has no tensor 'nope'; it has [w]", e.getMessage());
    }

    @Test
    void sha256HexMatchesTheStandardTestVector() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Checkpoint.sha256Hex("abc"));
    }

    // ---------------------------------------------------------------------------------------------
    // The byte layout

    @Test
    void fileLayoutMatchesTheDocumentedFormat() throws Exception {
        Checkpoint ck = kata(5);
        Path file = Checkpoint.save(tmp, ck);
        byte[] b = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("HYPERCKPT", new String(b, 0, 9, StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[3], Arrays.copyOfRange(b, 9, 12));
        assertEquals(1, bb.getInt(12));
        long h = bb.getLong(16);
        long d = bb.getLong(24);
        assertEquals(0, h % 8);
        assertEquals(0, d % 8);
        assertEquals(32 + h + d + 32, b.length);

        // the trailer is the SHA-256 of everything before it, as sha256sum would compute it
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(b, b.length - 32));
        assertArrayEquals(expected, Arrays.copyOfRange(b, b.length - 32, b.length));

        String headerText = new String(b, 32, (int) h, StandardCharsets.UTF_8);
        assertTrue(headerText.startsWith("{\"model\":\"kata\","), headerText);
        assertTrue(headerText.stripTrailing().endsWith("}"));
        assertTrue(countTrailingSpaces(headerText) < 8, "padded with fewer than 8 spaces");
        Map<String, Object> hdr = JsonOut.parseObject(headerText);
        assertEquals("kata", hdr.get("model"));
        assertEquals(KATA_HASH, hdr.get("model_hash"));
        assertEquals(5L, hdr.get("step"));
        assertEquals(0L, hdr.get("epoch"));
        assertEquals(List.of(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE, 5L), hdr.get("rng"));
        assertEquals(Map.of("hyperc", "0.1.0", "note", "ünïcode \"quoted\" back\\slash\nnew line"), hdr.get("metadata"));
        List<?> tensors = (List<?>) hdr.get("tensors");
        assertEquals(6, tensors.size());
        long prevEnd = 0;
        for (Object o : tensors) {
            Map<?, ?> t = (Map<?, ?>) o;
            long off = (Long) t.get("offset");
            long len = (Long) t.get("length");
            assertEquals(0, off % 8, "8-byte aligned: " + t);
            assertEquals(LeChannels.align8(prevEnd), off, "packed in order: " + t);
            prevEnd = off + len;
            HostTensor ht = ck.tensor((String) t.get("name"));
            assertEquals(ht.isF32() ? "F32" : "I32", t.get("dtype"));
            assertEquals(4L * ht.numel(), len);
            List<Long> shape = Arrays.stream(ht.shape()).mapToObj(x -> (long) x).toList();
            assertEquals(shape, t.get("shape"));
            for (int i = 0; i < ht.numel(); i++) {
                int bits = bb.getInt((int) (32 + h + off + 4L * i));
                assertEquals(ht.isF32() ? Float.floatToRawIntBits(ht.f32()[i]) : ht.i32()[i], bits, "element " + i + " of " + t.get("name"));
            }
        }
        assertEquals(LeChannels.align8(prevEnd), d);
        // padding is zero
        // gen.w at 0 (24 bytes), adam.t at 24 (4), bn.mean at 32 (12), then 4 zero bytes, lr at 48
        assertArrayEquals(new byte[4], Arrays.copyOfRange(b, (int) (32 + h + 44), (int) (32 + h + 48)), "the gap after bn.mean is zero");
    }

    private static int countTrailingSpaces(String s) {
        int n = 0;
        for (int i = s.length() - 1; i >= 0 && s.charAt(i) == ' '; i--) n++;
        return n;
    }

    // ---------------------------------------------------------------------------------------------
    // Damage

    @Test
    void aFlippedByteAnywhereAfterThePreambleIsACorruptChecksum() throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        byte[] good = Files.readAllBytes(file);
        long h = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(16);
        int[] positions = {9, 33, 40, (int) (32 + h / 2), (int) (32 + h), (int) (32 + h + 9), good.length - 33, good.length - 32, good.length - 1};
        for (int pos : positions) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x10;
            Files.write(file, bad);
            CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "kata", KATA_HASH), "flip at " + pos);
            assertEquals("checkpoint " + file + " is corrupt: its SHA-256 checksum does not match its contents", e.getMessage(), "flip at " + pos);
            assertEquals(file, e.file());
        }
    }

    @Test
    void aFlippedByteInTheMagicIsNotACheckpoint() throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        byte[] b = Files.readAllBytes(file);
        b[0] = 'X';
        Files.write(file, b);
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "kata", KATA_HASH));
        assertEquals(file + " is not a hyperc checkpoint (it does not start with \"HYPERCKPT\")", e.getMessage());
    }

    @Test
    void aTextFileIsNotACheckpoint() throws IOException {
        Path file = tmp.resolve("notes.hyperckpt");
        Files.writeString(file, "these are my training notes, not a checkpoint at all");
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(file, "kata", KATA_HASH));
        assertEquals(file + " is not a hyperc checkpoint (it does not start with \"HYPERCKPT\")", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 9, 20, 31, 32, 40, 100, 200, -100, -33, -32, -1})
    void aTruncatedFileIsReportedAsTruncated(int cut) throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        byte[] good = Files.readAllBytes(file);
        int len = cut >= 0 ? cut : good.length + cut;
        Files.write(file, Arrays.copyOf(good, len));
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "kata", KATA_HASH));
        assertTrue(e.getMessage().startsWith("checkpoint " + file + " is truncated: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("; it was damaged or cut short after it was written (hyperc itself never leaves a partial checkpoint under this name)"),
                e.getMessage());
        if (len == 0) assertTrue(e.getMessage().contains("it is empty"));
        if (len >= 32) assertTrue(e.getMessage().contains("it has " + len + " bytes but its preamble says " + good.length), e.getMessage());
    }

    @Test
    void extraBytesAfterTheEndAreCorruption() throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        Files.write(file, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.read(tmp));
        assertEquals("checkpoint " + file + " is corrupt: it has 3 unexpected bytes after its end", e.getMessage());
    }

    @Test
    void aNewerFormatVersionIsRefusedByName() throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        byte[] b = Files.readAllBytes(file);
        b[12] = 2;
        Files.write(file, b);
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.read(tmp));
        assertEquals("checkpoint " + file + " was written by a newer hyperc (format version 2; this build reads version 1)", e.getMessage());
    }

    @Test
    void aDamagedPreambleIsReported() throws IOException {
        Path file = Checkpoint.save(tmp, kata(9));
        byte[] b = Files.readAllBytes(file);
        b[16] ^= 0x03; // header length no longer a multiple of 8
        Files.write(file, b);
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.read(tmp));
        assertTrue(e.getMessage().startsWith("checkpoint " + file + " is corrupt: its preamble is damaged (header length "), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // Model identity

    @Test
    void aCheckpointOfAnotherModelIsRefused() {
        Path dir = tmp.resolve("runs");
        Checkpoint.save(dir, kata(1));
        Path file = dir.resolve("checkpoint.hyperckpt");
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(dir, "multitask_mnist", MNIST_HASH));
        assertEquals("checkpoint " + file + " was written for model 'kata' (hash " + KATA_HASH.substring(0, 12) + "...) but this is 'multitask_mnist' (hash "
                + MNIST_HASH.substring(0, 12) + "...); use a different --checkpoint directory", e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void aCheckpointOfAnEditedModelIsRefused() {
        Path dir = tmp.resolve("runs");
        Checkpoint.save(dir, kata(1));
        Path file = dir.resolve("checkpoint.hyperckpt");
        String edited = Checkpoint.sha256Hex("model kata { ... edited }");
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(dir, "kata", edited));
        assertEquals("checkpoint " + file + " was written for model 'kata' (hash " + KATA_HASH.substring(0, 12)
                + "...) but the model file changed since this checkpoint was written (hash now " + edited.substring(0, 12)
                + "...); restore the model file, or use a different --checkpoint directory to start afresh", e.getMessage());
    }

    @Test
    void shortHashesAreShownWhole() {
        Checkpoint.save(tmp, sample("kata", "1a2b", 1));
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "multitask_mnist", "9f8e"));
        assertEquals("checkpoint " + tmp.resolve("checkpoint.hyperckpt") + " was written for model 'kata' (hash 1a2b) but this is 'multitask_mnist' (hash 9f8e); "
                + "use a different --checkpoint directory", e.getMessage());
    }

    @Test
    void aMissingCheckpointIsReportedWithItsPath() {
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "kata", KATA_HASH));
        assertEquals("no checkpoint at " + tmp.resolve("checkpoint.hyperckpt"), e.getMessage());
        Path other = tmp.resolve("nowhere");
        e = assertThrows(CheckpointError.class, () -> Checkpoint.load(other, "kata", KATA_HASH));
        assertEquals("no checkpoint at " + other.resolve("checkpoint.hyperckpt"), e.getMessage());
    }

    @Test
    void aMissingLatestPointsAtThePreviousOne() throws IOException {
        Checkpoint.save(tmp, kata(1));
        Checkpoint.save(tmp, kata(2));
        Files.delete(tmp.resolve("checkpoint.hyperckpt"));
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(tmp, "kata", KATA_HASH));
        assertEquals("no checkpoint at " + tmp.resolve("checkpoint.hyperckpt") + " (there is an older one, " + tmp.resolve("checkpoint.prev.hyperckpt")
                + "; rename it to checkpoint.hyperckpt to use it)", e.getMessage());
    }

    @Test
    void anUnwritableLocationIsACheckpointError() throws IOException {
        Path blocker = tmp.resolve("file");
        Files.writeString(blocker, "x");
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.save(blocker, kata(1)));
        assertEquals("cannot create the checkpoint directory for " + blocker.resolve("checkpoint.hyperckpt") + ": " + blocker + " exists and is not a directory",
                e.getMessage());
        e = assertThrows(CheckpointError.class, () -> Checkpoint.save(blocker.resolve("runs"), kata(1)));
        assertTrue(e.getMessage().startsWith("cannot create the checkpoint directory for " + blocker.resolve("runs/checkpoint.hyperckpt") + ": "
                + blocker.resolve("runs") + ": "), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // Rotation and atomicity

    @Test
    void savingRotatesTheLatestToPrevious() {
        Checkpoint.save(tmp, kata(1));
        assertEquals(List.of("checkpoint.hyperckpt"), names(tmp));
        Checkpoint.save(tmp, kata(2));
        assertEquals(kata(2), Checkpoint.read(tmp));
        assertEquals(kata(1), Checkpoint.read(tmp.resolve("checkpoint.prev.hyperckpt")));
        Checkpoint.save(tmp, kata(3));
        assertEquals(kata(3), Checkpoint.read(tmp));
        assertEquals(kata(2), Checkpoint.read(tmp.resolve("checkpoint.prev.hyperckpt")));
        assertEquals(List.of("checkpoint.hyperckpt", "checkpoint.prev.hyperckpt"), names(tmp), "no temporary files remain");
    }

    static final class SimulatedCrash extends RuntimeException {}

    @ParameterizedTest
    @ValueSource(strings = {"written", "rotated", "renamed"})
    void aCrashAtAnyStageLeavesCompleteCheckpoints(String stage) {
        Checkpoint.save(tmp, kata(1));
        Checkpoint.save(tmp, kata(2));
        AtomicFile.crashHook = s -> {
            if (s.equals(stage)) throw new SimulatedCrash();
        };
        assertThrows(SimulatedCrash.class, () -> Checkpoint.save(tmp, kata(3)));
        AtomicFile.crashHook = s -> {};
        long latest = Checkpoint.load(tmp, "kata", KATA_HASH).step();
        long prev = Checkpoint.load(tmp.resolve("checkpoint.prev.hyperckpt"), "kata", KATA_HASH).step();
        switch (stage) {
            case "written" -> assertEquals(List.of(2L, 1L), List.of(latest, prev));
            case "rotated" -> assertEquals(List.of(2L, 2L), List.of(latest, prev));
            default -> assertEquals(List.of(3L, 2L), List.of(latest, prev));
        }
        assertEquals(List.of("checkpoint.hyperckpt", "checkpoint.prev.hyperckpt"), names(tmp));
    }

    @Test
    void aLeftoverTempFileIsIgnoredByLoadAndRemovedByTheNextSave() throws IOException {
        Checkpoint.save(tmp, kata(1));
        byte[] full = Files.readAllBytes(tmp.resolve("checkpoint.hyperckpt"));
        // What a process killed mid-write leaves behind: a partial file under a temporary name.
        Path deadTemp = tmp.resolve(".checkpoint.hyperckpt.999999999.5eed.tmp"); // no such pid (Linux pid_max <= 2^22)
        Path liveTemp = tmp.resolve(".checkpoint.hyperckpt." + ProcessHandle.current().pid() + ".abc.tmp");
        Files.write(deadTemp, Arrays.copyOf(full, full.length / 2));
        Files.write(liveTemp, Arrays.copyOf(full, 10));
        assertTrue(AtomicFile.isTempFor(tmp.resolve("checkpoint.hyperckpt"), deadTemp));

        assertEquals(kata(1), Checkpoint.load(tmp, "kata", KATA_HASH));
        Checkpoint.save(tmp, kata(2));
        assertFalse(Files.exists(deadTemp), "a dead process's temp file is cleaned up");
        assertTrue(Files.exists(liveTemp), "a live process's temp file is left alone");
        assertEquals(kata(2), Checkpoint.load(tmp, "kata", KATA_HASH));
    }

    @Test
    void aTempFileAloneIsNotACheckpoint() throws IOException {
        Checkpoint.save(tmp.resolve("a"), kata(1));
        byte[] full = Files.readAllBytes(tmp.resolve("a/checkpoint.hyperckpt"));
        Path dir = Files.createDirectories(tmp.resolve("b"));
        Files.write(dir.resolve(".checkpoint.hyperckpt.999999999.1.tmp"), full); // complete, but never renamed
        assertFalse(Checkpoint.exists(dir));
        CheckpointError e = assertThrows(CheckpointError.class, () -> Checkpoint.load(dir, "kata", KATA_HASH));
        assertEquals("no checkpoint at " + dir.resolve("checkpoint.hyperckpt"), e.getMessage());
    }

    @Test
    void differentCheckpointsHaveDifferentBytes() throws IOException {
        Path a = Checkpoint.save(tmp.resolve("a"), kata(1));
        Path b = Checkpoint.save(tmp.resolve("b"), kata(2));
        assertNotEquals(Arrays.toString(Files.readAllBytes(a)), Arrays.toString(Files.readAllBytes(b)));
        Path c = Checkpoint.save(tmp.resolve("c"), kata(1));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(c), "saving is deterministic");
    }

    static List<String> names(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
