package dev.hyperc.compiler.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the text format written by {@link IrPrinter} back into an {@link IrModule}. Besides the
 * printer's output it accepts {@code #} comments, blank lines, attributes in any order, and quoted
 * names; everything else is an error.
 *
 * <p>The parser checks what the text claims: every node's written result types must equal its op's
 * shape rule, every {@code %id} is defined once in the module and before its use, and scan bodies use
 * only their own parameters and nodes. The result is finally run through the {@link Verifier}. Every
 * failure is a {@link ParseError} whose message starts with {@code source:line:col:}; no other
 * exception escapes.
 */
public final class IrParser {
    /** A malformed IR text, located at {@code sourceName:line:col}. */
    public static final class ParseError extends RuntimeException {
        private final String sourceName;
        private final int line;
        private final int column;
        private final String detail;

        public ParseError(String sourceName, int line, int column, String detail) {
            super(sourceName + ":" + line + ":" + column + ": " + detail);
            this.sourceName = sourceName;
            this.line = line;
            this.column = column;
            this.detail = detail;
        }

        public String sourceName() { return sourceName; }

        public int line() { return line; }

        public int column() { return column; }

        /** The message without its location. */
        public String detail() { return detail; }
    }

    /** Reads a whole module: the {@code hyperc.ir 1} header, {@code module NAME}, then layout and graph blocks. */
    public static IrModule parse(String text, String sourceName) {
        IrParser p = new IrParser(text, sourceName);
        IrModule m = p.guarded(p::module);
        p.verify(() -> Verifier.verify(m, "parse"));
        return m;
    }

    /** Reads a text holding exactly one {@code graph NAME { ... }} block (no header): handy for hand-written IR in tests. */
    public static Graph parseGraph(String text, String sourceName) {
        IrParser p = new IrParser(text, sourceName);
        Graph g = p.guarded(p::singleGraph);
        p.verify(() -> Verifier.verify(g, "parse"));
        return g;
    }

    public static Graph parseGraph(String text) { return parseGraph(text, "<ir>"); }

    // ---------------------------------------------------------------- state

    private static final int MAX_SCAN_DEPTH = 64;

    private enum T { IDENT, INT, FLOAT, STRING, VALUE, PUNCT, NEWLINE, EOF }

    private record Token(T kind, String text, int line, int col) {
        boolean is(char punct) { return kind == T.PUNCT && text.charAt(0) == punct; }

        boolean isWord(String w) { return kind == T.IDENT && text.equals(w); }
    }

    /** The values a graph or scan body can use; {@code parent} only serves better error messages. */
    private static final class Scope {
        final Scope parent;
        final Map<Integer, Value> values = new HashMap<>();

        Scope(Scope parent) { this.parent = parent; }

        boolean definedOutside(int id) {
            for (Scope s = parent; s != null; s = s.parent) if (s.values.containsKey(id)) return true;
            return false;
        }
    }

    private final String text;
    private final String source;
    private int pos;
    private int line = 1;
    private int col = 1;
    private Token peeked;
    private Token last;
    /** Every id defined so far in the module, with the line that defined it. */
    private final Map<Integer, Integer> defined = new HashMap<>();

    private IrParser(String text, String sourceName) {
        this.text = text == null ? "" : text;
        this.source = sourceName == null ? "<ir>" : sourceName;
    }

    private <R> R guarded(java.util.function.Supplier<R> body) {
        try {
            return body.get();
        } catch (ParseError e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            int l = last == null ? 1 : last.line, c = last == null ? 1 : last.col;
            throw new ParseError(source, l, c, "internal parser error: " + e);
        }
    }

    private void verify(Runnable check) {
        try {
            check.run();
        } catch (Verifier.VerifyError | ShapeError e) {
            throw new ParseError(source, 1, 1, e.getMessage());
        } catch (RuntimeException e) {
            throw new ParseError(source, 1, 1, "verification failed: " + e);
        }
    }

    // ---------------------------------------------------------------- grammar

    private IrModule module() {
        skipNewlines();
        Token h = peek();
        if (!h.isWord("hyperc.ir")) {
            throw error(h, "expected the header 'hyperc.ir " + IrModule.FORMAT_VERSION + "', found " + describe(h));
        }
        next();
        Token v = peek();
        if (v.kind != T.INT) throw expected("the format version after 'hyperc.ir'");
        long version = parseLong();
        if (version != IrModule.FORMAT_VERSION) {
            throw error(v, "unsupported IR format version " + version + " (this compiler reads version " + IrModule.FORMAT_VERSION + ")");
        }
        endOfLine();
        skipNewlines();
        if (!peek().isWord("module")) throw expected("'module NAME'");
        next();
        String name = parseName("the module name");
        endOfLine();
        List<Layout> layouts = new ArrayList<>();
        List<Graph> graphs = new ArrayList<>();
        Set<String> layoutNames = new HashSet<>(), graphNames = new HashSet<>();
        while (true) {
            skipNewlines();
            Token t = peek();
            if (t.kind == T.EOF) break;
            if (t.isWord("layout")) {
                next();
                Token nt = peek();
                Layout l = layout();
                if (!layoutNames.add(l.target())) throw error(nt, "layout " + l.target() + " is defined twice");
                layouts.add(l);
            } else if (t.isWord("graph")) {
                next();
                Token nt = peek();
                Graph g = graph();
                if (!graphNames.add(g.name())) throw error(nt, "graph " + g.name() + " is defined twice");
                graphs.add(g);
            } else {
                throw expected("'layout' or 'graph'");
            }
        }
        return new IrModule(name, layouts, graphs);
    }

    private Graph singleGraph() {
        skipNewlines();
        if (!peek().isWord("graph")) throw expected("'graph NAME {'");
        next();
        Graph g = graph();
        skipNewlines();
        if (peek().kind != T.EOF) throw expected("end of input after the graph");
        return g;
    }

    /** {@code layout NAME [packing=per_filter] size=N {}, entries {@code NAME f32[...] @OFFSET}, {@code }}. */
    private Layout layout() {
        String target = parseName("the layout's target name");
        Layout.Packing packing = Layout.Packing.CONTIGUOUS;
        if (peek().isWord("packing")) {
            next();
            expect('=');
            Token pt = peek();
            packing = null;
            for (Layout.Packing p : Layout.Packing.values()) if (pt.isWord(p.text())) packing = p;
            if (packing == null) {
                List<String> known = new ArrayList<>();
                for (Layout.Packing p : Layout.Packing.values()) known.add(p.text());
                throw error(pt, "unknown packing " + describe(pt) + " (expected " + String.join(" or ", known) + ")");
            }
            next();
        }
        if (!peek().isWord("size")) throw expected("'size=N'");
        next();
        expect('=');
        Token st = peek();
        long size = parseLong();
        if (size < 0) throw error(st, "layout size must not be negative");
        Token open = expect('{');
        endOfLine();
        List<Layout.Entry> entries = new ArrayList<>();
        while (true) {
            skipNewlines();
            Token t = peek();
            if (t.is('}')) {
                next();
                break;
            }
            if (t.kind == T.EOF) throw unterminated(t, "layout " + target, open);
            String name = parseName("a layout entry name or '}'");
            Token tt = peek();
            TensorType type = parseType();
            if (type.dtype() != DType.F32) throw error(tt, "layout entry " + name + " must be f32, not " + type);
            if (type.shape().hasBatch()) throw error(tt, "layout entry " + name + " has a batch-dependent shape " + type);
            expect('@');
            Token ot = peek();
            long offset = parseLong();
            if (offset < 0) throw error(ot, "layout offset must not be negative");
            endOfLine();
            entries.add(new Layout.Entry(name, type.shape(), offset));
        }
        endOfLine();
        return new Layout(target, packing, entries, size);
    }

    private Graph graph() {
        String name = parseName("the graph name");
        Token open = expect('{');
        endOfLine();
        Scope scope = new Scope(null);
        skipNewlines();
        List<Value> params = peek().is('(') ? params(scope) : List.of();
        List<Node> nodes = new ArrayList<>();
        List<Graph.Output> outputs = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        while (true) {
            skipNewlines();
            Token t = peek();
            if (t.is('}')) {
                next();
                break;
            }
            if (t.kind == T.EOF) throw unterminated(t, "graph " + name, open);
            if (t.isWord("output")) {
                next();
                Token rt = peek();
                Graph.Role role = role();
                Token nt = peek();
                String oname = parseName("the output name");
                expect('=');
                Value v = use(scope);
                endOfLine();
                if (!keys.add(role + ":" + oname)) throw error(nt, "output " + role.text() + " " + oname + " is listed twice");
                outputs.add(new Graph.Output(oname, v, role));
                continue;
            }
            if (t.is('(')) throw error(t, "a graph's parameter list must come first");
            nodes.add(node(scope, 0));
        }
        endOfLine();
        return new Graph(name, params, nodes, outputs);
    }

    private Graph.Role role() {
        Token t = peek();
        if (t.kind == T.IDENT) {
            for (Graph.Role r : Graph.Role.values()) {
                if (r.text().equals(t.text)) {
                    next();
                    return r;
                }
            }
        }
        List<String> roles = new ArrayList<>();
        for (Graph.Role r : Graph.Role.values()) roles.add(r.text());
        throw error(t, "unknown output role " + describe(t) + " (expected one of " + String.join(", ", roles) + ")");
    }

    /** {@code (%1:f32[2], %2:i32[])}, then the end of the line; defines the parameters in {@code scope}. */
    private List<Value> params(Scope scope) {
        expect('(');
        List<Value> params = new ArrayList<>();
        if (!peek().is(')')) {
            while (true) {
                Token vt = peek();
                int id = valueId("a parameter such as %3:f32[2]");
                claim(vt, id);
                expect(':');
                Value v = new Value(id, parseType());
                scope.values.put(id, v);
                params.add(v);
                if (peek().is(',')) {
                    next();
                    continue;
                }
                if (!peek().is(')')) throw expected("',' or ')'");
                break;
            }
        }
        next();
        endOfLine();
        return params;
    }

    private Node node(Scope scope, int depth) {
        Token start = peek();
        List<Value> results = new ArrayList<>();
        List<Token> resultTokens = new ArrayList<>();
        if (!start.is('=')) {
            while (true) {
                Token vt = peek();
                int id = valueId("a node ('%id:type = op ...'), an output or '}'");
                claim(vt, id);
                expect(':');
                results.add(new Value(id, parseType()));
                resultTokens.add(vt);
                if (!peek().is(',')) break;
                next();
            }
        }
        expect('=');
        Token mt = peek();
        if (mt.kind != T.IDENT) throw expected("an op name");
        next();
        String mnemonic = mt.text;
        IrCodec.Codec codec = IrCodec.forMnemonic(mnemonic);
        if (codec == null) throw error(mt, "unknown op '" + mnemonic + "'");
        Object[] attrs = attributes(codec, mt);
        List<Value> operands = new ArrayList<>();
        if (peek().kind == T.VALUE) {
            while (true) {
                operands.add(use(scope));
                if (!peek().is(',')) break;
                next();
            }
        }
        Origin origin = Origin.NONE;
        if (peek().is('@')) {
            next();
            Token lt = peek();
            int l = parseInt();
            if (l < 1) throw error(lt, "a source line must be positive");
            expect(':');
            origin = new Origin(l, parseInt());
        }
        Graph body = null;
        if (codec.hasBody()) {
            if (depth >= MAX_SCAN_DEPTH) throw error(peek(), "scans are nested more than " + MAX_SCAN_DEPTH + " deep");
            Token open = expect('{');
            body = body(open, scope, depth + 1);
        }
        endOfLine();

        TensorType leafType = null;
        if (codec.isLeaf()) {
            if (results.size() != 1) throw error(start, mnemonic + " defines one result, but " + results.size() + " are written");
            leafType = results.get(0).type();
        }
        Op op;
        try {
            op = codec.maker().make(mnemonic, attrs, leafType, body);
        } catch (RuntimeException e) {
            throw error(mt, "bad attributes for " + mnemonic + ": " + e.getMessage());
        }
        if (op.arity() >= 0 && op.arity() != operands.size()) {
            throw error(mt, mnemonic + " takes " + op.arity() + " operand" + (op.arity() == 1 ? "" : "s") + ", got " + operands.size());
        }
        List<TensorType> expect;
        try {
            expect = op.resultTypes(operands.stream().map(Value::type).toList());
        } catch (RuntimeException e) {
            throw error(mt, mnemonic + " violates its shape rule: " + e.getMessage());
        }
        List<TensorType> actual = results.stream().map(Value::type).toList();
        if (!expect.equals(actual)) {
            if (expect.size() == 1 && actual.size() == 1) {
                throw error(start, "result type " + actual.get(0) + " does not match the shape rule of " + mnemonic
                        + ", which gives " + expect.get(0));
            }
            throw error(start, "result types " + actual + " do not match the shape rule of " + mnemonic + ", which gives " + expect);
        }
        for (Value r : results) scope.values.put(r.id(), r);
        return new Node(results, op, operands, origin);
    }

    /** A scan body after its {@code {}: parameter list, nodes, {@code yield} line, {@code }}. */
    private Graph body(Token open, Scope outer, int depth) {
        endOfLine();
        Scope scope = new Scope(outer);
        skipNewlines();
        if (peek().kind == T.EOF) throw unterminated(peek(), "scan body", open);
        if (!peek().is('(')) throw expected("the scan body's parameter list '(%id:type, ...)'");
        List<Value> params = params(scope);
        List<Node> nodes = new ArrayList<>();
        List<Graph.Output> outputs = new ArrayList<>();
        while (true) {
            skipNewlines();
            Token t = peek();
            if (t.kind == T.EOF) throw unterminated(t, "scan body", open);
            if (t.is('}')) throw error(t, "a scan body must end with a 'yield' line");
            if (t.isWord("output")) throw error(t, "scan bodies yield their values with 'yield', not 'output'");
            if (t.isWord("yield")) {
                next();
                Set<String> names = new HashSet<>();
                if (peek().kind != T.NEWLINE && peek().kind != T.EOF) {
                    while (true) {
                        Token nt = peek();
                        String name = parseName("a yielded name");
                        expect('=');
                        Value v = use(scope);
                        if (!names.add(name)) throw error(nt, "yield name " + name + " is listed twice");
                        outputs.add(new Graph.Output(name, v, Graph.Role.YIELD));
                        if (!peek().is(',')) break;
                        next();
                    }
                }
                endOfLine();
                skipNewlines();
                Token c = peek();
                if (c.kind == T.EOF) throw unterminated(c, "scan body", open);
                if (!c.is('}')) throw expected("'}' after the scan body's yield line");
                next();
                break;
            }
            nodes.add(node(scope, depth));
        }
        return new Graph("body", params, nodes, outputs);
    }

    private Object[] attributes(IrCodec.Codec codec, Token mt) {
        List<IrCodec.Attr> spec = codec.attrs();
        Object[] values = new Object[spec.size()];
        if (peek().is('[')) {
            next();
            if (peek().is(']')) {
                next();
            } else {
                while (true) {
                    Token nt = peek();
                    if (nt.kind != T.IDENT) throw expected("an attribute name");
                    int idx = -1;
                    for (int i = 0; i < spec.size(); i++) if (spec.get(i).name().equals(nt.text)) idx = i;
                    if (idx < 0) {
                        throw error(nt, "unknown attribute '" + nt.text + "' for " + mt.text
                                + (spec.isEmpty() ? " (it takes none)" : " (expected " + names(spec) + ")"));
                    }
                    if (values[idx] != null) throw error(nt, "attribute '" + nt.text + "' is given twice");
                    next();
                    expect('=');
                    values[idx] = value(spec.get(idx));
                    if (peek().is(',')) {
                        next();
                        continue;
                    }
                    if (!peek().is(']')) throw expected("',' or ']' in the attribute list");
                    next();
                    break;
                }
            }
        }
        for (int i = 0; i < spec.size(); i++) {
            if (values[i] == null) throw error(mt, "missing attribute '" + spec.get(i).name() + "' for " + mt.text);
        }
        return values;
    }

    private static String names(List<IrCodec.Attr> spec) {
        List<String> n = new ArrayList<>();
        for (IrCodec.Attr a : spec) n.add(a.name());
        return String.join(", ", n);
    }

    private Object value(IrCodec.Attr a) {
        return switch (a.kind()) {
            case INT -> parseInt();
            case LONG -> parseLong();
            case FLOAT -> parseDouble();
            case STRING -> {
                Token t = peek();
                if (t.kind != T.STRING) throw expected("a string for attribute '" + a.name() + "'");
                next();
                yield t.text;
            }
            case INTS -> intArray();
            case SHAPE -> parseShape();
            case INIT -> init();
            case DIST -> distribution();
            case DTYPE -> {
                Token t = peek();
                if (t.kind != T.IDENT) throw expected("a dtype (f32 or i32)");
                yield dtype(t);
            }
            case BOOL -> {
                Token t = peek();
                if (t.kind != T.IDENT || !(t.text.equals("true") || t.text.equals("false"))) {
                    throw expected("true or false for attribute '" + a.name() + "'");
                }
                next();
                yield t.text.equals("true");
            }
        };
    }

    private Init init() {
        Token t = peek();
        if (t.kind != T.IDENT) throw expected("an init such as zeros or normal(0.0, 1.0)");
        next();
        Init init = switch (t.text) {
            case "zeros" -> new Init.Zeros();
            case "ones" -> new Init.Ones();
            case "uniform", "normal" -> {
                expect('(');
                double a = parseDouble();
                expect(',');
                double b = parseDouble();
                expect(')');
                yield new Init.Random(t.text.equals("uniform") ? Init.Distribution.UNIFORM : Init.Distribution.NORMAL, a, b);
            }
            case "glorot", "hyperfan" -> {
                expect('(');
                long a = parseLong();
                expect(',');
                long b = parseLong();
                expect(')');
                yield t.text.equals("glorot") ? new Init.Glorot(a, b) : new Init.HyperFan(a, b);
            }
            case "he" -> {
                expect('(');
                long a = parseLong();
                expect(')');
                yield new Init.He(a);
            }
            default -> throw error(t, "unknown init '" + t.text
                    + "' (expected zeros, ones, uniform(a, b), normal(a, b), glorot(fi, fo), he(fi) or hyperfan(a, b))");
        };
        return init;
    }

    private Init.Distribution distribution() {
        Token t = peek();
        for (Init.Distribution d : Init.Distribution.values()) {
            if (t.isWord(d.text())) {
                next();
                return d;
            }
        }
        throw error(t, "expected a distribution (uniform or normal), found " + describe(t));
    }

    private int[] intArray() {
        expect('[');
        List<Integer> xs = new ArrayList<>();
        if (!peek().is(']')) {
            while (true) {
                xs.add(parseInt());
                if (!peek().is(',')) break;
                next();
            }
        }
        if (!peek().is(']')) throw expected("',' or ']' in an int list");
        next();
        int[] a = new int[xs.size()];
        for (int i = 0; i < a.length; i++) a[i] = xs.get(i);
        return a;
    }

    /** {@code f32[B,16]}. */
    private TensorType parseType() {
        Token t = peek();
        if (t.kind != T.IDENT) throw expected("a type such as f32[B,16]");
        DType d = dtype(t);
        if (!peek().is('[')) throw expected("'[' starting the shape of the type");
        return new TensorType(d, parseShape());
    }

    private DType dtype(Token t) {
        DType d = switch (t.text) {
            case "f32" -> DType.F32;
            case "i32" -> DType.I32;
            default -> throw error(t, "unknown dtype '" + t.text + "' (expected f32 or i32)");
        };
        next();
        return d;
    }

    /** {@code [B*4,16]}. */
    private Shape parseShape() {
        expect('[');
        List<Dim> dims = new ArrayList<>();
        if (!peek().is(']')) {
            while (true) {
                Token t = peek();
                if (t.kind == T.INT) {
                    long n = parseLong();
                    if (n < 0) throw error(t, "a dimension must not be negative");
                    dims.add(Dim.of(n));
                } else if (t.isWord("B")) {
                    next();
                    long k = 1;
                    if (peek().is('*')) {
                        next();
                        Token kt = peek();
                        k = parseLong();
                        if (k < 1) throw error(kt, "a batch dimension's multiplier must be positive");
                    }
                    dims.add(new Dim(k, true));
                } else {
                    throw expected("a dimension (a size, B or B*k)");
                }
                if (!peek().is(',')) break;
                next();
            }
        }
        if (!peek().is(']')) throw expected("',' or ']' in a shape");
        next();
        return new Shape(dims);
    }

    /** A use of {@code %id}: defined earlier in this graph or scan body. */
    private Value use(Scope scope) {
        Token t = peek();
        int id = valueId("a value such as %3");
        Value v = scope.values.get(id);
        if (v != null) return v;
        if (scope.definedOutside(id)) {
            throw error(t, "%" + id + " is defined outside this scan body; scan bodies may only use their own parameters"
                    + " and nodes (pass outer values in as captured operands)");
        }
        throw error(t, "%" + id + " is used before it is defined");
    }

    private int valueId(String what) {
        Token t = peek();
        if (t.kind != T.VALUE) throw expected(what);
        next();
        try {
            return Integer.parseInt(t.text.substring(1));
        } catch (NumberFormatException e) {
            throw error(t, "value id " + t.text + " is out of range");
        }
    }

    private void claim(Token t, int id) {
        Integer first = defined.putIfAbsent(id, t.line);
        if (first != null) throw error(t, "%" + id + " is defined more than once (first at line " + first + ")");
    }

    private String parseName(String what) {
        Token t = peek();
        if (t.kind != T.IDENT && t.kind != T.STRING) throw expected(what);
        next();
        return t.text;
    }

    private long parseLong() {
        Token t = peek();
        if (t.kind != T.INT) throw expected("an integer");
        next();
        try {
            return Long.parseLong(t.text);
        } catch (NumberFormatException e) {
            throw error(t, "integer " + t.text + " is out of range");
        }
    }

    private int parseInt() {
        Token t = peek();
        long v = parseLong();
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw error(t, "integer " + t.text + " is out of range");
        return (int) v;
    }

    private double parseDouble() {
        Token t = peek();
        if (t.kind == T.INT || t.kind == T.FLOAT || t.isWord("NaN") || t.isWord("Infinity")) {
            next();
            return Double.parseDouble(t.text);
        }
        throw expected("a number");
    }

    // ---------------------------------------------------------------- token helpers

    private Token peek() {
        if (peeked == null) peeked = lex();
        return peeked;
    }

    private Token next() {
        Token t = peek();
        peeked = null;
        last = t;
        return t;
    }

    private Token expect(char punct) {
        if (!peek().is(punct)) throw expected("'" + punct + "'");
        return next();
    }

    private void skipNewlines() {
        while (peek().kind == T.NEWLINE) next();
    }

    /** The line must end here (or the input). */
    private void endOfLine() {
        Token t = peek();
        if (t.kind == T.NEWLINE) next();
        else if (t.kind != T.EOF) throw expected("end of line");
    }

    private ParseError expected(String what) {
        Token t = peek();
        return error(t, "expected " + what + ", found " + describe(t));
    }

    private ParseError unterminated(Token at, String what, Token open) {
        return error(at, "unterminated " + what + " (opened at " + open.line + ":" + open.col + "): expected '}', found end of input");
    }

    private ParseError error(Token t, String message) {
        return new ParseError(source, t.line, t.col, message);
    }

    private static String describe(Token t) {
        return switch (t.kind) {
            case NEWLINE -> "end of line";
            case EOF -> "end of input";
            case STRING -> "string " + IrCodec.quote(t.text.length() > 40 ? t.text.substring(0, 40) + "..." : t.text);
            default -> "'" + (t.text.length() > 40 ? t.text.substring(0, 40) + "..." : t.text) + "'";
        };
    }

    // ---------------------------------------------------------------- lexer

    private char ch() { return text.charAt(pos); }

    private boolean more() { return pos < text.length(); }

    private void advance() {
        if (text.charAt(pos) == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        pos++;
    }

    private Token lex() {
        while (more()) {
            char c = ch();
            if (c == ' ' || c == '\t' || c == '\r') {
                advance();
            } else if (c == '#') {
                while (more() && ch() != '\n') advance();
            } else {
                break;
            }
        }
        int l = line, c0 = col, start = pos;
        if (!more()) return new Token(T.EOF, "", l, c0);
        char c = ch();
        if (c == '\n') {
            advance();
            return new Token(T.NEWLINE, "\n", l, c0);
        }
        if (IrCodec.isIdentStart(c)) {
            while (more() && IrCodec.isIdentPart(ch())) advance();
            return new Token(T.IDENT, text.substring(start, pos), l, c0);
        }
        if (c == '-' || (c >= '0' && c <= '9')) return number(l, c0, start);
        if (c == '%') {
            advance();
            if (!more() || !isDigit(ch())) throw new ParseError(source, l, c0, "expected a value id such as %3 after '%'");
            while (more() && isDigit(ch())) advance();
            if (more() && IrCodec.isIdentPart(ch())) throw new ParseError(source, l, c0, "malformed value id");
            return new Token(T.VALUE, text.substring(start, pos), l, c0);
        }
        if (c == '"') return string(l, c0);
        if ("=,[](){}:@*".indexOf(c) >= 0) {
            advance();
            return new Token(T.PUNCT, String.valueOf(c), l, c0);
        }
        String shown = c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
        throw new ParseError(source, l, c0, "unexpected character " + shown);
    }

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

    private Token number(int l, int c0, int start) {
        if (ch() == '-') {
            advance();
            if (more() && ch() == 'I') {
                while (more() && IrCodec.isIdentPart(ch())) advance();
                String s = text.substring(start, pos);
                if (!s.equals("-Infinity")) throw new ParseError(source, l, c0, "malformed number '" + s + "'");
                return new Token(T.FLOAT, s, l, c0);
            }
        }
        boolean isFloat = false;
        digits(l, c0);
        if (more() && ch() == '.') {
            isFloat = true;
            advance();
            digits(l, c0);
        }
        if (more() && (ch() == 'e' || ch() == 'E')) {
            isFloat = true;
            advance();
            if (more() && (ch() == '+' || ch() == '-')) advance();
            digits(l, c0);
        }
        if (more() && IrCodec.isIdentPart(ch())) {
            while (more() && IrCodec.isIdentPart(ch())) advance();
            throw new ParseError(source, l, c0, "malformed number '" + text.substring(start, pos) + "'");
        }
        return new Token(isFloat ? T.FLOAT : T.INT, text.substring(start, pos), l, c0);
    }

    private void digits(int l, int c0) {
        if (!more() || !isDigit(ch())) throw new ParseError(source, l, c0, "malformed number: expected a digit at " + line + ":" + col);
        while (more() && isDigit(ch())) advance();
    }

    private Token string(int l, int c0) {
        advance();
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!more() || ch() == '\n') throw new ParseError(source, l, c0, "unterminated string");
            char c = ch();
            advance();
            if (c == '"') break;
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (!more()) throw new ParseError(source, l, c0, "unterminated string");
            char e = ch();
            int el = line, ec = col;
            advance();
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw new ParseError(source, el, ec - 1, "bad \\u escape in string");
                    String hex = text.substring(pos, pos + 4);
                    int v;
                    try {
                        v = Integer.parseInt(hex, 16);
                    } catch (NumberFormatException ex) {
                        throw new ParseError(source, el, ec - 1, "bad \\u escape in string");
                    }
                    if (hex.charAt(0) == '+' || hex.charAt(0) == '-') throw new ParseError(source, el, ec - 1, "bad \\u escape in string");
                    for (int i = 0; i < 4; i++) advance();
                    sb.append((char) v);
                }
                default -> throw new ParseError(source, el, ec - 1, "unknown escape '\\" + e + "' in string");
            }
        }
        return new Token(T.STRING, sb.toString(), l, c0);
    }
}
