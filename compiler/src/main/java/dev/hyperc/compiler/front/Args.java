package dev.hyperc.compiler.front;

import dev.hyperc.dsl.Span;
import dev.hyperc.dsl.ast.Expr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds a call's arguments to a builtin's parameter list: positional first, then by name.
 * Parameter names ending in '?' are optional. Errors name the function and the argument.
 */
final class Args {
    private final Expr.Call call;
    private final Map<String, Expr> bound = new LinkedHashMap<>();
    private final Map<String, Span> spans = new HashMap<>();

    private Args(Expr.Call call) {
        this.call = call;
    }

    static Args bind(Expr.Call call, String... params) {
        Args a = new Args(call);
        List<String> names = new ArrayList<>();
        List<Boolean> optional = new ArrayList<>();
        for (String p : params) {
            boolean opt = p.endsWith("?");
            names.add(opt ? p.substring(0, p.length() - 1) : p);
            optional.add(opt);
        }
        int pos = 0;
        for (Expr.Arg arg : call.args()) {
            if (arg.name() == null) {
                if (!a.bound.isEmpty() && a.bound.size() > pos) {
                    throw new SemanticError(arg.span(), "positional argument after named arguments in " + call.callee() + "(...)");
                }
                if (pos >= names.size()) {
                    throw new SemanticError(arg.span(), call.callee() + " takes at most " + names.size() + " argument"
                            + (names.size() == 1 ? "" : "s") + " (" + String.join(", ", names) + "), got " + call.args().size()
                            + (call.piped() ? " including the piped input" : ""));
                }
                a.bound.put(names.get(pos), arg.value());
                a.spans.put(names.get(pos), arg.span());
                pos++;
            } else {
                if (!names.contains(arg.name())) {
                    String hint = Builtins.suggest(arg.name(), names);
                    throw new SemanticError(arg.nameSpan(), call.callee() + " has no argument named '" + arg.name() + "'"
                            + (hint != null ? "; did you mean '" + hint + "'?" : names.isEmpty() ? "" : " (it takes: " + String.join(", ", names) + ")"));
                }
                if (a.bound.containsKey(arg.name())) {
                    throw new SemanticError(arg.nameSpan(), "argument '" + arg.name() + "' of " + call.callee() + " is given twice");
                }
                a.bound.put(arg.name(), arg.value());
                a.spans.put(arg.name(), arg.span());
            }
        }
        for (int i = 0; i < names.size(); i++) {
            if (!optional.get(i) && !a.bound.containsKey(names.get(i))) {
                throw new SemanticError(call.span(), call.callee() + " needs the argument '" + names.get(i) + "'");
            }
        }
        return a;
    }

    boolean has(String name) { return bound.containsKey(name); }

    Expr get(String name) { return bound.get(name); }

    Span span(String name) { return spans.getOrDefault(name, call.span()); }

    Expr.Call call() { return call; }
}
