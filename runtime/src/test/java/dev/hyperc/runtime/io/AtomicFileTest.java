package dev.hyperc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path tmp;

    private static AtomicFile.Body text(String s) {
        return ch -> ch.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = tmp.resolve("out.txt");
        AtomicFile.write(f, text("one"));
        assertEquals("one", Files.readString(f));
        AtomicFile.write(f, text("two"));
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("out.txt"), CheckpointTest.names(tmp));
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemp() throws IOException {
        Path f = tmp.resolve("out.txt");
        AtomicFile.write(f, text("complete"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
            ch.write(ByteBuffer.wrap("half".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("complete", Files.readString(f));
        assertEquals(List.of("out.txt"), CheckpointTest.names(tmp));
    }

    @Test
    void rotationKeepsThePreviousContents() throws IOException {
        Path f = tmp.resolve("a");
        Path prev = tmp.resolve("a.prev");
        AtomicFile.write(f, prev, text("1"));
        assertFalse(Files.exists(prev), "nothing to rotate the first time");
        AtomicFile.write(f, prev, text("2"));
        AtomicFile.write(f, prev, text("3"));
        assertEquals("3", Files.readString(f));
        assertEquals("2", Files.readString(prev));
        assertEquals(List.of("a", "a.prev"), CheckpointTest.names(tmp));
    }

    @Test
    void recognisesItsTempNames() {
        Path f = tmp.resolve("x.bin");
        assertTrue(AtomicFile.isTempFor(f, tmp.resolve(".x.bin.123.ab.tmp")));
        assertFalse(AtomicFile.isTempFor(f, tmp.resolve("x.bin")));
        assertFalse(AtomicFile.isTempFor(f, tmp.resolve(".x.bin.tmp")));
        assertFalse(AtomicFile.isTempFor(f, tmp.resolve(".x.bin.abc.def.tmp")));
        assertFalse(AtomicFile.isTempFor(f, tmp.resolve(".y.bin.123.ab.tmp")));
    }

    @Test
    void deletesOnlyStaleTemps() throws IOException {
        Path f = tmp.resolve("x.bin");
        Path stale = Files.writeString(tmp.resolve(".x.bin.999999999.ab.tmp"), "partial");
        Path mine = Files.writeString(tmp.resolve(".x.bin." + ProcessHandle.current().pid() + ".cd.tmp"), "in progress");
        Path other = Files.writeString(tmp.resolve(".other.999999999.ab.tmp"), "not ours");
        assertEquals(1, AtomicFile.deleteStaleTemps(f));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(mine));
        assertTrue(Files.exists(other));
    }

    @Test
    void refusesToReplaceADirectory() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("d"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(d, text("x")));
        assertEquals(d + " is a directory", e.getMessage());
    }

    @Test
    void handlesGlobCharactersInNames() throws IOException {
        Path f = tmp.resolve("weird[1]{a,b}*?.bin");
        AtomicFile.write(f, text("ok"));
        AtomicFile.write(f, text("ok2"));
        assertEquals("ok2", Files.readString(f));
    }
}
