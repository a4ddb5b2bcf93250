namespace Istar.Features.Hipt;

/// <summary>
/// The DINO/HIPT positional-embedding interpolation (spec §6.3): the stored 14 × 14 patch table is resampled with
/// PyTorch's bicubic kernel (A = −0.75, align_corners = false) using the scale factor <c>(g + 0.1) / 14</c> per
/// axis and PyTorch's scale-factor coordinate mapping <c>src = (dst + 0.5) · 14 / (g + 0.1) − 0.5</c>; taps are
/// clamped to the table. The CLS vector is kept and put in front.
/// </summary>
internal static class PositionalEmbedding
{
    private const double CubicA = -0.75;

    /// <summary>
    /// Interpolates a (1 + n·n) × dim table (row-major, CLS first) to (1 + rows·cols) × dim for a rows × cols grid.
    /// Returns the table unchanged (a copy) when the grid equals the stored square grid.
    /// </summary>
    public static float[] Interpolate(ReadOnlySpan<float> table, int dim, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        int stored = (table.Length / dim) - 1;
        int side = (int)Math.Round(Math.Sqrt(stored));
        if (side * side != stored || (stored + 1) * dim != table.Length)
        {
            throw new ArgumentException($"positional table of {table.Length / dim} tokens is not 1 + n x n", nameof(table));
        }

        if (rows * cols == stored && rows == cols)
        {
            return table.ToArray();
        }

        double[,] wr = Weights(side, rows);
        double[,] wc = Weights(side, cols);
        var result = new float[(1 + (rows * cols)) * dim];
        table[..dim].CopyTo(result);

        // Separable: first along columns (stored rows × cols), then along rows.
        var partial = new double[side * cols * dim];
        for (int a = 0; a < side; a++)
        {
            for (int j = 0; j < cols; j++)
            {
                int dst = ((a * cols) + j) * dim;
                for (int b = 0; b < side; b++)
                {
                    double w = wc[j, b];
                    if (w == 0)
                    {
                        continue;
                    }

                    int src = (1 + (a * side) + b) * dim;
                    for (int d = 0; d < dim; d++)
                    {
                        partial[dst + d] += w * table[src + d];
                    }
                }
            }
        }

        var row = new double[dim];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                Array.Clear(row);
                for (int a = 0; a < side; a++)
                {
                    double w = wr[i, a];
                    if (w == 0)
                    {
                        continue;
                    }

                    int src = ((a * cols) + j) * dim;
                    for (int d = 0; d < dim; d++)
                    {
                        row[d] += w * partial[src + d];
                    }
                }

                int dst = (1 + (i * cols) + j) * dim;
                for (int d = 0; d < dim; d++)
                {
                    result[dst + d] = (float)row[d];
                }
            }
        }

        return result;
    }

    /// <summary>Output × input resampling matrix for one axis (taps clamped, so clamped taps accumulate).</summary>
    internal static double[,] Weights(int input, int output)
    {
        double scaleFactor = (output + 0.1) / input;
        double step = 1.0 / scaleFactor;
        var weights = new double[output, input];
        Span<double> coefficients = stackalloc double[4];
        for (int dst = 0; dst < output; dst++)
        {
            double src = ((dst + 0.5) * step) - 0.5;
            double floor = Math.Floor(src);
            double t = src - floor;
            coefficients[0] = Far(t + 1);
            coefficients[1] = Near(t);
            coefficients[2] = Near(1 - t);
            coefficients[3] = Far(2 - t);
            for (int k = 0; k < 4; k++)
            {
                int index = Math.Clamp((int)floor - 1 + k, 0, input - 1);
                weights[dst, index] += coefficients[k];
            }
        }

        return weights;
    }

    private static double Near(double x) => ((((CubicA + 2) * x) - (CubicA + 3)) * x * x) + 1;

    private static double Far(double x) => ((((CubicA * x) - (5 * CubicA)) * x) + (8 * CubicA)) * x - (4 * CubicA);
}
