using Istar.Imaging;
using Istar.Input;
using Istar.Pipeline;

namespace Istar.Features.Hipt;

/// <summary>The HIPT feature grid (579 channels: cls 0–191, sub 192–575, rgb 576–578) from a scaled image.</summary>
internal static class HiptFeatures
{
    /// <summary>Shift offsets per axis in pixels (margin 256, stride 64).</summary>
    public static readonly int[] ShiftOffsets = [0, 64, 128, 192];

    /// <summary>Channel groups in order.</summary>
    public static IReadOnlyList<ChannelGroup> Groups { get; } =
    [
        new("cls", HiptEmbedding.ClsStart, HiptEmbedding.ClsChannels),
        new("sub", HiptEmbedding.SubStart, HiptEmbedding.SubChannels),
        new("rgb", HiptEmbedding.RgbStart, HiptEmbedding.RgbChannels),
    ];

    /// <summary>The faithful grid (spec §5.3–5.6), or the single pass when <see cref="HiptOptions.Shift"/> is off.</summary>
    public static unsafe FeatureGrid ExtractFaithful(HiptNetworks networks, ScaledImage image, HiptOptions options, FeatureProvenance provenance, IRunLog log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        int rows = image.BlockRows;
        int cols = image.BlockColumns;
        if (options.Shift && (image.Height <= 256 || image.Width <= 256))
        {
            throw new InputException("image", $"shift averaging needs an image larger than 256 px on both sides; this one is {image.Width} x {image.Height}.", "Turn shift averaging off for images this small.");
        }

        var grid = FeatureGrid.Allocate(rows, cols, HiptEmbedding.TotalChannels, provenance with { Groups = Groups });
        try
        {
            var embedding = new HiptEmbedding(networks, options.BatchSize);
            if (options.Shift)
            {
                int h = image.Height - 256;
                int w = image.Width - 256;
                long total = HiptEmbedding.PatchCount(h, w) * ShiftOffsets.Length * ShiftOffsets.Length;
                using var progress = log.Begin("features", "HIPT, 16 shifted passes", total);
                foreach (int s0 in ShiftOffsets)
                {
                    foreach (int s1 in ShiftOffsets)
                    {
                        embedding.AddRun(image, s0, s1, h, w, grid, s0 / 16, s1 / 16, progress, cancellation);
                    }
                }

                ScaleAndZeroMargin(grid, 1f / (ShiftOffsets.Length * ShiftOffsets.Length), 16);
            }
            else
            {
                using var progress = log.Begin("features", "HIPT, one pass", HiptEmbedding.PatchCount(image.Height, image.Width));
                embedding.AddRun(image, 0, 0, image.Height, image.Width, grid, 0, 0, progress, cancellation);
            }

            log.Info($"[features] HIPT: {embedding.PatchesComputed:N0} patches computed, {embedding.PatchesReused:N0} identical patches reused");
            if (options.Smooth)
            {
                Smooth(grid, cancellation);
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

    /// <summary>cls: box 16; sub: box 4; rgb untouched.</summary>
    public static unsafe void Smooth(FeatureGrid grid, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(grid);
        fixed (float* p = grid.BlockRow(0))
        {
            BoxSmoothing.SmoothBlockMajor(p, grid.Rows, grid.Columns, grid.Channels, HiptEmbedding.ClsStart, HiptEmbedding.ClsChannels, 16, cancellation);
            BoxSmoothing.SmoothBlockMajor(p, grid.Rows, grid.Columns, grid.Channels, HiptEmbedding.SubStart, HiptEmbedding.SubChannels, 4, cancellation);
        }
    }

    /// <summary>Multiplies cls and sub by <paramref name="scale"/> and zeroes the last <paramref name="margin"/> block rows and columns.</summary>
    internal static void ScaleAndZeroMargin(FeatureGrid grid, float scale, int margin)
    {
        int channels = HiptEmbedding.ClsChannels + HiptEmbedding.SubChannels;
        for (int r = 0; r < grid.Rows; r++)
        {
            for (int c = 0; c < grid.Columns; c++)
            {
                var block = grid.Block(r, c)[..channels];
                bool zero = r >= grid.Rows - margin || c >= grid.Columns - margin;
                for (int d = 0; d < block.Length; d++)
                {
                    block[d] = zero ? 0f : block[d] * scale;
                }
            }
        }
    }
}
