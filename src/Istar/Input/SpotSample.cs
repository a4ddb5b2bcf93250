namespace Istar.Input;

/// <summary>The spatial platform a sample came from; it fixes the physical spot size.</summary>
public enum SpotPlatform
{
    /// <summary>10x Visium: 55 µm spots at 100 µm pitch.</summary>
    Visium,
    /// <summary>Legacy Spatial Transcriptomics: 100 µm spots at 200 µm pitch.</summary>
    LegacySt,
    /// <summary>Unknown; the spot diameter must be given.</summary>
    Other,
}

/// <summary>What kind of reader produced a sample.</summary>
public enum SampleFormat
{
    /// <summary>Space Ranger <c>outs/</c> folder.</summary>
    SpaceRanger,
    /// <summary>iStar data folder (<c>cnts.tsv</c>, <c>locs-raw.tsv</c>, …).</summary>
    IstarFolder,
    /// <summary>Spot-level AnnData <c>.h5ad</c>.</summary>
    SpotAnnData,
    /// <summary>Legacy ST counts + selection table.</summary>
    LegacySt,
    /// <summary>Produced by the simulator.</summary>
    Simulated,
}

/// <summary>
/// A spot-level spatial transcriptomics sample in memory: counts, spot centres in the full-resolution image frame,
/// the spot footprint size and the pixel size. Every reader produces one of these.
/// </summary>
public sealed class SpotSample
{
    /// <summary>Creates a sample; readers and validators ensure consistency.</summary>
    public SpotSample(
        IReadOnlyList<string> spotIds,
        SparseCounts counts,
        IReadOnlyList<string> geneNames,
        IReadOnlyList<string> geneIds,
        IReadOnlyList<FullResPoint> centres,
        IReadOnlyList<bool> inTissue,
        double spotDiameterPixels,
        PixelSize pixelSize,
        string? slidePath,
        SpotPlatform platform,
        SampleFormat format,
        string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(spotIds);
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Rows != spotIds.Count || centres.Count != spotIds.Count || inTissue.Count != spotIds.Count)
        {
            throw new ArgumentException("spot ids, counts rows, centres and in-tissue flags must have the same length");
        }

        if (counts.Columns != geneNames.Count || geneIds.Count != geneNames.Count)
        {
            throw new ArgumentException("counts columns, gene names and gene ids must have the same length");
        }

        SpotIds = spotIds;
        Counts = counts;
        GeneNames = geneNames;
        GeneIds = geneIds;
        Centres = centres;
        InTissue = inTissue;
        SpotDiameterPixels = spotDiameterPixels;
        PixelSize = pixelSize;
        SlidePath = slidePath;
        Platform = platform;
        Format = format;
        SourcePath = sourcePath;
    }

    /// <summary>Spot identifiers (barcodes, <c>AxB</c> ids, …), unique.</summary>
    public IReadOnlyList<string> SpotIds { get; }

    /// <summary>Spots × genes raw counts.</summary>
    public SparseCounts Counts { get; }

    /// <summary>Gene names (unique; duplicates made unique as scanpy does).</summary>
    public IReadOnlyList<string> GeneNames { get; }

    /// <summary>Gene ids (e.g. Ensembl); equal to the names where the input has none.</summary>
    public IReadOnlyList<string> GeneIds { get; }

    /// <summary>Spot centres in full-resolution pixels.</summary>
    public IReadOnlyList<FullResPoint> Centres { get; }

    /// <summary>Whether each spot is under tissue (as the input says; all true where it says nothing).</summary>
    public IReadOnlyList<bool> InTissue { get; }

    /// <summary>Spot footprint diameter in full-resolution pixels.</summary>
    public double SpotDiameterPixels { get; }

    /// <summary>Full-resolution pixel size and where it came from.</summary>
    public PixelSize PixelSize { get; }

    /// <summary>Spot footprint diameter in µm.</summary>
    public double SpotDiameterMicrons => SpotDiameterPixels * PixelSize.MicronsPerPixel;

    /// <summary>The full-resolution slide, if known.</summary>
    public string? SlidePath { get; }

    /// <summary>The platform, which fixes the physical spot size.</summary>
    public SpotPlatform Platform { get; }

    /// <summary>Which reader produced the sample.</summary>
    public SampleFormat Format { get; }

    /// <summary>The file or folder the sample was read from.</summary>
    public string SourcePath { get; }

    /// <summary>Warnings found while reading and validating (e.g. pixel-size sources disagree, non-integer counts).</summary>
    public IReadOnlyList<InputProblem> Warnings { get; internal set; } = [];

    /// <summary>The user's gene panel (iStar's <c>gene-names.txt</c>), when given; every name is in <see cref="GeneNames"/>.</summary>
    public IReadOnlyList<string>? GenePanel { get; init; }

    /// <summary>A user tissue mask in the full-res frame (iStar's <c>mask-raw.png</c>), when given.</summary>
    public string? MaskPath { get; init; }

    /// <summary>Number of spots flagged in tissue.</summary>
    public int InTissueCount => InTissue.Count(t => t);

    /// <summary>Number of spots.</summary>
    public int SpotCount => SpotIds.Count;

    /// <summary>Number of genes.</summary>
    public int GeneCount => GeneNames.Count;
}
