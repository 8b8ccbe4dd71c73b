package dev.hyperc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.IrParser;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Pins what the compiler emits for every model in models/: IR and summary table. */
class GoldenIrTest {
    static List<Path> models() throws IOException { return Golden.models(); }

    static CompiledModel compile(Path model) throws IOException {
        SourceFile src = SourceFile.read(model);
        Compiler.Result r = Compiler.compile(new SourceFile("models/" + model.getFileName(), src.text()));
        assertTrue(r.ok(), () -> "model " + model.getFileName() + " does not compile:\n" + r.diagnostics().render());
        return r.model().orElseThrow();
    }

    static String stem(Path model) {
        String n = model.getFileName().toString();
        return n.substring(0, n.length() - ".hyper".length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void irMatchesGolden(Path model) throws IOException {
        String ir = IrPrinter.print(compile(model).ir());
        Golden.check(Golden.root().resolve("tests/golden/" + stem(model) + ".ir"), ir);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void summaryMatchesGolden(Path model) throws IOException {
        CompiledModel m = compile(model);
        Golden.check(Golden.root().resolve("tests/golden/" + stem(model) + ".summary"), m.summary().render(m.name()));
    }

    /** The printed IR of every model parses back to the same module and prints identically. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void irRoundTrips(Path model) throws IOException {
        IrModule m = compile(model).ir();
        String text = IrPrinter.print(m);
        IrModule back = IrParser.parse(text, stem(model) + ".ir");
        assertEquals(text, IrPrinter.print(back));
        assertEquals(m, back);
    }

    static List<String> stepModels() { return List.of("kata", "edifice_mlp", "multitask_mnist"); }

    /** The whole training step (forward, backward, optimizer update), after the standard passes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stepModels")
    void trainingStepMatchesGolden(String name) throws IOException {
        CompiledModel m = compile(Golden.root().resolve("models/" + name + ".hyper"));
        IrModule step = Compiler.trainingStep(m);
        String text = IrPrinter.print(step);
        assertEquals(text, IrPrinter.print(IrParser.parse(text, name + ".step.ir")));
        Golden.check(Golden.root().resolve("tests/golden/" + name + ".step.ir"), text);
    }

    @Test
    void everyModelHasAGoldenFile() throws IOException {
        assertTrue(models().size() >= 6, "expected the six reference models in models/");
        for (Path m : models()) {
            assertTrue(java.nio.file.Files.exists(Golden.root().resolve("tests/golden/" + stem(m) + ".ir")) || Golden.updating(),
                    "no golden IR for " + m.getFileName());
        }
    }
}
