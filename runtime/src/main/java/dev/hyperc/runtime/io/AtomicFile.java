package dev.hyperc.runtime.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Writes a file so that its final name only ever holds a complete file: the old contents or the new,
 * never a mix and never a prefix, whatever point the process is killed at.
 *
 * <p>The steps:
 * <ol>
 *   <li>the contents go to a temporary file in the same directory (so that the rename below stays within
 *       one file system), named {@code .NAME.PID.RANDOM.tmp}: it starts with a dot and ends with
 *       {@code .tmp}, so it is never taken for the real file;</li>
 *   <li>the temporary file is flushed to the device ({@link FileChannel#force(boolean)});</li>
 *   <li>with {@linkplain #write(Path, Path, Body) rotation}, the current file (if any) becomes the previous
 *       one: it is hard-linked (or, where links are not supported, copied and flushed) to a temporary name,
 *       which is then renamed over the previous file. The current name keeps its complete old contents
 *       throughout;</li>
 *   <li>the temporary file is renamed to the final name with {@link StandardCopyOption#ATOMIC_MOVE}
 *       (falling back to {@link StandardCopyOption#REPLACE_EXISTING} where the file system cannot rename
 *       atomically);</li>
 *   <li>the directory is flushed, where the platform allows opening a directory, so that the rename
 *       itself survives a power loss.</li>
 * </ol>
 * On an exception the temporary files are deleted and the final name is untouched. A temporary file left by
 * a process that was killed is deleted by the next write to the same name once that process has ended
 * ({@link #deleteStaleTemps}).
 */
public final class AtomicFile {
    /** Produces the file's contents. The channel is positioned at 0; the body must not close it. */
    @FunctionalInterface
    public interface Body {
        void writeTo(FileChannel channel) throws IOException;
    }

    /**
     * Test hook: called with "written" (temporary file complete and flushed), "rotated" (previous file
     * replaced) and "renamed" (final name replaced). Throwing from it simulates a crash at that point.
     */
    static volatile Consumer<String> crashHook = stage -> {};

    private AtomicFile() {}

    /** Writes {@code target} atomically. */
    public static void write(Path target, Body body) throws IOException { write(target, null, body); }

    /**
     * Writes {@code target} atomically; when {@code previous} is not null and {@code target} already exists,
     * the old {@code target} becomes {@code previous} (replacing it) before the new contents take its name.
     */
    public static void write(Path target, Path previous, Body body) throws IOException {
        Path dir = directoryOf(target);
        if (Files.isDirectory(target)) throw new IOException(target + " is a directory");
        deleteStaleTemps(target);
        Path temp = null;
        Path prevTemp = null;
        boolean ok = false;
        try {
            temp = createTemp(target);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.writeTo(ch);
                ch.force(true);
            }
            crashHook.accept("written");
            if (previous != null && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                prevTemp = linkOrCopy(target, previous);
                move(prevTemp, previous);
                prevTemp = null;
                crashHook.accept("rotated");
            }
            move(temp, target);
            temp = null;
            crashHook.accept("renamed");
            forceDirectory(dir);
            ok = true;
        } finally {
            if (!ok) {
                deleteQuietly(temp);
                deleteQuietly(prevTemp);
            }
        }
    }

    /** Whether {@code candidate} is a temporary file of a write to {@code target} (finished or not). */
    public static boolean isTempFor(Path target, Path candidate) {
        return parseTemp(target.getFileName().toString(), candidate.getFileName().toString()) != Long.MIN_VALUE;
    }

    /**
     * Deletes temporary files of earlier writes to {@code target} whose process is no longer running, and
     * returns how many it deleted. Temporary files of live processes are left alone.
     */
    public static int deleteStaleTemps(Path target) {
        Path dir = directoryOf(target);
        String name = target.getFileName().toString();
        int deleted = 0;
        if (!Files.isDirectory(dir)) return 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> isTempFor(target, p))) {
            for (Path p : ds) {
                long pid = parseTemp(name, p.getFileName().toString());
                if (pid == Long.MIN_VALUE) continue;
                boolean alive = pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (alive) continue;
                try {
                    if (Files.deleteIfExists(p)) deleted++;
                } catch (IOException ignored) {
                    // not ours to worry about: it is never read
                }
            }
        } catch (IOException ignored) {
            // an unreadable directory will fail the write itself with a clearer error
        }
        return deleted;
    }

    /** The pid in a temporary name {@code .NAME.PID.RANDOM.tmp}, or Long.MIN_VALUE when it is not one. */
    private static long parseTemp(String name, String candidate) {
        String prefix = "." + name + ".";
        if (candidate.length() < prefix.length() + ".tmp".length() || !candidate.startsWith(prefix) || !candidate.endsWith(".tmp")) {
            return Long.MIN_VALUE;
        }
        String mid = candidate.substring(prefix.length(), candidate.length() - ".tmp".length());
        int dot = mid.indexOf('.');
        if (dot <= 0 || dot == mid.length() - 1) return Long.MIN_VALUE;
        try {
            return Long.parseLong(mid.substring(0, dot));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    private static Path createTemp(Path target) throws IOException {
        Path dir = directoryOf(target);
        String base = "." + target.getFileName() + "." + ProcessHandle.current().pid() + ".";
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(base + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
            try {
                FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return p;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) throw e;
            }
        }
    }

    private static Path linkOrCopy(Path target, Path previous) throws IOException {
        Path link = createTemp(previous);
        Files.delete(link);
        try {
            Files.createLink(link, target);
            return link;
        } catch (UnsupportedOperationException | IOException e) {
            deleteQuietly(link);
        }
        Files.copy(target, link, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(link, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return link;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows cannot open a directory; its renames are durable enough for our purpose
        }
    }

    private static Path directoryOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent != null ? parent : target.toAbsolutePath();
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a stale temp is cleaned up by the next write
        }
    }
}
