using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Istar.Evaluation.Simulation;
using Istar.Features.Texture;
using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Evaluation.Simulation;

public class SimulatorTests
{
    private static readonly string[] CompareFiles =
    [
        "outs/filtered_feature_bc_matrix/matrix.mtx.gz",
        "outs/filtered_feature_bc_matrix/barcodes.tsv.gz",
        "outs/filtered_feature_bc_matrix/features.tsv.gz",
        "outs/spatial/tissue_positions.csv",
        "truth/expression.npy",
        "truth/cell_counts.npy",
        "truth/composition.npy",
    ];

    [Fact]
    public void The_same_seed_gives_identical_counts_and_truth_bytes()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Run(Options(a.Path, seed: 5));
        Run(Options(b.Path, seed: 5));
        foreach (string file in CompareFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(a.Path, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(b.Path, file))), file);
        }
    }

    [Fact]
    public void A_different_seed_gives_different_counts_and_truth()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Run(Options(a.Path, seed: 5));
        Run(Options(b.Path, seed: 6));
        Assert.False(File.ReadAllBytes(Path.Combine(a.Path, "outs/filtered_feature_bc_matrix/matrix.mtx.gz")).SequenceEqual(File.ReadAllBytes(Path.Combine(b.Path, "outs/filtered_feature_bc_matrix/matrix.mtx.gz"))));
        Assert.False(File.ReadAllBytes(Path.Combine(a.Path, "truth/expression.npy")).SequenceEqual(File.ReadAllBytes(Path.Combine(b.Path, "truth/expression.npy"))));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.25)]
    public void Spots_lie_on_a_100_um_hexagonal_lattice_with_55_um_diameter(double mpp)
    {
        using var dir = new TempDir();
        var sim = Run(Options(dir.Path, seed: 1) with { MicronsPerPixel = mpp });
        var sample = sim.Sample;
        Assert.Equal(55 / mpp, sample.SpotDiameterPixels, 6);
        Assert.Equal(55, sample.SpotDiameterMicrons, 6);
        Assert.Equal(SpotPlatform.Visium, sample.Platform);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "outs/spatial/scalefactors_json.json")));
        Assert.Equal(55 / mpp, json.RootElement.GetProperty("spot_diameter_fullres").GetDouble(), 6);

        var positions = ReadPositions(Path.Combine(dir.Path, "outs/spatial/tissue_positions.csv"));
        Assert.True(positions.Count > 30);
        Assert.Equal(sample.SpotCount, positions.Count(p => p.InTissue));
        double tolerance = 1.5 * mpp;
        foreach (var p in positions)
        {
            Assert.Equal(p.Row % 2, p.Col % 2);
            double nearest = positions.Where(q => q != p).Min(q => Distance(p, q) * mpp);
            Assert.InRange(nearest, 100 - tolerance, 100 + tolerance);
            var right = positions.FirstOrDefault(q => q.Row == p.Row && q.Col == p.Col + 2);
            if (right is not null)
            {
                Assert.InRange((right.X - p.X) * mpp, 100 - tolerance, 100 + tolerance);
                Assert.InRange(Math.Abs(right.Y - p.Y) * mpp, 0, tolerance);
            }

            var below = positions.FirstOrDefault(q => q.Row == p.Row + 1 && q.Col == p.Col + 1);
            if (below is not null)
            {
                Assert.InRange((below.Y - p.Y) * mpp, 86.6 - tolerance, 86.6 + tolerance);
                Assert.InRange((below.X - p.X) * mpp, 50 - tolerance, 50 + tolerance);
            }
        }
    }

    [Fact]
    public void Spot_counts_are_Poisson_around_the_truth_summed_over_the_footprint()
    {
        using var dir = new TempDir();
        var sim = Run(Options(dir.Path, seed: 2, size: 1200) with { Depth = 2 });
        var sample = sim.Sample;
        int genes = sample.GeneCount;
        double totalExpected = 0;
        double residualSquares = 0;
        int residualCount = 0;
        for (int s = 0; s < sample.SpotCount; s++)
        {
            var centre = sample.Centres[s];
            var footprint = Simulator.Footprint(centre.X * sim.Options.MicronsPerPixel, centre.Y * sim.Options.MicronsPerPixel, 27.5, sim.BlockRows, sim.BlockColumns).ToList();
            Assert.Equal(37, footprint.Count); // iStar's disk of radius 3.4375 blocks
            for (int g = 0; g < genes; g++)
            {
                double lambda = footprint.Sum(b => (double)sim.TruthPlane(g)[(b.Row * sim.BlockColumns) + b.Column]);
                Assert.Equal(lambda, sim.ExpectedCounts[(s * genes) + g], lambda * 1e-4 + 1e-4);
                totalExpected += lambda;
                if (lambda > 5)
                {
                    double count = Dense(sample.Counts, s, g);
                    residualSquares += (count - lambda) * (count - lambda) / lambda;
                    residualCount++;
                }
            }
        }

        double total = sample.Counts.RowSums().Sum();
        Assert.InRange(total, totalExpected - (5 * Math.Sqrt(totalExpected)), totalExpected + (5 * Math.Sqrt(totalExpected)));
        Assert.True(residualCount > 1000);
        Assert.InRange(residualSquares / residualCount, 0.9, 1.1); // Poisson: variance = mean
        Assert.True(sample.Counts.Values.All(v => v == Math.Floor(v) && v > 0));
    }

    [Fact]
    public void Marker_genes_are_higher_in_spots_over_their_cell_type()
    {
        using var dir = new TempDir();
        var sim = Run(Options(dir.Path, seed: 3, size: 1600));
        var sample = sim.Sample;
        var types = sim.CellTypes.ToList();
        foreach (string type in new[] { "Epithelial", "Lymphocyte", "Adipocyte", "Fibroblast" })
        {
            int t = types.IndexOf(type);
            int marker = sample.GeneNames.ToList().IndexOf(sim.MarkerGenes[type][0]);
            var fraction = new double[sample.SpotCount];
            for (int s = 0; s < sample.SpotCount; s++)
            {
                var c = sample.Centres[s];
                double cellsOfType = 0;
                double cells = 0;
                foreach (var (row, col) in Simulator.Footprint(c.X * 0.5, c.Y * 0.5, 27.5, sim.BlockRows, sim.BlockColumns))
                {
                    for (int k = 0; k < types.Count; k++)
                    {
                        float n = sim.CellCountPlane(k)[(row * sim.BlockColumns) + col];
                        cells += n;
                        cellsOfType += k == t ? n : 0;
                    }
                }

                fraction[s] = cells > 0 ? cellsOfType / cells : 0;
            }

            var counts = sample.Counts.DenseColumn(marker);
            double rich = Mean(counts.Where((_, s) => fraction[s] >= Quantile(fraction, 0.9) && fraction[s] > 0));
            double poor = Mean(counts.Where((_, s) => fraction[s] <= Quantile(fraction, 0.5)));
            Assert.True(rich > (2 * poor) + 1, $"{type} marker {sample.GeneNames[marker]}: {rich:0.0} in rich spots vs {poor:0.0}");
        }
    }

    [Fact]
    public void The_files_match_the_in_memory_sample()
    {
        using var dir = new TempDir();
        var sim = Run(Options(dir.Path, seed: 4));
        var sample = sim.Sample;
        string matrix = Path.Combine(dir.Path, "outs/filtered_feature_bc_matrix");
        var barcodes = ReadGzipLines(Path.Combine(matrix, "barcodes.tsv.gz"));
        Assert.Equal(sample.SpotIds, barcodes);
        Assert.All(barcodes, b => Assert.EndsWith("-1", b, StringComparison.Ordinal));
        Assert.Equal(barcodes.Count, barcodes.Distinct().Count());
        var features = ReadGzipLines(Path.Combine(matrix, "features.tsv.gz")).Select(l => l.Split('\t')).ToList();
        Assert.Equal(sample.GeneNames, features.Select(f => f[1]));
        Assert.Equal(sample.GeneIds, features.Select(f => f[0]));
        Assert.All(features, f => Assert.Equal("Gene Expression", f[2]));
        var mtx = ReadGzipLines(Path.Combine(matrix, "matrix.mtx.gz"));
        Assert.StartsWith("%%MatrixMarket matrix coordinate integer general", mtx[0], StringComparison.Ordinal);
        var entries = mtx.Where(l => !l.StartsWith('%')).Select(l => l.Split(' ').Select(long.Parse).ToArray()).ToList();
        Assert.Equal([sample.GeneCount, sample.SpotCount, sample.Counts.Values.Length], entries[0]);
        foreach (var e in entries.Skip(1))
        {
            Assert.Equal(e[2], Dense(sample.Counts, (int)e[1] - 1, (int)e[0] - 1));
        }

        var truth = NpyArray.Read(Path.Combine(dir.Path, "truth/expression.npy"));
        Assert.Equal([sample.GeneCount, sim.BlockRows, sim.BlockColumns], truth.Shape);
        Assert.Equal(sim.Truth, truth.ToFloat32());
        var composition = NpyArray.Read(Path.Combine(dir.Path, "truth/composition.npy"));
        Assert.Equal([6, sim.BlockRows, sim.BlockColumns], composition.Shape);
        Assert.True(File.Exists(Path.Combine(dir.Path, "simulation.json")));

        var cnts = File.ReadAllLines(Path.Combine(dir.Path, "istar/cnts.tsv"));
        Assert.Equal(["spot", .. sample.GeneNames], cnts[0].Split('\t'));
        Assert.Equal(sample.SpotCount + 1, cnts.Length);
        var first = cnts[1].Split('\t');
        Assert.Equal(sample.SpotIds[0], first[0]);
        for (int g = 0; g < sample.GeneCount; g++)
        {
            Assert.Equal(Dense(sample.Counts, 0, g), float.Parse(first[g + 1], CultureInfo.InvariantCulture));
        }

        var locs = File.ReadAllLines(Path.Combine(dir.Path, "istar/locs-raw.tsv"));
        Assert.Equal("spot\tx\ty", locs[0]);
        Assert.Equal($"{sample.SpotIds[0]}\t{sample.Centres[0].X}\t{sample.Centres[0].Y}", locs[1]);
        Assert.Equal("55", File.ReadAllText(Path.Combine(dir.Path, "istar/radius-raw.txt")).Trim());
        Assert.Equal("0.5", File.ReadAllText(Path.Combine(dir.Path, "istar/pixel-size-raw.txt")).Trim());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_slide_is_a_tiled_tiff_with_its_pixel_size_and_cell_rich_blocks_are_haematoxylin_rich()
    {
        using var dir = new TempDir();
        var sim = Run(Options(dir.Path, seed: 7, size: 480) with { RenderSlide = true });
        Assert.Equal(Path.Combine(dir.Path, "slide.tif"), sim.Sample.SlidePath);
        using var slide = Slide.Open(sim.SlidePath);
        Assert.Equal(960, slide.Width);
        Assert.Equal(960, slide.Height);
        Assert.Equal(0.5, slide.MetadataMicronsPerPixel()!.Value, 3);
        Assert.True(File.Exists(Path.Combine(dir.Path, "outs/spatial/tissue_lowres_image.png")));

        var image = new ScaledImage(slide.ReadRegionRgb(0, 0, 960, 960), 960, 960, 0.5, 960, 960);
        using var features = new TextureExtractor().Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        int h = TextureChannels.Names().ToList().IndexOf("base:mean:H");
        var dense = new List<float>();
        var empty = new List<float>();
        for (int r = 0; r < sim.BlockRows; r++)
        {
            for (int c = 0; c < sim.BlockColumns; c++)
            {
                float cells = 0;
                for (int k = 0; k < sim.CellTypes.Count; k++)
                {
                    cells += sim.CellCountPlane(k)[(r * sim.BlockColumns) + c];
                }

                if (cells >= 2)
                {
                    dense.Add(features.Block(r, c)[h]);
                }
                else if (cells == 0)
                {
                    empty.Add(features.Block(r, c)[h]);
                }
            }
        }

        Assert.NotEmpty(dense);
        Assert.NotEmpty(empty);
        Assert.True(dense.Average() > empty.Average() + 0.1, $"H in blocks with 2+ nuclei {dense.Average():0.00} vs cell-free blocks {empty.Average():0.00}");
    }

    [Fact]
    public void Out_of_range_options_are_reported_together()
    {
        var e = Assert.Throws<InputException>(() => Run(new SimulationOptions { OutputFolder = "x", WidthMicrons = 10, Genes = 0 }));
        Assert.Contains(e.Problems, p => p.Location == "--width-um");
        Assert.Contains(e.Problems, p => p.Location == "--genes");
    }

    [Fact]
    public void The_cli_writes_a_space_ranger_folder()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "sim");
        int code = Istar.Cli.Program.Main(["simulate", "--out", folder, "--width-um", "400", "--height-um", "400", "--genes", "20", "--seed", "9"]);
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(folder, "outs/spatial/tissue_positions.csv")));
        Assert.True(File.Exists(Path.Combine(folder, "slide.tif")));
        Assert.Equal(21, ReadGzipLines(Path.Combine(folder, "outs/filtered_feature_bc_matrix/features.tsv.gz")).Count + 1);
    }

    private static SimulatedSample Run(SimulationOptions options) => Simulator.Simulate(options, null, TestContext.Current.CancellationToken);

    private static SimulationOptions Options(string folder, int seed, double size = 600) => new()
    {
        OutputFolder = folder,
        WidthMicrons = size,
        HeightMicrons = size,
        Genes = 60,
        Seed = seed,
        RenderSlide = false,
    };

    private sealed record Position(string Barcode, bool InTissue, int Row, int Col, int Y, int X);

    private static List<Position> ReadPositions(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres", lines[0]);
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(f => new Position(f[0], f[1] == "1", Int(f[2]), Int(f[3]), Int(f[4]), Int(f[5])))];
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static double Distance(Position a, Position b) => Math.Sqrt(((a.X - b.X) * (double)(a.X - b.X)) + ((a.Y - b.Y) * (double)(a.Y - b.Y)));

    private static List<string> ReadGzipLines(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private static float Dense(SparseCounts counts, int row, int column)
    {
        for (long k = counts.RowPointers[row]; k < counts.RowPointers[row + 1]; k++)
        {
            if (counts.ColumnIndices[k] == column)
            {
                return counts.Values[k];
            }
        }

        return 0;
    }

    private static double Mean(IEnumerable<float> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? 0 : list.Average();
    }

    private static double Quantile(double[] values, double q)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    }
}
