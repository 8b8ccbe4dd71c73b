package dev.hyperc.runtime.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EpochTableTest {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    String output() { return bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"); }

    @Test
    void printsAlignedRowsWithTheHeaderOnce() {
        EpochTable t = EpochTable.of(out, 5, List.of("mnist", "fashion"), List.of("train loss", "train acc", "test acc"));
        t.row(1, "mnist", 3.214, 0.41234, 0.871, 0.8695);
        t.row(1, "fashion", 3.05, 0.5871, 0.7942, 0.788);
        t.row(2, "mnist", 12.5, 0.2, 0.9, 1.0);
        assertEquals("""
                epoch      dataset   time (s)  train loss  train acc   test acc
                [  1/  5]  mnist         3.21      0.4123     87.10%     86.95%
                [  1/  5]  fashion       3.05      0.5871     79.42%     78.80%
                [  2/  5]  mnist        12.50      0.2000     90.00%    100.00%
                """, output());
    }

    @Test
    void missingValuesShowAsADash() {
        EpochTable t = EpochTable.of(out, 2, List.of("kata"), List.of("train loss", "test acc"));
        t.row(1, "kata", 0.5, 1.5e-5, Double.NaN);
        assertEquals("""
                epoch      dataset   time (s)  train loss   test acc
                [  1/  2]  kata          0.50   1.500e-05          -
                """, output());
    }

    @Test
    void wideEpochCountsAndLongNamesWidenTheirColumns() {
        EpochTable t = EpochTable.of(out, 1000, List.of("a-rather-long-dataset"), List.of("acc"));
        t.row(7, "a-rather-long-dataset", 1234.5, 0.5);
        t.row(1000, "short", 0, 0);
        assertEquals("""
                epoch        dataset                 time (s)        acc
                [   7/1000]  a-rather-long-dataset    1234.50     50.00%
                [1000/1000]  short                       0.00      0.00%
                """, output());
    }

    @Test
    void explicitColumnFormats() {
        EpochTable t = new EpochTable(out, 3, List.of(), List.of(new EpochTable.Column("samples/s", EpochTable.Format.DECIMAL),
                new EpochTable.Column("top-1", EpochTable.Format.PERCENT)));
        assertEquals("epoch      dataset   time (s)  samples/s      top-1", t.header());
        assertEquals("[  3/  3]  mnist            -  3900.0000          -", t.format(3, "mnist", Double.NaN, 3900, Double.NaN));
    }

    @Test
    void columnFormatsFollowTheirNames() {
        assertEquals(EpochTable.Format.PERCENT, EpochTable.Column.of("Test Accuracy").format());
        assertEquals(EpochTable.Format.PERCENT, EpochTable.Column.of("train acc").format());
        assertEquals(EpochTable.Format.DECIMAL, EpochTable.Column.of("train loss").format());
    }

    @Test
    void theNumberOfValuesMustMatchTheColumns() {
        EpochTable t = EpochTable.of(out, 5, List.of("mnist"), List.of("train acc", "test acc"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.row(1, "mnist", 1, 0.5));
        assertEquals("expected 2 metric values [train acc, test acc], got 1", e.getMessage());
        assertEquals("", output(), "nothing printed, not even the header");
    }
}
