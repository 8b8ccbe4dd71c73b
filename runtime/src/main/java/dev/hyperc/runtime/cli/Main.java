package dev.hyperc.runtime.cli;

import dev.hyperc.compiler.Compiler;
import dev.hyperc.compiler.front.CompiledModel;
import dev.hyperc.compiler.ir.IrPrinter;
import dev.hyperc.dsl.ModelParser;
import dev.hyperc.dsl.SourceFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/** The {@code compile-and-run} launcher. Exit status: 0 ok, 1 compile errors, 2 bad usage, 3 environment problem. */
public final class Main {
    public static final String VERSION = "0.1.0";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (UsageError e) {
            err.println("compile-and-run: " + e.getMessage());
            err.println("try 'compile-and-run --help'");
            return 2;
        }
        if (opts.help()) {
            out.print(Options.helpText());
            return 0;
        }
        if (opts.version()) {
            out.println("hyperc " + VERSION + " (language version " + ModelParser.LANGUAGE_VERSION + ")");
            return 0;
        }
        SourceFile source;
        try {
            if (Files.isDirectory(opts.model())) {
                err.println("compile-and-run: " + opts.model() + " is a directory, not a .hyper file");
                return 2;
            }
            source = SourceFile.read(opts.model());
        } catch (NoSuchFileException e) {
            err.println("compile-and-run: no such model file: " + opts.model());
            return 2;
        } catch (MalformedInputException e) {
            err.println("compile-and-run: " + opts.model() + " is not UTF-8 text");
            return 1;
        } catch (IOException e) {
            err.println("compile-and-run: cannot read " + opts.model() + ": " + e.getMessage());
            return 2;
        }
        Compiler.Result result = Compiler.compile(source);
        if (!result.ok()) {
            err.print(result.diagnostics().render());
            return 1;
        }
        CompiledModel model = result.model().orElseThrow();
        if (opts.emit() != null) {
            switch (opts.emit()) {
                case IR -> out.print(IrPrinter.print(model.ir()));
                case SUMMARY -> out.print(model.summary().render(model.name()));
                case GRAD_IR, KERNELS -> {
                    err.println("compile-and-run: --emit " + opts.emit().text() + " is not implemented yet in this build");
                    return 3;
                }
            }
            return 0;
        }
        err.println("compile-and-run: training is not implemented yet in this build; use --emit ir or --emit summary");
        return 3;
    }
}
