package dev.hyperc.runtime.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    /** A clock the test moves by hand. */
    static final class FakeClock {
        long nanos = 1_000_000_000L;

        void advanceMillis(long ms) { nanos += ms * 1_000_000L; }
    }

    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    final FakeClock clock = new FakeClock();

    String output() { return bytes.toString(StandardCharsets.UTF_8); }

    @Test
    void drawsOneLineWithSpeedEtaAndLoss() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos);
        bar.start("epoch 1/5 mnist", 8000);
        clock.advanceMillis(1000);
        bar.update(4000, 0.41234);
        String expected = "\repoch 1/5 mnist [" + "=".repeat(6) + ">" + " ".repeat(5) + "] 4000/8000  4000 samples/s  ETA 0:01  loss 0.4123";
        assertEquals(expected, output());
        assertEquals(ProgressBar.DEFAULT_WIDTH, expected.length() - 1, "fills the 79-column line exactly");
    }

    @Test
    void theFirstDrawHasNoSpeedYet() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos, 60);
        bar.start("e1", 100);
        bar.update(0, Double.NaN);
        assertEquals("\re1 [" + " ".repeat(17) + "] 0/100  - samples/s  ETA --:--  loss -", output());
    }

    @Test
    void redrawsAtMostTenTimesASecond() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos);
        bar.start("epoch 1/1 mnist", 10_000);
        for (int i = 1; i <= 1000; i++) { // one update per millisecond for one second
            clock.advanceMillis(1);
            bar.update(i * 10, 1.0 / i);
        }
        assertEquals(10, bar.redraws(), "the first update, then one per 100 ms");
        assertEquals(10, output().chars().filter(c -> c == '\r').count());
        assertTrue(output().endsWith("] 9010/10000  10000 samples/s  ETA 0:00  loss 0.0011"), output());
    }

    @Test
    void updatesWithin100msAreDropped() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos);
        bar.start("x", 10);
        bar.update(1, 1);
        clock.advanceMillis(99);
        bar.update(2, 1);
        assertEquals(1, bar.redraws());
        clock.advanceMillis(1);
        bar.update(3, 1);
        assertEquals(2, bar.redraws());
    }

    @Test
    void aShorterLineOverwritesTheLongerOne() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos, 20);
        bar.start("a-very-long-label-indeed", 10);
        bar.update(1, 1);
        int first = output().length() - 1;
        bar.finish();
        bytes.reset();
        bar.start("b", 10);
        bar.update(1, 1);
        String line = output();
        assertTrue(line.length() - 1 < first);
        bar.start("a-very-long-label-indeed", 10);
        clock.advanceMillis(200);
        bar.update(2, 1);
        bar.start("b", 10);
        clock.advanceMillis(200);
        bytes.reset();
        bar.update(3, 1);
        String shorter = output();
        assertEquals(first + 1, shorter.length(), "padded with spaces to erase what was there");
        assertTrue(shorter.endsWith("  "));
    }

    @Test
    void finishErasesTheLine() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos, 40);
        bar.start("e", 4);
        bar.update(2, 0.5);
        int n = output().length() - 1;
        bytes.reset();
        bar.finish();
        assertEquals("\r" + " ".repeat(n) + "\r", output());
        bytes.reset();
        bar.finish();
        assertEquals("", output(), "nothing left to erase");
    }

    @Test
    void printsNothingWhenNotOnATerminal() {
        ProgressBar bar = new ProgressBar(out, false, () -> clock.nanos);
        bar.start("epoch 1/5 mnist", 8000);
        for (int i = 0; i < 100; i++) {
            clock.advanceMillis(500);
            bar.update(i * 80, 0.5);
        }
        bar.clear();
        bar.finish();
        assertEquals("", output());
        assertEquals(0, bar.redraws());
    }

    @Test
    void formatsDurationsAndLosses() {
        assertEquals("0:00", ProgressBar.duration(0.4));
        assertEquals("0:59", ProgressBar.duration(59.4));
        assertEquals("1:00", ProgressBar.duration(59.6));
        assertEquals("59:59", ProgressBar.duration(3599));
        assertEquals("1:00:00", ProgressBar.duration(3600));
        assertEquals("27:46:40", ProgressBar.duration(100_000));
        assertEquals("0.4123", ProgressBar.formatLoss(0.41234));
        assertEquals("0.0000", ProgressBar.formatLoss(0));
        assertEquals("1.500e-05", ProgressBar.formatLoss(1.5e-5));
        assertEquals("2.000e+06", ProgressBar.formatLoss(2e6));
        assertEquals("-3.2500", ProgressBar.formatLoss(-3.25));
        assertEquals("inf", ProgressBar.formatLoss(Double.POSITIVE_INFINITY));
    }

    @Test
    void etaCountsTheRemainingSamplesAtTheAverageSpeed() {
        ProgressBar bar = new ProgressBar(out, true, () -> clock.nanos, 120);
        bar.start("e", 1_000_000);
        clock.advanceMillis(10_000);
        bar.update(2_500, 2.0);
        // 250 samples/s; 997,500 left: 3990 s = 1:06:30
        assertTrue(output().contains("2500/1000000  250 samples/s  ETA 1:06:30  loss 2.0000"), output());
    }
}
