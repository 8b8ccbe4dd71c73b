package dev.hyperc.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.compiler.ir.Verifier;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The standard pipeline on every reference model: verified, never larger, and a fixed point. */
class StandardPipelineOnModelsTest {
    static List<Path> models() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("../models"))) {
            List<Path> models = s.filter(p -> p.toString().endsWith(".hyper")).sorted().toList();
            assertFalse(models.isEmpty(), "no models found in ../models");
            return models;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void verifiesNeverGrowsAndIsIdempotent(Path model) throws IOException {
        Compiler.Result r = Compiler.compile(SourceFile.read(model));
        assertTrue(r.ok(), () -> model + " does not compile:\n" + r.diagnostics().render());
        IrModule in = r.model().orElseThrow().ir();

        IrModule once = PassManager.standard().run(in);
        Verifier.verify(once, "standard pipeline");
        assertTrue(PassManager.nodeCount(once) <= PassManager.nodeCount(in),
                () -> model + ": " + PassManager.nodeCount(in) + " nodes became " + PassManager.nodeCount(once));

        IrModule twice = PassManager.standard().run(once);
        assertEquals(IrPrinter.print(once), IrPrinter.print(twice), model + ": the pipeline is not idempotent");
    }
}
