package dev.hyperc.runtime.cpu;

import dev.hyperc.runtime.cpu.kernels.Parallel;

import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/** Runs a scan kernel: the body's own executor once per step, with carries and elements copied in and out. */
final class ScanRunner {
    private final Kernel.Scan scan;
    private final CpuExecutor body;
    private final List<Strided> init = new ArrayList<>(), seqs = new ArrayList<>(), caps = new ArrayList<>();
    private final List<Strided> carryOut = new ArrayList<>(), emitOut = new ArrayList<>();
    private final List<Strided> params = new ArrayList<>(), yields = new ArrayList<>();
    private final List<Strided> staging = new ArrayList<>();

    ScanRunner(Kernel.Scan scan, CpuExecutor outer, Parallel pool) {
        this.scan = scan;
        this.body = new CpuExecutor(scan.body(), new HashMap<>(), new HashMap<>(), pool);
        for (BufferRef r : scan.carryInit()) init.add(outer.view(r));
        for (BufferRef r : scan.sequences()) seqs.add(outer.view(r));
        for (BufferRef r : scan.captures()) caps.add(outer.view(r));
        for (BufferRef r : scan.carryOut()) carryOut.add(outer.view(r));
        for (BufferRef r : scan.emitOut()) emitOut.add(outer.view(r));
        for (BufferRef r : scan.body().bodyParams()) params.add(body.view(r));
        for (BufferRef r : scan.body().bodyYields()) yields.add(body.view(r));
        for (Strided c : init) staging.add(new Strided(new float[c.numel()], 0, c.shape(), rowMajor(c.shape())));
    }

    private static int[] rowMajor(int[] shape) {
        int[] s = new int[shape.length];
        int a = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = a;
            a *= shape[i];
        }
        return s;
    }

    /** Element t of a stacked view: drop axis 0, move the base. */
    private static Strided element(Strided x, int t) {
        return new Strided(x.data(), x.base() + t * x.strides()[0],
                java.util.Arrays.copyOfRange(x.shape(), 1, x.rank()), java.util.Arrays.copyOfRange(x.strides(), 1, x.rank()));
    }

    void run(long seed) {
        int nc = init.size(), ns = seqs.size();
        for (int j = 0; j < caps.size(); j++) Small.copy(params.get(nc + ns + j), caps.get(j));
        for (int i = 0; i < nc; i++) Small.copy(params.get(i), init.get(i));
        int steps = (int) scan.steps();
        for (int s = 0; s < steps; s++) {
            int t = scan.reverse() ? steps - 1 - s : s;
            for (int j = 0; j < ns; j++) Small.copy(params.get(nc + j), element(seqs.get(j), t));
            body.run(seed * 1_000_003L + t);
            // Stage the next carries first: a yield may read a carry that another carry's copy would overwrite.
            for (int i = 0; i < nc; i++) Small.copy(staging.get(i), yields.get(i));
            for (int e = 0; e < emitOut.size(); e++) Small.copy(element(emitOut.get(e), t), yields.get(nc + e));
            for (int i = 0; i < nc; i++) Small.copy(params.get(i), staging.get(i));
        }
        for (int i = 0; i < nc; i++) Small.copy(carryOut.get(i), params.get(i));
    }
}
