package dev.hyperc.compiler.lower;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Places temporaries in one arena by lifetime: a buffer is live from the first kernel that touches it to
 * the last (outputs live to the end), and two buffers share memory only if their lifetimes do not overlap.
 * Greedy: largest first, each at the lowest offset free during its lifetime. Allocation then happens
 * once per schedule, never per step.
 */
final class MemoryPlan {
    private MemoryPlan() {}

    /** Sets arena offsets of the TEMP buffers in place; returns the arena size in elements. */
    static long place(List<Buffer> buffers, List<Kernel> kernels, Collection<BufferRef> outputs) {
        int n = buffers.size();
        int[] first = new int[n], last = new int[n];
        java.util.Arrays.fill(first, Integer.MAX_VALUE);
        java.util.Arrays.fill(last, -1);
        for (int i = 0; i < kernels.size(); i++) {
            List<BufferRef> touched = new ArrayList<>(Kernels.reads(kernels.get(i)));
            touched.addAll(Kernels.writes(kernels.get(i)));
            for (BufferRef r : touched) {
                first[r.buffer()] = Math.min(first[r.buffer()], i);
                last[r.buffer()] = Math.max(last[r.buffer()], i);
            }
        }
        for (BufferRef r : outputs) last[r.buffer()] = kernels.size();
        List<Buffer> temps = new ArrayList<>();
        for (Buffer b : buffers) if (b.kind() == Buffer.Kind.TEMP && last[b.id()] >= 0) temps.add(b);
        temps.sort(Comparator.comparingLong(Buffer::size).reversed().thenComparingInt(Buffer::id));
        record Placed(long offset, long end, int from, int to) {}
        List<Placed> placed = new ArrayList<>();
        long arena = 0;
        for (Buffer b : temps) {
            int from = first[b.id()] == Integer.MAX_VALUE ? last[b.id()] : first[b.id()], to = last[b.id()];
            // -Dhyperc.debug.noReuse=true gives every temporary its own memory, so tests can inspect them all afterwards.
            boolean reuse = !Boolean.getBoolean("hyperc.debug.noReuse");
            List<Placed> clash = placed.stream().filter(p -> !reuse || (p.from <= to && from <= p.to))
                    .sorted(Comparator.comparingLong(Placed::offset)).toList();
            long off = 0;
            long size = align(b.size());
            for (Placed p : clash) {
                if (off + size <= p.offset) break;
                off = Math.max(off, p.end);
            }
            placed.add(new Placed(off, off + size, from, to));
            buffers.set(b.id(), b.withArenaOffset(off));
            arena = Math.max(arena, off + size);
        }
        return arena;
    }

    /** 16 floats = 64 bytes: every temporary starts on a cache line, which vector loads like. */
    private static long align(long n) { return (n + 15) & ~15L; }
}
