namespace Istar.Imaging;

/// <summary>
/// The reference's RGB feature channels (spec §5.5): for each 16 × 16 block and channel, the mean of
/// <c>float16(v) / 255</c> as NumPy computes it, cast to float32.
/// </summary>
/// <remarks>
/// Emulated exactly: each value is <c>half(float(v) / 255f)</c> (NumPy's float16 divide goes through float32); the
/// block mean sums in float32, one 16-pixel block row at a time with NumPy's 8-accumulator pairwise sum, adds the
/// rows in order, divides by 256 and rounds to float16. Matches <c>emb_rgb.npy</c> bit for bit.
/// </remarks>
public static class BlockColour
{
    /// <summary>Block side in pixels.</summary>
    public const int Block = 16;

    private static readonly float[] HalfOfByte = BuildTable();

    /// <summary>
    /// Channel-major block means (3 × BlockRows × BlockColumns, C order) of a <see cref="ScaledImage"/>, read by strips
    /// of 16 rows.
    /// </summary>
    public static float[] Compute(ScaledImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int hb = image.Height / Block, wb = image.Width / Block;
        var result = new float[3L * hb * wb];
        for (int by = 0; by < hb; by++)
        {
            BlockRow(image.ReadRows(by * Block, Block), image.Width, by, hb, wb, result);
        }

        return result;
    }

    /// <summary>
    /// Channel-major block means (3 × ⌊H/16⌋ × ⌊W/16⌋) of interleaved RGB bytes (H × W × 3); partial blocks at the
    /// bottom/right are ignored (the reference's images are multiples of 16).
    /// </summary>
    public static float[] Compute(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (rgb.Length < (long)width * height * 3)
        {
            throw new ArgumentException("rgb must hold width * height * 3 bytes", nameof(rgb));
        }

        int hb = height / Block, wb = width / Block;
        var result = new float[3L * hb * wb];
        int stride = width * 3;
        for (int by = 0; by < hb; by++)
        {
            BlockRow(rgb.Slice(by * Block * stride, Block * stride), width, by, hb, wb, result);
        }

        return result;
    }

    private static void BlockRow(ReadOnlySpan<byte> rows, int width, int by, int hb, int wb, float[] result)
    {
        int stride = width * 3;
        Span<float> v = stackalloc float[Block];
        for (int bx = 0; bx < wb; bx++)
        {
            for (int c = 0; c < 3; c++)
            {
                float acc = 0f;
                for (int r = 0; r < Block; r++)
                {
                    var row = rows.Slice(r * stride + bx * Block * 3);
                    for (int k = 0; k < Block; k++)
                    {
                        v[k] = HalfOfByte[row[k * 3 + c]];
                    }

                    acc += Pairwise16(v);
                }

                float mean = acc / 256f;
                result[((long)c * hb + by) * wb + bx] = (float)(Half)mean;
            }
        }
    }

    /// <summary>NumPy's pairwise sum of 16 float32 values: 8 accumulators, one pass, then a fixed tree.</summary>
    private static float Pairwise16(ReadOnlySpan<float> a)
    {
        float r0 = a[0] + a[8], r1 = a[1] + a[9], r2 = a[2] + a[10], r3 = a[3] + a[11];
        float r4 = a[4] + a[12], r5 = a[5] + a[13], r6 = a[6] + a[14], r7 = a[7] + a[15];
        return ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    }

    private static float[] BuildTable()
    {
        var t = new float[256];
        for (int v = 0; v < 256; v++)
        {
            t[v] = (float)(Half)((float)(Half)v / 255f);
        }

        return t;
    }
}
