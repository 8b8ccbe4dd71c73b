package dev.hyperc.runtime.cpu.kernels;

/**
 * The im2row + GEMM formulation of {@link Conv2d}, kept as the measured alternative (see {@link ConvBench}): the
 * receptive fields of a block of images are copied into the rows of colT[images·Ho·Wo, C·KH·KW]; forward is one
 * GEMM yT = colT · kᵀ and a transpose, backward data dcolT = dyT · k then a scatter-add (row2im), backward
 * kernel dk += dyTᵀ · colT. Same contract as {@link Conv2d}; slower on every layer of the models because the
 * copied matrix is as large as 1/O of the flops (O = 16–64) and the GEMM packs it once more.
 */
final class ConvIm2row {
    /** Target rows of one im2row block: enough to amortise packing the kernel, small enough to stay in L2. */
    static final int BLOCK_ROWS = 512;
    /** Upper bound on one thread's im2row block (floats): 1 MiB. */
    static final int BLOCK_FLOATS = 1 << 18;

    final int groups, batch, channels, height, width, outChannels, kernelH, kernelW;
    final int strideH, strideW, padTop, padBottom, padLeft, padRight;
    final int outHeight, outWidth;
    /** C·KH·KW: one receptive field, the GEMM's K. */
    final int patch;
    /** Ho·Wo. */
    final int pixels;
    /** Images per im2row block. */
    final int blockImages;
    /** The reusable parallel body: no allocation per call (hence one call at a time per instance). */
    private final Job job = new Job();

    ConvIm2row(Conv2d g) {
        this.groups = g.groups;
        this.batch = g.batch;
        this.channels = g.channels;
        this.height = g.height;
        this.width = g.width;
        this.outChannels = g.outChannels;
        this.kernelH = g.kernelH;
        this.kernelW = g.kernelW;
        this.strideH = g.strideH;
        this.strideW = g.strideW;
        this.padTop = g.padTop;
        this.padBottom = g.padBottom;
        this.padLeft = g.padLeft;
        this.padRight = g.padRight;
        this.outHeight = g.outHeight;
        this.outWidth = g.outWidth;
        this.patch = channels * kernelH * kernelW;
        this.pixels = outHeight * outWidth;
        int byRows = Math.max(1, BLOCK_ROWS / pixels), byFloats = Math.max(1, BLOCK_FLOATS / (pixels * patch));
        this.blockImages = Math.max(1, Math.min(Math.max(1, batch), Math.min(byRows, byFloats)));
    }

    private int rowsMax() {
        return blockImages * pixels;
    }

    private int perThread() {
        // colT (or dcolT), then yT (or dyT), then a partial dk for the plain backward-kernel pass.
        return rowsMax() * patch + rowsMax() * outChannels + outChannels * patch;
    }

    /** Floats of scratch that every call needs when run on a pool of {@code threads} threads. */
    int scratchSize(int threads) {
        return Math.multiplyExact(Math.max(1, threads), perThread());
    }

    int inputSize() { return groups * batch * channels * height * width; }

    int kernelSize() { return groups * outChannels * patch; }

    int outputSize() { return groups * batch * outChannels * pixels; }

    /** y = conv(x, k). */
    void forward(Parallel par, float[] x, int xOff, float[] k, int kOff, float[] y, int yOff, float[] scratch) {
        run(par, Job.FORWARD, x, xOff, k, kOff, y, yOff, scratch);
    }

    /** dx = the adjoint of conv in x, applied to dy (dx is overwritten). */
    void backwardData(Parallel par, float[] dy, int dyOff, float[] k, int kOff, float[] dx, int dxOff, float[] scratch) {
        run(par, Job.DATA, dy, dyOff, k, kOff, dx, dxOff, scratch);
    }

    /** dk = the adjoint of conv in k, applied to dy (dk is overwritten). */
    void backwardKernel(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff, float[] scratch) {
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
        job.set(mode, in, inOff, w, wOff, out, outOff, scratch);
        try {
            int units = mode == Job.KERNEL && groups > 1 ? groups : groups * batch;
            if (par == null) job.run(0, 0, units);
            else par.forChunks(units, job);
        } finally {
            job.set(mode, null, 0, null, 0, null, 0, null);
        }
        if (mode == Job.KERNEL && groups == 1) sumPartials(threads, out, outOff, scratch);
    }

    /** dk = Σ_t partial_t over the threads that had images, in thread order. */
    private void sumPartials(int threads, float[] dk, int dkOff, float[] scratch) {
        int size = outChannels * patch, base = perThread() - size;
        boolean first = true;
        for (int t = 0; t < threads; t++) {
            if (Parallel.chunkStart(batch, threads, t) == Parallel.chunkStart(batch, threads, t + 1)) continue;
            int src = t * perThread() + base;
            if (first) System.arraycopy(scratch, src, dk, dkOff, size);
            else for (int i = 0; i < size; i++) dk[dkOff + i] += scratch[src + i];
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

        @Override
        public void run(int chunk, int start, int end) {
            int sOff = chunk * perThread();
            if (mode == KERNEL) {
                if (groups > 1) {
                    for (int g = start; g < end; g++) kernelGrad(g, 0, batch, out, outOff + g * outChannels * patch, sOff, true);
                } else {
                    kernelGrad(0, start, end, scratch, sOff + perThread() - outChannels * patch, sOff, true);
                }
                return;
            }
            for (int u = start; u < end; ) {
                int g = u / batch, ue = Math.min(Math.min(end, (g + 1) * batch), u + blockImages);
                if (mode == FORWARD) forwardBlock(u, ue - u, g, sOff);
                else dataBlock(u, ue - u, g, sOff);
                u = ue;
            }
        }

        private void forwardBlock(int u, int count, int g, int sOff) {
            int rows = count * pixels, yt = sOff + rowsMax() * patch;
            im2row(in, inOff + u * channels * height * width, count, scratch, sOff);
            // yT[rows, O] = colT[rows, CKK] · kᵀ, with kᵀ[ckk, o] = k[o·CKK + ckk].
            Gemm.serial(rows, outChannels, patch, 1f, scratch, sOff, patch, 1, w, wOff + g * outChannels * patch, 1, patch,
                    false, scratch, yt, outChannels);
            for (int b = 0; b < count; b++) {
                int yi = outOff + (u + b) * outChannels * pixels, ti = yt + b * pixels * outChannels;
                for (int o = 0; o < outChannels; o++) {
                    int yo = yi + o * pixels;
                    for (int s = 0; s < pixels; s++) out[yo + s] = scratch[ti + s * outChannels + o];
                }
            }
        }

        private void dataBlock(int u, int count, int g, int sOff) {
            int rows = count * pixels, dyt = sOff + rowsMax() * patch;
            transposeDy(in, inOff + u * outChannels * pixels, count, scratch, dyt);
            // dcolT[rows, CKK] = dyT[rows, O] · k[O, CKK].
            Gemm.serial(rows, patch, outChannels, 1f, scratch, dyt, outChannels, 1, w, wOff + g * outChannels * patch, patch, 1,
                    false, scratch, sOff, patch);
            row2im(scratch, sOff, count, out, outOff + u * channels * height * width);
        }

        /** dk (+)= Σ over images [n0, n1) of group g: dyTᵀ · colT. */
        private void kernelGrad(int g, int n0, int n1, float[] dk, int dkOff, int sOff, boolean overwrite) {
            int dyt = sOff + rowsMax() * patch;
            for (int n = n0; n < n1; n += blockImages) {
                int count = Math.min(blockImages, n1 - n), u = g * batch + n, rows = count * pixels;
                im2row(in, inOff + u * channels * height * width, count, scratch, sOff);
                transposeDy(w, wOff + u * outChannels * pixels, count, scratch, dyt);
                Gemm.serial(outChannels, patch, rows, 1f, scratch, dyt, 1, outChannels, scratch, sOff, patch, 1,
                        !(overwrite && n == n0), dk, dkOff, patch);
            }
        }
    }

    /** colT[b·Ho·Wo + i·Wo + j, (c·KH + p)·KW + q] = x[b, c, i·sh + p − pt, j·sw + q − pl], or 0 in the padding. */
    void im2row(float[] x, int xOff, int count, float[] col, int colOff) {
        int hw = height * width;
        for (int b = 0; b < count; b++) {
            int xb = xOff + b * channels * hw;
            for (int i = 0; i < outHeight; i++) {
                for (int j = 0; j < outWidth; j++) {
                    int r = colOff + ((b * outHeight + i) * outWidth + j) * patch, w0 = j * strideW - padLeft;
                    boolean inside = w0 >= 0 && w0 + kernelW <= width;
                    for (int c = 0; c < channels; c++) {
                        for (int p = 0; p < kernelH; p++) {
                            int hh = i * strideH + p - padTop, rc = r + (c * kernelH + p) * kernelW;
                            if (hh < 0 || hh >= height) {
                                for (int q = 0; q < kernelW; q++) col[rc + q] = 0f;
                            } else {
                                int xr = xb + c * hw + hh * width + w0;
                                if (inside) {
                                    for (int q = 0; q < kernelW; q++) col[rc + q] = x[xr + q];
                                } else {
                                    for (int q = 0; q < kernelW; q++) {
                                        int ww = w0 + q;
                                        col[rc + q] = ww >= 0 && ww < width ? x[xr + q] : 0f;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** dx[b] = Σ of the dcolT rows' entries onto the input positions they were copied from (padding dropped). */
    void row2im(float[] col, int colOff, int count, float[] dx, int dxOff) {
        int hw = height * width;
        java.util.Arrays.fill(dx, dxOff, dxOff + count * channels * hw, 0f);
        for (int b = 0; b < count; b++) {
            int xb = dxOff + b * channels * hw;
            for (int i = 0; i < outHeight; i++) {
                for (int j = 0; j < outWidth; j++) {
                    int r = colOff + ((b * outHeight + i) * outWidth + j) * patch, w0 = j * strideW - padLeft;
                    boolean inside = w0 >= 0 && w0 + kernelW <= width;
                    for (int c = 0; c < channels; c++) {
                        for (int p = 0; p < kernelH; p++) {
                            int hh = i * strideH + p - padTop;
                            if (hh < 0 || hh >= height) continue;
                            int rc = r + (c * kernelH + p) * kernelW, xr = xb + c * hw + hh * width + w0;
                            if (inside) {
                                for (int q = 0; q < kernelW; q++) dx[xr + q] += col[rc + q];
                            } else {
                                for (int q = 0; q < kernelW; q++) {
                                    int ww = w0 + q;
                                    if (ww >= 0 && ww < width) dx[xr + q] += col[rc + q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** dyT[b·Ho·Wo + s, o] = dy[b, o, s]. */
    void transposeDy(float[] dy, int dyOff, int count, float[] dyT, int tOff) {
        for (int b = 0; b < count; b++) {
            int di = dyOff + b * outChannels * pixels, ti = tOff + b * pixels * outChannels;
            for (int o = 0; o < outChannels; o++) {
                int d = di + o * pixels;
                for (int s = 0; s < pixels; s++) dyT[ti + s * outChannels + o] = dy[d + s];
            }
        }
    }
}
