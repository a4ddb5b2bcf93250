using Istar.Pipeline;
using Istar.Prediction;
using Istar.Tests.Training;
using Istar.Training;

namespace Istar.Tests.Prediction;

public class HoldOutValidationTests
{
    [Fact]
    public void Pearson_is_computed_per_gene_on_a_constructed_case()
    {
        // Two spots × genes arrays (3 spots, 2 genes): gene 0 perfectly linear (r = 1), gene 1 reversed (r = −1).
        float[] measured = [1, 10, 2, 20, 3, 30];
        float[] fitted = [2, 3, 4, 2, 6, 1];
        Assert.Equal(1, HoldOutValidation.Pearson(measured, fitted, 0, 2), 12);
        Assert.Equal(-1, HoldOutValidation.Pearson(measured, fitted, 1, 2), 12);
        // A hand-computed case: x = (1, 2, 3, 4), y = (1, 3, 2, 4) → r = 0.8.
        Assert.Equal(0.8, HoldOutValidation.Pearson([1, 2, 3, 4], [1, 3, 2, 4], 0, 1), 12);
        Assert.True(double.IsNaN(HoldOutValidation.Pearson([1, 1, 1], [1, 2, 3], 0, 1)));
    }

    [Fact]
    public void The_held_out_spots_are_a_seeded_fraction()
    {
        var a = HoldOutValidation.ChooseHeldOut(100, 0.2, 5);
        Assert.Equal(20, a.Length);
        Assert.Equal(a, HoldOutValidation.ChooseHeldOut(100, 0.2, 5));
        Assert.NotEqual(a, HoldOutValidation.ChooseHeldOut(100, 0.2, 6));
        Assert.Equal(a.Distinct().Count(), a.Length);
        Assert.Single(HoldOutValidation.ChooseHeldOut(3, 0.01, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldOutValidation.ChooseHeldOut(10, 1.0, 1));
    }

    [Fact]
    public void Validation_scores_held_out_measured_counts_against_footprint_sums_of_predictions()
    {
        using var slide = new SyntheticSlide(rows: 14, columns: 14);
        var options = TrainingOptions.Fast with { Epochs = 3, MinimumSteps = 0, States = 2, BatchSize = 16, Threads = 1, Seed = 2 };
        var report = HoldOutValidation.Run(slide.Grid, slide.Set, 0.25, options, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(HoldOutValidation.ChooseHeldOut(slide.Set.SpotCount, 0.25, options.Seed), report.HeldOut);

        // Recompute by hand: held-out measured counts vs the sums of an identically trained ensemble's predictions.
        var train = Enumerable.Range(0, slide.Set.SpotCount).Except(report.HeldOut).ToArray();
        using var ensemble = ExpressionTrainer.Train(slide.Grid, slide.Set.Subset(train), options, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var grid = new PredictionGrid(14, 14, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, grid, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        for (int g = 0; g < 3; g++)
        {
            var measured = report.HeldOut.Select(s => (double)slide.Set.Counts[(s * 3) + g]).ToArray();
            var predicted = report.HeldOut.Select(s => slide.Set.Footprints[s].Sum(b => (double)grid.Counts(b / 14, b % 14)[g])).ToArray();
            Assert.Equal(NaivePearson(measured, predicted), report.Pearson[g], 4);
        }
    }

    private static double NaivePearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double num = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        return num / Math.Sqrt(x.Sum(a => (a - mx) * (a - mx)) * y.Sum(b => (b - my) * (b - my)));
    }
}
