using Istar.Input;
using Istar.Pipeline;

namespace Istar.Training;

/// <summary>How spot footprints are placed on the block grid.</summary>
internal enum FootprintRule
{
    /// <summary>Blocks whose centre lies within the radius of the exact spot centre (default; spec §16.6).</summary>
    Exact,

    /// <summary>The reference's rounded block and disk mask (spec §10.1).</summary>
    Reference,
}

/// <summary>
/// What the trainer needs: raw counts of the panel genes per kept spot, each spot's blocks on the feature grid
/// (clipped, non-empty) and the nominal footprint size used to turn spot counts into counts per block (spec §11).
/// </summary>
internal sealed class TrainingSet
{
    private TrainingSet(int rows, int columns, IReadOnlyList<string> geneNames, float[] counts, int[][] footprints, int[] sourceSpots, double nominalFootprintSize)
    {
        Rows = rows;
        Columns = columns;
        GeneNames = geneNames;
        Counts = counts;
        Footprints = footprints;
        SourceSpots = sourceSpots;
        NominalFootprintSize = nominalFootprintSize;
    }

    /// <summary>Feature-grid rows (Hb).</summary>
    public int Rows { get; }

    /// <summary>Feature-grid columns (Wb).</summary>
    public int Columns { get; }

    /// <summary>Panel genes, in output channel order.</summary>
    public IReadOnlyList<string> GeneNames { get; }

    /// <summary>Raw counts, dense row-major SpotCount × GeneCount.</summary>
    public float[] Counts { get; }

    /// <summary>Linear block indices (row · Columns + column) of each spot's footprint, all inside the grid.</summary>
    public int[][] Footprints { get; }

    /// <summary>For each kept spot, its index in the input (sample or part list).</summary>
    public int[] SourceSpots { get; }

    /// <summary>Blocks of an unclipped footprint (37 for a Visium disk at 0.5 µm/px): the per-block output divisor.</summary>
    public double NominalFootprintSize { get; }

    /// <summary>Number of kept spots.</summary>
    public int SpotCount => Footprints.Length;

    /// <summary>Number of genes.</summary>
    public int GeneCount => GeneNames.Count;

    /// <summary>
    /// Builds a set from parts: counts (dense, parts.Count × genes), one footprint per spot (may reach outside the grid:
    /// clipped with a warning; empty → spot dropped with a warning).
    /// </summary>
    public static TrainingSet Create(
        int rows,
        int columns,
        IReadOnlyList<string> geneNames,
        ReadOnlySpan<float> counts,
        IReadOnlyList<SpotFootprint> footprints,
        double nominalFootprintSize,
        IRunLog log,
        IReadOnlyList<string>? spotIds = null)
    {
        ArgumentNullException.ThrowIfNull(geneNames);
        ArgumentNullException.ThrowIfNull(footprints);
        ArgumentNullException.ThrowIfNull(log);
        int genes = geneNames.Count;
        if (counts.Length != (long)footprints.Count * genes)
        {
            throw new ArgumentException($"counts hold {counts.Length} values, expected {footprints.Count} spots x {genes} genes", nameof(counts));
        }

        if (!(nominalFootprintSize > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(nominalFootprintSize), "the nominal footprint size must be positive");
        }

        var kept = new List<int>();
        var lists = new List<int[]>();
        var clipped = new List<string>();
        var empty = new List<string>();
        for (int s = 0; s < footprints.Count; s++)
        {
            string id = spotIds is null ? $"spot {s}" : spotIds[s];
            var fp = footprints[s];
            var inside = fp.ClipTo(rows, columns);
            if (inside.Count == 0)
            {
                empty.Add(id);
                continue;
            }

            if (inside.Count != fp.Count)
            {
                clipped.Add($"{id} ({fp.Count - inside.Count} of {fp.Count} blocks)");
            }

            kept.Add(s);
            lists.Add(inside.LinearIndices(columns));
        }

        if (clipped.Count > 0)
        {
            log.Warn($"{clipped.Count} spot footprint(s) reach outside the {rows} x {columns} feature grid and were clipped: {Preview(clipped)}.");
        }

        if (empty.Count > 0)
        {
            log.Warn($"{empty.Count} spot(s) have no block on the {rows} x {columns} feature grid and were dropped: {Preview(empty)}.");
        }

        if (kept.Count == 0)
        {
            throw new InputException("spots", "no spot covers any block of the feature grid", "Check that spot locations and the slide belong together and use the same pixel size.");
        }

        var dense = new float[(long)kept.Count * genes];
        for (int k = 0; k < kept.Count; k++)
        {
            counts.Slice(kept[k] * genes, genes).CopyTo(dense.AsSpan(k * genes, genes));
        }

        return new TrainingSet(rows, columns, geneNames, dense, [.. lists], [.. kept], nominalFootprintSize);
    }

    /// <summary>
    /// Builds a set from a sample: the panel's counts, locations scaled from the sample's pixel size to
    /// <paramref name="targetMicronsPerPixel"/> and footprints by <paramref name="rule"/>. Spots flagged out of tissue
    /// are left out.
    /// </summary>
    public static TrainingSet FromSample(SpotSample sample, GenePanel panel, int rows, int columns, double targetMicronsPerPixel, FootprintRule rule, IRunLog log)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(log);
        double scale = SpotScaling.Scale(sample.PixelSize.MicronsPerPixel, targetMicronsPerPixel);
        double radiusRaw = sample.SpotDiameterPixels / 2;
        var spots = Enumerable.Range(0, sample.SpotCount).Where(s => sample.InTissue[s]).ToList();
        if (spots.Count < sample.SpotCount)
        {
            log.Info($"[training] {sample.SpotCount - spots.Count} spot(s) outside tissue left out.");
        }

        var footprints = new List<SpotFootprint>(spots.Count);
        double nominal;
        if (rule == FootprintRule.Reference)
        {
            var locs = SpotScaling.ScaleLocations(spots.Select(s => sample.Centres[s]).ToList(), scale);
            double radiusBlocks = SpotScaling.ScaleRadius(radiusRaw, scale) / (double)FootprintBuilder.BlockPixels;
            nominal = FootprintBuilder.DiskSize(radiusBlocks);
            foreach (var loc in locs)
            {
                var (i, j) = FootprintBuilder.ReferenceBlock(loc.X, loc.Y);
                footprints.Add(FootprintBuilder.ReferenceDisk(i, j, radiusBlocks));
            }
        }
        else
        {
            double radius = radiusRaw * scale;
            nominal = Math.PI * radius * radius / (FootprintBuilder.BlockPixels * FootprintBuilder.BlockPixels);
            foreach (int s in spots)
            {
                footprints.Add(FootprintBuilder.ExactDisk(sample.Centres[s].X * scale, sample.Centres[s].Y * scale, radius));
            }
        }

        var dense = sample.Counts.SelectRows(spots).DenseColumns(panel.Indices);
        var ids = spots.Select(s => sample.SpotIds[s]).ToList();
        var set = Create(rows, columns, panel.Names, dense, footprints, nominal, log, ids);
        var source = set.SourceSpots.Select(k => spots[k]).ToArray();
        return new TrainingSet(set.Rows, set.Columns, set.GeneNames, set.Counts, set.Footprints, source, set.NominalFootprintSize);
    }

    /// <summary>The subset of spots at the given positions (for hold-out validation).</summary>
    public TrainingSet Subset(IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        int genes = GeneCount;
        var dense = new float[(long)positions.Count * genes];
        for (int k = 0; k < positions.Count; k++)
        {
            Counts.AsSpan(positions[k] * genes, genes).CopyTo(dense.AsSpan(k * genes, genes));
        }

        return new TrainingSet(Rows, Columns, GeneNames, dense, positions.Select(p => Footprints[p]).ToArray(), positions.Select(p => SourceSpots[p]).ToArray(), NominalFootprintSize);
    }

    private static string Preview(List<string> items) =>
        items.Count <= 5 ? string.Join(", ", items) : string.Join(", ", items.Take(5)) + $", … ({items.Count - 5} more)";
}
