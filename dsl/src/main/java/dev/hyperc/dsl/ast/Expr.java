package dev.hyperc.dsl.ast;

import dev.hyperc.dsl.Span;
import java.util.List;

/** Expressions. Pipelines are desugared by the parser: {@code x |> f(a)} is {@code f(x, a)} with {@code piped} set. */
public sealed interface Expr {
    Span span();

    record IntLit(long value, Span span) implements Expr {}

    record FloatLit(double value, Span span) implements Expr {}

    record StringLit(String value, Span span) implements Expr {}

    record Name(String name, Span span) implements Expr {}

    record Call(String callee, Span calleeSpan, List<Arg> args, boolean piped, Span span) implements Expr {
        public List<Arg> positional() {
            return args.stream().filter(a -> a.name() == null).toList();
        }

        public List<Arg> named() {
            return args.stream().filter(a -> a.name() != null).toList();
        }
    }

    /** A call argument; {@code name} is null for a positional one. */
    record Arg(String name, Span nameSpan, Expr value, Span span) {}

    record Neg(Expr operand, Span span) implements Expr {}

    record Binary(BinaryOp op, Expr left, Expr right, Span span) implements Expr {}

    enum BinaryOp {
        ADD("+"), SUB("-"), MUL("*"), DIV("/"), POW("^");

        public final String symbol;

        BinaryOp(String symbol) { this.symbol = symbol; }
    }

    record Index(Expr base, List<SliceItem> items, Span span) implements Expr {}

    record Tuple(List<Expr> items, Span span) implements Expr {}

    record ListLit(List<Expr> items, Span span) implements Expr {}

    /**
     * {@code scan x_t in xs with (h = h0, c = c0) { let ...; h = ...; emit h }}: a recurrence over the
     * first axis of {@code xs}. Carries keep their type across steps; the emitted values are stacked.
     */
    record Scan(String element, Span elementSpan, Expr sequence, List<Carry> carries, List<ScanStmt> body, Expr emit, Span span)
            implements Expr {}

    record Carry(String name, Span nameSpan, Expr init, Span span) {}

    sealed interface ScanStmt {
        Span span();
    }

    record ScanLet(List<String> names, List<Span> nameSpans, Expr value, Span span) implements ScanStmt {}

    record ScanUpdate(String name, Span nameSpan, Expr value, Span span) implements ScanStmt {}

    sealed interface SliceItem {
        Span span();
    }

    /** {@code ..}: as many full axes as needed. */
    record Ellipsis(Span span) implements SliceItem {}

    /** {@code a:b}; either bound may be null. */
    record Range(Long start, Long end, Span span) implements SliceItem {}

    /** {@code i}: selects one index and drops the axis. */
    record Point(long index, Span span) implements SliceItem {}
}
