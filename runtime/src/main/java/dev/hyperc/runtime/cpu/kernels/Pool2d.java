package dev.hyperc.runtime.cpu.kernels;

/**
 * Max and average pooling over the last two axes of x[planes, H, W] (any leading axes flattened into
 * {@code planes}), forward and backward, with the exact semantics of {@code Op.Pool2d} / {@code Op.Pool2dGrad}
 * as the f64 {@code ReferenceEvaluator} states them:
 * <ul>
 *   <li>window (wh, ww), stride (sh, sw), padding [top, bottom, left, right]; Ho = (H + pt + pb − wh) / sh + 1;</li>
 *   <li>max takes the maximum of the in-bounds elements, scanning the window row-major and replacing the running
 *       maximum only on a strictly greater value (so a NaN in first position wins, a later NaN is skipped);</li>
 *   <li>max backward routes each dy to the first maximum of its window in that same row-major order;</li>
 *   <li>avg divides by the number of in-bounds elements (padding is not counted), backward spreads dy / count;</li>
 *   <li>a window lying wholly in the padding is an error (reported when the geometry is built).</li>
 * </ul>
 *
 * <p>Why scalar loops: a pooling layer does one compare or add per input element, ~1/100 of the work of the
 * convolution that feeds it, and the per-window bounds come from tables computed once per geometry. Planes are
 * split over the threads; every output depends on one plane only, so results are independent of the thread
 * count. Nothing is allocated per call; an instance serves one call at a time (it keeps a reusable loop body).
 */
public final class Pool2d {
    /** Max or average. */
    public enum Kind { MAX, AVG }

    public final Kind kind;
    public final int planes, height, width, windowH, windowW, strideH, strideW, padTop, padBottom, padLeft, padRight;
    public final int outHeight, outWidth;
    /** In-bounds input rows [rowStart[i], rowEnd[i]) of output row i; likewise columns. */
    private final int[] rowStart, rowEnd, colStart, colEnd;

    public Pool2d(Kind kind, int planes, int height, int width, int windowH, int windowW, int strideH, int strideW,
                  int padTop, int padBottom, int padLeft, int padRight) {
        if (planes < 0 || height < 1 || width < 1 || windowH < 1 || windowW < 1 || strideH < 1 || strideW < 1
                || padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) {
            throw new IllegalArgumentException("bad pool2d geometry");
        }
        this.kind = kind;
        this.planes = planes;
        this.height = height;
        this.width = width;
        this.windowH = windowH;
        this.windowW = windowW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padTop = padTop;
        this.padBottom = padBottom;
        this.padLeft = padLeft;
        this.padRight = padRight;
        int eh = height + padTop + padBottom - windowH, ew = width + padLeft + padRight - windowW;
        if (eh < 0 || ew < 0) throw new IllegalArgumentException("pool2d window larger than the padded input");
        outHeight = eh / strideH + 1;
        outWidth = ew / strideW + 1;
        rowStart = new int[outHeight];
        rowEnd = new int[outHeight];
        colStart = new int[outWidth];
        colEnd = new int[outWidth];
        bounds(outHeight, strideH, padTop, windowH, height, rowStart, rowEnd, "row");
        bounds(outWidth, strideW, padLeft, windowW, width, colStart, colEnd, "column");
    }

    private static void bounds(int out, int stride, int pad, int window, int size, int[] start, int[] end, String what) {
        for (int i = 0; i < out; i++) {
            start[i] = Math.max(0, i * stride - pad);
            end[i] = Math.min(size, i * stride - pad + window);
            if (start[i] >= end[i]) throw new IllegalArgumentException("pool2d: window " + what + " " + i + " lies wholly in the padding");
        }
    }

    public int inputSize() { return planes * height * width; }

    public int outputSize() { return planes * outHeight * outWidth; }

    /** y = pool(x). */
    public void forward(Parallel par, float[] x, int xOff, float[] y, int yOff) {
        run(par, false, x, xOff, null, 0, y, yOff);
    }

    /** dx (overwritten) from x and dy. */
    public void backward(Parallel par, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        run(par, true, x, xOff, dy, dyOff, dx, dxOff);
    }

    private void run(Parallel par, boolean backward, float[] x, int xOff, float[] dy, int dyOff, float[] out, int outOff) {
        if (par == null || par.threads() == 1 || planes < 2) {
            if (backward) backwardPlanes(0, planes, x, xOff, dy, dyOff, out, outOff);
            else forwardPlanes(0, planes, x, xOff, out, outOff);
            return;
        }
        Job j = job;
        j.backward = backward;
        j.x = x; j.xOff = xOff; j.dy = dy; j.dyOff = dyOff; j.out = out; j.outOff = outOff;
        try {
            par.forRange(planes, j);
        } finally {
            j.x = j.dy = j.out = null;
        }
    }

    /** The reusable parallel body, so that a call allocates nothing (hence one call at a time per instance). */
    private final Job job = new Job();

    private final class Job implements Parallel.IntRangeBody {
        boolean backward;
        float[] x, dy, out;
        int xOff, dyOff, outOff;

        @Override
        public void run(int start, int end) {
            if (backward) backwardPlanes(start, end, x, xOff, dy, dyOff, out, outOff);
            else forwardPlanes(start, end, x, xOff, out, outOff);
        }
    }

    void forwardPlanes(int l0, int l1, float[] x, int xOff, float[] y, int yOff) {
        int hw = height * width, ohw = outHeight * outWidth;
        for (int l = l0; l < l1; l++) {
            int xp = xOff + l * hw, yp = yOff + l * ohw;
            for (int i = 0; i < outHeight; i++) {
                int h0 = rowStart[i], h1 = rowEnd[i];
                for (int j = 0; j < outWidth; j++) {
                    int w0 = colStart[j], w1 = colEnd[j];
                    float r;
                    if (kind == Kind.MAX) {
                        r = x[xp + h0 * width + w0];
                        for (int h = h0; h < h1; h++) {
                            for (int w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
                                float v = x[xp + h * width + w];
                                if (v > r) r = v;
                            }
                        }
                    } else {
                        float s = 0f;
                        for (int h = h0; h < h1; h++) for (int w = w0; w < w1; w++) s += x[xp + h * width + w];
                        r = s / ((h1 - h0) * (w1 - w0));
                    }
                    y[yp + i * outWidth + j] = r;
                }
            }
        }
    }

    void backwardPlanes(int l0, int l1, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        int hw = height * width, ohw = outHeight * outWidth;
        java.util.Arrays.fill(dx, dxOff + l0 * hw, dxOff + l1 * hw, 0f);
        for (int l = l0; l < l1; l++) {
            int xp = xOff + l * hw, dp = dxOff + l * hw, yp = dyOff + l * ohw;
            for (int i = 0; i < outHeight; i++) {
                int h0 = rowStart[i], h1 = rowEnd[i];
                for (int j = 0; j < outWidth; j++) {
                    int w0 = colStart[j], w1 = colEnd[j];
                    float g = dy[yp + i * outWidth + j];
                    if (kind == Kind.MAX) {
                        int best = h0 * width + w0;
                        float m = x[xp + best];
                        for (int h = h0; h < h1; h++) {
                            for (int w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
                                float v = x[xp + h * width + w];
                                if (v > m) {
                                    m = v;
                                    best = h * width + w;
                                }
                            }
                        }
                        dx[dp + best] += g;
                    } else {
                        float share = g / ((h1 - h0) * (w1 - w0));
                        for (int h = h0; h < h1; h++) for (int w = w0; w < w1; w++) dx[dp + h * width + w] += share;
                    }
                }
            }
        }
    }
}
