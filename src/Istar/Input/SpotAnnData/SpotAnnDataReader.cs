using System.Globalization;
using Istar.Formats.AnnData;

namespace Istar.Input.SpotAnnData;

/// <summary>
/// Reads a spot-level AnnData <c>.h5ad</c> as omicverse hands it over (scanpy's Visium layout) into a
/// <see cref="SpotSample"/>: <c>X</c> (spots × genes, dense or sparse), obs names as spot ids, var names as gene names
/// (<c>var['gene_ids']</c> as gene ids where present), <c>obsm['spatial']</c> as spot centres (x = column, y = row,
/// full-resolution pixels), <c>obs['in_tissue']</c> where present, and the spot diameter from
/// <c>uns['spatial'][library]['scalefactors']['spot_diameter_fullres']</c> (first library), which also gives the
/// pixel size as 55 µm / diameter (Visium).
/// </summary>
public static class SpotAnnDataReader
{
    /// <summary>The Visium spot diameter in µm.</summary>
    public const double VisiumSpotMicrons = 55;

    /// <summary>Reads the file.</summary>
    /// <param name="h5adPath">The <c>.h5ad</c> file.</param>
    /// <param name="imagePath">The full-resolution slide; when null, <c>uns['histo']['wsi_path']</c> is used if present.</param>
    /// <param name="spotDiameterPixels">The spot diameter in full-resolution pixels, overriding the file's; needed when the file has none.</param>
    /// <exception cref="InputException">The file is missing, not AnnData, or lacks what a spot sample needs.</exception>
    public static SpotSample Read(string h5adPath, string? imagePath, double? spotDiameterPixels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(h5adPath);
        if (spotDiameterPixels is { } given && (!double.IsFinite(given) || given <= 0))
        {
            throw new InputException("spot diameter", $"expected a positive number of pixels, found {given.ToString(CultureInfo.InvariantCulture)}.", "Give the spot diameter in full-resolution pixels, e.g. 89.4.");
        }

        var data = AnnDataReader.Read(h5adPath);
        string full = Path.GetFullPath(h5adPath);
        var report = new InputReport();

        var counts = Counts(data, h5adPath, report);
        var centres = Centres(data, h5adPath, report);
        var inTissue = InTissue(data, h5adPath, report);
        var (diameter, diameterSource) = Diameter(data, h5adPath, spotDiameterPixels, report);
        report.ThrowIfErrors();

        var geneNames = MakeUnique(data.VarNames);
        IReadOnlyList<string> geneIds = geneNames;
        if (data.Var.Find("gene_ids") is { } ids)
        {
            geneIds = Enumerable.Range(0, ids.Length).Select(i => ids.Text(i) ?? geneNames[i]).ToArray();
        }

        double micronsPerPixel = VisiumSpotMicrons / diameter;
        var pixelSize = new PixelSize(
            micronsPerPixel,
            PixelSizeSource.SpotDiameter,
            FormattableString.Invariant($"{VisiumSpotMicrons:0} µm Visium spot = {diameter:0.###} px ({diameterSource})"));

        string? slide = imagePath;
        if (slide is null && data.Uns.TryGetValue("histo", out var histo) && histo is IDictionary<string, object> h
            && h.TryGetValue("wsi_path", out var wsi) && wsi is string wsiPath && wsiPath.Length > 0)
        {
            slide = Path.IsPathRooted(wsiPath) ? wsiPath : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, wsiPath));
        }

        return new SpotSample(
            data.ObsNames,
            counts!,
            geneNames,
            geneIds,
            centres!,
            inTissue!,
            diameter,
            pixelSize,
            slide,
            SpotPlatform.Visium,
            SampleFormat.SpotAnnData,
            full);
    }

    private static SparseCounts? Counts(AnnDataFile data, string path, InputReport report)
    {
        if (data.X is null)
        {
            report.Fail($"{path}:X", "expected a spots × genes count matrix in X, found no X.", "Write the raw counts into adata.X before saving.");
            return null;
        }

        SparseCounts counts = data.X switch
        {
            CsrMatrix csr => new SparseCounts(csr.Rows, csr.Columns, csr.RowPointers, csr.ColumnIndices, csr.Values),
            DenseMatrix dense => SparseCounts.FromDense(dense.Rows, dense.Columns, dense.Values),
            _ => throw new InvalidOperationException("the reader returns dense or CSR matrices"),
        };
        foreach (float v in counts.Values)
        {
            if (!float.IsFinite(v) || v < 0)
            {
                report.Fail($"{path}:X", $"expected raw counts (finite, non-negative), found {v.ToString(CultureInfo.InvariantCulture)}.", "Give the raw counts (adata.raw or a counts layer copied into X), not normalised or scaled values.");
                break;
            }
        }

        return counts;
    }

    private static FullResPoint[]? Centres(AnnDataFile data, string path, InputReport report)
    {
        if (!data.Obsm.TryGetValue("spatial", out var spatial))
        {
            string present = data.Obsm.Count == 0 ? "obsm is empty" : "obsm has " + string.Join(", ", data.Obsm.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"));
            report.Fail($"{path}:obsm/spatial", $"expected spot centres in obsm['spatial'] (spots × 2, x = column, y = row, full-resolution pixels), found none ({present}).", "Store the full-resolution pixel coordinates as adata.obsm['spatial'] (scanpy.read_visium does this).");
            return null;
        }

        if (spatial.Shape.Length != 2 || spatial.Shape[0] != data.ObsCount || spatial.Shape[1] != 2)
        {
            report.Fail($"{path}:obsm/spatial", $"expected shape ({data.ObsCount}, 2) (one x, y pair per spot), found ({string.Join(", ", spatial.Shape)}).", "Store exactly two columns, x (column) then y (row), in full-resolution pixels.");
            return null;
        }

        var values = spatial.ToDoubles();
        var centres = new FullResPoint[data.ObsCount];
        for (int i = 0; i < centres.Length; i++)
        {
            double x = values[2 * i], y = values[(2 * i) + 1];
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                report.Fail($"{path}:obsm/spatial", $"expected finite coordinates, found ({x.ToString(CultureInfo.InvariantCulture)}, {y.ToString(CultureInfo.InvariantCulture)}) for spot '{data.ObsNames[i]}'.", "Remove spots without coordinates before saving.");
                return null;
            }

            centres[i] = new FullResPoint(x, y);
        }

        return centres;
    }

    private static bool[]? InTissue(AnnDataFile data, string path, InputReport report)
    {
        var column = data.Obs.Find("in_tissue");
        if (column is null)
        {
            return Enumerable.Repeat(true, data.ObsCount).ToArray();
        }

        switch (column)
        {
            case BoolColumn b:
                return b.Values;
            case NumericColumn n:
                return Array.ConvertAll(n.ToDoubles(), v => v != 0);
        }

        var flags = new bool[column.Length];
        for (int i = 0; i < flags.Length; i++)
        {
            string? t = column.Text(i);
            switch (t?.Trim().ToUpperInvariant())
            {
                case "1" or "TRUE":
                    flags[i] = true;
                    break;
                case "0" or "FALSE":
                    break;
                default:
                    report.Fail($"{path}:obs/in_tissue", $"expected 0/1 or True/False, found '{t}' for spot '{data.ObsNames[i]}'.", "Store in_tissue as 0/1 integers or booleans.");
                    return null;
            }
        }

        return flags;
    }

    private static (double Diameter, string Source) Diameter(AnnDataFile data, string path, double? given, InputReport report)
    {
        if (given is { } g)
        {
            return (g, "given");
        }

        string where = $"{path}:uns/spatial";
        if (!data.Uns.TryGetValue("spatial", out var spatial) || spatial is not IDictionary<string, object> libraries || libraries.Count == 0)
        {
            report.Fail(where, "expected uns['spatial'][<library>]['scalefactors']['spot_diameter_fullres'] (the spot diameter in full-resolution pixels), found no uns['spatial'] libraries.", "Give the spot diameter in pixels explicitly, or save the AnnData from scanpy.read_visium, which stores the scale factors.");
            return (double.NaN, string.Empty);
        }

        var (library, entry) = libraries.OrderBy(kv => kv.Key, StringComparer.Ordinal).First();
        if (entry is not IDictionary<string, object> lib || !lib.TryGetValue("scalefactors", out var sf) || sf is not IDictionary<string, object> scalefactors
            || !scalefactors.TryGetValue("spot_diameter_fullres", out var d))
        {
            report.Fail($"{where}/{library}/scalefactors/spot_diameter_fullres", $"expected the spot diameter in full-resolution pixels, found no spot_diameter_fullres for library '{library}'.", "Give the spot diameter in pixels explicitly, or add it to uns['spatial'][library]['scalefactors'].");
            return (double.NaN, string.Empty);
        }

        double diameter = d switch
        {
            double v => v,
            long v => v,
            bool => double.NaN,
            Array { Length: 1 } a when NumericArrays.IsSupported(a.GetType().GetElementType()!) => NumericArrays.ToDoubles(a)[0],
            _ => double.NaN,
        };
        if (!double.IsFinite(diameter) || diameter <= 0)
        {
            report.Fail($"{where}/{library}/scalefactors/spot_diameter_fullres", $"expected a positive number of pixels, found {Convert.ToString(d, CultureInfo.InvariantCulture)}.", "Fix the scale factor or give the spot diameter in pixels explicitly.");
            return (double.NaN, string.Empty);
        }

        return (diameter, $"uns/spatial/{library}/scalefactors/spot_diameter_fullres");
    }

    /// <summary>Makes names unique as anndata's var_names_make_unique does: later duplicates get "-1", "-2", ….</summary>
    internal static string[] MakeUnique(IReadOnlyList<string> names)
    {
        var result = names.ToArray();
        var seen = new HashSet<string>(names, StringComparer.Ordinal);
        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        var nextSuffix = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < result.Length; i++)
        {
            string name = result[i];
            if (firstSeen.Add(name))
            {
                continue;
            }

            int n = nextSuffix.GetValueOrDefault(name, 1);
            string candidate;
            do
            {
                candidate = FormattableString.Invariant($"{name}-{n++}");
            }
            while (seen.Contains(candidate));

            nextSuffix[name] = n;
            seen.Add(candidate);
            result[i] = candidate;
        }

        return result;
    }
}
