using Istar.Features;
using Istar.Pipeline;
using Istar.Training;
using static TorchSharp.torch;

namespace Istar.Prediction;

/// <summary>Spot-level fit of a trained ensemble: fitted counts (footprint sums of block predictions) and residuals.</summary>
internal sealed record SpotFit(IReadOnlyList<string> GeneNames, int[] SourceSpots, float[] Measured, float[] Fitted)
{
    /// <summary>Measured − fitted, spots × genes.</summary>
    public float[] Residuals => Measured.Zip(Fitted, (m, f) => m - f).ToArray();
}

/// <summary>
/// Super-resolved prediction (spec §11): each member's normalized output is rescaled per gene to counts per block,
/// <c>(min_g + (max_g − min_g) · pred) / n_ref</c> with <c>n_ref</c> the nominal footprint size (the disk's block count
/// in the faithful path, so a spot's disk sum ≈ its count), then the element-wise median over members is taken
/// (NumPy's median: mean of the two middle values for an even count). The spread is the standard deviation across
/// members (population, ddof 0) of the rescaled values.
/// </summary>
internal static class ExpressionPredictor
{
    /// <summary>Blocks per chunk (rounded to whole block rows); bounds memory to ≈ chunk · S · (256 + G) floats.</summary>
    public const int DefaultChunkBlocks = 4096;

    /// <summary>
    /// Predicts every block of <paramref name="grid"/> where <paramref name="mask"/> (Hb · Wb, row-major; null = all, as
    /// the reference) is true, pushing block-row chunks to <paramref name="sink"/> in order.
    /// </summary>
    public static void Predict(ExpressionEnsemble ensemble, FeatureGrid grid, bool[]? mask, IPredictionSink sink, IRunLog log, CancellationToken cancellation = default, int chunkBlocks = DefaultChunkBlocks, ILatentSink? latentSink = null)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(log);
        if (grid.Channels != ensemble.Channels)
        {
            throw new ArgumentException($"the ensemble expects {ensemble.Channels} feature channels, the grid has {grid.Channels}");
        }

        if (mask is not null && mask.LongLength != grid.BlockCount)
        {
            throw new ArgumentException($"mask holds {mask.Length} values, the grid has {grid.BlockCount} blocks", nameof(mask));
        }

        int columns = grid.Columns;
        int genes = ensemble.GeneCount;
        int chunkRows = Math.Max(1, chunkBlocks / columns);
        var counts = new float[(long)chunkRows * columns * genes];
        var spread = new float[counts.Length];
        var features = new float[(long)chunkRows * columns * grid.Channels];
        var latent = latentSink is null ? null : new float[(long)chunkRows * columns * ExpressionHead.Hidden];
        using var progress = log.Begin("predict", "super-resolved expression", grid.Rows);
        for (int first = 0; first < grid.Rows; first += chunkRows)
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = Math.Min(chunkRows, grid.Rows - first);
            var blocks = new List<int>(rows * columns);
            for (int b = first * columns; b < (first + rows) * columns; b++)
            {
                if (mask is null || mask[b])
                {
                    blocks.Add(b);
                }
            }

            int length = rows * columns * genes;
            counts.AsSpan(0, length).Clear();
            spread.AsSpan(0, length).Clear();
            latent?.AsSpan(0, rows * columns * ExpressionHead.Hidden).Clear();
            if (blocks.Count > 0)
            {
                for (int k = 0; k < blocks.Count; k++)
                {
                    grid.Block(blocks[k] / columns, blocks[k] % columns).CopyTo(features.AsSpan(k * grid.Channels, grid.Channels));
                }

                var (median, sd, z) = PredictCounts(ensemble, features.AsSpan(0, blocks.Count * grid.Channels), blocks.Count, latentSink is not null);
                int origin = first * columns;
                const int H = ExpressionHead.Hidden;
                for (int k = 0; k < blocks.Count; k++)
                {
                    int at = (blocks[k] - origin) * genes;
                    median.AsSpan(k * genes, genes).CopyTo(counts.AsSpan(at, genes));
                    sd.AsSpan(k * genes, genes).CopyTo(spread.AsSpan(at, genes));
                    z?.AsSpan(k * H, H).CopyTo(latent.AsSpan((blocks[k] - origin) * H, H));
                }
            }

            sink.Write(first, rows, counts.AsSpan(0, length), spread.AsSpan(0, length));
            latentSink?.Write(first, rows, latent.AsSpan(0, rows * columns * ExpressionHead.Hidden));
            progress.Advance(rows);
        }
    }

    /// <summary>
    /// Counts per block (median over members) and spread for N blocks' raw features (N × C), both N × G, and when
    /// asked the median latent (N × 256).
    /// </summary>
    public static (float[] Median, float[] Spread, float[]? Latent) PredictCounts(ExpressionEnsemble ensemble, ReadOnlySpan<float> features, int blocks, bool withLatent = false)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = tensor(features.ToArray(), blocks, ensemble.Channels);
        Tensor normalized;
        float[]? latentMedian = null;
        if (withLatent)
        {
            var (n, z) = ensemble.PredictWithLatent(x);
            normalized = n;
            latentMedian = Median0(z).contiguous().data<float>().ToArray();
        }
        else
        {
            normalized = ensemble.PredictNormalized(x);
        }

        int genes = ensemble.GeneCount;
        double nRef = ensemble.NominalFootprintSize;
        var range = new float[genes];
        var offset = new float[genes];
        for (int g = 0; g < genes; g++)
        {
            range[g] = (float)((ensemble.CountMax[g] - ensemble.CountMin[g]) / nRef);
            offset[g] = (float)(ensemble.CountMin[g] / nRef);
        }

        var rescaled = normalized.mul(tensor(range, 1, 1, genes)).PlusInPlace(tensor(offset, 1, 1, genes));
        var median = Median0(rescaled);
        var sd = rescaled.shape[0] > 1 ? rescaled.std(0, unbiased: false) : zeros_like(median);
        return (median.contiguous().data<float>().ToArray(), sd.contiguous().data<float>().ToArray(), latentMedian);
    }

    /// <summary>
    /// Fitted spot counts: for each spot, the sum over its footprint of the predicted counts per block, and the
    /// measured counts (spots of <paramref name="set"/>, in its order).
    /// </summary>
    public static SpotFit FitSpots(ExpressionEnsemble ensemble, FeatureGrid grid, TrainingSet set)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(set);
        int genes = ensemble.GeneCount;
        int channels = grid.Channels;
        var fitted = new float[(long)set.SpotCount * genes];
        const int SpotsPerChunk = 256;
        for (int start = 0; start < set.SpotCount; start += SpotsPerChunk)
        {
            int end = Math.Min(set.SpotCount, start + SpotsPerChunk);
            int total = 0;
            for (int s = start; s < end; s++)
            {
                total += set.Footprints[s].Length;
            }

            var features = new float[(long)total * channels];
            int at = 0;
            for (int s = start; s < end; s++)
            {
                foreach (int b in set.Footprints[s])
                {
                    grid.Block(b / grid.Columns, b % grid.Columns).CopyTo(features.AsSpan(at * channels, channels));
                    at++;
                }
            }

            var (median, _, _) = PredictCounts(ensemble, features, total);
            at = 0;
            for (int s = start; s < end; s++)
            {
                var row = fitted.AsSpan(s * genes, genes);
                foreach (int _ in set.Footprints[s])
                {
                    var block = median.AsSpan(at * genes, genes);
                    for (int g = 0; g < genes; g++)
                    {
                        row[g] += block[g];
                    }

                    at++;
                }
            }
        }

        return new SpotFit(set.GeneNames, set.SourceSpots, (float[])set.Counts.Clone(), fitted);
    }

    /// <summary>NumPy median along dim 0 (mean of the two middle values for an even count).</summary>
    internal static Tensor Median0(Tensor x)
    {
        long s = x.shape[0];
        if (s == 1)
        {
            return x[0];
        }

        var (sorted, _) = x.sort(0);
        return s % 2 == 1 ? sorted[s / 2] : (sorted[(s / 2) - 1] + sorted[s / 2]) / 2;
    }
}
