using Istar.Prediction;
using Istar.Training;

namespace Istar.Tests.Training;

public class ExpressionTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void The_trainer_recovers_a_known_per_block_function_from_spot_sums()
    {
        using var slide = new SyntheticSlide();
        var options = TrainingOptions.Fast with { Epochs = 30, MinimumSteps = 0, States = 2, BatchSize = 16, Threads = 1, Seed = 7 };
        var log = new RecordingRunLog();
        using var ensemble = ExpressionTrainer.Train(slide.Grid, slide.Set, options, log, TestContext.Current.CancellationToken);
        using var prediction = new PredictionGrid(slide.Grid.Rows, slide.Grid.Columns, SyntheticSlide.Genes.Length);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, prediction, log, TestContext.Current.CancellationToken);
        int plane = slide.Grid.Rows * slide.Grid.Columns;
        for (int g = 0; g < SyntheticSlide.Genes.Length; g++)
        {
            var truth = Enumerable.Range(0, plane).Select(b => slide.Truth[(b * SyntheticSlide.Genes.Length) + g]).ToArray();
            double r = SyntheticSlide.Correlation(prediction.CountPlane(g), truth);
            output.WriteLine($"{SyntheticSlide.Genes[g]}: r = {r:F4}");
            Assert.True(r > 0.9, $"{SyntheticSlide.Genes[g]}: correlation with the truth {r:F3}");
        }

        Assert.Equal(options.EpochsFor(slide.Set.SpotCount), log.Statuses.Count);
        Assert.All(log.Statuses, s => Assert.StartsWith("loss ", s, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(TrainingPreset.Faithful)]
    [InlineData(TrainingPreset.Fast)]
    public void The_same_seed_gives_an_identical_ensemble_and_another_seed_does_not(TrainingPreset preset)
    {
        using var slide = new SyntheticSlide(rows: 16, columns: 16);
        var options = TrainingOptions.For(preset) with { Epochs = 2, MinimumSteps = 0, States = 2, BatchSize = 8, Threads = 1, Seed = 11 };
        float[] Run(TrainingOptions o)
        {
            using var e = ExpressionTrainer.Train(slide.Grid, slide.Set, o, global::Istar.Pipeline.SilentRunLog.Instance, TestContext.Current.CancellationToken);
            using var p = new PredictionGrid(slide.Grid.Rows, slide.Grid.Columns, SyntheticSlide.Genes.Length);
            ExpressionPredictor.Predict(e, slide.Grid, null, p, global::Istar.Pipeline.SilentRunLog.Instance, TestContext.Current.CancellationToken);
            return [.. p.CountPlane(0), .. p.SpreadPlane(1)];
        }

        var a = Run(options);
        var b = Run(options);
        var c = Run(options with { Seed = 12 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Training_members_together_matches_training_them_one_by_one()
    {
        using var slide = new SyntheticSlide(rows: 14, columns: 14);
        var options = TrainingOptions.Faithful with { Epochs = 2, States = 3, BatchSize = 8, Threads = 1, Seed = 4 };
        using var together = ExpressionTrainer.Train(slide.Grid, slide.Set, options with { TrainMembersTogether = true }, global::Istar.Pipeline.SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var apart = ExpressionTrainer.Train(slide.Grid, slide.Set, options with { TrainMembersTogether = false }, global::Istar.Pipeline.SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Single(together.Heads);
        Assert.Equal(3, apart.Heads.Count);
        for (int m = 0; m < 3; m++)
        {
            var a = together.Heads[0].ExportMember(m);
            var b = apart.Heads[m].ExportMember(0);
            foreach (var (name, values) in a)
            {
                for (int k = 0; k < values.Length; k++)
                {
                    Assert.Equal(b[name][k], values[k], 1e-5f);
                }
            }
        }

        Assert.Equal(3, together.EpochLoss.Count);
    }

    [Fact]
    public void The_reference_batch_size_is_n_over_16_capped_at_128_and_at_least_1()
    {
        var o = TrainingOptions.Faithful;
        Assert.Equal(4, o.BatchSizeFor(64));
        Assert.Equal(128, o.BatchSizeFor(4000));
        Assert.Equal(1, o.BatchSizeFor(10));
        Assert.Equal(10, TrainingOptions.Fast.BatchSizeFor(10));
    }

    [Fact]
    public void Targets_are_per_gene_min_max_normalized()
    {
        var (min, max, targets) = ExpressionTrainer.NormalizeTargets([1, 5, 3, 5, 5, 5], 3, 2);
        Assert.Equal([1f, 5f], min);
        Assert.Equal([5f, 5f], max);
        Assert.Equal([0f, 0f, 0.5f, 0f, 1f, 0f], targets);
    }

    [Fact]
    public void Head_parameters_carry_the_reference_state_dict_names()
    {
        using var head = new ExpressionHead(3, 579, 8);
        var names = head.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(ExpressionHead.ReferenceNames(), names);
        var exported = head.ExportMember(1);
        Assert.Equal(256 * 579, exported["net_lat.0.linear.weight"].Length);
        Assert.Equal(8, exported["net_out.linear.bias"].Length);
    }
}
