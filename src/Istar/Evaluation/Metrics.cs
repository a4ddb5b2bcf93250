namespace Istar.Evaluation;

/// <summary>
/// The iStar paper's accuracy protocol on block grids: per-gene min–max scaling to [0, 1], then RMSE, SSIM and
/// Pearson between prediction and truth, optionally after pooling blocks by a factor.
/// </summary>
public static class Metrics
{
    /// <summary>Pearson correlation; NaN when either side is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("lengths differ");
        }

        int n = a.Length;
        if (n < 2)
        {
            return double.NaN;
        }

        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++)
        {
            ma += a[i];
            mb += b[i];
        }

        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }

        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Root mean squared difference.</summary>
    public static double Rmse(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("lengths differ");
        }

        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            s += d * d;
        }

        return Math.Sqrt(s / a.Length);
    }

    /// <summary>Scales values to [0, 1] by their own min and max (all zero when constant). NaNs are kept.</summary>
    public static double[] MinMaxScale(ReadOnlySpan<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (double.IsNaN(v))
            {
                continue;
            }

            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        var result = new double[values.Length];
        double range = max - min;
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.IsNaN(values[i]) ? double.NaN : range > 0 ? (values[i] - min) / range : 0;
        }

        return result;
    }

    /// <summary>
    /// Structural similarity of two rows × columns images as scikit-image computes it with its defaults:
    /// a uniform 7 × 7 window, sample covariance (N − 1), K1 = 0.01, K2 = 0.03, the given data range, and the mean
    /// of the SSIM map after cropping the (7 − 1) / 2-pixel border.
    /// </summary>
    public static double Ssim(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int rows, int columns, double dataRange = 1, int window = 7)
    {
        if (x.Length != rows * columns || y.Length != rows * columns)
        {
            throw new ArgumentException("images must hold rows * columns values");
        }

        if (rows < window || columns < window)
        {
            throw new ArgumentException($"images must be at least {window} x {window}");
        }

        int np = window * window;
        double covNorm = np / (np - 1.0);
        double c1 = Math.Pow(0.01 * dataRange, 2), c2 = Math.Pow(0.03 * dataRange, 2);
        int pad = (window - 1) / 2;
        double total = 0;
        long count = 0;
        for (int r = pad; r < rows - pad; r++)
        {
            for (int c = pad; c < columns - pad; c++)
            {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (int dr = -pad; dr <= pad; dr++)
                {
                    int rowOffset = (r + dr) * columns;
                    for (int dc = -pad; dc <= pad; dc++)
                    {
                        double a = x[rowOffset + c + dc], b = y[rowOffset + c + dc];
                        sx += a;
                        sy += b;
                        sxx += a * a;
                        syy += b * b;
                        sxy += a * b;
                    }
                }

                double ux = sx / np, uy = sy / np;
                double vx = covNorm * ((sxx / np) - (ux * ux));
                double vy = covNorm * ((syy / np) - (uy * uy));
                double vxy = covNorm * ((sxy / np) - (ux * uy));
                double a1 = (2 * ux * uy) + c1, a2 = (2 * vxy) + c2;
                double b1 = (ux * ux) + (uy * uy) + c1, b2 = vx + vy + c2;
                total += a1 * a2 / (b1 * b2);
                count++;
            }
        }

        return total / count;
    }

    /// <summary>
    /// Sums blocks over factor × factor windows (trailing partial windows dropped), giving a coarser grid.
    /// </summary>
    public static double[] SumPool(ReadOnlySpan<double> grid, int rows, int columns, int factor, out int pooledRows, out int pooledColumns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        pooledRows = rows / factor;
        pooledColumns = columns / factor;
        var result = new double[pooledRows * pooledColumns];
        for (int r = 0; r < pooledRows * factor; r++)
        {
            for (int c = 0; c < pooledColumns * factor; c++)
            {
                result[((r / factor) * pooledColumns) + (c / factor)] += grid[(r * columns) + c];
            }
        }

        return result;
    }

    /// <summary>
    /// Per-gene scores against a truth grid at one pooling factor: both sides pooled, each min–max scaled, then
    /// RMSE, SSIM and Pearson. Blocks outside <paramref name="mask"/> (if given) are set to 0 on both sides before
    /// pooling, as background carries no expression.
    /// </summary>
    public static GeneScore ScoreGene(ReadOnlySpan<double> prediction, ReadOnlySpan<double> truth, int rows, int columns, int factor, ReadOnlySpan<bool> mask = default)
    {
        var p = prediction.ToArray();
        var t = truth.ToArray();
        if (!mask.IsEmpty)
        {
            for (int i = 0; i < p.Length; i++)
            {
                if (!mask[i])
                {
                    p[i] = 0;
                    t[i] = 0;
                }
            }
        }

        var pp = MinMaxScale(SumPool(p, rows, columns, factor, out int pr, out int pc));
        var tp = MinMaxScale(SumPool(t, rows, columns, factor, out _, out _));
        double ssim = pr >= 7 && pc >= 7 ? Ssim(pp, tp, pr, pc) : double.NaN;
        return new GeneScore(factor, Rmse(pp, tp), ssim, Pearson(pp, tp));
    }
}

/// <summary>Accuracy of one gene at one pooling factor.</summary>
public readonly record struct GeneScore(int PoolingFactor, double Rmse, double Ssim, double Pearson);
