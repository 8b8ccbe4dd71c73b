package dev.hyperc.runtime.cpu.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * 2-D convolution (cross-correlation, as in {@code Op.Conv2d}) of one fixed geometry, forward and both
 * adjoints, plain or grouped:
 * <pre>
 *   y[g,n,o,i,j] = Σ_{c,p,q} x[g,n,c, i·sh + p − pt, j·sw + q − pl] · k[g,o,c,p,q]     (zero outside x)
 * </pre>
 * with x[G,N,C,H,W], k[G,O,C,KH,KW], y[G,N,O,Ho,Wo] and Ho = (H + pt + pb − KH) / sh + 1 (likewise Wo). The
 * plain form is G = 1. The grouped form pairs each group of images with its own kernel: per-sample generated
 * weights. An instance is built once per layer and serves one call at a time (it keeps its loop body).
 *
 * <p><b>Method: direct, as an implicit GEMM.</b> With the image copied into a zero-bordered buffer xp, the
 * receptive-field ("im2col") matrix is {@code A[pixel, tap] = xp[rowOff[pixel] + tapOff[tap]]}, where a tap is
 * (c, p, q): a row offset plus a column offset. A block of several images is one matrix (its rows are the
 * images' pixels), so that small feature maps still fill the register tiles. {@link ConvKernel} multiplies such a matrix in place, with a
 * register block of 6 pixels × 32 channels (12 × 16 for narrow operands), so nothing is copied out or packed:
 * <ul>
 *   <li>forward: y-tile[pixels, O] = A · kᵀ, stored transposed into y[o, pixel];</li>
 *   <li>backward data: a tile of dA[pixels, taps] = dyᵀ · k (dy read in place) is scatter-added onto the
 *       receptive fields of a zero-bordered dx buffer, whose interior is then copied out;</li>
 *   <li>backward kernel: dkᵀ[taps, O] += Aᵀ · dyᵀ, rows = taps, reduction over pixels, summed over images.</li>
 * </ul>
 *
 * <p><b>Why not im2col + GEMM</b> ({@link ConvIm2row}, kept for the comparison). Measured with {@code ConvBench},
 * batch 32 (64 for ha_static), 1 thread, this machine (load average ~2.8 from other jobs), µs per pass, this class
 * vs im2row + GEMM:
 * <pre>
 *                                          forward        backward data   backward kernel
 *   multitask conv1 1→16  3×3 s2 28×28      92 vs   177     101 vs   207     97 vs   262
 *   multitask conv2 16→32 3×3 s2 13×13     323 vs   914     268 vs   418    170 vs   475
 *   multitask conv3 32→64 3×3 s2 6×6        99 vs   130     117 vs   122    183 vs   126
 *   deutsch   conv1 1→32  5×5 same 28×28   930 vs  1994    1018 vs  2346   1061 vs  2713
 *   deutsch   conv2 32→16 5×5 same 14×14  2403 vs  9455    1871 vs  8412   2576 vs  9734
 *   ha_static conv2 16→16 3×3 same 28×28  4300 vs 18045    4102 vs 18379   4071 vs 19483
 * </pre>
 * The materialised matrix has C·KH·KW floats per output pixel, about 1/O of the flops, and writing it (then packing
 * it again inside the GEMM) costs more than the multiply when O is 16–64, as in every model here. Only the tiny
 * last multitask layer (2×2 output maps) is a draw. With 2 threads the same runs gave e.g. deutsch conv2 forward
 * 1495 vs 6886 µs (107 GFLOP/s) and multitask conv2 forward 101 vs 398 µs.
 *
 * <p><b>Backward data</b> with stride 1 (and padding smaller than the kernel) is itself run as a forward
 * convolution of dy, padded by (KH − 1 − pt, KH − 1 − pb, KW − 1 − pl, KW − 1 − pr), with the kernel flipped and its
 * channel axes swapped ({@link #dataConv}): no scatter. Other strides scatter-add tiles into the padded dx.
 *
 * <p><b>Threads and determinism.</b> The blocks of images (their size is fixed by the geometry) are split into
 * contiguous per-thread ranges. Forward and backward data compute every output element in one thread in an order
 * fixed by the geometry, so they are bitwise independent of the thread count. Backward kernel sums over images: with G &gt; 1 each thread owns whole groups
 * (also independent of the thread count); with G = 1 each thread sums its images into its own partial dk and
 * the partials are added in thread order (deterministic for a given thread count).
 *
 * <p><b>Memory.</b> No allocation per call: the caller passes a scratch array of at least
 * {@link #scratchSize(int)} floats, sized once for the pool's thread count.
 */
public final class Conv2d {
    static final int VL = ConvKernel.VL;

    public final int groups, batch, channels, height, width, outChannels, kernelH, kernelW;
    public final int strideH, strideW, padTop, padBottom, padLeft, padRight;
    public final int outHeight, outWidth;
    /** C·KH·KW: taps of one receptive field. */
    final int patch;
    /** Ho·Wo. */
    final int pixels;
    /** Padded image: Hp × Wp per channel. */
    final int hp, wp, padded;
    /** Images per block: the unit of work, fixed by the geometry (so results do not depend on the thread count). */
    final int blockImages, blocksPerGroup;
    /**
     * Offsets: tapOff[(c, p, q)] into a padded image; outStep[o] = o·Ho·Wo into dy. A block's rows are its
     * (image, pixel) pairs: rowOff[r] into the block's padded images, rowOut[r] into its y (or dy).
     */
    final int[] tapOff, outStep, rowOff, rowOut;
    /** Backward data as a forward convolution of dy with the flipped kernel (stride 1), or null: scatter. */
    private final Conv2d dataConv;
    /** This instance is a {@link #dataConv}: its kernel operand is the original k, read flipped and transposed. */
    private final boolean flipped;
    /** Register block along O (forward, backward kernel) and along taps (backward data): narrow = 12 × 16. */
    final boolean narrowO, narrowT;
    /** O and the tap count rounded up to the register block; taps rounded up to the backward kernel's rows. */
    final int oPad, tPad, tRows;
    /** Per-thread scratch layout, in floats. */
    private final int sImage, sPacked, sDyT, sPartial, perThread;

    private final Job job = new Job();
    private int[][] bases = new int[0][];

    public Conv2d(int groups, int batch, int channels, int height, int width, int outChannels, int kernelH, int kernelW,
                  int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight) {
        this(groups, batch, channels, height, width, outChannels, kernelH, kernelW, strideH, strideW, padTop, padBottom,
                padLeft, padRight, false);
    }

    private Conv2d(int groups, int batch, int channels, int height, int width, int outChannels, int kernelH, int kernelW,
                   int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight, boolean flipped) {
        this.flipped = flipped;
        if (groups < 1 || batch < 0 || channels < 1 || height < 1 || width < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1)
            throw new IllegalArgumentException("bad conv2d sizes");
        if (strideH < 1 || strideW < 1 || padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0)
            throw new IllegalArgumentException("bad conv2d stride or padding");
        this.groups = groups;
        this.batch = batch;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padTop = padTop;
        this.padBottom = padBottom;
        this.padLeft = padLeft;
        this.padRight = padRight;
        int eh = height + padTop + padBottom - kernelH, ew = width + padLeft + padRight - kernelW;
        if (eh < 0 || ew < 0) throw new IllegalArgumentException("conv2d kernel larger than the padded input");
        outHeight = eh / strideH + 1;
        outWidth = ew / strideW + 1;
        patch = channels * kernelH * kernelW;
        pixels = outHeight * outWidth;
        hp = height + padTop + padBottom;
        wp = width + padLeft + padRight;
        padded = Math.multiplyExact(channels, hp * wp);
        tapOff = new int[patch];
        for (int c = 0; c < channels; c++) for (int p = 0; p < kernelH; p++) for (int q = 0; q < kernelW; q++) {
            tapOff[(c * kernelH + p) * kernelW + q] = (c * hp + p) * wp + q;
        }
        // A block: ~BLOCK_ROWS rows so that tiny feature maps still fill the register tiles, its padded images
        // within BLOCK_FLOATS, and at least 4 blocks per group when the batch allows, for the threads.
        int nb = Math.max(1, Math.min(ceilDiv(BLOCK_ROWS, pixels), BLOCK_FLOATS / padded));
        blockImages = Math.max(1, Math.min(nb, ceilDiv(Math.max(1, batch), 4)));
        blocksPerGroup = ceilDiv(batch, blockImages);
        rowOff = new int[blockImages * pixels];
        rowOut = new int[blockImages * pixels];
        for (int r = 0; r < rowOff.length; r++) {
            int n = r / pixels, s = r % pixels;
            rowOff[r] = n * padded + (s / outWidth) * strideH * wp + (s % outWidth) * strideW;
            rowOut[r] = n * outChannels * pixels + s;
        }
        outStep = new int[outChannels];
        for (int o = 0; o < outChannels; o++) outStep[o] = o * pixels;
        narrowO = Gemm.narrow(outChannels);
        narrowT = Gemm.narrow(patch);
        oPad = Gemm.roundUp(outChannels, narrowO ? ConvKernel.NR_NARROW : ConvKernel.NR);
        tPad = Gemm.roundUp(patch, narrowT ? ConvKernel.NR_NARROW : ConvKernel.NR);
        tRows = Gemm.roundUp(patch, narrowO ? ConvKernel.MR_NARROW : ConvKernel.MR);
        sImage = 0;
        sPacked = Math.addExact(sImage, Math.multiplyExact(blockImages, padded));
        sDyT = sPacked + Math.max(patch * oPad, outChannels * tPad);
        sPartial = Math.addExact(sDyT, Math.multiplyExact(rowOff.length, oPad));
        int tile = sPartial + tRows * oPad;
        perThread = Math.addExact(tile, ConvKernel.TILE);
        // Stride 1: dx is the correlation of dy, padded by (KH − 1 − pt, …), with the flipped kernel, channels swapped.
        boolean asForward = !flipped && channels >= 8 && strideH == 1 && strideW == 1 && padTop < kernelH && padBottom < kernelH
                && padLeft < kernelW && padRight < kernelW;
        dataConv = asForward ? new Conv2d(groups, batch, outChannels, outHeight, outWidth, channels, kernelH, kernelW, 1, 1,
                kernelH - 1 - padTop, kernelH - 1 - padBottom, kernelW - 1 - padLeft, kernelW - 1 - padRight, true) : null;
    }

    /** Target rows (image pixels) of a block. */
    static final int BLOCK_ROWS = 192;
    /** Upper bound on a block's padded images, in floats (1 MiB: L2). */
    static final int BLOCK_FLOATS = 1 << 18;

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** The plain form, G = 1. */
    public static Conv2d plain(int batch, int channels, int height, int width, int outChannels, int kernelH, int kernelW,
                               int strideH, int strideW, int padTop, int padBottom, int padLeft, int padRight) {
        return new Conv2d(1, batch, channels, height, width, outChannels, kernelH, kernelW, strideH, strideW,
                padTop, padBottom, padLeft, padRight);
    }

    /** Floats of scratch that every call needs when run on a pool of {@code threads} threads. */
    public int scratchSize(int threads) {
        int own = Math.multiplyExact(Math.max(1, threads), perThread);
        return dataConv == null ? own : Math.max(own, dataConv.scratchSize(threads));
    }

    public int inputSize() { return groups * batch * channels * height * width; }

    public int kernelSize() { return groups * outChannels * patch; }

    public int outputSize() { return groups * batch * outChannels * pixels; }

    /** y = conv(x, k). */
    public void forward(Parallel par, float[] x, int xOff, float[] k, int kOff, float[] y, int yOff, float[] scratch) {
        run(par, Job.FORWARD, x, xOff, k, kOff, y, yOff, scratch);
    }

    /** dx = the adjoint of conv in x, applied to dy (dx is overwritten). */
    public void backwardData(Parallel par, float[] dy, int dyOff, float[] k, int kOff, float[] dx, int dxOff, float[] scratch) {
        if (dataConv != null) dataConv.forward(par, dy, dyOff, k, kOff, dx, dxOff, scratch);
        else run(par, Job.DATA, dy, dyOff, k, kOff, dx, dxOff, scratch);
    }

    /** dk = the adjoint of conv in k, applied to dy (dk is overwritten). */
    public void backwardKernel(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff, float[] scratch) {
        run(par, Job.KERNEL, x, xOff, dy, dyOff, dk, dkOff, scratch);
    }

    private void run(Parallel par, int mode, float[] in, int inOff, float[] w, int wOff, float[] out, int outOff, float[] scratch) {
        int threads = par == null ? 1 : par.threads();
        if (scratch.length < scratchSize(threads)) {
            throw new IllegalArgumentException("conv2d scratch has " + scratch.length + " floats, needs " + scratchSize(threads));
        }
        if (batch == 0) {
            if (mode == Job.KERNEL) java.util.Arrays.fill(out, outOff, outOff + kernelSize(), 0f);
            return;
        }
        if (bases.length < threads) { // once per thread count: the kernels' row-offset arrays
            bases = new int[threads][ConvKernel.MR_NARROW];
        }
        job.set(mode, in, inOff, w, wOff, out, outOff, scratch);
        try {
            int units = mode == Job.KERNEL && groups > 1 ? groups : groups * blocksPerGroup;
            if (par == null) job.run(0, 0, units);
            else par.forChunks(units, job);
        } finally {
            job.set(mode, null, 0, null, 0, null, 0, null);
        }
        if (mode == Job.KERNEL && groups == 1) sumPartials(threads, out, outOff, scratch);
    }

    /** dk[o, t] = Σ_threads partialᵀ[t, o] over the threads that had images, in thread order. */
    private void sumPartials(int threads, float[] dk, int dkOff, float[] scratch) {
        boolean first = true;
        for (int th = 0; th < threads; th++) {
            if (Parallel.chunkStart(blocksPerGroup, threads, th) == Parallel.chunkStart(blocksPerGroup, threads, th + 1)) continue;
            int src = th * perThread + sPartial;
            for (int o = 0; o < outChannels; o++) {
                int d = dkOff + o * patch;
                if (first) for (int t = 0; t < patch; t++) dk[d + t] = scratch[src + t * oPad + o];
                else for (int t = 0; t < patch; t++) dk[d + t] += scratch[src + t * oPad + o];
            }
            first = false;
        }
    }

    /** One call's arguments; the chunk body splits images (or, for grouped backward kernel, groups) over threads. */
    private final class Job implements Parallel.ChunkBody {
        static final int FORWARD = 0, DATA = 1, KERNEL = 2;
        int mode, inOff, wOff, outOff;
        float[] in, w, out, scratch;

        void set(int mode, float[] in, int inOff, float[] w, int wOff, float[] out, int outOff, float[] scratch) {
            this.mode = mode;
            this.in = in;
            this.inOff = inOff;
            this.w = w;
            this.wOff = wOff;
            this.out = out;
            this.outOff = outOff;
            this.scratch = scratch;
        }

        /** Units are blocks of images (g, b), or with a grouped backward kernel whole groups. */
        @Override
        public void run(int chunk, int start, int end) {
            int s = chunk * perThread;
            int[] base = bases[chunk];
            java.util.Arrays.fill(scratch, s + sImage, s + sPacked, 0f); // the zero borders stay zero
            if (mode == KERNEL) {
                java.util.Arrays.fill(scratch, s + sPartial, s + sPartial + tRows * oPad, 0f);
                if (groups > 1) {
                    for (int g = start; g < end; g++) {
                        for (int b = 0; b < blocksPerGroup; b++) kernelBlock(g, b, s, base);
                        writeKernel(scratch, s + sPartial, out, outOff + g * outChannels * patch);
                        java.util.Arrays.fill(scratch, s + sPartial, s + sPartial + tRows * oPad, 0f);
                    }
                } else {
                    for (int b = start; b < end; b++) kernelBlock(0, b, s, base);
                }
                return;
            }
            int packedGroup = -1;
            for (int unit = start; unit < end; unit++) {
                int g = unit / blocksPerGroup, b = unit % blocksPerGroup;
                if (g != packedGroup) {
                    int kg = wOff + g * outChannels * patch;
                    if (mode == DATA) packKernel(w, kg, scratch, s + sPacked);
                    else if (flipped) packKernelFlipped(w, kg, scratch, s + sPacked);
                    else packKernelT(w, kg, scratch, s + sPacked);
                    packedGroup = g;
                }
                int u = g * batch + b * blockImages, count = Math.min(blockImages, batch - b * blockImages);
                if (mode == FORWARD) forwardBlock(u, count, s, base);
                else dataBlock(u, count, s, base);
            }
        }

        private void forwardBlock(int u, int count, int s, int[] base) {
            int xp = s + sImage, yb = outOff + u * outChannels * pixels, tile = s + sPartial + tRows * oPad;
            for (int n = 0; n < count; n++) copyIn(in, inOff + (u + n) * channels * height * width, scratch, xp + n * padded);
            int mr = narrowO ? ConvKernel.MR_NARROW : ConvKernel.MR, nr = narrowO ? ConvKernel.NR_NARROW : ConvKernel.NR;
            int rows = count * pixels;
            for (int s0 = 0; s0 < rows; s0 += mr) {
                int h = Math.min(mr, rows - s0);
                for (int r = 0; r < mr; r++) base[r] = xp + rowOff[s0 + Math.min(r, h - 1)];
                for (int ob = 0; ob < outChannels; ob += nr) {
                    if (narrowO) ConvKernel.narrow(patch, scratch, base, tapOff, scratch, s + sPacked + ob, oPad, scratch, tile);
                    else ConvKernel.wide(patch, scratch, base, tapOff, scratch, s + sPacked + ob, oPad, scratch, tile);
                    int w = Math.min(nr, outChannels - ob);
                    for (int r = 0; r < h; r++) {
                        int yr = yb + rowOut[s0 + r] + ob * pixels, ti = tile + r * nr;
                        for (int j = 0; j < w; j++) out[yr + j * pixels] = scratch[ti + j];
                    }
                }
            }
        }

        private void dataBlock(int u, int count, int s, int[] base) {
            int xp = s + sImage, dyb = inOff + u * outChannels * pixels, tile = s + sPartial + tRows * oPad;
            java.util.Arrays.fill(scratch, xp, xp + count * padded, 0f);
            int mr = narrowT ? ConvKernel.MR_NARROW : ConvKernel.MR, nr = narrowT ? ConvKernel.NR_NARROW : ConvKernel.NR;
            int rows = count * pixels;
            for (int s0 = 0; s0 < rows; s0 += mr) {
                int h = Math.min(mr, rows - s0);
                for (int r = 0; r < mr; r++) base[r] = dyb + rowOut[s0 + Math.min(r, h - 1)];
                for (int t0 = 0; t0 < patch; t0 += nr) {
                    if (narrowT) ConvKernel.narrow(outChannels, in, base, outStep, scratch, s + sPacked + t0, tPad, scratch, tile);
                    else ConvKernel.wide(outChannels, in, base, outStep, scratch, s + sPacked + t0, tPad, scratch, tile);
                    int w = Math.min(nr, patch - t0);
                    for (int r = 0; r < h; r++) {
                        int at = xp + rowOff[s0 + r], ti = tile + r * nr;
                        for (int j = 0; j < w; j++) scratch[at + tapOff[t0 + j]] += scratch[ti + j];
                    }
                }
            }
            for (int n = 0; n < count; n++) copyOut(scratch, xp + n * padded, out, outOff + (u + n) * channels * height * width);
        }

        /** partialᵀ[taps, O] += Aᵀ · dyᵀ over the images of block b of group g: the reduction runs over their pixels. */
        private void kernelBlock(int g, int b, int s, int[] base) {
            int xp = s + sImage, dyT = s + sDyT, part = s + sPartial, tile = part + tRows * oPad;
            int u = g * batch + b * blockImages, count = Math.min(blockImages, batch - b * blockImages), rows = count * pixels;
            for (int n = 0; n < count; n++) {
                copyIn(in, inOff + (u + n) * channels * height * width, scratch, xp + n * padded);
                int dyi = wOff + (u + n) * outChannels * pixels, ti = dyT + n * pixels * oPad;
                for (int p = 0; p < pixels; p++) {
                    int row = ti + p * oPad;
                    for (int o = 0; o < outChannels; o++) scratch[row + o] = w[dyi + o * pixels + p];
                    for (int o = outChannels; o < oPad; o++) scratch[row + o] = 0f;
                }
            }
            int mr = narrowO ? ConvKernel.MR_NARROW : ConvKernel.MR, nr = narrowO ? ConvKernel.NR_NARROW : ConvKernel.NR;
            for (int t0 = 0; t0 < patch; t0 += mr) {
                int h = Math.min(mr, patch - t0);
                for (int r = 0; r < mr; r++) base[r] = xp + tapOff[t0 + Math.min(r, h - 1)];
                for (int ob = 0; ob < oPad; ob += nr) {
                    if (narrowO) ConvKernel.narrow(rows, scratch, base, rowOff, scratch, dyT + ob, oPad, scratch, tile);
                    else ConvKernel.wide(rows, scratch, base, rowOff, scratch, dyT + ob, oPad, scratch, tile);
                    for (int r = 0; r < h; r++) {
                        int pr = part + (t0 + r) * oPad + ob, ti = tile + r * nr;
                        for (int v = 0; v < nr; v += VL) {
                            FloatVector.fromArray(ConvKernel.S, scratch, pr + v)
                                    .add(FloatVector.fromArray(ConvKernel.S, scratch, ti + v)).intoArray(scratch, pr + v);
                        }
                    }
                }
            }
        }
    }

    /**
     * For the stride-1 backward data pass run as a forward convolution ({@link #dataConv}): this instance's
     * channels are the original O and its outChannels the original C, so B[(o, p, q), c] = k[o, c, KH−1−p, KW−1−q].
     */
    private void packKernelFlipped(float[] k, int kOff, float[] dst, int d) {
        int khw = kernelH * kernelW;
        for (int o = 0; o < channels; o++) for (int p = 0; p < kernelH; p++) for (int q = 0; q < kernelW; q++) {
            int row = d + ((o * kernelH + p) * kernelW + q) * oPad, src = kOff + o * outChannels * khw + (kernelH - 1 - p) * kernelW + (kernelW - 1 - q);
            for (int c = 0; c < outChannels; c++) dst[row + c] = k[src + c * khw];
            for (int c = outChannels; c < oPad; c++) dst[row + c] = 0f;
        }
    }

    /** kT[t·oPad + o] = k[o·patch + t], zero for o ≥ O: the forward pass's B operand. */
    private void packKernelT(float[] k, int kOff, float[] dst, int d) {
        for (int t = 0; t < patch; t++) {
            int row = d + t * oPad;
            for (int o = 0; o < outChannels; o++) dst[row + o] = k[kOff + o * patch + t];
            for (int o = outChannels; o < oPad; o++) dst[row + o] = 0f;
        }
    }

    /** kP[o·tPad + t] = k[o·patch + t], zero for t ≥ taps: the backward-data pass's B operand. */
    private void packKernel(float[] k, int kOff, float[] dst, int d) {
        for (int o = 0; o < outChannels; o++) {
            System.arraycopy(k, kOff + o * patch, dst, d + o * tPad, patch);
            java.util.Arrays.fill(dst, d + o * tPad + patch, d + (o + 1) * tPad, 0f);
        }
    }

    /** dk[o·patch + t] = partialᵀ[t·oPad + o]. */
    private void writeKernel(float[] part, int p, float[] dk, int dkOff) {
        for (int o = 0; o < outChannels; o++) {
            int d = dkOff + o * patch;
            for (int t = 0; t < patch; t++) dk[d + t] = part[p + t * oPad + o];
        }
    }

    /** The image into the interior of the zero-bordered buffer. */
    private void copyIn(float[] x, int xi, float[] dst, int xp) {
        for (int c = 0; c < channels; c++) for (int h = 0; h < height; h++) {
            System.arraycopy(x, xi + (c * height + h) * width, dst, xp + (c * hp + h + padTop) * wp + padLeft, width);
        }
    }

    /** The interior of the buffer into the image; the border (padding) is dropped. */
    private void copyOut(float[] src, int xp, float[] dx, int di) {
        for (int c = 0; c < channels; c++) for (int h = 0; h < height; h++) {
            System.arraycopy(src, xp + (c * hp + h + padTop) * wp + padLeft, dx, di + (c * height + h) * width, width);
        }
    }
}
