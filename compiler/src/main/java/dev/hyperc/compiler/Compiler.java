package dev.hyperc.compiler;

import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.front.FrontEnd;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.Verifier;
import dev.hyperc.compiler.passes.DeadCodeElimination;
import dev.hyperc.dsl.Diagnostics;
import dev.hyperc.dsl.ModelParser;
import dev.hyperc.dsl.SourceFile;
import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.ModelFile;
import java.util.Optional;

/**
 * The compiler's entry point: source text in, checked and verified IR (or diagnostics) out.
 * It never throws for a user's mistake; anything unexpected becomes an "internal compiler error"
 * diagnostic so that a user still sees a located message instead of a stack trace.
 */
public final class Compiler {
    private Compiler() {}

    public record Result(Optional<CompiledModel> model, Diagnostics diagnostics) {
        public boolean ok() { return model.isPresent() && !diagnostics.hasErrors(); }
    }

    public static Result compile(SourceFile source) {
        Diagnostics diags = new Diagnostics(source);
        try {
            Optional<ModelFile> ast = ModelParser.parse(source, diags);
            if (ast.isEmpty()) return new Result(Optional.empty(), diags);
            CompiledModel m = FrontEnd.lower(ast.get(), diags);
            if (m == null || diags.hasErrors()) return new Result(Optional.empty(), diags);
            Verifier.verify(m.ir(), "lowering");
            IrModule cleaned = DeadCodeElimination.run(m.ir());
            Verifier.verify(cleaned, "dead-code-elimination");
            return new Result(Optional.of(new CompiledModel(m.name(), cleaned, m.summary(), m.train(), m.outputs())), diags);
        } catch (StackOverflowError e) {
            diags.error(Span.of(source.name(), 1, 1), "the model is nested too deeply to compile");
            return new Result(Optional.empty(), diags);
        } catch (RuntimeException e) {
            diags.error(Span.of(source.name(), 1, 1), "internal compiler error: " + e + " (please report this with the model file)");
            return new Result(Optional.empty(), diags);
        }
    }
}
