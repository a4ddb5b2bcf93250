using Istar.Analysis;
using Istar.Features;
using Istar.Pipeline;

namespace Istar.Masking;

/// <summary>Settings of the robust default tissue mask.</summary>
internal sealed record TissueMaskOptions
{
    /// <summary>Components (tissue islands and holes) smaller than this many blocks are flipped (50 blocks = 0.0032 mm² at 8 µm).</summary>
    public int MinComponentBlocks { get; init; } = 50;

    /// <summary>Below this foreground fraction the mask is considered failed and the next method is tried.</summary>
    public double MinForegroundFraction { get; init; } = 0.01;

    /// <summary>Above this foreground fraction a warning is given (a crop entirely of tissue is legitimate).</summary>
    public double MaxForegroundFraction { get; init; } = 0.99;

    /// <summary>Lower clamp of the Otsu saturation threshold.</summary>
    public double MinSaturationThreshold { get; init; } = 0.05;

    /// <summary>Upper clamp of the Otsu saturation threshold (keeps pale eosin in all-tissue crops).</summary>
    public double MaxSaturationThreshold { get; init; } = 0.2;

    /// <summary>Blocks whose brightest channel is below this are scanner black / artefacts, never tissue.</summary>
    public double BlackLevel { get; init; } = 0.1;

    /// <summary>Blocks with mean grey above this are glass; feature clusters never add them.</summary>
    public double WhiteLevel { get; init; } = 0.88;

    /// <summary>Radius (blocks) of the square closing that bridges gaps in the tissue outline (5 = 40 µm at 8 µm blocks).</summary>
    public int ClosingRadius { get; init; } = 5;

    /// <summary>Fill background regions enclosed by tissue (adipocytes, lumens: glass-coloured but inside the section).</summary>
    public bool FillHoles { get; init; } = true;

    /// <summary>Seed of the feature k-means.</summary>
    public ulong Seed { get; init; }
}

/// <summary>What <see cref="TissueMask.Compute"/> decided.</summary>
/// <param name="Mask">Row-major block mask.</param>
/// <param name="Rows">Block rows.</param>
/// <param name="Columns">Block columns.</param>
/// <param name="Method">"colour", "colour+features", "features", "darkness", "inverted colour" or "all".</param>
/// <param name="ForegroundFraction">Fraction of blocks in the mask.</param>
/// <param name="SaturationThreshold">The saturation threshold used by the colour method.</param>
internal sealed record TissueMaskResult(bool[] Mask, int Rows, int Columns, string Method, double ForegroundFraction, double SaturationThreshold);

/// <summary>
/// The default tissue mask. The reference's k-means-with-RGB-std rule produces all-black and inverted masks
/// (upstream issue #7, spec §16.17); this one thresholds colour first and checks its own result:
/// <list type="number">
/// <item>Colour: blocks of green/cyan hue (marker pen) are excluded; per block HSV saturation (max − min)/max, 3 × 3 box-smoothed, Otsu threshold over the non-black
/// blocks clamped to [<see cref="TissueMaskOptions.MinSaturationThreshold"/>, <see cref="TissueMaskOptions.MaxSaturationThreshold"/>];
/// tissue = saturation above it and not black.</item>
/// <item>Features (optional): k-means (k = 2) on the block features, foreground = the darker cluster (never the
/// std rule), fitted inside a 16-block margin on blocks with non-zero features; when it agrees with the colour mask
/// (Jaccard ≥ 0.3) its non-white blocks are added to it (pale stroma that is barely saturated).</item>
/// <item>Cleanup: closing with a (2r + 1)² square (<see cref="TissueMaskOptions.ClosingRadius"/>), filling of enclosed background, then tissue islands and holes smaller than <see cref="TissueMaskOptions.MinComponentBlocks"/>
/// flipped with <see cref="ConnectedComponents.RelabelSmall"/>.</item>
/// <item>Sanity: a mask whose foreground is brighter than its background is inverted; one under
/// <see cref="TissueMaskOptions.MinForegroundFraction"/> falls back to the feature clusters, then to an Otsu threshold
/// on darkness, then to the whole grid — each with a warning.</item>
/// </list>
/// </summary>
internal static class TissueMask
{
    /// <summary>Blocks the feature k-means is fitted on (a regular subsample of larger grids).</summary>
    internal const int FeatureSample = 100_000;

    /// <summary>Feature clusters are merged into the colour mask only when their Jaccard index with it is at least this.</summary>
    internal const double MinAgreement = 0.3;

    /// <summary>Blocks at the grid edge left out of the feature clusters (HIPT's attenuated / zeroed shift border).</summary>
    internal const int FeatureMargin = 16;

    /// <summary>Computes the mask over the grid of <paramref name="rgb"/>; <paramref name="features"/> (same grid) is optional.</summary>
    public static TissueMaskResult Compute(BlockRgb rgb, FeatureGrid? features, TissueMaskOptions options, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (features is not null && (features.Rows != rgb.Rows || features.Columns != rgb.Columns))
        {
            throw new ArgumentException($"features ({features.Rows} x {features.Columns}) and block colours ({rgb.Rows} x {rgb.Columns}) differ in grid size", nameof(features));
        }

        int rows = rgb.Rows;
        int columns = rgb.Columns;
        int n = rgb.Count;
        var saturation = new float[n];
        var value = new float[n];
        var grey = new float[n];
        var pen = new bool[n];
        var v = rgb.Values;
        for (int i = 0; i < n; i++)
        {
            float r = v[3 * i];
            float g = v[(3 * i) + 1];
            float b = v[(3 * i) + 2];
            float max = Math.Max(r, Math.Max(g, b));
            float min = Math.Min(r, Math.Min(g, b));
            value[i] = max;
            saturation[i] = max > 0 ? (max - min) / max : 0;
            grey[i] = (r + g + b) / 3;
            pen[i] = saturation[i] > 0.15f && IsPenHue(r, g, b, max, min);
        }

        float[] smooth = Box3(saturation, rows, columns);
        var notBlack = new bool[n];
        for (int i = 0; i < n; i++)
        {
            notBlack[i] = value[i] >= options.BlackLevel && !pen[i];
        }

        double threshold = Math.Clamp(Otsu(smooth, notBlack), options.MinSaturationThreshold, options.MaxSaturationThreshold);
        var colour = new bool[n];
        for (int i = 0; i < n; i++)
        {
            colour[i] = notBlack[i] && smooth[i] > threshold;
        }

        bool[]? featureMask = null;
        if (features is not null)
        {
            featureMask = FeatureClusters(features, grey, options, cancellation);
        }

        string method = "colour";
        bool[] mask = (bool[])colour.Clone();
        double agreement = featureMask is null ? 0 : Jaccard(colour, featureMask);
        if (featureMask is not null && Fraction(featureMask) >= options.MinForegroundFraction && Fraction(colour) >= options.MinForegroundFraction
            && agreement < MinAgreement)
        {
            log.Info($"[mask] the feature clusters disagree with the colour mask (Jaccard {agreement:F2}); they are not used.");
        }
        else if (featureMask is not null && Fraction(featureMask) >= options.MinForegroundFraction && Fraction(colour) >= options.MinForegroundFraction)
        {
            for (int i = 0; i < n; i++)
            {
                mask[i] |= featureMask[i] && grey[i] < options.WhiteLevel && notBlack[i];
            }

            method = "colour+features";
        }

        mask = Cleanup(mask, rows, columns, options);
        if (Fraction(mask) >= options.MinForegroundFraction && Brighter(mask, grey))
        {
            log.Warn("[mask] the tissue mask was brighter than the background; inverting it.");
            Invert(mask);
            method = "inverted " + method;
        }

        if (Fraction(mask) < options.MinForegroundFraction && featureMask is not null)
        {
            log.Warn($"[mask] the colour mask covers {Fraction(mask):P1} of the slide; using the feature clusters instead.");
            mask = Cleanup(featureMask, rows, columns, options);
            method = "features";
        }

        if (Fraction(mask) < options.MinForegroundFraction)
        {
            log.Warn($"[mask] the mask covers {Fraction(mask):P1} of the slide; trying a darkness threshold.");
            var dark = new float[n];
            for (int i = 0; i < n; i++)
            {
                dark[i] = 1 - grey[i];
            }

            double t = Math.Max(Otsu(dark, notBlack), 0.15);
            mask = new bool[n];
            for (int i = 0; i < n; i++)
            {
                mask[i] = notBlack[i] && dark[i] > t;
            }

            mask = Cleanup(mask, rows, columns, options);
            method = "darkness";
        }

        if (Fraction(mask) < options.MinForegroundFraction)
        {
            log.Warn("[mask] no tissue found by colour, features or darkness; using the whole slide. Pass --mask FILE to choose the tissue.");
            mask = new bool[n];
            Array.Fill(mask, true);
            method = "all";
        }
        else if (Fraction(mask) > options.MaxForegroundFraction)
        {
            log.Warn($"[mask] the tissue mask covers {Fraction(mask):P1} of the slide; check mask-overlay.png (pass --mask FILE if it is wrong).");
        }

        log.Info($"[mask] {method}: {Fraction(mask):P1} of {n:N0} blocks are tissue (saturation threshold {threshold:F3}).");
        return new TissueMaskResult(mask, rows, columns, method, Fraction(mask), threshold);
    }

    /// <summary>
    /// Green and cyan hues (70°–190°), which neither eosin (pink, ~300°–360°) nor haematoxylin (blue-purple,
    /// ~220°–300°) produce: marker pen, never tissue.
    /// </summary>
    internal static bool IsPenHue(float r, float g, float b, float max, float min)
    {
        float delta = max - min;
        if (delta <= 0)
        {
            return false;
        }

        float hue;
        if (max == r)
        {
            hue = 60 * (((g - b) / delta) % 6);
        }
        else if (max == g)
        {
            hue = 60 * (((b - r) / delta) + 2);
        }
        else
        {
            hue = 60 * (((r - g) / delta) + 4);
        }

        if (hue < 0)
        {
            hue += 360;
        }

        return hue >= 70 && hue <= 190;
    }

    /// <summary>Otsu's threshold of values in [0, 1] (256 bins) over the selected entries.</summary>
    internal static double Otsu(ReadOnlySpan<float> values, ReadOnlySpan<bool> use)
    {
        const int Bins = 256;
        Span<long> hist = stackalloc long[Bins];
        hist.Clear();
        long total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (use[i])
            {
                int b = (int)Math.Clamp(values[i] * Bins, 0, Bins - 1);
                hist[b]++;
                total++;
            }
        }

        if (total == 0)
        {
            return 0.5;
        }

        double sumAll = 0;
        for (int b = 0; b < Bins; b++)
        {
            sumAll += b * (double)hist[b];
        }

        double sumLow = 0;
        long low = 0;
        double best = -1;
        int bestBin = 0;
        for (int b = 0; b < Bins - 1; b++)
        {
            low += hist[b];
            sumLow += b * (double)hist[b];
            long high = total - low;
            if (low == 0 || high == 0)
            {
                continue;
            }

            double m0 = sumLow / low;
            double m1 = (sumAll - sumLow) / high;
            double between = (double)low * high * (m0 - m1) * (m0 - m1);
            if (between > best)
            {
                best = between;
                bestBin = b;
            }
        }

        return (bestBin + 1) / (double)Bins;
    }

    /// <summary>
    /// Closing with a (2r + 1)² square, filling of enclosed holes, then removal of islands and holes below the minimum
    /// component size.
    /// </summary>
    internal static bool[] Cleanup(bool[] mask, int rows, int columns, TissueMaskOptions options)
    {
        int r = options.ClosingRadius;
        bool[] closed = r > 0 ? Close(mask, rows, columns, r) : (bool[])mask.Clone();
        if (options.FillHoles)
        {
            FillEnclosed(closed, rows, columns);
        }

        var labels = new int[closed.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = closed[i] ? 1 : 0;
        }

        int[] relabeled = ConnectedComponents.RelabelSmall(labels, rows, columns, options.MinComponentBlocks);
        var result = new bool[closed.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = relabeled[i] == 1;
        }

        return result;
    }

    /// <summary>
    /// Closing on a grid padded by <paramref name="r"/> background blocks, so tissue at the edge neither erodes away
    /// nor blocks the erosion of what the dilation added.
    /// </summary>
    internal static bool[] Close(bool[] mask, int rows, int columns, int r)
    {
        int pr = rows + (2 * r);
        int pc = columns + (2 * r);
        var padded = new bool[pr * pc];
        for (int y = 0; y < rows; y++)
        {
            Array.Copy(mask, y * columns, padded, ((y + r) * pc) + r, columns);
        }

        bool[] closed = Morph(Morph(padded, pr, pc, r, dilate: true), pr, pc, r, dilate: false);
        var result = new bool[mask.Length];
        for (int y = 0; y < rows; y++)
        {
            Array.Copy(closed, ((y + r) * pc) + r, result, y * columns, columns);
        }

        return result;
    }

    /// <summary>Sets every background region that does not touch the grid border (4-connected) to foreground.</summary>
    internal static void FillEnclosed(bool[] mask, int rows, int columns)
    {
        var labels = new int[mask.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = mask[i] ? -1 : 0;
        }

        var (comp, count) = ConnectedComponents.Label(labels, rows, columns);
        var touches = new bool[count];
        for (int c = 0; c < columns; c++)
        {
            Mark(c);
            Mark(((rows - 1) * columns) + c);
        }

        for (int r = 0; r < rows; r++)
        {
            Mark(r * columns);
            Mark((r * columns) + columns - 1);
        }

        for (int i = 0; i < mask.Length; i++)
        {
            if (comp[i] >= 0 && !touches[comp[i]])
            {
                mask[i] = true;
            }
        }

        void Mark(int i)
        {
            if (comp[i] >= 0)
            {
                touches[comp[i]] = true;
            }
        }
    }

    internal static double Fraction(ReadOnlySpan<bool> mask)
    {
        int n = 0;
        foreach (bool b in mask)
        {
            n += b ? 1 : 0;
        }

        return mask.Length == 0 ? 0 : n / (double)mask.Length;
    }

    /// <summary>
    /// K-means (k = 2) on the block features, fitted on at most <see cref="FeatureSample"/> blocks taken on a regular
    /// stride (so a whole-slide grid is never copied), then every block assigned to its nearest centre; foreground =
    /// the cluster whose blocks are darker on average.
    /// </summary>
    private static bool[] FeatureClusters(FeatureGrid features, float[] grey, TissueMaskOptions options, CancellationToken cancellation)
    {
        int n = (int)features.BlockCount;
        int c = features.Channels;
        int rows = features.Rows;
        int columns = features.Columns;
        int m = rows > 3 * FeatureMargin && columns > 3 * FeatureMargin ? FeatureMargin : 0;
        var usable = new bool[n];
        var buffer = new float[c];
        int count = 0;
        for (int r = m; r < rows - m; r++)
        {
            for (int col = m; col < columns - m; col++)
            {
                features.Block(r, col).CopyTo(buffer);
                bool nonzero = false;
                foreach (float f in buffer)
                {
                    if (f != 0 && float.IsFinite(f))
                    {
                        nonzero = true;
                        break;
                    }
                }

                usable[(r * columns) + col] = nonzero;
                count += nonzero ? 1 : 0;
            }
        }

        var labels = new int[n];
        Array.Fill(labels, -1);
        if (count < 2)
        {
            return new bool[n];
        }

        int step = Math.Max(1, (int)Math.Ceiling(count / (double)FeatureSample));
        int sample = ((count - 1) / step) + 1;
        var x = new float[(long)sample * c];
        int seen = 0;
        int taken = 0;
        for (int b = 0; b < n && taken < sample; b++)
        {
            if (!usable[b])
            {
                continue;
            }

            if (seen++ % step == 0)
            {
                var dst = x.AsSpan(taken++ * c, c);
                features.Block(b / columns, b % columns).CopyTo(dst);
                Sanitize(dst);
            }
        }

        var km = KMeans.Fit(x.AsMemory(0, taken * c), taken, c, new KMeansOptions { Clusters = 2, Inits = 3, Seed = options.Seed }, cancellation);
        for (int b = 0; b < n; b++)
        {
            if (!usable[b])
            {
                continue;
            }

            features.Block(b / columns, b % columns).CopyTo(buffer);
            Sanitize(buffer);
            double d0 = KMeans.SquaredDistance(buffer, km.Centers.AsSpan(0, c));
            double d1 = KMeans.SquaredDistance(buffer, km.Centers.AsSpan(c, c));
            labels[b] = d1 < d0 ? 1 : 0;
        }

        double g0 = 0;
        double g1 = 0;
        int n0 = 0;
        int n1 = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] == 0)
            {
                g0 += grey[i];
                n0++;
            }
            else if (labels[i] == 1)
            {
                g1 += grey[i];
                n1++;
            }
        }

        int foreground = (n1 > 0 && g1 / n1 < (n0 > 0 ? g0 / n0 : double.PositiveInfinity)) ? 1 : 0;
        var mask = new bool[n];
        for (int i = 0; i < n; i++)
        {
            mask[i] = labels[i] == foreground;
        }

        return mask;
    }

    private static double Jaccard(bool[] a, bool[] b)
    {
        int both = 0;
        int either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            both += a[i] && b[i] ? 1 : 0;
            either += a[i] || b[i] ? 1 : 0;
        }

        return either == 0 ? 0 : both / (double)either;
    }

    private static void Sanitize(Span<float> v)
    {
        for (int j = 0; j < v.Length; j++)
        {
            if (!float.IsFinite(v[j]))
            {
                v[j] = 0;
            }
        }
    }

    private static bool Brighter(bool[] mask, float[] grey)
    {
        double fg = 0;
        double bg = 0;
        int nf = 0;
        int nb = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                fg += grey[i];
                nf++;
            }
            else
            {
                bg += grey[i];
                nb++;
            }
        }

        return nf > 0 && nb > 0 && fg / nf > bg / nb;
    }

    private static void Invert(bool[] mask)
    {
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = !mask[i];
        }
    }

    private static float[] Box3(float[] x, int rows, int columns)
    {
        var y = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                float s = 0;
                int k = 0;
                for (int dr = -1; dr <= 1; dr++)
                {
                    int rr = r + dr;
                    if ((uint)rr >= (uint)rows)
                    {
                        continue;
                    }

                    for (int dc = -1; dc <= 1; dc++)
                    {
                        int cc = c + dc;
                        if ((uint)cc < (uint)columns)
                        {
                            s += x[(rr * columns) + cc];
                            k++;
                        }
                    }
                }

                y[(r * columns) + c] = s / k;
            }
        }

        return y;
    }

    /// <summary>Dilation or erosion with a (2r + 1)² square (separable running counts; outside the grid is background for dilation and ignored for erosion).</summary>
    private static bool[] Morph(bool[] x, int rows, int columns, int radius, bool dilate)
    {
        var tmp = new bool[x.Length];
        var y = new bool[x.Length];
        for (int r = 0; r < rows; r++)
        {
            Pass(x, tmp, r * columns, 1, columns, radius, dilate);
        }

        for (int c = 0; c < columns; c++)
        {
            Pass(tmp, y, c, columns, rows, radius, dilate);
        }

        return y;
    }

    private static void Pass(bool[] src, bool[] dst, int offset, int stride, int length, int radius, bool dilate)
    {
        // Count of set values in the window [i - radius, i + radius] clipped to the line.
        int set = 0;
        for (int i = 0; i < Math.Min(radius, length); i++)
        {
            set += src[offset + (i * stride)] ? 1 : 0;
        }

        for (int i = 0; i < length; i++)
        {
            int add = i + radius;
            if (add < length)
            {
                set += src[offset + (add * stride)] ? 1 : 0;
            }

            int drop = i - radius - 1;
            if (drop >= 0)
            {
                set -= src[offset + (drop * stride)] ? 1 : 0;
            }

            int window = Math.Min(length - 1, i + radius) - Math.Max(0, i - radius) + 1;
            dst[offset + (i * stride)] = dilate ? set > 0 : set == window;
        }
    }
}
