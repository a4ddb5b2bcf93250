namespace Istar.Features.Hipt;

/// <summary>
/// iStar's feature smoothing (spec §5.6): OpenCV <c>filter2D</c> with a k × k all-ones/k² kernel, anchor k/2 and
/// <c>BORDER_REFLECT</c> (<c>… b a | a b … y z | z y …</c>), so output(r, c) is the mean of input rows
/// <c>r − k/2 … r + (k − 1) − k/2</c> (k = 16: r−8 … r+7; k = 4: r−2 … r+1) and the same columns. Sums in float64.
/// </summary>
internal static class BoxSmoothing
{
    /// <summary>
    /// Smooths channels [<paramref name="start"/>, start + count) of a block-major rows × cols × stride array in
    /// place.
    /// </summary>
    public static unsafe void SmoothBlockMajor(float* data, int rows, int cols, int stride, int start, int count, int k, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (k == 1)
        {
            return;
        }

        // Channel chunks bound the float64 scratch (rows × cols × chunk).
        const int Chunk = 16;
        for (int offset = 0; offset < count; offset += Chunk)
        {
            SmoothChunk(data, rows, cols, stride, start + offset, Math.Min(Chunk, count - offset), k, cancellation);
        }
    }

    private static unsafe void SmoothChunk(float* data, int rows, int cols, int stride, int start, int count, int k, CancellationToken cancellation)
    {

        int[] rowTaps = Taps(rows, k);
        int[] colTaps = Taps(cols, k);
        double inv = 1.0 / ((double)k * k);

        // Horizontal pass: each block row independently, summing in double, stored as double in a full copy of
        // the group so the vertical pass reads unrounded sums.
        var horizontal = new double[(long)rows * cols * count];
        var rowCopy = new float[cols * count];
        for (int r = 0; r < rows; r++)
        {
            cancellation.ThrowIfCancellationRequested();
            float* row = data + ((long)r * cols * stride);
            for (int c = 0; c < cols; c++)
            {
                new ReadOnlySpan<float>(row + ((long)c * stride) + start, count).CopyTo(rowCopy.AsSpan(c * count, count));
            }

            long baseIndex = (long)r * cols * count;
            for (int c = 0; c < cols; c++)
            {
                var dst = horizontal.AsSpan((int)(baseIndex + ((long)c * count)), count);
                for (int t = 0; t < k; t++)
                {
                    var src = rowCopy.AsSpan(colTaps[(c * k) + t] * count, count);
                    for (int d = 0; d < count; d++)
                    {
                        dst[d] += src[d];
                    }
                }
            }
        }

        var acc = new double[count];
        for (int r = 0; r < rows; r++)
        {
            cancellation.ThrowIfCancellationRequested();
            for (int c = 0; c < cols; c++)
            {
                Array.Clear(acc);
                for (int t = 0; t < k; t++)
                {
                    var src = horizontal.AsSpan((int)((((long)rowTaps[(r * k) + t] * cols) + c) * count), count);
                    for (int d = 0; d < count; d++)
                    {
                        acc[d] += src[d];
                    }
                }

                float* dst = data + ((((long)r * cols) + c) * stride) + start;
                for (int d = 0; d < count; d++)
                {
                    dst[d] = (float)(acc[d] * inv);
                }
            }
        }
    }

    /// <summary>Span overload of <see cref="SmoothBlockMajor(float*, int, int, int, int, int, int, CancellationToken)"/>.</summary>
    public static unsafe void SmoothBlockMajor(Span<float> data, int rows, int cols, int stride, int start, int count, int k)
    {
        if (data.Length < (long)rows * cols * stride)
        {
            throw new ArgumentException("data must hold rows * cols * stride values", nameof(data));
        }

        fixed (float* p = data)
        {
            SmoothBlockMajor(p, rows, cols, stride, start, count, k);
        }
    }

    /// <summary>Smooths one rows × cols plane (row-major) and returns the result.</summary>
    public static unsafe float[] SmoothPlane(ReadOnlySpan<float> plane, int rows, int cols, int k)
    {
        float[] copy = plane.ToArray();
        fixed (float* p = copy)
        {
            SmoothBlockMajor(p, rows, cols, 1, 0, 1, k);
        }

        return copy;
    }

    /// <summary>For each output index, the k source indices of its window (reflected at the borders).</summary>
    internal static int[] Taps(int n, int k)
    {
        int anchor = k / 2;
        var taps = new int[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < k; t++)
            {
                taps[(i * k) + t] = Reflect(i - anchor + t, n);
            }
        }

        return taps;
    }

    /// <summary>OpenCV BORDER_REFLECT index (repeats the edge element), valid for any distance outside.</summary>
    internal static int Reflect(int p, int n)
    {
        if (n == 1)
        {
            return 0;
        }

        while (p < 0 || p >= n)
        {
            p = p < 0 ? -p - 1 : (2 * n) - p - 1;
        }

        return p;
    }
}
