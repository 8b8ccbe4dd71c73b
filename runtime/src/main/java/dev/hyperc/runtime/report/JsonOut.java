package dev.hyperc.runtime.report;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON writer, and a small strict parser, with no dependencies.
 *
 * <h2>Writing</h2>
 * A streaming builder: {@code new JsonOut().beginObject().name("acc").value(0.87).endObject().toString()}
 * gives {@code {"acc":0.87}}. {@link #pretty()} indents by two spaces instead. {@link #write(Object)} turns
 * maps, lists, arrays, strings, numbers, booleans and null into JSON text in one call.
 * <ul>
 *   <li>Strings: {@code "} and {@code \} are escaped, control characters U+0000–U+001F become
 *       {@code \b \f \n \r \t} or {@code \}{@code u00XX}, and a lone UTF-16 surrogate (which has no UTF-8
 *       form) becomes {@code \}{@code uXXXX}. Everything else, non-ASCII included, is written as is
 *       (the output is meant to be encoded as UTF-8).</li>
 *   <li>Numbers: integers exactly; {@code float} and {@code double} in their shortest round-tripping
 *       form ({@link Float#toString}, {@link Double#toString}, e.g. {@code 0.1}, {@code 1.0E-5}); NaN and
 *       ±Infinity, which JSON cannot express, become {@code null}.</li>
 * </ul>
 * The builder checks nesting: a value inside an object needs a {@link #name}, and {@link #toString}
 * refuses an unfinished document.
 *
 * <h2>Parsing</h2>
 * {@link #parse(String)} reads strict RFC 8259 JSON into {@link LinkedHashMap} (key order kept),
 * {@link ArrayList}, {@link String}, {@link Long} (integers that fit), {@link BigInteger} (larger integers),
 * {@link Double} (anything with a fraction or exponent), {@link Boolean} and {@code null}. Duplicate keys,
 * trailing text, leading zeros, and nesting deeper than {@value #MAX_DEPTH} are errors
 * ({@link IllegalArgumentException} with the character offset). The checkpoint and safetensors readers
 * use it for their headers, so it must be safe on hostile input: its recursion is bounded by
 * {@value #MAX_DEPTH}, and every error is an {@link IllegalArgumentException}.
 */
public final class JsonOut {
    /** The deepest nesting {@link #parse} accepts. */
    public static final int MAX_DEPTH = 64;

    private enum Ctx { OBJECT, ARRAY }

    private final StringBuilder sb = new StringBuilder();
    private final String indent;
    private final Deque<Ctx> stack = new ArrayDeque<>();
    private final Deque<Boolean> empty = new ArrayDeque<>();
    private boolean nameWritten;
    private boolean done;

    /** A compact writer: no whitespace at all. */
    public JsonOut() { this(""); }

    private JsonOut(String indent) { this.indent = indent; }

    /** A writer that puts each member and element on its own line, indented by two spaces. */
    public static JsonOut pretty() { return new JsonOut("  "); }

    public JsonOut beginObject() {
        beforeValue();
        sb.append('{');
        stack.push(Ctx.OBJECT);
        empty.push(true);
        return this;
    }

    public JsonOut endObject() { return end(Ctx.OBJECT, '}'); }

    public JsonOut beginArray() {
        beforeValue();
        sb.append('[');
        stack.push(Ctx.ARRAY);
        empty.push(true);
        return this;
    }

    public JsonOut endArray() { return end(Ctx.ARRAY, ']'); }

    /** The next member's name; must be followed by exactly one value. */
    public JsonOut name(String name) {
        if (stack.peek() != Ctx.OBJECT) throw new IllegalStateException("name(\"" + name + "\") outside an object");
        if (nameWritten) throw new IllegalStateException("name(\"" + name + "\") right after another name");
        separate();
        quote(sb, name);
        sb.append(indent.isEmpty() ? ":" : ": ");
        nameWritten = true;
        return this;
    }

    public JsonOut value(String s) { return scalar(s == null ? "null" : quote(s)); }

    public JsonOut value(long v) { return scalar(Long.toString(v)); }

    /** NaN and ±Infinity are written as {@code null}. */
    public JsonOut value(double v) { return scalar(number(v)); }

    /** NaN and ±Infinity are written as {@code null}; otherwise the shortest decimal that reads back as this float. */
    public JsonOut value(float v) { return scalar(Float.isFinite(v) ? Float.toString(v) : "null"); }

    public JsonOut value(boolean v) { return scalar(Boolean.toString(v)); }

    public JsonOut nullValue() { return scalar("null"); }

    /** Writes any value {@link #write(Object)} accepts, nested structures included. */
    public JsonOut value(Object v) {
        switch (v) {
            case null -> nullValue();
            case String s -> value(s);
            case Boolean b -> value(b.booleanValue());
            case Float f -> value(f.floatValue());
            case Double d -> value(d.doubleValue());
            case Long l -> value(l.longValue());
            case Integer i -> value(i.longValue());
            case Short s -> value(s.longValue());
            case Byte b -> value(b.longValue());
            case BigInteger b -> scalar(b.toString());
            case Number n -> value(n.doubleValue());
            case Map<?, ?> m -> {
                beginObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k)) throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                    name(k).value(e.getValue());
                }
                endObject();
            }
            case Iterable<?> it -> {
                beginArray();
                for (Object o : it) value(o);
                endArray();
            }
            case float[] a -> {
                beginArray();
                for (float x : a) value(x);
                endArray();
            }
            case double[] a -> {
                beginArray();
                for (double x : a) value(x);
                endArray();
            }
            case int[] a -> {
                beginArray();
                for (int x : a) value((long) x);
                endArray();
            }
            case long[] a -> {
                beginArray();
                for (long x : a) value(x);
                endArray();
            }
            case Object[] a -> value(List.of(a));
            default -> throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
        }
        return this;
    }

    /** The document; it must be complete (every object and array closed). */
    @Override
    public String toString() {
        if (!stack.isEmpty() || !done) throw new IllegalStateException("unfinished JSON document: " + sb);
        return sb.toString();
    }

    /** One value as compact JSON text. */
    public static String write(Object value) { return new JsonOut().value(value).toString(); }

    /** One value as indented JSON text. */
    public static String writePretty(Object value) { return pretty().value(value).toString(); }

    /** A JSON string literal, quotes included. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2);
        quote(b, s);
        return b.toString();
    }

    /** A JSON number for {@code v}, or {@code null} when it is NaN or infinite. */
    public static String number(double v) { return Double.isFinite(v) ? Double.toString(v) : "null"; }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        hex(b, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        hex(b, c); // a lone surrogate cannot be encoded as UTF-8
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void hex(StringBuilder b, char c) {
        b.append("\\u");
        String h = Integer.toHexString(c);
        for (int k = h.length(); k < 4; k++) b.append('0');
        b.append(h);
    }

    private void beforeValue() {
        if (done) throw new IllegalStateException("the JSON document is already complete");
        Ctx top = stack.peek();
        if (top == Ctx.OBJECT) {
            if (!nameWritten) throw new IllegalStateException("a value inside an object needs name(...) first");
            nameWritten = false;
        } else if (top == Ctx.ARRAY) {
            separate();
        }
    }

    private JsonOut scalar(String text) {
        beforeValue();
        sb.append(text);
        if (stack.isEmpty()) done = true;
        return this;
    }

    private void separate() {
        boolean first = empty.pop();
        empty.push(false);
        if (!first) sb.append(',');
        newline(stack.size());
    }

    private void newline(int depth) {
        if (indent.isEmpty()) return;
        sb.append('\n');
        for (int i = 0; i < depth; i++) sb.append(indent);
    }

    private JsonOut end(Ctx ctx, char close) {
        if (stack.peek() != ctx) throw new IllegalStateException("end" + (ctx == Ctx.OBJECT ? "Object" : "Array") + "() without a matching begin");
        if (nameWritten) throw new IllegalStateException("endObject() right after name(...)");
        stack.pop();
        boolean wasEmpty = empty.pop();
        if (!wasEmpty) newline(stack.size());
        sb.append(close);
        if (stack.isEmpty()) done = true;
        return this;
    }

    // ---------------------------------------------------------------------------------------------
    // Parsing

    /**
     * Parses one JSON document.
     *
     * @throws IllegalArgumentException with the offset and what was wrong, for anything that is not strict JSON
     */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) throw p.error("unexpected text after the JSON value");
        return v;
    }

    /** Parses a document whose top level must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map<?, ?>)) throw new IllegalArgumentException("expected a JSON object, got " + typeName(v));
        return (Map<String, Object>) v;
    }

    /** "object", "array", "string", "number", "boolean" or "null": for error messages. */
    public static String typeName(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> m -> "object";
            case List<?> l -> "array";
            case String s -> "string";
            case Boolean b -> "boolean";
            case Number n -> "number";
            default -> v.getClass().getSimpleName();
        };
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) { this.s = s; }

        IllegalArgumentException error(String msg) {
            return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + msg);
        }

        void ws() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (depth >= MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
            if (pos >= s.length()) throw error("unexpected end of input");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected character '" + c + "'");
                }
            };
        }

        Object literal(String word, Object v) {
            if (!s.startsWith(word, pos)) throw error("expected " + word);
            pos += word.length();
            return v;
        }

        Map<String, Object> object(int depth) {
            pos++; // {
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                ws();
                if (peek() != '"') throw error("expected a string key");
                int keyAt = pos;
                String k = string();
                ws();
                expect(':');
                ws();
                Object v = value(depth + 1);
                if (m.containsKey(k)) {
                    pos = keyAt;
                    throw error("duplicate key " + quote(k));
                }
                m.put(k, v);
                ws();
                char c = peek();
                pos++;
                if (c == '}') return m;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        List<Object> array(int depth) {
            pos++; // [
            List<Object> l = new ArrayList<>();
            ws();
            if (peek() == ']') {
                pos++;
                return l;
            }
            while (true) {
                ws();
                l.add(value(depth + 1));
                ws();
                char c = peek();
                pos++;
                if (c == ']') return l;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        char peek() {
            if (pos >= s.length()) throw error("unexpected end of input");
            return s.charAt(pos);
        }

        void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            pos++;
        }

        String string() {
            pos++; // opening quote
            StringBuilder b = null;
            int start = pos;
            while (true) {
                if (pos >= s.length()) throw error("unterminated string");
                char c = s.charAt(pos);
                if (c == '"') {
                    String out = b == null ? s.substring(start, pos) : b.append(s, start, pos).toString();
                    pos++;
                    return out;
                }
                if (c < 0x20) throw error("unescaped control character in a string");
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (b == null) b = new StringBuilder();
                b.append(s, start, pos);
                pos++;
                char e = peek();
                pos++;
                switch (e) {
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    case '/' -> b.append('/');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("truncated \\u escape");
                        int cp = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(s.charAt(pos + k), 16);
                            if (d < 0) throw error("bad \\u escape");
                            cp = cp * 16 + d;
                        }
                        pos += 4;
                        b.append((char) cp);
                    }
                    default -> {
                        pos -= 2;
                        throw error("bad escape '\\" + e + "'");
                    }
                }
                start = pos;
            }
        }

        Object number() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            if (pos >= s.length()) throw error("truncated number");
            char c = s.charAt(pos);
            if (c == '0') {
                pos++;
            } else if (c >= '1' && c <= '9') {
                while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
            } else {
                throw error("bad number");
            }
            boolean integral = true;
            if (pos < s.length() && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                int d = pos;
                while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
                if (pos == d) throw error("a digit must follow the decimal point");
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                int d = pos;
                while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
                if (pos == d) throw error("a digit must follow the exponent");
            }
            if (pos < s.length() && isDigit(s.charAt(pos))) throw error("leading zeros are not allowed");
            String t = s.substring(start, pos);
            if (!integral) return Double.parseDouble(t);
            BigInteger big = new BigInteger(t);
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }

        static boolean isDigit(char c) { return c >= '0' && c <= '9'; }
    }
}
