using Istar.Input;

namespace Istar.Evaluation.Simulation;

/// <summary>
/// A simulated sample: the spot-level data as a reader would produce it, the files written, and the ground truth on the
/// 8-µm block grid (16 px at 0.5 µm/px) anchored at the top-left corner of the slide.
/// </summary>
public sealed class SimulatedSample
{
    internal SimulatedSample(
        SimulationOptions options,
        SpotSample sample,
        string slidePath,
        string spaceRangerFolder,
        int blockRows,
        int blockColumns,
        float[] truth,
        float[] cellCounts,
        float[] expectedCounts,
        IReadOnlyList<string> geneKinds)
    {
        Options = options;
        Sample = sample;
        SlidePath = slidePath;
        SpaceRangerFolder = spaceRangerFolder;
        BlockRows = blockRows;
        BlockColumns = blockColumns;
        Truth = truth;
        CellCounts = cellCounts;
        ExpectedCounts = expectedCounts;
        GeneKinds = geneKinds;
    }

    /// <summary>Size of a truth block in µm.</summary>
    public const double BlockMicrons = 8;

    /// <summary>The options the sample was made with.</summary>
    public SimulationOptions Options { get; }

    /// <summary>The in-tissue spots with their counts, as the Space Ranger reader would return them.</summary>
    public SpotSample Sample { get; }

    /// <summary>The full-resolution slide (tiled TIFF with resolution tags); empty when rendering was skipped.</summary>
    public string SlidePath { get; }

    /// <summary>The Space Ranger-like <c>outs/</c> folder.</summary>
    public string SpaceRangerFolder { get; }

    /// <summary>Truth block rows (Hb): floor(slide height / 8 µm).</summary>
    public int BlockRows { get; }

    /// <summary>Truth block columns (Wb).</summary>
    public int BlockColumns { get; }

    /// <summary>Cell type names, the first axis of <see cref="CellCounts"/>.</summary>
    public IReadOnlyList<string> CellTypes { get; } = Enum.GetNames<CellType>();

    /// <summary>
    /// Expected counts per block and gene, (G, Hb, Wb) row-major float32, in the unit of iStar's output: a spot's
    /// expected count is the sum of the blocks whose centres lie in its disk. Includes the depth factor.
    /// </summary>
    public float[] Truth { get; }

    /// <summary>Number of cells of each type per block, (T, Hb, Wb) row-major.</summary>
    public float[] CellCounts { get; }

    /// <summary>Poisson means of the in-tissue spots, (spots, G) row-major, in <see cref="Sample"/> order.</summary>
    public float[] ExpectedCounts { get; }

    /// <summary>For each gene: <c>marker:&lt;cell type&gt;</c>, <c>program:hypoxia</c>, <c>program:perivascular</c> or <c>background</c>.</summary>
    public IReadOnlyList<string> GeneKinds { get; }

    /// <summary>Marker genes of each cell type, by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> MarkerGenes =>
        CellTypes.ToDictionary(t => t, t => (IReadOnlyList<string>)[.. Sample.GeneNames.Where((_, g) => GeneKinds[g] == "marker:" + t)]);

    /// <summary>The truth of one gene as an Hb × Wb plane.</summary>
    public ReadOnlySpan<float> TruthPlane(int gene) => Truth.AsSpan(gene * BlockRows * BlockColumns, BlockRows * BlockColumns);

    /// <summary>The cell counts of one type as an Hb × Wb plane.</summary>
    public ReadOnlySpan<float> CellCountPlane(int type) => CellCounts.AsSpan(type * BlockRows * BlockColumns, BlockRows * BlockColumns);
}
