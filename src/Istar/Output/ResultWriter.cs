using Istar.Formats.AnnData;

namespace Istar.Output;

/// <summary>How block indices map to the input's full-resolution pixel frame.</summary>
/// <param name="BlockPixels">Block side in working-resolution pixels (16).</param>
/// <param name="FullResPerPixelX">Full-res pixels per working pixel along x (columns).</param>
/// <param name="FullResPerPixelY">Full-res pixels per working pixel along y (rows).</param>
/// <param name="BlockMicrons">Block side in µm (8 at 0.5 µm/px).</param>
internal readonly record struct BlockFrame(int BlockPixels, double FullResPerPixelX, double FullResPerPixelY, double BlockMicrons)
{
    /// <summary>
    /// The centre of a block in full-res pixels (pixel-centre convention, as Space Ranger's positions): the block
    /// spans working pixels [16c, 16c + 16), whose centre maps back through the resampling's pixel-area alignment.
    /// </summary>
    public (double X, double Y) CentreFullRes(int row, int column) =>
        ((((column * BlockPixels) + (BlockPixels / 2.0)) * FullResPerPixelX) - 0.5,
         (((row * BlockPixels) + (BlockPixels / 2.0)) * FullResPerPixelY) - 0.5);
}

/// <summary>Everything the output AnnData holds besides the predictions themselves.</summary>
internal sealed class ResultContent
{
    public required MaskedBlockTable Counts { get; init; }

    public MaskedBlockTable? Spread { get; init; }

    public required IReadOnlyList<string> GeneNames { get; init; }

    public required IReadOnlyList<string> GeneIds { get; init; }

    public required BlockFrame Frame { get; init; }

    /// <summary>Extra obs columns (clusters, annotation labels, scores), one value per tissue block.</summary>
    public List<AnnColumn> ObsColumns { get; } = [];

    /// <summary>Extra var columns (e.g. held-out Pearson per gene).</summary>
    public List<AnnColumn> VarColumns { get; } = [];

    /// <summary><c>uns['istar']</c>: version, parameters, pixel size, hashes, timings, cache hits.</summary>
    public Dictionary<string, object> Istar { get; } = [];

    /// <summary>Other top-level <c>uns</c> entries (e.g. cluster colours).</summary>
    public Dictionary<string, object> Uns { get; } = [];
}

/// <summary>
/// Writes the super-resolved result as AnnData: rows = tissue blocks (<c>px_&lt;y&gt;_&lt;x&gt;</c>, as omicverse
/// names them), <c>X</c> = predicted counts per block (float32, gene-panel order), layer <c>spread</c>, obs
/// <c>x</c>/<c>y</c> block indices plus the block centre in full-res pixels, and <c>obsm['spatial']</c> in the
/// input's full-res frame so the result overlays the spot AnnData in scanpy/squidpy.
/// </summary>
internal static class ResultWriter
{
    public static void Write(string path, ResultContent content, AnnDataWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var table = content.Counts;
        int n = table.Count, g = table.Genes;
        var names = new string[n];
        var bx = new int[n];
        var by = new int[n];
        var fx = new double[n];
        var fy = new double[n];
        var spatial = new double[n * 2];
        for (int i = 0; i < n; i++)
        {
            var (row, column) = table.Blocks[i];
            names[i] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"px_{row}_{column}");
            bx[i] = column;
            by[i] = row;
            (fx[i], fy[i]) = content.Frame.CentreFullRes(row, column);
            spatial[2 * i] = fx[i];
            spatial[(2 * i) + 1] = fy[i];
        }

        var obs = new AnnDataFrame(names);
        obs.Add("x", bx).Add("y", by).Add("x_fullres", fx).Add("y_fullres", fy);
        foreach (var column in content.ObsColumns)
        {
            obs.Add(column);
        }

        var var = new AnnDataFrame([.. content.GeneNames]);
        var.Add("gene_ids", content.GeneIds.ToArray());
        foreach (var column in content.VarColumns)
        {
            var.Add(column);
        }

        var file = new AnnDataFile(obs, var)
        {
            X = new RowBlockMatrix(n, g, (first, count, block) => table.CopyRows(first, count, block.Span)),
        };
        file.Obsm["spatial"] = DenseArray.Matrix(n, 2, spatial);
        if (content.Spread is { } spread)
        {
            file.Layers["spread"] = new RowBlockMatrix(n, g, (first, count, block) => spread.CopyRows(first, count, block.Span));
        }

        file.Uns["istar"] = content.Istar;
        foreach (var (key, value) in content.Uns)
        {
            file.Uns[key] = value;
        }

        AnnDataWriter.Write(file, path, options);
    }
}
