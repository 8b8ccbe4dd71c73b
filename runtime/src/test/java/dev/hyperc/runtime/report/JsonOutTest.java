package dev.hyperc.runtime.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonOutTest {
    @Test
    void escapesWhatJsonRequires() {
        assertEquals("\"a\\\"b\\\\c\"", JsonOut.quote("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", JsonOut.quote("\n\r\t\b\f"));
        assertEquals("\"\\u0000\\u0001\\u001f \"", JsonOut.quote("\u0000\u0001\u001f "));
        assertEquals("\"/ é € 😀 \u007f\"", JsonOut.quote("/ é € 😀 \u007f"), "non-ASCII, '/' and DEL are written as is");
        assertEquals("\"x\\ud800y\\udc00\"", JsonOut.quote("x\ud800y\udc00"), "lone surrogates are escaped");
        assertEquals("\"\"", JsonOut.quote(""));
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        assertEquals("[null,null,null,null,null,1.5,2.5]", new JsonOut().beginArray()
                .value(Double.NaN).value(Double.POSITIVE_INFINITY).value(Float.NaN).value(Float.NEGATIVE_INFINITY)
                .value((Object) Double.NaN).value(1.5).value(2.5f).endArray().toString());
        assertEquals("[null,1.0]", JsonOut.write(new float[] {Float.NaN, 1f}));
        assertEquals("{\"loss\":null}", JsonOut.write(Map.of("loss", Double.NaN)));
        assertEquals("null", JsonOut.number(Double.NEGATIVE_INFINITY));
    }

    @Test
    void numbersRoundTripInShortestForm() {
        assertEquals("[0.1,0.1,1.0E-5,-0.0,9223372036854775807,-9223372036854775808,3,12345678901234567890]", JsonOut.write(List.of(
                0.1, 0.1f, 1e-5, -0.0, Long.MAX_VALUE, Long.MIN_VALUE, 3, new BigInteger("12345678901234567890"))));
        assertEquals(0.1f, ((Double) JsonOut.parse(JsonOut.write(0.1f))).floatValue());
    }

    @Test
    void compactDocument() {
        String s = new JsonOut().beginObject()
                .name("model").value("multitask_mnist")
                .name("epochs").value(5)
                .name("ok").value(true)
                .name("none").nullValue()
                .name("acc").beginObject().name("mnist").value(0.8812).name("fashion").value(0.7945).endObject()
                .name("shape").value(new int[] {2, 3})
                .name("empty").beginArray().endArray()
                .endObject().toString();
        assertEquals("{\"model\":\"multitask_mnist\",\"epochs\":5,\"ok\":true,\"none\":null,\"acc\":{\"mnist\":0.8812,\"fashion\":0.7945},"
                + "\"shape\":[2,3],\"empty\":[]}", s);
    }

    @Test
    void prettyDocument() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", List.of(true, "x"));
        m.put("c", Map.of());
        m.put("d", List.of());
        assertEquals("{\n  \"a\": 1,\n  \"b\": [\n    true,\n    \"x\"\n  ],\n  \"c\": {},\n  \"d\": []\n}", JsonOut.writePretty(m));
        assertEquals("\"s\"", JsonOut.writePretty("s"));
    }

    @Test
    void builderMisuseIsCaught() {
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginObject().value(1));
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginArray().name("x"));
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginObject().name("x").name("y"));
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginObject().name("x").endObject());
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginObject().endArray());
        assertThrows(IllegalStateException.class, () -> new JsonOut().beginObject().toString());
        assertThrows(IllegalStateException.class, () -> new JsonOut().toString());
        assertThrows(IllegalStateException.class, () -> new JsonOut().value(1).value(2));
        assertThrows(IllegalArgumentException.class, () -> JsonOut.write(Map.of(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> JsonOut.write(new Object()));
    }

    @Test
    void parsesWhatItWrites() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote\" slash\\ nl\n tab\t ctl\u0001 é 😀");
        m.put("i", Long.MIN_VALUE);
        m.put("d", 2.5e-7);
        m.put("big", new BigInteger("-99999999999999999999"));
        m.put("list", Arrays.asList(1L, null, false, List.of(), Map.of()));
        assertEquals(m, JsonOut.parse(JsonOut.write(m)));
        assertEquals(m, JsonOut.parse(JsonOut.writePretty(m)));
    }

    @Test
    void parsesStandardJson() {
        Object v = JsonOut.parse(" {\"a\" : [1, -0, 2.0, 3e2, -4E-1], \"b\":\"\\u00e9\\ud83d\\ude00\\/\", \"c\":null}\r\n");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals(List.of(1L, 0L, 2.0, 300.0, -0.4), m.get("a"));
        assertEquals("é😀/", m.get("b"));
        assertTrue(m.containsKey("c"));
        assertNull(m.get("c"));
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()), "key order is kept");
    }

    @Test
    void rejectsInvalidJsonWithAnOffset() {
        assertParseError("{\"a\":1,\"a\":2}", "invalid JSON at offset 7: duplicate key \"a\"");
        assertParseError("{} x", "invalid JSON at offset 3: unexpected text after the JSON value");
        assertParseError("01", "invalid JSON at offset 1: leading zeros are not allowed");
        assertParseError("\"abc", "invalid JSON at offset 4: unterminated string");
        assertParseError("\"a\nb\"", "invalid JSON at offset 2: unescaped control character in a string");
        assertParseError("[1,]", "invalid JSON at offset 3: unexpected character ']'");
        assertParseError("{\"a\" 1}", "invalid JSON at offset 5: expected ':'");
        assertParseError("tru", "invalid JSON at offset 0: expected true");
        assertParseError("NaN", "invalid JSON at offset 0: unexpected character 'N'");
        assertParseError("1.", "invalid JSON at offset 2: a digit must follow the decimal point");
        assertParseError("\"\\x\"", "invalid JSON at offset 1: bad escape '\\x'");
        assertParseError("", "invalid JSON at offset 0: unexpected end of input");
        assertParseError("[".repeat(65) + "]".repeat(65), "invalid JSON at offset 64: nested deeper than 64 levels");
        assertEquals(64 - 1, depth(JsonOut.parse("[".repeat(64) + "]".repeat(64))));
        assertThrows(IllegalArgumentException.class, () -> JsonOut.parseObject("[]"));
    }

    private static int depth(Object v) {
        int d = 0;
        while (v instanceof List<?> l && !l.isEmpty()) {
            v = l.get(0);
            d++;
        }
        return d;
    }

    private static void assertParseError(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonOut.parse(text), text);
        assertEquals(message, e.getMessage());
    }
}
