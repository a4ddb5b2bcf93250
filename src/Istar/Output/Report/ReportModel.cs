namespace Istar.Output.Report;

/// <summary>A picture in the report: a PNG file embedded into the page.</summary>
internal sealed record ReportFigure(string Section, string Caption, string PngPath);

/// <summary>A table in the report; <paramref name="Swatches"/> (CSS colours, one per row) draws a colour key first.</summary>
internal sealed record ReportTable(string Section, string Caption, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlyList<string>? Swatches = null);

/// <summary>Everything one run's report shows, in the order of <see cref="Sections"/>.</summary>
internal sealed class ReportModel
{
    /// <summary>The section order of the page.</summary>
    public static readonly IReadOnlyList<string> Sections =
        ["Inputs", "Alignment", "Tissue mask", "Training", "Validation", "Gene maps", "Clusters", "Annotation", "Stages"];

    public required string Title { get; init; }

    /// <summary>Key facts about the inputs (sample, slide, pixel size and its source, spots, genes).</summary>
    public List<KeyValuePair<string, string>> Facts { get; } = [];

    public List<string> Warnings { get; } = [];

    public List<ReportFigure> Figures { get; } = [];

    public List<ReportTable> Tables { get; } = [];
}
