package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.codegen.OpenClCodegen;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.lower.Schedule;
import dev.hyperc.compiler.lower.Scheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards fusion, as tinygrad's schedule checks do: the kernels per training step of every reference model, by kind, are
 * pinned in tests/golden/MODEL.kernels. A change that splits a fused loop or turns a view into a copy shows up as a diff
 * here. Counts are the same on every device kind, since specialisation changes a kernel's body, not the schedule.
 */
class KernelCountTest {
    static List<Path> models() throws IOException { return Golden.models(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainingStepKernelsMatchGolden(Path model) throws IOException {
        CompiledModel m = GoldenIrTest.compile(model);
        long batch = m.train().batch();
        Schedule s = Scheduler.lower(Compiler.trainingStep(m).graph("step"), batch);
        OpenClCodegen.Program cpu = OpenClCodegen.generate(s, OpenClCodegen.Options.cpu());
        OpenClCodegen.Program gpu = OpenClCodegen.generate(s, new OpenClCodegen.Options(OpenClCodegen.DeviceKind.GPU, 256, false));
        assertEquals(cpu.kernelCount(), gpu.kernelCount(), "device specialisation must not change the schedule");
        assertEquals(OpenClCodegen.kernelKinds(cpu), OpenClCodegen.kernelKinds(gpu));
        StringBuilder sb = new StringBuilder();
        sb.append("# kernels per training step of ").append(m.name()).append(" at batch ").append(batch).append('\n');
        sb.append("# scheduled kernels (CPU backend): ").append(s.kernels().size()).append('\n');
        sb.append("# OpenCL kernels generated: ").append(cpu.kernelCount()).append('\n');
        sb.append("# OpenCL kernels by kind (a scan body's kernels once, not once per time step):\n");
        Map<String, Integer> kinds = OpenClCodegen.kernelKinds(cpu);
        kinds.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb.append(e.getKey()).append(' ').append(e.getValue()).append('\n'));
        Golden.check(Golden.root().resolve("tests/golden/" + GoldenIrTest.stem(model) + ".kernels"), sb.toString());
        assertTrue(cpu.kernelCount() > 0);
    }
}
