using System.Globalization;

namespace Istar.Features.Hipt;

/// <summary>How HIPT features are computed.</summary>
internal enum HiptMode
{
    /// <summary>
    /// The reference (spec §5.3–5.6): 16 shifted runs, /16, last 16 block rows/cols zeroed, box smoothing;
    /// ViT-4K over the whole slide grid in one sequence.
    /// </summary>
    Faithful,

    /// <summary>
    /// One pass, ViT-4K per 4096 region with a ring of context, tissue tiles only, then the same smoothing
    /// (docs/features.md).
    /// </summary>
    Fast,
}

/// <summary>Options of the HIPT extractor.</summary>
internal sealed record HiptOptions
{
    /// <summary>Faithful (default) or fast.</summary>
    public HiptMode Mode { get; init; } = HiptMode.Faithful;

    /// <summary>Shift averaging (faithful mode only; iStar's <c>--no-shift</c> turns it off).</summary>
    public bool Shift { get; init; } = true;

    /// <summary>Box smoothing of cls (16) and sub (4) after averaging.</summary>
    public bool Smooth { get; init; } = true;

    /// <summary><c>cpu</c> or <c>cuda</c>; <c>cuda</c> is used only when libtorch reports CUDA.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>fp32 (reference) or bf16.</summary>
    public HiptPrecision Precision { get; init; } = HiptPrecision.Fp32;

    /// <summary>256-px patches per ViT-256 batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Torch intra-op threads; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }

    /// <summary>Fast mode: ViT-256 patches of context around each 4096 region given to ViT-4K.</summary>
    public int ContextPatches { get; init; } = 4;

    /// <summary>The settings that change the output, for content keys.</summary>
    public string Key
    {
        get
        {
            string key = string.Create(CultureInfo.InvariantCulture, $"mode={Mode.ToString().ToLowerInvariant()};shift={Shift};smooth={Smooth};precision={Precision.ToString().ToLowerInvariant()}");
            return Mode == HiptMode.Fast ? key + string.Create(CultureInfo.InvariantCulture, $";context={ContextPatches}") : key;
        }
    }

    /// <summary>Parses <c>fp32</c> / <c>bf16</c>.</summary>
    public static HiptPrecision ParsePrecision(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => HiptPrecision.Fp32,
        "bf16" or "bfloat16" => HiptPrecision.Bf16,
        _ => throw new Istar.Input.InputException("--precision", $"'{text}' is not a precision.", "Use fp32 or bf16."),
    };

    /// <summary>Parses <c>faithful</c> / <c>fast</c>.</summary>
    public static HiptMode ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "faithful" => HiptMode.Faithful,
        "fast" => HiptMode.Fast,
        _ => throw new Istar.Input.InputException("--hipt-mode", $"'{text}' is not a HIPT mode.", "Use faithful or fast."),
    };
}
