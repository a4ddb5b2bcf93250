using Istar.Imaging;
using Istar.Pipeline;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>
/// The fast HIPT mode (docs/features.md): one pass (no shift averaging, so no attenuated or zeroed margins), ViT-256
/// only on 256-px patches that hold a tissue block, and ViT-4K per 4096-px region (16 × 16 patches, as HIPT was
/// trained) over a window of that region plus <see cref="HiptOptions.ContextPatches"/> patches of context on each
/// side, keeping the region's tokens. Memory and time grow linearly with the slide instead of with the square of
/// its patch count. Then the same smoothing and rgb channels as the faithful mode.
/// </summary>
internal static class HiptFastFeatures
{
    private const int Patch = 256;
    private const int RegionPatches = 16;

    public static FeatureGrid Extract(HiptNetworks networks, ScaledImage image, bool[]? tissueHint, HiptOptions options, FeatureProvenance provenance, IRunLog log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        int blockRows = image.BlockRows;
        int blockCols = image.BlockColumns;
        int gridRows = (image.Height + Patch - 1) / Patch;
        int gridCols = (image.Width + Patch - 1) / Patch;
        var tissue = new bool[gridRows * gridCols];
        int tissuePatches = 0;
        for (int r = 0; r < gridRows; r++)
        {
            for (int c = 0; c < gridCols; c++)
            {
                tissue[(r * gridCols) + c] = tissueHint is null || AnyTissue(tissueHint, blockRows, blockCols, r, c);
                tissuePatches += tissue[(r * gridCols) + c] ? 1 : 0;
            }
        }

        var grid = FeatureGrid.Allocate(blockRows, blockCols, HiptEmbedding.TotalChannels, provenance with { Groups = HiptFeatures.Groups });
        try
        {
            int dim = networks.Vit256.Config.Dim;
            var clsGrid = new float[(long)gridRows * gridCols * dim];
            float[] background = WhiteCls(networks);
            for (int p = 0; p < tissue.Length; p++)
            {
                background.CopyTo(clsGrid, (long)p * dim);
            }

            using (var progress = log.Begin("features", "HIPT fast, ViT-256", tissuePatches))
            {
                RunPatches(networks, image, tissue, gridRows, gridCols, options.BatchSize, clsGrid, grid, progress, cancellation);
            }

            int regionRows = (gridRows + RegionPatches - 1) / RegionPatches;
            int regionCols = (gridCols + RegionPatches - 1) / RegionPatches;
            using (var progress = log.Begin("features", "HIPT fast, ViT-4K", (long)regionRows * regionCols))
            {
                for (int rr = 0; rr < regionRows; rr++)
                {
                    for (int rc = 0; rc < regionCols; rc++)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        RunRegion(networks, clsGrid, tissue, gridRows, gridCols, rr, rc, options.ContextPatches, grid);
                        progress.Advance();
                    }
                }
            }

            log.Info($"[features] HIPT fast: {tissuePatches:N0} of {tissue.Length:N0} patches hold tissue");
            if (options.Smooth)
            {
                HiptFeatures.Smooth(grid, cancellation);
            }

            BlockColour.Write(grid, image, HiptEmbedding.RgbStart);
            return grid;
        }
        catch
        {
            grid.Dispose();
            throw;
        }
    }

    private static void RunPatches(HiptNetworks networks, ScaledImage image, bool[] tissue, int gridRows, int gridCols, int batchSize, float[] clsGrid, FeatureGrid grid, IProgressTask progress, CancellationToken cancellation)
    {
        int dim = networks.Vit256.Config.Dim;
        const int PerPatch = 3 * Patch * Patch;
        var input = new float[batchSize * PerPatch];
        var patch = new byte[Patch * Patch * 3];
        var slots = new List<int>(batchSize);
        int blockRows = image.BlockRows;
        int blockCols = image.BlockColumns;

        void Flush()
        {
            if (slots.Count == 0)
            {
                return;
            }

            int n = slots.Count;
            using var x = tensor(input.AsSpan(0, n * PerPatch).ToArray(), [n, 3, Patch, Patch]);
            using var tokens = networks.RunVit256(x);
            float[] values = tokens.data<float>().ToArray();
            int per = values.Length / n;
            for (int s = 0; s < n; s++)
            {
                int p = slots[s];
                int row = p / gridCols;
                int col = p % gridCols;
                var output = values.AsSpan(s * per, per);
                output[..dim].CopyTo(clsGrid.AsSpan(p * dim, dim));
                for (int i = 0; i < 16 && (row * 16) + i < blockRows; i++)
                {
                    for (int j = 0; j < 16 && (col * 16) + j < blockCols; j++)
                    {
                        output.Slice((1 + (i * 16) + j) * dim, dim).CopyTo(grid.Block((row * 16) + i, (col * 16) + j).Slice(HiptEmbedding.SubStart, dim));
                    }
                }
            }

            progress.Advance(n);
            slots.Clear();
        }

        for (int p = 0; p < tissue.Length; p++)
        {
            if (!tissue[p])
            {
                continue;
            }

            cancellation.ThrowIfCancellationRequested();
            HiptEmbedding.CutPatch(image, 0, 0, image.Height, image.Width, (p / gridCols) * Patch, (p % gridCols) * Patch, patch);
            HiptEmbedding.Normalize(patch, input.AsSpan(slots.Count * PerPatch, PerPatch));
            slots.Add(p);
            if (slots.Count == batchSize)
            {
                Flush();
            }
        }

        Flush();
    }

    private static void RunRegion(HiptNetworks networks, float[] clsGrid, bool[] tissue, int gridRows, int gridCols, int regionRow, int regionCol, int context, FeatureGrid grid)
    {
        int r0 = regionRow * RegionPatches;
        int c0 = regionCol * RegionPatches;
        int r1 = Math.Min(r0 + RegionPatches, gridRows);
        int c1 = Math.Min(c0 + RegionPatches, gridCols);
        bool any = false;
        for (int r = r0; r < r1 && !any; r++)
        {
            for (int c = c0; c < c1 && !any; c++)
            {
                any = tissue[(r * gridCols) + c];
            }
        }

        if (!any)
        {
            return;
        }

        int wr0 = Math.Max(0, r0 - context);
        int wc0 = Math.Max(0, c0 - context);
        int wr1 = Math.Min(gridRows, r1 + context);
        int wc1 = Math.Min(gridCols, c1 + context);
        int rows = wr1 - wr0;
        int cols = wc1 - wc0;
        int dim = networks.Vit256.Config.Dim;
        var window = new float[rows * cols * dim];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(clsGrid, ((long)((wr0 + r) * gridCols) + wc0) * dim, window, (long)r * cols * dim, (long)cols * dim);
        }

        float[] tokens;
        using (var g = tensor(window, [1, rows, cols, dim]))
        using (var x = g.permute(0, 3, 1, 2))
        using (var output = networks.RunVit4K(x))
        {
            tokens = output.data<float>().ToArray();
        }

        int outDim = networks.Vit4K.Config.Dim;
        int blockRows = grid.Rows;
        int blockCols = grid.Columns;
        for (int br = r0 * 16; br < Math.Min(r1 * 16, blockRows); br++)
        {
            for (int bc = c0 * 16; bc < Math.Min(c1 * 16, blockCols); bc++)
            {
                if (!tissue[((br / 16) * gridCols) + (bc / 16)])
                {
                    continue;
                }

                int token = 1 + (((br / 16) - wr0) * cols) + ((bc / 16) - wc0);
                tokens.AsSpan(token * outDim, outDim).CopyTo(grid.Block(br, bc).Slice(HiptEmbedding.ClsStart, outDim));
            }
        }
    }

    private static float[] WhiteCls(HiptNetworks networks)
    {
        var input = new float[3 * Patch * Patch];
        Array.Fill(input, 1f);
        using var x = tensor(input, [1, 3, Patch, Patch]);
        using var tokens = networks.RunVit256(x);
        using var cls = tokens[0, 0];
        return cls.data<float>().ToArray();
    }

    private static bool AnyTissue(bool[] hint, int blockRows, int blockCols, int patchRow, int patchCol)
    {
        for (int r = patchRow * 16; r < Math.Min((patchRow + 1) * 16, blockRows); r++)
        {
            for (int c = patchCol * 16; c < Math.Min((patchCol + 1) * 16, blockCols); c++)
            {
                if (hint[(r * blockCols) + c])
                {
                    return true;
                }
            }
        }

        return false;
    }
}
