package dev.hyperc.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.dsl.SourceFile;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the scheduler fuses: products with their epilogues, and elementwise kernels into one pass (and what it keeps apart). */
class SchedulerFusionTest {
    static CompiledModel compile(String text) {
        Compiler.Result r = Compiler.compile(new SourceFile("g.hyper", text));
        assertTrue(r.ok(), () -> r.diagnostics().render());
        return r.model().orElseThrow();
    }

    static Set<String> written(Schedule s, Kernel k) {
        return Kernels.writes(k).stream().map(w -> s.buffer(w.buffer()).name()).collect(Collectors.toSet());
    }

    /**
     * Adam's first moment, second moment and parameter update of each weight are one pass over it: a group, or, for a
     * weight whose gradient is a matrix product, that product's epilogue (moved down to the update, past the step's
     * scalars), so that the update reads the gradient while it is in cache.
     */
    @Test
    void adamUpdatesOfAWeightAreOneGroup() {
        CompiledModel m = compile("""
                hyperc 1
                model affine
                input x: f32[B, 3]
                input t: f32[B, 2]
                let loss = mse(x |> dense(2), t)
                train { loss = loss  optimizer = adam(lr: 0.01)  batch = 4 }
                """);
        Schedule s = Scheduler.lower(Compiler.trainingStep(m).graph("step"), 4);
        for (String p : List.of("dense_1.w", "dense_1.b")) {
            List<Kernel> touching = s.kernels().stream().filter(k -> written(s, k).contains(p)).toList();
            assertEquals(1, touching.size(), p + " is written by " + touching);
            Kernel k = touching.get(0);
            List<Kernel.Fused> parts = k instanceof Kernel.MatMul mm ? mm.epilogue() : assertInstanceOf(k).parts();
            assertEquals(3, parts.size(), "moment 1, moment 2, parameter: " + written(s, k));
            assertTrue(written(s, k).stream().filter(n -> n.contains(p)).count() == 3, written(s, k).toString());
            if (p.endsWith(".w")) {
                Kernel.MatMul mm = assertInstanceOf(Kernel.MatMul.class, k, "the weight's update rides on its gradient's product");
                assertTrue(parts.stream().anyMatch(f -> Kernels.loads(f.expr()).contains(mm.out())), "the update reads the product");
            }
        }
    }

    static <T> T assertInstanceOf(Class<T> type, Kernel k, String what) {
        assertTrue(type.isInstance(k), what + ": got " + k.getClass().getSimpleName());
        return type.cast(k);
    }

    /**
     * Per-sample generated weights: the gradient of the generator's flat output is assembled from the target weights'
     * gradients (per-sample outer products, elementwise kernels) written straight into their pieces, not copied.
     */
    @Test
    void generatedWeightGradientsAreWrittenIntoTheirPiecesOfTheFlatGradient() {
        CompiledModel m = compile("""
                hyperc 1
                model tiny_edifice
                input task: i32[B]
                input x: f32[B, 7]
                input y: i32[B]
                let cond = task |> embedding(1, 4)
                let logits = hypernetwork(cond, x, conditioning_size: 4, input_size: 7,
                                          target_layer_sizes: [(7, 5), (5, 3)], hidden_sizes: [6], activation: relu)
                let loss = cross_entropy(logits, y)
                train { loss = loss  optimizer = adam(lr: 0.01)  batch = 4 }
                """);
        Schedule s = Scheduler.lower(Compiler.trainingStep(m).graph("step"), 4);
        List<Kernel> wideCopies = s.kernels().stream()
                .filter(k -> k instanceof Kernel.Copy c && c.out().shape().length == 2 && c.out().shape()[1] >= 15).toList();
        assertEquals(List.of(), wideCopies, "pieces of a generated-weight gradient copied");
        assertTrue(s.kernels().stream().noneMatch(k -> k instanceof Kernel.MatMul mm && mm.a().shape()[mm.a().shape().length - 1] == 1),
                "outer products are elementwise kernels");
    }

    /**
     * One set of generated weights per step (a task id per batch): the head's weight gradient is an outer product,
     * computed inside the Adam group of that weight instead of a product written out and read back.
     */
    @Test
    void aSingleRowHeadGradientIsPartOfItsAdamGroup() {
        CompiledModel m = compile("""
                hyperc 1
                model single_row
                input task: i32[]
                input x: f32[B, 3]
                input t: f32[B, 2]
                target core(v: f32[3]) = v |> dense(2)
                let w = task |> embedding(2, 4) |> dense(params(core))
                let loss = mse(core(x, w), t)
                train { loss = loss  optimizer = adam(lr: 0.01)  batch = 4 }
                """);
        Schedule s = Scheduler.lower(Compiler.trainingStep(m).graph("step"), 4);
        List<Kernel> head = s.kernels().stream().filter(k -> written(s, k).contains("dense_1.w")).toList();
        assertEquals(1, head.size(), "dense_1.w is written by " + head);
        Kernel.FusedGroup g = assertInstanceOf(head.get(0));
        assertEquals(4, g.parts().size(), "gradient, moment 1, moment 2, parameter: " + written(s, g));
    }

    /** A dense layer's bias and activation are the epilogue of its matrix product: one kernel. */
    @Test
    void denseBiasAndActivationAreTheProductsEpilogue() {
        CompiledModel m = compile("""
                hyperc 1
                model mlp
                input x: f32[B, 3]
                let y = x |> dense(4, activation: relu)
                output y
                """);
        Schedule s = Scheduler.lower(m.ir().graph("predict"), 5);
        assertEquals(1, s.kernels().size(), "one kernel: " + s.kernels());
        Kernel.MatMul mm = (Kernel.MatMul) s.kernels().get(0);
        assertTrue(!mm.epilogue().isEmpty(), "bias and relu ride on the product");
        int y = s.outputs().get("result:y").buffer();
        assertTrue(mm.epilogue().stream().anyMatch(p -> p.out().buffer() == y), "the epilogue writes the layer's output");
    }

    static Kernel.FusedGroup assertInstanceOf(Kernel k) {
        assertTrue(k instanceof Kernel.FusedGroup, "expected a group, got " + k.getClass().getSimpleName());
        return (Kernel.FusedGroup) k;
    }

    /** A kernel that reads another's output at other elements (here transposed) cannot share its pass; one at the same elements can. */
    @Test
    void readingAnotherElementKeepsKernelsApart() {
        CompiledModel m = compile("""
                hyperc 1
                model views
                input x: f32[5, 5]
                let a = exp(x)
                let c = a * 3
                let b = transpose(a) + 1
                output a
                output b
                output c
                """);
        Schedule s = Scheduler.lower(m.ir().graph("predict"), 1);
        int a = s.outputs().get("result:a").buffer(), b = s.outputs().get("result:b").buffer(), c = s.outputs().get("result:c").buffer();
        Kernel withA = s.kernels().stream().filter(k -> Kernels.writes(k).stream().anyMatch(w -> w.buffer() == a)).findFirst().orElseThrow();
        Set<Integer> together = Kernels.writes(withA).stream().map(BufferRef::buffer).collect(Collectors.toSet());
        assertFalse(together.contains(b), "b reads a transposed, so it must not run in a's pass");
        assertTrue(together.contains(c), "c reads a at the same element, so it joins a's pass: " + s.kernels());
    }
}
