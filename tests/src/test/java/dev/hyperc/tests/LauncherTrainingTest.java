package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.runtime.cli.Main;
import dev.hyperc.runtime.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's training job on kata (synthetic data, seconds): checkpoints, exact resume, refusal, export, JSON. */
class LauncherTrainingTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static String kata() { return Golden.root().resolve("models/kata.hyper").toString(); }

    static double finalLoss(String json) {
        Matcher m = Pattern.compile("\"final\"[^}]*\"test_loss\"\\s*:\\s*([-0-9.eE]+)").matcher(json);
        assertTrue(m.find(), json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void resumeContinuesExactlyAndExportWritesSafetensors(@TempDir Path dir) throws Exception {
        Run straight = run(kata(), "--epochs", "4", "--json", "--threads", "2");
        assertEquals(0, straight.code(), straight.err());
        Path ck = dir.resolve("ck");
        Run first = run(kata(), "--epochs", "2", "--checkpoint", ck.toString(), "--json", "--threads", "2");
        assertEquals(0, first.code(), first.err());
        assertTrue(Files.exists(ck.resolve("checkpoint.hyperckpt")));
        Path export = dir.resolve("kata.safetensors");
        Run resumed = run(kata(), "--epochs", "4", "--checkpoint", ck.toString(), "--resume", "--json", "--threads", "2",
                "--export", export.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("\"epoch\": 3") && !resumed.out().contains("\"epoch\": 1"), resumed.out());
        assertEquals(finalLoss(straight.out()), finalLoss(resumed.out()), 0.0, "resume must continue exactly");

        var st = SafeTensors.read(export);
        assertArrayEquals(new int[] {16, 32}, st.tensors().get("mlp.dense_1.w").shape());
        assertArrayEquals(new int[] {4}, st.tensors().get("mlp.dense_2.b").shape());
        assertEquals("kata", st.metadata().get("model"));
    }

    /**
     * The same seed and thread count give bit-identical training whether the JVM runs the Vector API compiled
     * (C2 intrinsics) or through its Java fallback (C1 only), so resume is exact however warm the JVM is.
     */
    @Test
    void trainingIsBitIdenticalWithAndWithoutVectorIntrinsics() throws Exception {
        Run here = run(kata(), "--epochs", "2", "--json", "--threads", "2");
        assertEquals(0, here.code(), here.err());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "dev.hyperc.runtime.cli.Main",
                kata(), "--epochs", "2", "--json", "--threads", "2").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(finalLoss(here.out()), finalLoss(out), 0.0, "C1-only JVM must train bit-identically");
    }

    /** The launcher in a child JVM whose OpenCL loader sees no platform at all (an empty vendors directory). */
    static Run withoutOpenCl(Path emptyVendors, String... args) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "dev.hyperc.runtime.cli.Main"));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        Path errFile = emptyVendors.resolveSibling("stderr.txt");
        pb.redirectError(errFile.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        return new Run(code, out, Files.readString(errFile));
    }

    /** With no OpenCL platform, --device auto trains on the CPU and says why in one line; --device opencl refuses clearly. */
    @Test
    void noOpenClPlatformFallsBackOrFailsClearly(@TempDir Path dir) throws Exception {
        Path vendors = Files.createDirectory(dir.resolve("vendors"));
        Run auto = withoutOpenCl(vendors, kata(), "--epochs", "1", "--threads", "2", "--device", "auto");
        assertEquals(0, auto.code(), auto.err());
        long lines = auto.err().lines().filter(l -> l.startsWith("hyperc: using the CPU backend: no OpenCL platform")).count();
        assertEquals(1, lines, auto.err());
        assertTrue(auto.out().contains("[FINAL]"), auto.out());
        Run cl = withoutOpenCl(vendors, kata(), "--epochs", "1", "--device", "opencl");
        assertEquals(3, cl.code(), cl.out() + cl.err());
        assertTrue(cl.err().lines().anyMatch(l -> l.startsWith("compile-and-run: --device opencl: no OpenCL platform")), cl.err());
        assertTrue(!cl.err().contains("Exception") && !cl.err().contains("\tat "), cl.err());
    }

    @Test
    void checkpointOfAnotherModelIsRefused(@TempDir Path dir) {
        Path ck = dir.resolve("ck");
        assertEquals(0, run(kata(), "--epochs", "1", "--checkpoint", ck.toString(), "--json").code());
        Path other = Golden.root().resolve("tests/gradcheck/edifice_small.hyper");
        Run r = run(other.toString(), "--checkpoint", ck.toString(), "--resume");
        assertEquals(3, r.code());
        assertTrue(r.err().contains("was written for model 'kata'"), r.err());
    }

    /** A loss that becomes NaN stops training with the op and the source line that produced it, and no stack trace. */
    @Test
    void nonFiniteLossNamesTheOpAndLine(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("nan.hyper");
        Files.writeString(model, String.join("\n",
                "hyperc 1",
                "model nan_demo",
                "input x: f32[B, 4]",
                "input y: f32[B, 2]",
                "let pred = x |> dense(2)",
                "let loss = mse(pred, y) + mean(log(pred * 0 - 1))",
                "train { loss = loss  data = teacher(inputs: 4, outputs: 2, train: 64, test: 16) }",
                ""));
        Run r = run(model.toString(), "--epochs", "1", "--threads", "1");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("nan.hyper:6:"), r.err());
        assertTrue(r.err().contains("NaN") && r.err().contains("reduction fused with its elementwise inputs"), r.err());
        assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), r.err());
    }

    @Test
    void humanOutputHasTheEpochTable() {
        Run r = run(kata(), "--epochs", "2", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("[  1/  2]") && r.out().contains("[  2/  2]") && r.out().contains("[FINAL]"), r.out());
        assertTrue(!r.out().contains("Exception") && !r.err().contains("Exception"), r.err());
    }
}
