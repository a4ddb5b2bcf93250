using System.Globalization;
using System.Text;
using System.Text.Json;
using Istar.Formats.AnnData;
using Istar.Formats.Npy;

namespace Istar.Evaluation;

/// <summary>One gene's scores at every pooling factor.</summary>
public sealed record GeneEvaluation(string Gene, IReadOnlyList<GeneScore> Scores);

/// <summary>The evaluation of a run against a ground-truth grid (protocol a of the iStar paper).</summary>
public sealed class TruthReport
{
    internal TruthReport(IReadOnlyList<int> factors, IReadOnlyList<GeneEvaluation> genes)
    {
        Factors = factors;
        Genes = genes;
    }

    /// <summary>Pooling factors (1 = 8 µm blocks).</summary>
    public IReadOnlyList<int> Factors { get; }

    /// <summary>Per-gene scores.</summary>
    public IReadOnlyList<GeneEvaluation> Genes { get; }

    /// <summary>Mean over genes of (RMSE, SSIM, Pearson) at a factor, ignoring NaNs.</summary>
    public (double Rmse, double Ssim, double Pearson) Mean(int factor)
    {
        var scores = Genes.Select(g => g.Scores.First(s => s.PoolingFactor == factor)).ToList();
        static double M(IEnumerable<double> v)
        {
            var f = v.Where(double.IsFinite).ToList();
            return f.Count == 0 ? double.NaN : f.Average();
        }

        return (M(scores.Select(s => s.Rmse)), M(scores.Select(s => s.Ssim)), M(scores.Select(s => s.Pearson)));
    }

    /// <summary>The summary as a Markdown table.</summary>
    public string SummaryTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| pooling | block size | mean RMSE | mean SSIM | mean Pearson | genes |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (int f in Factors)
        {
            var (rmse, ssim, r) = Mean(f);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {f} | {8 * f} µm | {rmse:0.000} | {ssim:0.000} | {r:0.000} | {Genes.Count} |");
        }

        return sb.ToString();
    }

    /// <summary>Writes <c>evaluation.tsv</c> (gene × factor rows) and <c>evaluation.json</c>.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var tsv = new StringBuilder("gene\tpooling\trmse\tssim\tpearson\n");
        foreach (var g in Genes)
        {
            foreach (var s in g.Scores)
            {
                tsv.Append(CultureInfo.InvariantCulture, $"{g.Gene}\t{s.PoolingFactor}\t{s.Rmse:R}\t{s.Ssim:R}\t{s.Pearson:R}\n");
            }
        }

        Pipeline.AtomicFile.Write(Path.Combine(directory, "evaluation.tsv"), t => File.WriteAllText(t, tsv.ToString()));
        var summary = Factors.ToDictionary(f => f.ToString(CultureInfo.InvariantCulture), f =>
        {
            var (rmse, ssim, r) = Mean(f);
            return new Dictionary<string, double> { ["rmse"] = rmse, ["ssim"] = ssim, ["pearson"] = r };
        });
        Pipeline.AtomicFile.Write(Path.Combine(directory, "evaluation.json"), t => File.WriteAllText(t, JsonSerializer.Serialize(new { genes = Genes.Count, by_pooling = summary }, new JsonSerializerOptions { WriteIndented = true })));
        WritePlot(Path.Combine(directory, "evaluation.png"));
    }

    /// <summary>Mean RMSE, SSIM and Pearson over genes against the block size, one line each.</summary>
    public void WritePlot(string path)
    {
        var plot = new ScottPlot.Plot();
        double[] xs = [.. Factors.Select(f => 8.0 * f)];
        foreach (var (name, pick) in new (string, Func<(double Rmse, double Ssim, double Pearson), double>)[] { ("RMSE", m => m.Rmse), ("SSIM", m => m.Ssim), ("Pearson", m => m.Pearson) })
        {
            var line = plot.Add.Scatter(xs, [.. Factors.Select(f => pick(Mean(f)))]);
            line.LegendText = name;
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Accuracy against the truth, mean over {Genes.Count} genes"));
        plot.Axes.Bottom.Label.Text = "block size (µm)";
        plot.Axes.Left.Label.Text = "score (genes min-max scaled)";
        plot.Axes.SetLimitsY(0, 1);
        plot.ShowLegend();
        Pipeline.AtomicFile.Write(path, tmp => plot.SavePng(tmp, 700, 420));
    }
}

/// <summary>
/// Scores a result AnnData against a ground-truth expression grid (genes × rows × columns of 8 µm blocks, e.g. the
/// simulator's <c>truth/expression.npy</c>): per gene, both grids restricted to the result's blocks, pooled, min–max
/// scaled, then RMSE, SSIM and Pearson.
/// </summary>
public static class TruthEvaluation
{
    /// <summary>The paper's pooling factors.</summary>
    public static readonly IReadOnlyList<int> DefaultFactors = [1, 2, 4, 8];

    /// <summary>Reads <paramref name="resultPath"/> and a truth folder with <c>expression.npy</c> and <c>genes.tsv</c>.</summary>
    public static TruthReport Evaluate(string resultPath, string truthDirectory, IReadOnlyList<int>? factors = null)
    {
        var truth = NpyArray.Read(Path.Combine(truthDirectory, "expression.npy"));
        var names = File.ReadAllLines(Path.Combine(truthDirectory, "genes.tsv")).Skip(1)
            .Select(l => l.Split('\t')).Select(p => p.Length > 2 ? p[2] : p[0]).ToList();
        var result = AnnDataReader.Read(resultPath);
        return Evaluate(result, truth.ToFloat32(), names, truth.Shape[1], truth.Shape[2], factors ?? DefaultFactors);
    }

    /// <summary>Scores a result held in memory against a truth grid.</summary>
    internal static TruthReport Evaluate(AnnDataFile result, float[] truth, IReadOnlyList<string> truthGenes, int rows, int columns, IReadOnlyList<int> factors)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(truthGenes);
        var x = result.X switch
        {
            DenseMatrix d => d,
            CsrMatrix c => new DenseMatrix(c.Rows, c.Columns, c.ToDense()),
            _ => throw new InvalidDataException("result X must be dense or CSR"),
        };
        var bx = ((NumericColumn)result.Obs["x"]).ToDoubles();
        var by = ((NumericColumn)result.Obs["y"]).ToDoubles();
        var mask = new bool[rows * columns];
        var at = new int[result.ObsCount];
        for (int i = 0; i < result.ObsCount; i++)
        {
            int r = (int)by[i], c = (int)bx[i];
            at[i] = r < rows && c < columns ? (r * columns) + c : -1;
            if (at[i] >= 0)
            {
                mask[at[i]] = true;
            }
        }

        var genes = new List<GeneEvaluation>();
        for (int g = 0; g < result.VarCount; g++)
        {
            int t = truthGenes.ToList().IndexOf(result.VarNames[g]);
            if (t < 0)
            {
                continue;
            }

            var prediction = new double[rows * columns];
            for (int i = 0; i < at.Length; i++)
            {
                if (at[i] >= 0)
                {
                    prediction[at[i]] = x[i, g];
                }
            }

            var truthPlane = new double[rows * columns];
            for (int b = 0; b < truthPlane.Length; b++)
            {
                truthPlane[b] = truth[((long)t * rows * columns) + b];
            }

            genes.Add(new GeneEvaluation(result.VarNames[g], factors.Select(f => Metrics.ScoreGene(prediction, truthPlane, rows, columns, f, mask)).ToList()));
        }

        if (genes.Count == 0)
        {
            throw new Input.InputException("truth genes", "no gene of the result is in the truth grid.", "Evaluate a result made from the same sample as the truth.");
        }

        return new TruthReport(factors, genes);
    }
}
