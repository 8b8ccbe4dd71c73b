package dev.hyperc.dsl;

import dev.hyperc.dsl.grammar.HyperLexer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.FailedPredicateException;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.Vocabulary;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * ANTLR's recovery with messages in the words a user typed. ANTLR says "mismatched input 'let'
 * expecting {')', ','}"; this says that the '(' on the line before is never closed, points at it, and
 * names token classes ("an expression", "a declaration") instead of listing grammar tokens.
 * Each message is passed to the parser's error listeners with the token it should point at.
 */
final class SyntaxErrorStrategy extends DefaultErrorStrategy {
    private static final Set<Integer> KEYWORDS = Set.of(HyperLexer.HYPERC, HyperLexer.MODEL, HyperLexer.CONST, HyperLexer.INPUT,
            HyperLexer.NOISE, HyperLexer.PARAM, HyperLexer.INIT, HyperLexer.TARGET, HyperLexer.LET, HyperLexer.OUTPUT, HyperLexer.TRAIN,
            HyperLexer.SCAN, HyperLexer.IN, HyperLexer.WITH, HyperLexer.EMIT);
    private static final List<Integer> DECLARATIONS = List.of(HyperLexer.CONST, HyperLexer.INPUT, HyperLexer.NOISE, HyperLexer.PARAM,
            HyperLexer.TARGET, HyperLexer.LET, HyperLexer.OUTPUT, HyperLexer.TRAIN);

    @Override
    protected void reportNoViableAlternative(Parser p, NoViableAltException e) {
        // Prediction may look several tokens ahead before it fails; what it expected then belongs to the
        // decision's first token, not to the offending one, so listing it would mislead.
        boolean lookedAhead = e.getStartToken() != null && e.getStartToken().getTokenIndex() != e.getOffendingToken().getTokenIndex();
        report(p, e.getOffendingToken(), lookedAhead ? null : e.getExpectedTokens(), null, e);
    }

    @Override
    protected void reportInputMismatch(Parser p, InputMismatchException e) {
        // ANTLR attaches the expectations of the last state that could have ended a loop (after 'xs' in
        // "scan x in xs with ()" it lists operators); what the parser wanted at the offending token is clearer.
        report(p, e.getOffendingToken(), p.getExpectedTokens(), null, e);
    }

    @Override
    protected void reportFailedPredicate(Parser p, FailedPredicateException e) {
        report(p, e.getOffendingToken(), e.getExpectedTokens(), null, e);
    }

    @Override
    protected void reportUnwantedToken(Parser p) {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        report(p, p.getCurrentToken(), getExpectedTokens(p), null, null);
    }

    @Override
    protected void reportMissingToken(Parser p) {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        IntervalSet expected = getExpectedTokens(p);
        report(p, p.getCurrentToken(), expected, expected, null);
    }

    /** {@code missing} is set when ANTLR is about to pretend the expected token was there. */
    private static void report(Parser p, Token at, IntervalSet expected, IntervalSet missing, RecognitionException e) {
        Vocabulary voc = p.getVocabulary();
        TokenStream tokens = p.getInputStream();
        Token opener = unclosedOpener(tokens, at, expected);
        if (opener != null) {
            String closer = closerOf(opener.getText());
            p.notifyErrorListeners(opener, "syntax error: this '" + opener.getText() + "' is never closed: expected '" + closer
                    + "' before " + describe(at) + (at.getType() == Token.EOF ? "" : " on line " + at.getLine()), e);
            return;
        }
        String msg;
        if (at.getType() == HyperLexer.ERROR_CHAR) {
            msg = at.getText().equals("\"") ? "unterminated string: a string must end with '\"' on the same line"
                    : "unexpected character '" + printable(at.getText()) + "'";
        } else if (KEYWORDS.contains(at.getType()) && expected != null && expected.contains(HyperLexer.ID)) {
            msg = "'" + at.getText() + "' is a keyword and cannot be used as a name";
        } else if (expected != null && expected.size() == 1 && expected.contains(HyperLexer.HYPERC)) {
            msg = "a .hyper file must start with the language version line 'hyperc 1'";
        } else if (expected != null && expected.size() == 1 && expected.contains(HyperLexer.MODEL)) {
            msg = "expected 'model NAME' after the version line, got " + describe(at);
        } else if (missing != null) {
            msg = "expected " + describe(missing, voc) + " before " + describe(at);
        } else {
            msg = "unexpected " + describe(at) + (expected == null || expected.isNil() ? "" : "; expected " + describe(expected, voc));
        }
        p.notifyErrorListeners(at, "syntax error: " + msg, e);
    }

    /**
     * The innermost bracket left open before {@code at}, when the parser wants its closer and {@code at}
     * starts a new line (or is the end of the file): the classic forgotten ')' or ']'.
     */
    private static Token unclosedOpener(TokenStream tokens, Token at, IntervalSet expected) {
        if (expected == null || at.getTokenIndex() <= 0) return null;
        if (!(expected.contains(CLOSE_PAREN) || expected.contains(CLOSE_BRACKET) || expected.contains(CLOSE_BRACE))) return null;
        Token prev = tokens.get(at.getTokenIndex() - 1);
        if (at.getType() != Token.EOF && at.getLine() == prev.getLine()) return null;
        // Walk back to the innermost bracket that is still open: closers seen on the way cancel openers.
        int depth = 0;
        for (int i = at.getTokenIndex() - 1; i >= 0; i--) {
            int type = tokens.get(i).getType();
            if (type == CLOSE_PAREN || type == CLOSE_BRACKET || type == CLOSE_BRACE) {
                depth++;
            } else if (type == OPEN_PAREN || type == OPEN_BRACKET || type == OPEN_BRACE) {
                if (depth > 0) {
                    depth--;
                } else {
                    Token open = tokens.get(i);
                    return expected.contains(closerType(type)) ? open : null;
                }
            }
        }
        return null;
    }

    private static int closerType(int opener) {
        return opener == OPEN_PAREN ? CLOSE_PAREN : opener == OPEN_BRACKET ? CLOSE_BRACKET : CLOSE_BRACE;
    }

    /** The grammar's implicit token types for brackets, looked up by their literal names. */
    private static int type(String literal) {
        Vocabulary voc = HyperLexer.VOCABULARY;
        for (int t = 1; t <= voc.getMaxTokenType(); t++) {
            if (literal.equals(voc.getLiteralName(t))) return t;
        }
        throw new IllegalStateException("no token " + literal + " in the grammar");
    }

    private static final int OPEN_PAREN = type("'('"), CLOSE_PAREN = type("')'"), OPEN_BRACKET = type("'['"),
            CLOSE_BRACKET = type("']'"), OPEN_BRACE = type("'{'"), CLOSE_BRACE = type("'}'");

    private static String closerOf(String opener) {
        return switch (opener) {
            case "(" -> ")";
            case "[" -> "]";
            default -> "}";
        };
    }

    private static String describe(Token t) {
        if (t.getType() == Token.EOF) return "the end of the file";
        return "'" + printable(t.getText()) + "'";
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') out.append("\\n");
            else if (c == '\t') out.append("\\t");
            else if (c < 0x20 || c == 0x7f) out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            else out.append(c);
        }
        return out.toString();
    }

    /** Token classes in words: the start of any expression is "an expression", any declaration keyword "a declaration". */
    private static String describe(IntervalSet set, Vocabulary voc) {
        List<Integer> types = new ArrayList<>(set.toList());
        List<String> words = new ArrayList<>();
        List<Integer> exprStart = List.of(HyperLexer.ID, HyperLexer.INT, HyperLexer.FLOAT, HyperLexer.STRING, HyperLexer.SCAN);
        if (types.containsAll(exprStart)) {
            // Where an argument may start, every keyword may too, as its name (dense(64, init: glorot)): not worth listing.
            if (types.containsAll(KEYWORDS)) types.removeAll(KEYWORDS);
            types.removeAll(exprStart);
            types.removeIf(t -> List.of("'('", "'['", "'-'").contains(voc.getLiteralName(t)));
            words.add("an expression");
        }
        if (types.containsAll(DECLARATIONS)) {
            types.removeAll(DECLARATIONS);
            types.remove(Integer.valueOf(Token.EOF));
            words.add("a declaration (" + String.join(", ", DECLARATIONS.stream().map(t -> voc.getLiteralName(t).replace("'", "")).toList()) + ")");
        }
        for (int t : types) {
            words.add(switch (t) {
                case Token.EOF -> "the end of the file";
                case HyperLexer.ID -> "a name";
                case HyperLexer.INT -> "an integer";
                case HyperLexer.FLOAT -> "a number";
                case HyperLexer.STRING -> "a string";
                default -> voc.getLiteralName(t) != null ? voc.getLiteralName(t) : voc.getDisplayName(t);
            });
        }
        if (words.size() == 1) return words.get(0);
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
    }
}
