using System.Diagnostics;
using Istar.Imaging;
using Istar.Pipeline;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Istar.Features.Texture;

/// <summary>
/// A feature extractor that needs no downloaded weights: multi-scale colour and texture statistics per 16×16-px block
/// (see <see cref="TextureChannels"/> for the 244 channels). The image is read in one pass over horizontal strips
/// (256 rows, cut into tiles of 2048 columns) with a 48-px halo for the largest Gaussian, and filtered with separable
/// Gaussian-derivative filters as element-wise TorchSharp operations; only one tile is ever held as float. The result
/// depends only on the pixels (deterministic); the strip and tile sizes do not change it beyond float rounding.
/// A context-pooling pass over the block grid follows.
/// </summary>
public sealed class TextureExtractor : IFeatureExtractor
{
    /// <summary>Version of the channel definition; bump when any channel changes.</summary>
    internal const string Version = "texture-v1";

    private const int BlockSize = 16;
    private static readonly float[] OpticalDensity = BuildOpticalDensity();
    private static readonly float[,] Unmix = BuildUnmixing();

    /// <summary>Creates the extractor with the default strip (256 rows) and tile (2048 columns) sizes.</summary>
    public TextureExtractor()
    {
    }

    /// <summary>Rows of the image filtered at a time (a multiple of 16); changes memory use, not the result.</summary>
    internal int StripRows { get; init; } = 256;

    /// <summary>
    /// Columns of a strip filtered at a time (a multiple of 16), so memory stays bounded (about 0.5 GB) however wide
    /// the slide is; changes memory use, not the result.
    /// </summary>
    internal int TileColumns { get; init; } = 2048;

    /// <inheritdoc />
    public string Name => "texture";

    /// <inheritdoc />
    public string SettingsKey => $"{Version};sigmas={string.Join(',', TextureChannels.Sigmas)};ctx={string.Join(',', TextureChannels.ContextSizes)}";

    /// <inheritdoc />
    public int Channels => TextureChannels.Count;

    /// <summary>Rows and columns of context the largest Gaussian needs on each side (3σ = 48 px; a multiple of 8).</summary>
    internal static int Halo => TextureChannels.Sigmas.Max(s => Radius(s / Downsampling(s)) * Downsampling(s));

    /// <inheritdoc />
    public FeatureGrid Extract(ScaledImage image, bool[]? tissueHint, IRunLog log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(log);
        if (image.Width % BlockSize != 0 || image.Height % BlockSize != 0 || image.Width == 0 || image.Height == 0)
        {
            throw new ArgumentException($"image size {image.Width} x {image.Height} must be a positive multiple of {BlockSize} px", nameof(image));
        }

        if (StripRows <= 0 || StripRows % BlockSize != 0 || TileColumns <= 0 || TileColumns % BlockSize != 0)
        {
            throw new InvalidOperationException($"StripRows ({StripRows}) and TileColumns ({TileColumns}) must be positive multiples of {BlockSize}");
        }

        var provenance = new FeatureProvenance(Name, Version, image.MicronsPerPixel, BlockSize, WeightsHash: "none", SlideHash: string.Empty)
        {
            Groups = TextureChannels.Groups(),
        };
        var grid = FeatureGrid.Allocate(image.BlockRows, image.BlockColumns, Channels, provenance);
        try
        {
            var clock = Stopwatch.StartNew();
            var kernels = TextureChannels.Sigmas.Select(s => BuildKernels(s / Downsampling(s))).ToArray();
            int strips = (image.Height + StripRows - 1) / StripRows;
            using (var progress = log.Begin("features", "texture strips", strips))
            {
                for (int y0 = 0; y0 < image.Height; y0 += StripRows)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int rows = Math.Min(StripRows, image.Height - y0);
                    if (NeedsStrip(tissueHint, grid, y0 / BlockSize, rows / BlockSize))
                    {
                        for (int x0 = 0; x0 < image.Width; x0 += TileColumns)
                        {
                            ComputeTile(image, y0, rows, x0, Math.Min(TileColumns, image.Width - x0), kernels, grid);
                        }
                    }

                    progress.Advance();
                }
            }

            cancellation.ThrowIfCancellationRequested();
            ComputeContext(grid);

            double mpx = (double)image.Width * image.Height / 1e6;
            log.Info(FormattableString.Invariant($"[features] texture: {grid.Rows} x {grid.Columns} blocks x {Channels} channels in {clock.Elapsed.TotalSeconds:0.0} s ({mpx / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):0.0} Mpx/s)"));
            return grid;
        }
        catch
        {
            grid.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a strip of block rows [first, first + count) must be computed: with a tissue hint, only when some tissue
    /// block lies within the reach of the strip (the 3-block pixel halo plus the 3-block context), so every tissue
    /// block gets exactly the features it would get without the hint; blocks of skipped strips stay zero.
    /// </summary>
    private static bool NeedsStrip(bool[]? tissueHint, FeatureGrid grid, int first, int count)
    {
        if (tissueHint is null)
        {
            return true;
        }

        if (tissueHint.Length != grid.BlockCount)
        {
            throw new ArgumentException($"the tissue hint has {tissueHint.Length} entries, the grid {grid.BlockCount} blocks", nameof(tissueHint));
        }

        int reach = (Halo / BlockSize) + 1 + (TextureChannels.ContextSizes.Max() / 2);
        int from = Math.Max(0, first - reach);
        int to = Math.Min(grid.Rows, first + count + reach);
        return Array.IndexOf(tissueHint, true, from * grid.Columns, (to - from) * grid.Columns) >= 0;
    }

    /// <summary>Kernel radius for a scale: 3σ.</summary>
    internal static int Radius(int sigma) => 3 * sigma;

    /// <summary>Pyramid level a scale is computed on: σ ≤ 2 at full resolution, larger σ at σ' = 2 on a map box-downsampled by σ/2.</summary>
    internal static int Downsampling(int sigma) => Math.Max(1, sigma / 2);

    /// <summary>Computes the block channels of the tile of rows [y0, y0 + rows) and columns [x0, x0 + width).</summary>
    private static void ComputeTile(ScaledImage image, int y0, int rows, int x0, int width, float[][][] kernels, FeatureGrid grid)
    {
        int height = image.Height;
        int imageWidth = image.Width;
        int halo = Halo;
        int paddedRows = rows + (2 * halo);
        int paddedCols = width + (2 * halo);
        var stains = new float[2L * paddedRows * paddedCols];
        var baseMaps = new float[6L * rows * width];
        long planeStain = (long)paddedRows * paddedCols;
        long planeBase = (long)rows * width;
        var m = Unmix;
        float h0 = m[0, 0], h1 = m[1, 0], h2 = m[2, 0];
        float e0 = m[0, 1], e1 = m[1, 1], e2 = m[2, 1];
        float r0 = m[0, 2], r1 = m[1, 2], r2 = m[2, 2];
        var od = OpticalDensity;
        for (int py = 0; py < paddedRows; py++)
        {
            // Rows and columns outside the image replicate the edge pixels.
            int y = Math.Clamp(y0 - halo + py, 0, height - 1);
            var row = image.ReadRows(y, 1);
            bool centralRow = py >= halo && py < halo + rows;
            long sRow = (long)py * paddedCols;
            long bRow = (long)(py - halo) * width;
            for (int px = 0; px < paddedCols; px++)
            {
                int x = Math.Clamp(x0 - halo + px, 0, imageWidth - 1);
                byte r = row[3 * x];
                byte g = row[(3 * x) + 1];
                byte b = row[(3 * x) + 2];
                float odR = od[r];
                float odG = od[g];
                float odB = od[b];
                float cH = (odR * h0) + (odG * h1) + (odB * h2);
                float cE = (odR * e0) + (odG * e1) + (odB * e2);
                stains[sRow + px] = cH;
                stains[planeStain + sRow + px] = cE;
                if (centralRow && px >= halo && px < halo + width)
                {
                    float cR = (odR * r0) + (odG * r1) + (odB * r2);
                    long at = bRow + px - halo;
                    baseMaps[at] = r / 255f;
                    baseMaps[planeBase + at] = g / 255f;
                    baseMaps[(2 * planeBase) + at] = b / 255f;
                    baseMaps[(3 * planeBase) + at] = cH;
                    baseMaps[(4 * planeBase) + at] = cE;
                    baseMaps[(5 * planeBase) + at] = cR;
                }
            }
        }

        int blockRows = rows / BlockSize;
        int blockCols = width / BlockSize;
        using var scope = NewDisposeScope();
        var stainTensor = tensor(stains, [2, 1, paddedRows, paddedCols]);
        var baseTensor = tensor(baseMaps, [6, rows, width]);
        var parts = new List<Tensor>();
        var (baseMean, baseStd) = BlockStats(baseTensor, blockRows, blockCols, BlockSize);
        parts.Add(baseMean);
        parts.Add(baseStd!);
        var pyramid = new Dictionary<int, Tensor> { [1] = stainTensor };
        for (int s = 0; s < TextureChannels.Sigmas.Length; s++)
        {
            using var scaleScope = NewDisposeScope();
            int sigma = TextureChannels.Sigmas[s];
            int factor = Downsampling(sigma);
            if (!pyramid.ContainsKey(factor))
            {
                // Box-downsample by 2 from the previous level (aligned with the global pixel grid: tiles start at
                // multiples of 16 and the halo is a multiple of 8).
                pyramid[factor] = F.avg_pool2d(pyramid[factor / 2], [2, 2], [2, 2]).MoveToOuterDisposeScope();
            }

            int sd = sigma / factor;
            int radius = Radius(sd);
            int haloD = halo / factor;
            int rowsD = rows / factor;
            int widthD = width / factor;
            int blockD = BlockSize / factor;
            float s1 = sd;
            float s2 = sd * sd;
            var input = pyramid[factor].narrow(2, haloD - radius, rowsD + (2 * radius)).narrow(3, haloD - radius, widthD + (2 * radius));
            var k = kernels[s];
            var vertical = Separable(input.select(1, 0), 1, radius, k); // G, dG/dy, d²G/dy² along rows: (2, rowsD, widthD + 2r)
            var fromG = Separable(vertical[0], 2, radius, k);
            var fromGy = Separable(vertical[1], 2, radius, [k[0], k[1]]);
            var fromGyy = Separable(vertical[2], 2, radius, [k[0]]);
            var l = fromG[0];
            var lx = fromG[1];
            var lxx = fromG[2];
            var ly = fromGy[0];
            var lxy = fromGy[1];
            var lyy = fromGyy[0];
            // Scalars held by `using` until the scale is done (TorchScalars explains why not literals).
            using var scale1 = s1.ToScalar();
            using var scale2 = s2.ToScalar();
            using var half = 0.5f.ToScalar();
            var grad = (lx * lx).Plus(ly * ly).sqrt().mul(scale1);
            var trace = lxx.Plus(lyy);
            var halfDiff = (lxx - lyy).mul(half);
            var disc = (halfDiff * halfDiff).Plus(lxy * lxy).sqrt();
            var halfTrace = trace.mul(half);
            var hess1 = halfTrace.Plus(disc).mul(scale2);
            var hess2 = (halfTrace - disc).mul(scale2);
            var maps = stack([l, grad, trace.mul(scale2), hess1, hess2], 1).reshape(TextureChannels.MapsPerScale, rowsD, widthD);
            var (mean, std) = BlockStats(maps, blockRows, blockCols, blockD);
            var tensorMaps = stack([lx * lx, ly * ly, lx * ly], 1).reshape(6, rowsD, widthD).mul(scale2);
            var (j, _) = BlockStats(tensorMaps, blockRows, blockCols, blockD, withStd: false);
            j = j.view(2, 3, blockRows, blockCols);
            var j11 = j.select(1, 0);
            var j22 = j.select(1, 1);
            var j12 = j.select(1, 2);
            var jHalf = (j11 - j22).mul(half);
            var jDisc = (jHalf * jHalf).Plus(j12 * j12).sqrt();
            var jMid = j11.Plus(j22).mul(half);
            var st = stack([jMid.Plus(jDisc), jMid - jDisc], 1).reshape(TextureChannels.TensorPerScale, blockRows, blockCols);
            parts.Add(mean.MoveToOuterDisposeScope());
            parts.Add(std!.MoveToOuterDisposeScope());
            parts.Add(st.MoveToOuterDisposeScope());
        }

        var all = cat(parts, 0).permute(1, 2, 0).contiguous();
        float[] values = all.data<float>().ToArray();
        int channels = TextureChannels.BlockChannels;
        for (int br = 0; br < blockRows; br++)
        {
            for (int bc = 0; bc < blockCols; bc++)
            {
                values.AsSpan(((br * blockCols) + bc) * channels, channels).CopyTo(grid.Block((y0 / BlockSize) + br, (x0 / BlockSize) + bc));
            }
        }
    }

    private static (Tensor Mean, Tensor? Std) BlockStats(Tensor maps, int blockRows, int blockCols, int blockSize, bool withStd = true)
    {
        long n = maps.shape[0];
        var v = maps.reshape(n, blockRows, blockSize, blockCols, blockSize);
        var mean = v.mean([2, 4], keepdim: true);
        Tensor? std = null;
        if (withStd)
        {
            var d = v - mean;
            std = (d * d).mean([2, 4]).sqrt();
        }

        return (mean.reshape(n, blockRows, blockCols), std);
    }

    private static void ComputeContext(FeatureGrid grid)
    {
        int[] meanIndex = TextureChannels.MeanChannelIndices();
        int n = meanIndex.Length;
        int pad = TextureChannels.ContextSizes.Max() / 2;
        int cols = grid.Columns;
        int channels = grid.Channels;
        const int Chunk = 64;
        for (int r0 = 0; r0 < grid.Rows; r0 += Chunk)
        {
            int rows = Math.Min(Chunk, grid.Rows - r0);
            int paddedRows = rows + (2 * pad);
            int paddedCols = cols + (2 * pad);
            var buffer = new float[(long)n * paddedRows * paddedCols];
            for (int rr = 0; rr < paddedRows; rr++)
            {
                var row = grid.BlockRow(Math.Clamp(r0 - pad + rr, 0, grid.Rows - 1));
                for (int cc = 0; cc < paddedCols; cc++)
                {
                    int c = Math.Clamp(cc - pad, 0, cols - 1);
                    var block = row.Slice(c * channels, channels);
                    for (int k = 0; k < n; k++)
                    {
                        buffer[(((long)k * paddedRows) + rr) * paddedCols + cc] = block[meanIndex[k]];
                    }
                }
            }

            using var scope = NewDisposeScope();
            var t = tensor(buffer, [1, n, paddedRows, paddedCols]);
            var pooled = new List<Tensor>();
            foreach (int size in TextureChannels.ContextSizes)
            {
                int offset = pad - (size / 2);
                var window = t.narrow(2, offset, rows + size - 1).narrow(3, offset, cols + size - 1);
                pooled.Add(F.avg_pool2d(window, [size, size], [1, 1]).reshape(n, rows, cols));
            }

            float[] values = cat(pooled, 0).permute(1, 2, 0).contiguous().data<float>().ToArray();
            int ctx = pooled.Count * n;
            for (int br = 0; br < rows; br++)
            {
                for (int bc = 0; bc < cols; bc++)
                {
                    values.AsSpan(((br * cols) + bc) * ctx, ctx).CopyTo(grid.Block(r0 + br, bc)[TextureChannels.BlockChannels..]);
                }
            }
        }
    }

    /// <summary>
    /// 1-D cross-correlations of <paramref name="x"/> along <paramref name="dim"/> with kernels of radius
    /// <paramref name="radius"/> that are each symmetric or antisymmetric (G, G' and G''), as sums of shifted views:
    /// out(t) = w₀ x(t) + Σᵢ wᵢ (x(t + i) ± x(t − i)). The output is 2r shorter along <paramref name="dim"/>. Purely
    /// element-wise, so the result does not depend on the size of the strip.
    /// </summary>
    private static Tensor[] Separable(Tensor x, long dim, int radius, float[][] kernels)
    {
        long n = x.shape[dim] - (2 * radius);
        var centre = x.narrow(dim, radius, n);
        bool[] odd = [.. kernels.Select(k => k[radius] == 0 && k[radius + 1] == -k[radius - 1] && k[radius + 1] != 0)];
        var outputs = new Tensor[kernels.Length];
        for (int q = 0; q < kernels.Length; q++)
        {
            using var weight = kernels[q][radius].ToScalar();
            outputs[q] = odd[q] ? zeros_like(centre) : centre.mul(weight);
        }

        for (int i = 1; i <= radius; i++)
        {
            using var plus = x.narrow(dim, radius + i, n);
            using var minus = x.narrow(dim, radius - i, n);
            Tensor? sum = null;
            Tensor? difference = null;
            for (int q = 0; q < kernels.Length; q++)
            {
                // An explicit, scoped Scalar: an implicitly converted temporary can be finalized by the GC while
                // libtorch still reads it (seen as an intermittent c10::Scalar::toFloat check failure).
                using var w = kernels[q][radius + i].ToScalar();
                if (odd[q])
                {
                    difference ??= plus - minus;
                    outputs[q].add_(difference, alpha: w);
                }
                else
                {
                    sum ??= plus + minus;
                    outputs[q].add_(sum, alpha: w);
                }
            }

            sum?.Dispose();
            difference?.Dispose();
        }

        return outputs;
    }

    /// <summary>Gaussian kernels [G, G', G''] of radius 3σ, as cross-correlation weights.</summary>
    private static float[][] BuildKernels(int sigma)
    {
        int radius = Radius(sigma);
        int k = (2 * radius) + 1;
        var g = new double[k];
        double sum = 0;
        for (int i = -radius; i <= radius; i++)
        {
            g[i + radius] = Math.Exp(-(i * (double)i) / (2.0 * sigma * sigma));
            sum += g[i + radius];
        }

        var w = new float[3 * k];
        double s2 = sigma * (double)sigma;
        double d2Sum = 0;
        var d2 = new double[k];
        for (int i = -radius; i <= radius; i++)
        {
            double gi = g[i + radius] / sum;
            // conv2d is a cross-correlation: out(x) = Σ w[i] f(x + i), so the derivative weight is G'(-i) = +i/σ² G(i).
            w[i + radius] = (float)gi;
            w[k + i + radius] = (float)(i / s2 * gi);
            d2[i + radius] = ((i * (double)i / (s2 * s2)) - (1 / s2)) * gi;
            d2Sum += d2[i + radius];
        }

        for (int i = 0; i < k; i++)
        {
            // Remove the truncation bias so a constant image has exactly zero second derivative (up to rounding).
            w[(2 * k) + i] = (float)(d2[i] - (d2Sum * g[i] / sum));
        }

        // Make the first derivative exactly antisymmetric.
        for (int i = 1; i <= radius; i++)
        {
            w[k + radius - i] = -w[k + radius + i];
        }

        w[k + radius] = 0;
        return [w[..k], w[k..(2 * k)], w[(2 * k)..]];
    }

    private static float[] BuildOpticalDensity()
    {
        var lut = new float[256];
        for (int v = 0; v < 256; v++)
        {
            lut[v] = (float)-Math.Log10((v + 1) / 256.0);
        }

        return lut;
    }

    /// <summary>Inverse of the Ruifrok–Johnston stain matrix (rows H, E, residual): concentrations = OD · M⁻¹.</summary>
    private static float[,] BuildUnmixing()
    {
        double[] h = Normalize([0.650, 0.704, 0.286]);
        double[] e = Normalize([0.072, 0.990, 0.105]);
        double[] r = Normalize([(h[1] * e[2]) - (h[2] * e[1]), (h[2] * e[0]) - (h[0] * e[2]), (h[0] * e[1]) - (h[1] * e[0])]);
        double[,] a = { { h[0], h[1], h[2] }, { e[0], e[1], e[2] }, { r[0], r[1], r[2] } };
        double det = (a[0, 0] * ((a[1, 1] * a[2, 2]) - (a[1, 2] * a[2, 1])))
            - (a[0, 1] * ((a[1, 0] * a[2, 2]) - (a[1, 2] * a[2, 0])))
            + (a[0, 2] * ((a[1, 0] * a[2, 1]) - (a[1, 1] * a[2, 0])));
        var inv = new float[3, 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
                inv[i, j] = (float)(((a[i1, j1] * a[i2, j2]) - (a[i1, j2] * a[i2, j1])) / det);
            }
        }

        return inv;
    }

    private static double[] Normalize(double[] v)
    {
        double n = Math.Sqrt((v[0] * v[0]) + (v[1] * v[1]) + (v[2] * v[2]));
        return [v[0] / n, v[1] / n, v[2] / n];
    }
}
