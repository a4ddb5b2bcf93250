using System.Globalization;
using System.Text;
using Istar.Tests.Support;

namespace Istar.Tests.Input;

/// <summary>Writes small inputs into a temp folder at test time (never into the repository).</summary>
internal static class SampleFiles
{
    /// <summary>A plain white RGB JPEG of the given size.</summary>
    public static string WhiteImage(string path, int width, int height)
    {
        using var black = NetVips.Image.Black(width, height, bands: 3);
        using var white = black + 255;
        using var bytes = white.Cast(NetVips.Enums.BandFormat.Uchar);
        bytes.WriteToFile(path);
        return path;
    }

    /// <summary>
    /// An iStar data folder: <paramref name="spots"/> spots on a grid with ids s0…, genes g0…, counts (spot + gene) % 5,
    /// locs 100 px apart starting at (100, 100), radius 20 px, pixel size 0.5, and a white he-raw.jpg.
    /// </summary>
    public static string IstarFolder(TempDir dir, int spots = 6, int genes = 4, Action<List<string[]>>? editCounts = null, Action<List<string[]>>? editLocs = null, int imageSize = 1000)
    {
        List<string[]> cnts = [[string.Empty, .. Enumerable.Range(0, genes).Select(g => $"g{g}")]];
        List<string[]> locs = [[string.Empty, "x", "y"]];
        for (int s = 0; s < spots; s++)
        {
            cnts.Add([$"s{s}", .. Enumerable.Range(0, genes).Select(g => ((s + g) % 5).ToString(CultureInfo.InvariantCulture))]);
            locs.Add([$"s{s}", (100 + (100 * (s % 5))).ToString(CultureInfo.InvariantCulture), (100 + (100 * (s / 5))).ToString(CultureInfo.InvariantCulture)]);
        }

        editCounts?.Invoke(cnts);
        editLocs?.Invoke(locs);
        WriteTable(dir.File("cnts.tsv"), cnts);
        WriteTable(dir.File("locs-raw.tsv"), locs);
        File.WriteAllText(dir.File("radius-raw.txt"), "20\n");
        File.WriteAllText(dir.File("pixel-size-raw.txt"), "0.5\n");
        WhiteImage(dir.File("he-raw.jpg"), imageSize, imageSize);
        return dir.Path;
    }

    public static void WriteTable(string path, IEnumerable<string[]> rows, char sep = '\t') =>
        File.WriteAllText(path, string.Join("\n", rows.Select(r => string.Join(sep, r))) + "\n", Encoding.UTF8);

    /// <summary>
    /// A Space Ranger outs/ folder with a MEX filtered matrix (features × barcodes) and spatial/ files.
    /// Barcodes B0…, genes G0…; positions list (1.x, no header) has every barcode plus one extra out-of-tissue spot.
    /// </summary>
    public static string SpaceRangerOuts(TempDir dir, int spots = 4, int genes = 3, string[]? geneNames = null, bool headerPositions = false, Func<int, int, string>? value = null, Func<int, bool>? inTissue = null)
    {
        string outs = Directory.CreateDirectory(Path.Combine(dir.Path, "outs")).FullName;
        string mex = Directory.CreateDirectory(Path.Combine(outs, "filtered_feature_bc_matrix")).FullName;
        string spatial = Directory.CreateDirectory(Path.Combine(outs, "spatial")).FullName;
        geneNames ??= Enumerable.Range(0, genes).Select(g => $"G{g}").ToArray();
        File.WriteAllLines(Path.Combine(mex, "barcodes.tsv"), Enumerable.Range(0, spots).Select(s => $"B{s}-1"));
        File.WriteAllLines(Path.Combine(mex, "features.tsv"), geneNames.Select((n, g) => $"ENSG{g:000}\t{n}\tGene Expression"));
        var entries = new List<string>();
        for (int s = 0; s < spots; s++)
        {
            for (int g = 0; g < geneNames.Length; g++)
            {
                string v = value?.Invoke(s, g) ?? (s + g + 1).ToString(CultureInfo.InvariantCulture);
                entries.Add($"{g + 1} {s + 1} {v}");
            }
        }

        File.WriteAllLines(Path.Combine(mex, "matrix.mtx"), ["%%MatrixMarket matrix coordinate real general", "%", $"{geneNames.Length} {spots} {entries.Count}", .. entries]);
        var pos = new List<string>();
        if (headerPositions)
        {
            pos.Add("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres");
        }

        for (int s = 0; s <= spots; s++)
        {
            bool tissue = s < spots && (inTissue?.Invoke(s) ?? true);
            pos.Add(string.Create(CultureInfo.InvariantCulture, $"B{s}-1,{(tissue ? 1 : 0)},{s},{s * 2},{1000 + (200 * s)},{2000 + (100 * s)}"));
        }

        File.WriteAllLines(Path.Combine(spatial, headerPositions ? "tissue_positions.csv" : "tissue_positions_list.csv"), pos);
        File.WriteAllText(Path.Combine(spatial, "scalefactors_json.json"), "{\"spot_diameter_fullres\": 110.0, \"tissue_hires_scalef\": 0.1, \"tissue_lowres_scalef\": 0.03, \"fiducial_diameter_fullres\": 177.7}");
        return outs;
    }
}
