using Istar.Features;
using Istar.Imaging;
using Istar.Pipeline;

namespace Istar.Masking;

/// <summary>How the tissue mask is made.</summary>
public enum MaskMethod
{
    /// <summary>The robust default (<see cref="TissueMask"/>): colour thresholds, features as a second opinion, sanity checks.</summary>
    Auto,

    /// <summary>The reference's feature k-means with its quirks (<see cref="ReferenceMask"/>); needs features.</summary>
    Reference,

    /// <summary>A user-supplied image (<see cref="UserMask"/>, <c>--mask FILE</c>).</summary>
    File,
}

/// <summary>A block mask and how it was made.</summary>
/// <param name="Mask">Row-major Rows × Columns block mask.</param>
/// <param name="Rows">Block rows.</param>
/// <param name="Columns">Block columns.</param>
/// <param name="Description">What produced it, e.g. "auto (colour+features)", "reference", "file mask.png".</param>
public sealed record BlockMask(bool[] Mask, int Rows, int Columns, string Description)
{
    /// <summary>Blocks in the mask.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (bool b in Mask)
            {
                n += b ? 1 : 0;
            }

            return n;
        }
    }
}

/// <summary>One entry point for the pipeline's mask stage.</summary>
public static class MaskBuilder
{
    /// <summary>
    /// Builds the mask over the block grid of <paramref name="image"/> and, when <paramref name="overlayPath"/> is given,
    /// writes the overlay PNG (block colours, 2 px per block).
    /// </summary>
    public static BlockMask Build(ScaledImage image, FeatureGrid? features, MaskMethod method, string? file, IRunLog log, string? overlayPath = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(log);
        int rows = image.BlockRows;
        int columns = image.BlockColumns;
        BlockRgb blocks = BlockRgb.FromScaledImage(image);
        BlockMask result;
        switch (method)
        {
            case MaskMethod.File:
                if (file is null)
                {
                    throw new ArgumentNullException(nameof(file), "a mask file is needed for MaskMethod.File");
                }

                bool[] user = UserMask.Load(file, rows, columns, image.ContentHeight / 16.0, image.ContentWidth / 16.0, log);
                result = new BlockMask(user, rows, columns, "file " + Path.GetFileName(file));
                break;
            case MaskMethod.Reference:
                if (features is null)
                {
                    throw new ArgumentNullException(nameof(features), "the reference mask needs the block features");
                }

                bool[] reference = ReferenceMask.Compute(features, new ReferenceMaskOptions(), log, cancellation);
                result = new BlockMask(reference, rows, columns, "reference");
                if (result.Count == 0)
                {
                    log.Warn("[mask] the reference mask is empty (its RGB-std rule picked an empty cluster); use the default mask or --mask FILE.");
                }

                break;
            default:
                var auto = TissueMask.Compute(blocks, features, new TissueMaskOptions(), log, cancellation);
                result = new BlockMask(auto.Mask, rows, columns, $"auto ({auto.Method})");
                break;
        }

        if (overlayPath is not null)
        {
            MaskOverlay.Write(overlayPath, blocks, result.Mask, 2);
        }

        return result;
    }
}
