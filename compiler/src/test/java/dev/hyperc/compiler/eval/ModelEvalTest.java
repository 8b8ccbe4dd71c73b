package dev.hyperc.compiler.eval;

import static dev.hyperc.compiler.eval.EvalTesting.batch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Whole compiled models evaluated end to end at initialisation. */
class ModelEvalTest {
    private static IrModule compile(String model) throws IOException {
        Compiler.Result r = Compiler.compile(SourceFile.read(Path.of("../models", model)));
        assertTrue(r.ok(), () -> model + " does not compile: " + r.diagnostics());
        return r.model().orElseThrow().ir();
    }

    @Test
    void kata() throws IOException {
        IrModule m = compile("kata.hyper");
        Random rng = new Random(5);
        ReferenceEvaluator.Bindings b = batch(3).input("x", DTensor.normal(rng, 3, 16)).input("y", DTensor.normal(rng, 3, 4)).initSeed(7);
        double loss = ReferenceEvaluator.run(m.graph("train"), b).get("loss").item();
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        // Params are initialised by name, so the eval graph (the same computation) gives the same loss.
        assertEquals(loss, ReferenceEvaluator.run(m.graph("eval"), b).get("loss").item(), 1e-12);
        DTensor pred = ReferenceEvaluator.run(m.graph("predict"), b).get("pred");
        assertArrayEquals(new int[] {3, 4}, pred.shape());
        for (double v : pred.data()) assertTrue(Double.isFinite(v));
    }

    @Test
    void multitaskMnistStartsNearLogTen() throws IOException {
        IrModule m = compile("multitask_mnist.hyper");
        Random rng = new Random(6);
        ReferenceEvaluator.Bindings b = batch(2).input("task", DTensor.scalar(1)).input("x", DTensor.uniform(rng, 0, 1, 2, 1, 28, 28))
                .input("y", DTensor.ints(rng, 10, 2)).initSeed(8);
        Map<String, DTensor> out = ReferenceEvaluator.run(m.graph("train"), b);
        double loss = out.get("loss").item(), acc = out.get("acc").item();
        assertTrue(loss > 1.0 && loss < 5.0, "cross-entropy at init should be near ln 10 = 2.30, got " + loss);
        assertTrue(acc == 0 || acc == 0.5 || acc == 1, "accuracy of two samples: " + acc);
    }
}
