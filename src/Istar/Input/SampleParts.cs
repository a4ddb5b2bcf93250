namespace Istar.Input;

/// <summary>
/// A spots × genes count matrix as a reader found it, before joining: ids in file order (possibly duplicated) and
/// where each spot's row is, for messages.
/// </summary>
internal sealed class CountTable(
    string location,
    IReadOnlyList<string> spotIds,
    SparseCounts counts,
    IReadOnlyList<string> geneNames,
    IReadOnlyList<string> geneIds,
    Func<int, string> spotLocation)
{
    /// <summary>The file (and dataset) the counts came from, as shown in messages.</summary>
    public string Location { get; } = location;

    public IReadOnlyList<string> SpotIds { get; } = spotIds;

    public SparseCounts Counts { get; } = counts;

    public IReadOnlyList<string> GeneNames { get; } = geneNames;

    public IReadOnlyList<string> GeneIds { get; } = geneIds;

    /// <summary>Where spot row <c>i</c> is, e.g. "cnts.tsv, line 12" or "matrix/barcodes[11]".</summary>
    public Func<int, string> SpotLocation { get; } = spotLocation;
}

/// <summary>One row of a positions table.</summary>
internal readonly record struct SpotPosition(FullResPoint Centre, bool InTissue, int Row, string Location);

/// <summary>Spot positions keyed by spot id, with the file they came from.</summary>
internal sealed class PositionTable
{
    private readonly Dictionary<string, SpotPosition> _byId = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public PositionTable(string location) => Location = location;

    /// <summary>The file the positions came from, as shown in messages.</summary>
    public string Location { get; }

    /// <summary>Ids in file order (first occurrences only).</summary>
    public IReadOnlyList<string> Ids => _order;

    public int Count => _order.Count;

    /// <summary>Ids that appeared more than once, with the location of each repeat.</summary>
    public List<(string Id, string Location)> Duplicates { get; } = [];

    public void Add(string id, SpotPosition position)
    {
        if (!_byId.TryAdd(id, position))
        {
            Duplicates.Add((id, position.Location));
            return;
        }

        _order.Add(id);
    }

    public bool TryGet(string id, out SpotPosition position) => _byId.TryGetValue(id, out position);
}

/// <summary>Space Ranger's <c>scalefactors_json.json</c>: the values this project uses.</summary>
internal sealed record ScaleFactors(
    string Location,
    double? SpotDiameterFullres,
    double? TissueHiresScalef,
    double? TissueLowresScalef,
    double? FiducialDiameterFullres);

/// <summary>Everything a reader found in its files, before joining and validation.</summary>
internal sealed class SampleParts
{
    public required SampleFormat Format { get; init; }

    public required string SourcePath { get; init; }

    public required CountTable Counts { get; init; }

    public required PositionTable Positions { get; init; }

    public required SpotPlatform Platform { get; init; }

    /// <summary>The full-res image, as given or found beside the input; null when none.</summary>
    public string? ImagePath { get; init; }

    /// <summary>Spot diameter in full-res pixels when the input states it; null to derive it from the pixel size.</summary>
    public double? SpotDiameterPixels { get; init; }

    /// <summary>Where the spot diameter came from, as shown in messages.</summary>
    public string? SpotDiameterLocation { get; init; }

    /// <summary>Pixel sizes the input's own files state (e.g. <c>pixel-size-raw.txt</c>, the array pitch).</summary>
    public List<PixelSize> PixelSizes { get; } = [];

    public ScaleFactors? ScaleFactors { get; init; }

    /// <summary>True when positions carry a real in-tissue flag (Space Ranger) rather than "all true".</summary>
    public bool HasInTissueFlag { get; init; }

    /// <summary>Extra positions without counts are expected (Space Ranger lists every spot on the slide).</summary>
    public bool ExtraPositionsExpected { get; init; }

    /// <summary>iStar pairs <c>cnts.tsv</c> and <c>locs-raw.tsv</c> by row order: warn when the order differs.</summary>
    public bool OrderMatters { get; init; }

    public IReadOnlyList<string>? GenePanel { get; init; }

    public string? GenePanelLocation { get; init; }

    public string? MaskPath { get; init; }

    /// <summary>Problems the reader found that do not stop reading (e.g. a fallback file was used).</summary>
    public List<InputProblem> Problems { get; } = [];
}
