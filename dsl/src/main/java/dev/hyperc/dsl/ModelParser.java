package dev.hyperc.dsl;

import dev.hyperc.dsl.ast.Decl;
import dev.hyperc.dsl.ast.Expr;
import dev.hyperc.dsl.ast.ModelFile;
import dev.hyperc.dsl.ast.TypeRef;
import dev.hyperc.dsl.grammar.HyperLexer;
import dev.hyperc.dsl.grammar.HyperParser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * Parses .hyper text into an AST. Syntax errors are collected (ANTLR recovers and keeps going,
 * so several are reported at once); the AST is only built from an error-free parse tree,
 * because a recovered tree has holes that later passes should never have to guard against.
 */
public final class ModelParser {
    /** The only language version this compiler reads; files name it so that they keep compiling as the language grows. */
    public static final int LANGUAGE_VERSION = 1;

    private ModelParser() {}

    public static Optional<ModelFile> parse(SourceFile source, Diagnostics diags) {
        HyperLexer lexer = new HyperLexer(CharStreams.fromString(source.text(), source.name()));
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        HyperParser parser = new HyperParser(tokens);
        SyntaxErrors listener = new SyntaxErrors(source.name(), diags);
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        parser.removeErrorListeners();
        // Two-stage parse: fast SLL prediction that gives up at the first problem, then (only if it did)
        // full LL with error recovery, which both accepts what SLL cannot and reports every syntax error.
        parser.setErrorHandler(new BailErrorStrategy());
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        HyperParser.FileContext tree;
        try {
            tree = parser.file();
        } catch (ParseCancellationException sll) {
            tokens.seek(0);
            parser.reset();
            parser.addErrorListener(listener);
            parser.setErrorHandler(new SyntaxErrorStrategy());
            parser.getInterpreter().setPredictionMode(PredictionMode.LL);
            try {
                tree = parser.file();
            } catch (SyntaxErrors.TooMany e) {
                return Optional.empty();
            } catch (RuntimeException e) {
                diags.error(Span.of(source.name(), 1, 1), "could not parse this file: " + e.getMessage());
                return Optional.empty();
            }
        }
        if (listener.count > 0 || diags.hasErrors()) return Optional.empty();
        AstBuilder builder = new AstBuilder(source, diags);
        ModelFile file = builder.file(tree);
        return diags.hasErrors() ? Optional.empty() : Optional.of(file);
    }

    /**
     * Records syntax errors as diagnostics, at most one per source line and none right after another:
     * after a mistake ANTLR often trips again a token or two later, and that message only restates the first.
     */
    private static final class SyntaxErrors extends BaseErrorListener {
        private final String file;
        private final Diagnostics diags;
        private final Set<Integer> lines = new HashSet<>();
        private int lastAt = -10;
        int count;

        SyntaxErrors(String file, Diagnostics diags) {
            this.file = file;
            this.diags = diags;
        }

        /** Thrown to stop parsing once the diagnostics are full: the rest of a garbled file only costs time. */
        static final class TooMany extends RuntimeException {
            TooMany() {
                super(null, null, false, false);
            }
        }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg, RecognitionException e) {
            if (diags.errorCount() >= Diagnostics.MAX_ERRORS) throw new TooMany();
            count++;
            int at = recognizer instanceof Parser p ? p.getCurrentToken().getTokenIndex() : -10;
            boolean cascade = at >= 0 && at - lastAt <= 2;
            lastAt = Math.max(lastAt, at);
            if (cascade || !lines.add(line)) return;
            int width = 1;
            if (offending instanceof Token t && t.getType() != Token.EOF && t.getText() != null) {
                width = Math.max(1, t.getText().length());
            }
            diags.error(new Span(file, line, col + 1, line, col + width), msg);
        }
    }

    /** Turns an error-free parse tree into the AST; literal checks (number ranges, version) happen here. */
    private static final class AstBuilder {
        private final SourceFile source;
        private final Diagnostics diags;

        AstBuilder(SourceFile source, Diagnostics diags) {
            this.source = source;
            this.diags = diags;
        }

        Span span(ParserRuleContext ctx) {
            Token a = ctx.getStart();
            Token b = ctx.getStop() == null ? a : ctx.getStop();
            int endCol = b.getCharPositionInLine() + Math.max(1, b.getText() == null ? 1 : b.getText().length());
            if (b.getLine() < a.getLine()) b = a;
            return new Span(source.name(), a.getLine(), a.getCharPositionInLine() + 1, b.getLine(), endCol);
        }

        Span span(Token t) {
            int len = t.getText() == null ? 1 : Math.max(1, t.getText().length());
            return new Span(source.name(), t.getLine(), t.getCharPositionInLine() + 1, t.getLine(), t.getCharPositionInLine() + len);
        }

        ModelFile file(HyperParser.FileContext ctx) {
            HyperParser.VersionLineContext v = ctx.versionLine();
            long version = parseInt(v.version);
            if (version != LANGUAGE_VERSION) {
                diags.error(span(v.version), "unsupported language version " + v.version.getText()
                        + "; this compiler reads 'hyperc " + LANGUAGE_VERSION + "'");
            }
            List<Decl> decls = new ArrayList<>();
            for (HyperParser.DeclContext d : ctx.decl()) decls.add(decl(d));
            Token name = ctx.modelDecl().name;
            return new ModelFile(source, (int) version, span(v), name.getText(), span(name), decls);
        }

        long parseInt(Token t) {
            String text = t.getText().replace("_", "");
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                diags.error(span(t), "integer literal " + t.getText() + " is too large");
                return 0;
            }
        }

        double parseFloat(Token t) {
            String text = t.getText().replace("_", "");
            double v = Double.parseDouble(text);
            if (Double.isInfinite(v)) diags.error(span(t), "number " + t.getText() + " is too large");
            return v;
        }

        Decl decl(HyperParser.DeclContext d) {
            return switch (d) {
                case HyperParser.ConstDeclContext c -> new Decl.Const(c.name.getText(), span(c.name), expr(c.expr()), span(c));
                case HyperParser.InputDeclContext c -> new Decl.Input(c.name.getText(), span(c.name), type(c.type()), span(c));
                case HyperParser.NoiseDeclContext c ->
                        new Decl.Noise(c.name.getText(), span(c.name), type(c.type()), call(c.call(), null), span(c));
                case HyperParser.ParamDeclContext c -> new Decl.Param(c.name.getText(), span(c.name), type(c.type()),
                        c.call() == null ? null : call(c.call(), null), span(c));
                case HyperParser.TargetDeclContext c -> {
                    if (c.kw != null && !c.kw.getText().equals("packed")) {
                        diags.error(span(c.kw), "expected 'packed' or '=' after the target's argument, got '" + c.kw.getText() + "'");
                    }
                    yield new Decl.Target(c.name.getText(), span(c.name), c.arg.getText(), type(c.type()),
                            c.packing == null ? null : c.packing.getText(), c.packing == null ? null : span(c.packing),
                            expr(c.expr()), span(c));
                }
                case HyperParser.LetDeclContext c -> {
                    List<Token> names = patternNames(c.pattern());
                    yield new Decl.Let(names.stream().map(Token::getText).toList(), names.stream().map(this::span).toList(),
                            expr(c.expr()), span(c));
                }
                case HyperParser.OutputDeclContext c -> new Decl.Output(
                        c.ID().stream().map(n -> n.getText()).toList(),
                        c.ID().stream().map(n -> span(n.getSymbol())).toList(), span(c));
                case HyperParser.TrainDeclContext c -> new Decl.Train(
                        c.setting().stream().map(s -> new Decl.Setting(s.key.getText(), span(s.key), expr(s.expr()), span(s))).toList(),
                        span(c));
                default -> throw new IllegalStateException("unknown declaration " + d.getClass().getSimpleName());
            };
        }

        List<Token> patternNames(HyperParser.PatternContext p) {
            return switch (p) {
                case HyperParser.NamePatternContext n -> List.of(n.ID().getSymbol());
                case HyperParser.TuplePatternContext t -> t.ID().stream().map(x -> x.getSymbol()).toList();
                default -> throw new IllegalStateException("unknown pattern");
            };
        }

        TypeRef type(HyperParser.TypeContext t) {
            List<TypeRef.DimRef> dims = new ArrayList<>();
            for (HyperParser.DimContext d : t.dim()) {
                if (d.INT() != null) dims.add(new TypeRef.IntDim(parseInt(d.INT().getSymbol()), span(d)));
                else dims.add(new TypeRef.NamedDim(d.ID().getText(), span(d)));
            }
            return new TypeRef(t.dtype.getText(), span(t.dtype), dims, span(t));
        }

        Expr.Call call(HyperParser.CallContext c, Expr pipedIn) {
            List<Expr.Arg> args = new ArrayList<>();
            if (pipedIn != null) args.add(new Expr.Arg(null, null, pipedIn, pipedIn.span()));
            for (HyperParser.ArgumentContext a : c.argument()) {
                args.add(new Expr.Arg(a.name == null ? null : a.name.getText(), a.name == null ? null : span(a.name.getStart()),
                        expr(a.expr()), span(a)));
            }
            // A piped call's span is its own stage, f(...), not the whole pipeline before it: that is where a
            // mistake in the call is, and a pipeline can start lines earlier.
            return new Expr.Call(c.callee.getText(), span(c.callee), args, pipedIn != null, span(c));
        }

        Expr expr(HyperParser.ExprContext e) {
            return switch (e) {
                case HyperParser.PrimaryExprContext p -> primary(p.primary());
                case HyperParser.IndexExprContext i -> new Expr.Index(expr(i.expr()),
                        i.sliceItem().stream().map(this::sliceItem).toList(), span(i));
                case HyperParser.NegExprContext n -> {
                    Expr inner = expr(n.expr());
                    // Fold literal negation so that "-1" is one literal, as users read it.
                    if (inner instanceof Expr.IntLit lit) yield new Expr.IntLit(-lit.value(), span(n));
                    if (inner instanceof Expr.FloatLit lit) yield new Expr.FloatLit(-lit.value(), span(n));
                    yield new Expr.Neg(inner, span(n));
                }
                case HyperParser.PowExprContext p -> new Expr.Binary(Expr.BinaryOp.POW, expr(p.expr(0)), expr(p.expr(1)), span(p));
                case HyperParser.MulExprContext m -> new Expr.Binary(
                        m.op.getText().equals("*") ? Expr.BinaryOp.MUL : Expr.BinaryOp.DIV, expr(m.expr(0)), expr(m.expr(1)), span(m));
                case HyperParser.AddExprContext a -> new Expr.Binary(
                        a.op.getText().equals("+") ? Expr.BinaryOp.ADD : Expr.BinaryOp.SUB, expr(a.expr(0)), expr(a.expr(1)), span(a));
                case HyperParser.PipeExprContext p -> {
                    Expr in = expr(p.expr());
                    HyperParser.StageContext st = p.stage();
                    if (st.call() != null) yield call(st.call(), in);
                    Token id = st.ID().getSymbol();
                    yield new Expr.Call(id.getText(), span(id), List.of(new Expr.Arg(null, null, in, in.span())), true, span(id));
                }
                default -> throw new IllegalStateException("unknown expression " + e.getClass().getSimpleName());
            };
        }

        Expr primary(HyperParser.PrimaryContext p) {
            return switch (p) {
                case HyperParser.IntLitContext i -> new Expr.IntLit(parseInt(i.INT().getSymbol()), span(i));
                case HyperParser.FloatLitContext f -> new Expr.FloatLit(parseFloat(f.FLOAT().getSymbol()), span(f));
                case HyperParser.StringLitContext s -> new Expr.StringLit(unquote(s.STRING().getText()), span(s));
                case HyperParser.CallExprContext c -> call(c.call(), null);
                case HyperParser.NameRefContext n -> new Expr.Name(n.ID().getText(), span(n));
                case HyperParser.ParenExprContext pe -> expr(pe.expr());
                case HyperParser.TupleExprContext t -> new Expr.Tuple(t.expr().stream().map(this::expr).toList(), span(t));
                case HyperParser.ListExprContext l -> new Expr.ListLit(l.expr().stream().map(this::expr).toList(), span(l));
                case HyperParser.ScanExprContext s -> scan(s);
                default -> throw new IllegalStateException("unknown primary " + p.getClass().getSimpleName());
            };
        }

        Expr scan(HyperParser.ScanExprContext s) {
            List<Expr.Carry> carries = s.carry().stream()
                    .map(c -> new Expr.Carry(c.name.getText(), span(c.name), expr(c.expr()), span(c))).toList();
            List<Expr.ScanStmt> body = new ArrayList<>();
            for (HyperParser.ScanStmtContext st : s.scanStmt()) {
                switch (st) {
                    case HyperParser.ScanLetContext l -> {
                        List<Token> names = patternNames(l.pattern());
                        body.add(new Expr.ScanLet(names.stream().map(Token::getText).toList(),
                                names.stream().map(this::span).toList(), expr(l.expr()), span(l)));
                    }
                    case HyperParser.ScanUpdateContext u ->
                            body.add(new Expr.ScanUpdate(u.name.getText(), span(u.name), expr(u.expr()), span(u)));
                    default -> throw new IllegalStateException("unknown scan statement");
                }
            }
            return new Expr.Scan(s.elem.getText(), span(s.elem), expr(s.seq), carries, body, expr(s.emit), span(s));
        }

        Expr.SliceItem sliceItem(HyperParser.SliceItemContext c) {
            return switch (c) {
                case HyperParser.EllipsisItemContext e -> new Expr.Ellipsis(span(e));
                case HyperParser.RangeItemContext r -> new Expr.Range(
                        r.start == null ? null : bound(r.start), r.end == null ? null : bound(r.end), span(r));
                case HyperParser.PointItemContext p -> new Expr.Point(bound(p.sliceBound()), span(p));
                default -> throw new IllegalStateException("unknown slice item");
            };
        }

        long bound(HyperParser.SliceBoundContext b) {
            long v = parseInt(b.INT().getSymbol());
            return b.getChild(0).getText().equals("-") ? -v : v;
        }

        static String unquote(String s) {
            String body = s.substring(1, s.length() - 1);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < body.length(); i++) {
                char ch = body.charAt(i);
                if (ch == '\\' && i + 1 < body.length()) {
                    char n = body.charAt(++i);
                    out.append(switch (n) { case 'n' -> '\n'; case 't' -> '\t'; default -> n; });
                } else out.append(ch);
            }
            return out.toString();
        }
    }
}
