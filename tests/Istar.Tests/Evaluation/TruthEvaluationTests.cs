using System.Text.Json;
using Istar.Evaluation;
using Istar.Formats.AnnData;
using Istar.Tests.Support;

namespace Istar.Tests.Evaluation;

public class TruthEvaluationTests
{
    [Fact]
    public void A_prediction_equal_to_the_truth_up_to_scale_scores_perfectly_and_the_report_is_written()
    {
        const int rows = 16, columns = 24;
        var names = new List<string>();
        var xs = new List<int>();
        var ys = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                names.Add($"px_{r}_{c}");
                xs.Add(c);
                ys.Add(r);
            }
        }

        var truth = new float[2 * rows * columns];
        for (int b = 0; b < rows * columns; b++)
        {
            truth[b] = (float)Math.Sin(b * 0.3) + 2;
            truth[(rows * columns) + b] = (b % columns) * 0.5f;
        }

        var x = new float[rows * columns * 2];
        for (int b = 0; b < rows * columns; b++)
        {
            x[2 * b] = 5 * truth[b];              // gene A: truth times 5
            x[(2 * b) + 1] = 7 - truth[(rows * columns) + b]; // gene B: reversed, so r = -1
        }

        var obs = new AnnDataFrame(names).Add("x", xs.ToArray()).Add("y", ys.ToArray());
        var file = new AnnDataFile(obs, new AnnDataFrame(["A", "B"])) { X = new DenseMatrix(rows * columns, 2, x) };
        var report = TruthEvaluation.Evaluate(file, truth, ["A", "B"], rows, columns, [1, 2]);
        var a = report.Genes.Single(g => g.Gene == "A").Scores[0];
        var b1 = report.Genes.Single(g => g.Gene == "B").Scores[0];
        Assert.Equal(1, a.Pearson, 6);
        Assert.Equal(0, a.Rmse, 6);
        Assert.Equal(1, a.Ssim, 6);
        Assert.Equal(-1, b1.Pearson, 6);
        Assert.Equal(0, report.Mean(1).Pearson, 6);

        using var tmp = new TempDir();
        report.Write(tmp.Path);
        Assert.True(new FileInfo(tmp.File("evaluation.png")).Length > 1000);
        Assert.Equal(2 * 2 + 1, File.ReadAllLines(tmp.File("evaluation.tsv")).Length);
        using var json = JsonDocument.Parse(File.ReadAllText(tmp.File("evaluation.json")));
        Assert.Equal(2, json.RootElement.GetProperty("genes").GetInt32());
    }
}
