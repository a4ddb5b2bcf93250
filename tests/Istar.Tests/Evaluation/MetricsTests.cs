using System.Globalization;
using Istar.Evaluation;
using Istar.Formats.Npy;
using Istar.Tests.Support;

namespace Istar.Tests.Evaluation;

public class MetricsTests
{
    private static (double[] A, double[] B) TwoImages(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        var a = new double[rows * columns];
        var b = new double[rows * columns];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = Math.Sin(i * 0.37) + rng.NextDouble();
            b[i] = a[i] * 0.8 + rng.NextDouble() * 0.5;
        }

        return (a, b);
    }

    [Fact]
    public void Ssim_matches_scikit_image_with_its_defaults()
    {
        var (a, b) = TwoImages(23, 31, 1);
        var sa = Metrics.MinMaxScale(a);
        var sb = Metrics.MinMaxScale(b);
        using var tmp = new TempDir();
        NpyArray.WriteFloat32(tmp.File("a.npy"), sa.Select(v => (float)v).ToArray(), 23, 31);
        NpyArray.WriteFloat32(tmp.File("b.npy"), sb.Select(v => (float)v).ToArray(), 23, 31);
        string output = Python.RunWithModules(
            ["skimage"],
            "import numpy as np; from skimage.metrics import structural_similarity as s;" +
            $"a=np.load('{tmp.File("a.npy")}').astype(np.float64); b=np.load('{tmp.File("b.npy")}').astype(np.float64);" +
            "print(repr(s(a, b, data_range=1.0)))");
        double expected = double.Parse(output.Trim(), CultureInfo.InvariantCulture);
        double actual = Metrics.Ssim(
            sa.Select(v => (double)(float)v).ToArray(), sb.Select(v => (double)(float)v).ToArray(), 23, 31);
        Assert.Equal(expected, actual, 1e-10);
    }

    [Fact]
    public void Ssim_of_an_image_with_itself_is_one_and_drops_for_noise()
    {
        var (a, b) = TwoImages(20, 20, 2);
        Assert.Equal(1.0, Metrics.Ssim(a, a, 20, 20, dataRange: 2), 12);
        Assert.True(Metrics.Ssim(a, b, 20, 20, dataRange: 2) < 0.99);
    }

    [Fact]
    public void Pearson_and_rmse_agree_with_direct_formulas()
    {
        double[] a = [1, 2, 3, 4, 5];
        double[] b = [2, 4, 5, 4, 5];
        // Hand computation: means 3 and 4; cov sum 6; var sums 10 and 6 → 6 / sqrt(60).
        Assert.Equal(6 / Math.Sqrt(60), Metrics.Pearson(a, b), 12);
        Assert.Equal(Math.Sqrt((1 + 4 + 4 + 0 + 0) / 5.0), Metrics.Rmse(a, b), 12);
        Assert.True(double.IsNaN(Metrics.Pearson(a, [3, 3, 3, 3, 3])));
    }

    [Fact]
    public void Sum_pooling_adds_factor_by_factor_windows_and_drops_partial_ones()
    {
        double[] grid = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]; // 3 x 5
        var pooled = Metrics.SumPool(grid, 3, 5, 2, out int r, out int c);
        Assert.Equal(1, r);
        Assert.Equal(2, c);
        Assert.Equal([1 + 2 + 6 + 7, 3 + 4 + 8 + 9], pooled);
    }

    [Fact]
    public void A_perfect_prediction_up_to_scale_scores_zero_rmse_and_unit_similarity()
    {
        var (truth, _) = TwoImages(32, 32, 3);
        var prediction = truth.Select(v => (3 * v) + 7).ToArray();
        foreach (int factor in new[] { 1, 2, 4 })
        {
            var score = Metrics.ScoreGene(prediction, truth, 32, 32, factor);
            Assert.Equal(0, score.Rmse, 9);
            Assert.Equal(1, score.Pearson, 9);
            if (factor <= 4)
            {
                Assert.Equal(1, score.Ssim, 9);
            }
        }
    }
}
