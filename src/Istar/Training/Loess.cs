namespace Istar.Training;

/// <summary>How <see cref="Loess"/> evaluates the local regression at the data points.</summary>
internal enum LoessSurface
{
    /// <summary>
    /// The netlib loess default (R's <c>loess</c>, scikit-misc's, hence scanpy's seurat_v3): local fits only at the
    /// vertices of a kd-tree over x, cubic Hermite interpolation between them.
    /// </summary>
    Interpolate,

    /// <summary>The local fit computed at every point (<c>surface = "direct"</c>).</summary>
    Direct,
}

/// <summary>
/// One-predictor loess, degree 2, tricube weights, no robustness iterations, as netlib's dloess computes it: for a
/// point x0 the q = floor(n·span) nearest points are weighted by (1 − (d/d_max)³)³, d_max the q-th nearest distance
/// (times span when span &gt; 1), and a weighted quadratic in (x − x0) is solved; its intercept is the fit, its linear
/// coefficient the slope. <see cref="LoessSurface.Interpolate"/> builds dloess's kd-tree: the x range padded by
/// 0.5 % on each side, cells split at the median point (ties kept on one side) until a cell holds at most
/// floor(n·span·cell) points, every cell boundary a vertex; fits at the vertices are blended by cubic Hermite
/// polynomials. Checked against R's loess, both surfaces, in the seurat_v3 golden tests.
/// </summary>
internal static class Loess
{
    /// <summary>Fitted values at every x.</summary>
    public static double[] Fit(double[] x, double[] y, double span, LoessSurface surface = LoessSurface.Interpolate, double cell = 0.2)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length)
        {
            throw new ArgumentException("x and y differ in length");
        }

        int n = x.Length;
        var fitted = new double[n];
        if (n == 0)
        {
            return fitted;
        }

        var local = new LocalFit(x, y, span);
        if (surface == LoessSurface.Direct)
        {
            for (int i = 0; i < n; i++)
            {
                fitted[i] = local.At(x[i]).Value;
            }

            return fitted;
        }

        double[] vertices = Vertices(local.Sorted, Math.Max(1, (int)Math.Floor(n * span * cell)));
        var fits = vertices.Select(local.At).ToArray();
        for (int i = 0; i < n; i++)
        {
            // The cell is the last one whose lower vertex is below x (a point on a split value belongs to the lower
            // cell, as dloess descends "x ≤ split → low son").
            int k = Array.BinarySearch(vertices, x[i]);
            int lower = k >= 0 ? Math.Max(0, k - 1) : Math.Min(vertices.Length - 2, Math.Max(0, ~k - 1));
            fitted[i] = Hermite(x[i], vertices[lower], vertices[lower + 1], fits[lower], fits[lower + 1]);
        }

        return fitted;
    }

    /// <summary>The kd-tree's vertices over sorted x, ascending: the padded ends and every split value.</summary>
    private static double[] Vertices(double[] sorted, int cellPoints)
    {
        int n = sorted.Length;
        double lo = sorted[0], hi = sorted[n - 1];
        double pad = 0.005 * Math.Max(hi - lo, (1e-10 * Math.Max(Math.Abs(lo), Math.Abs(hi))) + 1e-30);
        var vertices = new List<double> { lo - pad, hi + pad };
        var cells = new Queue<(int L, int U, double Low, double High)>();
        cells.Enqueue((0, n - 1, lo - pad, hi + pad));
        while (cells.Count > 0)
        {
            var (l, u, low, high) = cells.Dequeue();
            if (u - l + 1 <= cellPoints || high - low <= 0)
            {
                continue;
            }

            // Median position (1-based (l + u) / 2 truncated, as dloess), moved off a run of ties: offsets 0, +1, −1,
            // +2, … until the values either side differ; if none does within the cell, the plain median stays.
            int m = ((l + 1 + u + 1) / 2) - 1;
            for (int offset = 0; m + offset < u && m + offset >= l;)
            {
                if (sorted[m + offset] != sorted[m + offset + 1])
                {
                    m += offset;
                    break;
                }

                offset = -offset;
                if (offset >= 0)
                {
                    offset++;
                }
            }

            double split = sorted[m];
            if (split == low || split == high)
            {
                continue;
            }

            vertices.Add(split);
            cells.Enqueue((l, m, low, split));
            cells.Enqueue((m + 1, u, split, high));
        }

        vertices.Sort();
        return [.. vertices];
    }

    private static double Hermite(double z, double v0, double v1, (double Value, double Slope) f0, (double Value, double Slope) f1)
    {
        double width = v1 - v0;
        double h = (z - v0) / width;
        double phi0 = (1 - h) * (1 - h) * (1 + (2 * h));
        double phi1 = h * h * (3 - (2 * h));
        double psi0 = h * (1 - h) * (1 - h);
        double psi1 = h * h * (h - 1);
        return (phi0 * f0.Value) + (phi1 * f1.Value) + (((psi0 * f0.Slope) + (psi1 * f1.Slope)) * width);
    }

    /// <summary>The local weighted quadratic at any x0 over fixed data.</summary>
    private sealed class LocalFit
    {
        private readonly double[] _x;
        private readonly double[] _y;
        private readonly double _span;
        private readonly int _q;

        public LocalFit(double[] x, double[] y, double span)
        {
            _x = x;
            _y = y;
            _span = span;
            int n = x.Length;
            _q = Math.Clamp((int)Math.Floor(n * span), Math.Min(n, 3), n);
            Sorted = (double[])x.Clone();
            Array.Sort(Sorted);
        }

        public double[] Sorted { get; }

        public (double Value, double Slope) At(double x0)
        {
            var sorted = Sorted;
            int n = sorted.Length;

            // q nearest neighbours in the sorted array: expand a window around x0.
            int hi = Array.BinarySearch(sorted, x0);
            if (hi < 0)
            {
                hi = ~hi;
            }

            int lo = hi - 1;
            double dmax = 0;
            for (int taken = 0; taken < _q; taken++)
            {
                double dl = lo >= 0 ? x0 - sorted[lo] : double.PositiveInfinity;
                double dh = hi < n ? sorted[hi] - x0 : double.PositiveInfinity;
                if (dl <= dh)
                {
                    dmax = dl;
                    lo--;
                }
                else
                {
                    dmax = dh;
                    hi++;
                }
            }

            if (_span > 1)
            {
                dmax *= _span;
            }

            // Weighted least squares for y ≈ a + b·t + c·t², t = x − x0.
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, t0 = 0, t1 = 0, t2 = 0;
            for (int k = 0; k < _x.Length; k++)
            {
                double t = _x[k] - x0;
                double u = dmax > 0 ? Math.Abs(t) / dmax : (t == 0 ? 0 : 1);
                if (u >= 1)
                {
                    continue;
                }

                double w = 1 - (u * u * u);
                w = w * w * w;
                double tt = t * t;
                s0 += w;
                s1 += w * t;
                s2 += w * tt;
                s3 += w * tt * t;
                s4 += w * tt * tt;
                t0 += w * _y[k];
                t1 += w * t * _y[k];
                t2 += w * tt * _y[k];
            }

            return Solve(s0, s1, s2, s3, s4, t0, t1, t2);
        }

        private static (double Value, double Slope) Solve(double s0, double s1, double s2, double s3, double s4, double t0, double t1, double t2)
        {
            // [s0 s1 s2; s1 s2 s3; s2 s3 s4] · [a b c] = [t0 t1 t2] by Cramer's rule, falling back to lower degree.
            double det = (s0 * ((s2 * s4) - (s3 * s3))) - (s1 * ((s1 * s4) - (s3 * s2))) + (s2 * ((s1 * s3) - (s2 * s2)));
            double scale = Math.Max(1e-300, Math.Abs(s0 * s2 * s4));
            if (Math.Abs(det) > 1e-12 * scale)
            {
                double detA = (t0 * ((s2 * s4) - (s3 * s3))) - (s1 * ((t1 * s4) - (s3 * t2))) + (s2 * ((t1 * s3) - (s2 * t2)));
                double detB = (s0 * ((t1 * s4) - (s3 * t2))) - (t0 * ((s1 * s4) - (s3 * s2))) + (s2 * ((s1 * t2) - (t1 * s2)));
                return (detA / det, detB / det);
            }

            double det1 = (s0 * s2) - (s1 * s1);
            if (Math.Abs(det1) > 1e-12 * Math.Max(1e-300, Math.Abs(s0 * s2)))
            {
                return (((t0 * s2) - (s1 * t1)) / det1, ((s0 * t1) - (s1 * t0)) / det1);
            }

            return (s0 > 0 ? t0 / s0 : 0, 0);
        }
    }
}
