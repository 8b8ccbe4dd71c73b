package dev.hyperc.dsl.ast;

import dev.hyperc.dsl.SourceFile;
import dev.hyperc.dsl.Span;
import java.util.List;

/** The root of a parsed .hyper file. */
public record ModelFile(SourceFile source, int version, Span versionSpan, String name, Span nameSpan, List<Decl> decls) {}
