package dev.hyperc.runtime;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.front.Summary;
import dev.hyperc.compiler.front.TrainConfig;
import dev.hyperc.compiler.ir.IrModule;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.compiler.ir.Layout;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A compiled hyperc model: immutable and thread-safe. Create {@link Session}s from it to train and run it.
 *
 * <pre>{@code
 * Model model = Model.compile(Path.of("models/kata.hyper"));
 * try (Session s = model.session(Session.Options.defaults())) { ... }
 * }</pre>
 */
public final class Model {
    private final SourceFile source;
    private final CompiledModel compiled;
    private final String hash;
    private volatile IrModule step;

    private Model(SourceFile source, CompiledModel compiled) {
        this.source = source;
        this.compiled = compiled;
        this.hash = sha256(IrPrinter.print(compiled.ir()));
    }

    /** Compiles a .hyper file; throws {@link CompileException} with rendered diagnostics on errors. */
    public static Model compile(Path file) throws IOException {
        return compile(SourceFile.read(file));
    }

    /** Compiles model text; {@code name} is used in diagnostics (e.g. "inline.hyper"). */
    public static Model compile(String name, String text) {
        return compile(new SourceFile(name, text));
    }

    private static Model compile(SourceFile src) {
        Compiler.Result r = Compiler.compile(src);
        if (!r.ok()) throw new CompileException(r.diagnostics().render());
        return new Model(src, r.model().orElseThrow());
    }

    /** Raised for a model with errors; its message is the compiler's rendered diagnostics. */
    public static final class CompileException extends RuntimeException {
        public CompileException(String diagnostics) {
            super(diagnostics, null, false, false);
        }
    }

    public String name() { return compiled.name(); }

    /** SHA-256 of the model's IR: identifies the model in checkpoints. */
    public String hash() { return hash; }

    public Summary summary() { return compiled.summary(); }

    /** The train block, or null when the model has none. */
    public TrainConfig trainConfig() { return compiled.train(); }

    /** The parameter layout of every generated weight vector (name, shape, offset). */
    public List<Layout> layouts() { return compiled.ir().layouts(); }

    public IrModule ir() { return compiled.ir(); }

    public CompiledModel compiled() { return compiled; }

    public SourceFile source() { return source; }

    /** The training step (forward, backward, optimizer update), built on first use. */
    public IrModule trainingStep() {
        IrModule s = step;
        if (s == null) {
            synchronized (this) {
                if (step == null) step = Compiler.trainingStep(compiled);
                s = step;
            }
        }
        return s;
    }

    public Session session(Session.Options options) { return new Session(this, options); }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
