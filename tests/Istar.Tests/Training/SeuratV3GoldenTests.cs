using System.Globalization;
using System.IO.Compression;
using Istar.Input;
using Istar.Training;
using Istar.Tests.Support;

namespace Istar.Tests.Training;

/// <summary>
/// seurat_v3 against values made without Istar: R's loess (the netlib code scikit-misc wraps for scanpy) and
/// scanpy's scoring in numpy, on HER2 B4's raw counts (tests/scripts/seurat_v3_golden.py made Golden/*.tsv).
/// </summary>
public class SeuratV3GoldenTests
{
    private readonly ITestOutputHelper _output;

    public SeuratV3GoldenTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Our_loess_equals_R_loess_with_both_surfaces()
    {
        var (counts, genes) = ReadB4();
        var golden = Golden("seurat_v3_b4_loess.tsv").Select(f => (Gene: f[0], X: D(f[1]), Y: D(f[2]), Direct: D(f[3]), Interpolate: D(f[4]))).ToList();

        // The same x = log10 mean, y = log10 variance over the non-constant genes as the golden script.
        var (x, y, names) = LogMeanVariance(counts, genes);
        var direct = Loess.Fit(x, y, 0.3, LoessSurface.Direct);
        var interpolated = Loess.Fit(x, y, 0.3);
        var at = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);

        double maxInput = 0, maxDirect = 0, maxInterpolate = 0;
        foreach (var g in golden)
        {
            int i = at[g.Gene];
            maxInput = Math.Max(maxInput, Math.Max(Math.Abs(x[i] - g.X), Math.Abs(y[i] - g.Y)));
            maxDirect = Math.Max(maxDirect, Math.Abs(direct[i] - g.Direct));
            maxInterpolate = Math.Max(maxInterpolate, Math.Abs(interpolated[i] - g.Interpolate));
        }

        _output.WriteLine(FormattableString.Invariant($"{golden.Count} genes: max |input diff| {maxInput:E2}, max |ours - R direct| {maxDirect:E2}, max |ours - R interpolate| {maxInterpolate:E2}"));
        Assert.True(maxInput < 1e-12, $"log10 mean/variance differ from numpy's by {maxInput:E2}");
        Assert.True(maxDirect < 1e-9, $"loess differs from R's direct fit by {maxDirect:E2}");
        // The kd-tree surface (scanpy's) differs from the direct fit by up to 0.005 here, so this pins the tree too.
        Assert.True(maxInterpolate < 1e-9, $"loess differs from R's interpolated fit by {maxInterpolate:E2}");
    }

    [Fact]
    public void The_top_1000_genes_are_scanpys_seurat_v3_selection_in_its_order()
    {
        var (counts, genes) = ReadB4();
        var golden = Golden("seurat_v3_b4_top.tsv").Select(f => f[0]).ToList();
        var panel = GenePanelSelector.Select(counts, genes, top: golden.Count, ranking: GeneRanking.SeuratV3);

        int samePlace = panel.Names.Zip(golden, string.Equals).Count(s => s);
        _output.WriteLine($"{samePlace} of {golden.Count} genes at scanpy's rank");
        Assert.Equal(golden, panel.Names);
    }

    private static (double[] X, double[] Y, string[] Names) LogMeanVariance(SparseCounts counts, string[] genes)
    {
        var dense = new double[counts.Columns][];
        for (int g = 0; g < counts.Columns; g++)
        {
            dense[g] = new double[counts.Rows];
        }

        for (int r = 0; r < counts.Rows; r++)
        {
            for (long k = counts.RowPointers[r]; k < counts.RowPointers[r + 1]; k++)
            {
                dense[counts.ColumnIndices[k]][r] = counts.Values[k];
            }
        }

        var x = new List<double>();
        var y = new List<double>();
        var names = new List<string>();
        for (int g = 0; g < counts.Columns; g++)
        {
            double mean = dense[g].Average();
            double variance = dense[g].Sum(v => (v - mean) * (v - mean)) / (counts.Rows - 1);
            if (variance > 0)
            {
                x.Add(Math.Log10(mean));
                y.Add(Math.Log10(variance));
                names.Add(genes[g]);
            }
        }

        return ([.. x], [.. y], [.. names]);
    }

    private static (SparseCounts Counts, string[] Genes) ReadB4()
    {
        string path = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "B4.tsv.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        string[] genes = reader.ReadLine()!.Split('\t')[1..];
        var rows = new List<float[]>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            rows.Add(line.Split('\t')[1..].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        }

        return (SparseCounts.FromDense(rows.Count, genes.Length, [.. rows.SelectMany(r => r)]), genes);
    }

    private static IEnumerable<string[]> Golden(string name) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Training", "Golden", name)).Skip(1).Select(l => l.Split('\t'));

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
