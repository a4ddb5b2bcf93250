namespace Istar.Input;

/// <summary>
/// What to read and how: the input path (a Space Ranger <c>outs/</c> folder or the folder holding it, a matrix
/// file or MEX folder inside <c>outs/</c>, an iStar data folder, a legacy ST counts table, or a spot <c>.h5ad</c>)
/// plus the user's options.
/// </summary>
public sealed record SampleSource(string Path)
{
    /// <summary>The full-resolution H&amp;E slide; when null, readers look beside the input where the format has a convention.</summary>
    public string? ImagePath { get; init; }

    /// <summary>µm per full-resolution pixel given by the user; it beats every other source.</summary>
    public double? MicronsPerPixel { get; init; }

    /// <summary>Keep every spot, not only the in-tissue ones.</summary>
    public bool AllSpots { get; init; }

    /// <summary>Space Ranger: read <c>raw_feature_bc_matrix</c> instead of <c>filtered_feature_bc_matrix</c>.</summary>
    public bool RawMatrix { get; init; }

    /// <summary>Legacy ST: the <c>_selection.tsv</c> spot table, when it is not found beside the counts.</summary>
    public string? SelectionPath { get; init; }

    /// <summary>The platform, when the input does not say (iStar folders); it fixes the physical spot size.</summary>
    public SpotPlatform? Platform { get; init; }

    /// <summary>Forces a reader instead of detecting the format from the path.</summary>
    public SampleFormat? Format { get; init; }
}
