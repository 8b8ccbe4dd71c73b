package dev.hyperc.compiler;

import dev.hyperc.compiler.autodiff.GradientError;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.Graph;
import dev.hyperc.compiler.ir.Origin;
import dev.hyperc.compiler.step.TrainingStep;
import java.util.List;
import dev.hyperc.compiler.front.FrontEnd;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.Verifier;
import dev.hyperc.compiler.passes.PassManager;
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

    /**
     * The training step of a compiled model: forward, backward and optimizer update in one graph
     * named {@code step}, optimised and verified. Throws {@link GradientError} when the loss cannot
     * be differentiated (the error names the op and its source position).
     */
    public static IrModule trainingStep(CompiledModel m) {
        if (m.train() == null) throw new GradientError("model " + m.name() + " has no train block, so there is no loss to differentiate", Origin.NONE);
        Graph step = TrainingStep.build(m.ir().graph("train"), m.train());
        IrModule module = new IrModule(m.name(), m.ir().layouts(), List.of(step));
        Verifier.verify(module, "autodiff");
        return optimize(module);
    }

    /**
     * A graph computing only the generated target weights (outputs named {@code generated.<layout>}), from
     * the predict graph: it needs just the conditioning inputs (task ids, noise), not the data.
     */
    public static Graph generateGraph(CompiledModel m) {
        Graph p = m.ir().graph("predict");
        List<Graph.Output> outs = p.outputs().stream().filter(o -> o.name().startsWith("generated.")).toList();
        Graph g = new Graph("generate", p.params(), p.nodes(), outs);
        return PassManager.standard().run(new IrModule(m.name(), m.ir().layouts(), List.of(g))).graph("generate");
    }

    /** The standard pass pipeline, verifying after every pass. */
    public static IrModule optimize(IrModule module) {
        return PassManager.standard().run(module);
    }

    /** Renders a gradient error like a compile error: file:line:col, the source line and a caret. */
    public static String render(SourceFile source, GradientError e) {
        Diagnostics d = new Diagnostics(source);
        Origin o = e.origin();
        d.error(o.isKnown() ? Span.of(source.name(), o.line(), o.column()) : Span.of(source.name(), 1, 1), e.getMessage());
        return d.render();
    }

    public static Result compile(SourceFile source) {
        Diagnostics diags = new Diagnostics(source);
        try {
            Optional<ModelFile> ast = ModelParser.parse(source, diags);
            if (ast.isEmpty()) return new Result(Optional.empty(), diags);
            CompiledModel m = FrontEnd.lower(ast.get(), diags);
            if (m == null || diags.hasErrors()) return new Result(Optional.empty(), diags);
            Verifier.verify(m.ir(), "lowering");
            IrModule cleaned = optimize(m.ir());
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
