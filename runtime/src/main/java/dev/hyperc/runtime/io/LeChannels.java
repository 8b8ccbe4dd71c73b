package dev.hyperc.runtime.io;

import dev.hyperc.runtime.HostTensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;

/** Buffered little-endian tensor I/O over a byte channel, optionally hashing every byte that passes. */
final class LeChannels {
    static final int BUFFER = 1 << 20;

    private LeChannels() {}

    /** Number of data bytes of a tensor: 4 per element for both F32 and I32. */
    static long byteSize(HostTensor t) { return 4L * t.numel(); }

    static long align8(long n) { return (n + 7) & ~7L; }

    /** Writes through a 1 MiB buffer; every byte written also goes to the digest, when there is one. */
    static final class Writer {
        private final WritableByteChannel ch;
        private final MessageDigest digest;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Writer(WritableByteChannel ch, MessageDigest digest) {
            this.ch = ch;
            this.digest = digest;
        }

        /** Bytes written so far, buffered ones included. */
        long position() { return written + buf.position(); }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
                if (!buf.hasRemaining()) drain();
            }
        }

        void u32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void u64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                room(1);
                buf.put((byte) 0);
            }
        }

        void tensor(HostTensor t) throws IOException {
            int n = t.numel();
            int off = 0;
            while (off < n) {
                room(4);
                int k = Math.min(buf.remaining() / 4, n - off);
                if (t.isF32()) buf.asFloatBuffer().put(t.f32(), off, k);
                else buf.asIntBuffer().put(t.i32(), off, k);
                buf.position(buf.position() + 4 * k);
                off += k;
            }
        }

        /** Writes the buffered bytes out. */
        void flush() throws IOException { drain(); }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) drain();
        }

        private void drain() throws IOException {
            buf.flip();
            if (digest != null) {
                digest.update(buf.array(), 0, buf.limit());
            }
            while (buf.hasRemaining()) ch.write(buf);
            written += buf.limit();
            buf.clear();
        }
    }

    /**
     * Reads through a 1 MiB buffer from the channel's current position, never more than {@code limit} bytes
     * from the channel; every byte read goes to the digest (so with {@code limit} set to the length of the
     * hashed region, the digest covers exactly that region once everything is consumed or skipped).
     */
    static final class Reader {
        private final ReadableByteChannel ch;
        private final MessageDigest digest;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        private long consumed;
        private long left;

        Reader(ReadableByteChannel ch, MessageDigest digest, long limit) {
            this.ch = ch;
            this.digest = digest;
            this.left = limit;
            buf.limit(0);
        }

        /** Bytes consumed so far. */
        long position() { return consumed; }

        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            int off = 0;
            while (off < n) {
                need(1);
                int k = Math.min(buf.remaining(), n - off);
                buf.get(out, off, k);
                off += k;
                consumed += k;
            }
            return out;
        }

        void skip(long n) throws IOException {
            while (n > 0) {
                need(1);
                int k = (int) Math.min(buf.remaining(), n);
                buf.position(buf.position() + k);
                consumed += k;
                n -= k;
            }
        }

        void floats(float[] dst) throws IOException {
            int off = 0;
            while (off < dst.length) {
                need(4);
                int k = Math.min(buf.remaining() / 4, dst.length - off);
                buf.asFloatBuffer().get(dst, off, k);
                buf.position(buf.position() + 4 * k);
                consumed += 4L * k;
                off += k;
            }
        }

        void ints(int[] dst) throws IOException {
            int off = 0;
            while (off < dst.length) {
                need(4);
                int k = Math.min(buf.remaining() / 4, dst.length - off);
                buf.asIntBuffer().get(dst, off, k);
                buf.position(buf.position() + 4 * k);
                consumed += 4L * k;
                off += k;
            }
        }

        /** Ensures at least {@code n} (≤ 8) unread bytes are buffered; every byte loaded is hashed. */
        private void need(int n) throws IOException {
            if (buf.remaining() >= n) return;
            buf.compact();
            while (buf.position() < n) {
                if (left <= 0) throw new EOFException();
                int start = buf.position();
                int saved = buf.limit();
                if (buf.remaining() > left) buf.limit(start + (int) left);
                int r = ch.read(buf);
                buf.limit(saved);
                if (r < 0) throw new EOFException();
                left -= r;
                if (digest != null) digest.update(buf.array(), start, r);
            }
            buf.flip();
        }
    }
}
