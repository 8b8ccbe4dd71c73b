package dev.hyperc.runtime.cpu;

import dev.hyperc.compiler.eval.DTensor;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Node;
import dev.hyperc.compiler.lower.BufferRef;
import dev.hyperc.compiler.lower.Schedule;
import java.util.Map;

/**
 * Finds the first IR value whose CPU result differs from the reference (run with a schedule whose arena is not reused,
 * after {@link CpuExecutor#runChecked}, which stores the temporaries that compiled groups otherwise leave out).
 */
final class DebugCompare {
    static String firstDifference(Graph g, Schedule s, CpuExecutor ex, Map<Integer, DTensor> ref) {
        for (Node n : g.nodes()) {
            for (var v : n.results()) {
                BufferRef r = s.values().get(v.id());
                DTensor want = ref.get(v.id());
                if (r == null || want == null || n.op() instanceof dev.hyperc.compiler.ir.Op.Leaf) continue;
                float[] got = ex.read(r);
                for (int i = 0; i < got.length; i++) {
                    if (Math.abs(got[i] - want.data()[i]) > 2e-3 * Math.max(1, Math.abs(want.data()[i]))) {
                        return "%" + v.id() + " = " + n.op().mnemonic() + " " + n.operands() + " [" + i + "]: cpu " + got[i] + " vs " + want.data()[i]
                                + " ref " + r;
                    }
                }
            }
        }
        return "no difference";
    }
}
