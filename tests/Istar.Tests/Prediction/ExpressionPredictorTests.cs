using Istar.Pipeline;
using Istar.Prediction;
using Istar.Tests.Training;
using Istar.Training;
using static TorchSharp.torch;

namespace Istar.Tests.Prediction;

public class ExpressionPredictorTests
{
    private static ExpressionEnsemble Small(SyntheticSlide slide, int states = 3) =>
        ExpressionTrainer.Train(slide.Grid, slide.Set, TrainingOptions.Fast with { Epochs = 1, MinimumSteps = 0, States = states, BatchSize = 32, Threads = 1, Seed = 3 }, SilentRunLog.Instance, TestContext.Current.CancellationToken);

    [Fact]
    public void Predictions_stream_in_block_row_chunks_and_do_not_depend_on_the_chunk_size()
    {
        using var slide = new SyntheticSlide(rows: 12, columns: 10);
        using var ensemble = Small(slide);
        using var whole = new PredictionGrid(12, 10, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, whole, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        var chunks = new ChunkRecorder(10, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, chunks, SilentRunLog.Instance, TestContext.Current.CancellationToken, chunkBlocks: 25);
        Assert.Equal([0, 2, 4, 6, 8, 10], chunks.FirstRows);
        Assert.All(chunks.RowCounts, r => Assert.Equal(2, r));
        for (int g = 0; g < 3; g++)
        {
            var expected = whole.CountPlane(g);
            for (int b = 0; b < expected.Length; b++)
            {
                Assert.Equal(expected[b], chunks.Counts[(b * 3) + g], 5);
            }
        }
    }

    [Fact]
    public void Blocks_outside_the_tissue_mask_are_not_predicted()
    {
        using var slide = new SyntheticSlide(rows: 8, columns: 8);
        using var ensemble = Small(slide);
        var mask = new bool[64];
        mask[9] = mask[10] = mask[63] = true;
        using var grid = new PredictionGrid(8, 8, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, mask, grid, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        using var all = new PredictionGrid(8, 8, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, all, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        for (int b = 0; b < 64; b++)
        {
            var got = grid.Counts(b / 8, b % 8).ToArray();
            if (mask[b])
            {
                var want = all.Counts(b / 8, b % 8).ToArray();
                for (int g = 0; g < want.Length; g++)
                {
                    Assert.Equal(want[g], got[g], 1e-5f * Math.Abs(want[g]));
                }

                Assert.All(got, v => Assert.True(v > 0));
            }
            else
            {
                Assert.All(got, v => Assert.Equal(0f, v));
            }
        }
    }

    [Fact]
    public void The_median_over_states_follows_numpy_for_odd_and_even_counts()
    {
        using var odd = tensor(new float[] { 3, 1, 2 }, 3, 1);
        using var even = tensor(new float[] { 4, 1, 3, 2 }, 4, 1);
        using var m1 = ExpressionPredictor.Median0(odd);
        using var m2 = ExpressionPredictor.Median0(even);
        Assert.Equal(2f, m1.item<float>());
        Assert.Equal(2.5f, m2.item<float>());
    }

    [Fact]
    public void Fitted_spot_counts_are_footprint_sums_of_the_block_predictions_and_residuals_the_rest()
    {
        using var slide = new SyntheticSlide(rows: 10, columns: 10);
        using var ensemble = Small(slide, states: 2);
        using var grid = new PredictionGrid(10, 10, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, grid, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        var fit = ExpressionPredictor.FitSpots(ensemble, slide.Grid, slide.Set);
        var residuals = fit.Residuals;
        for (int s = 0; s < slide.Set.SpotCount; s++)
        {
            for (int g = 0; g < 3; g++)
            {
                double sum = slide.Set.Footprints[s].Sum(b => (double)grid.Counts(b / 10, b % 10)[g]);
                Assert.Equal(sum, fit.Fitted[(s * 3) + g], 3);
                Assert.Equal(slide.Set.Counts[(s * 3) + g] - fit.Fitted[(s * 3) + g], residuals[(s * 3) + g], 4);
            }
        }
    }

    [Fact]
    public void A_single_state_disk_sum_is_min_plus_range_times_the_mean_normalized_prediction()
    {
        using var slide = new SyntheticSlide(rows: 12, columns: 12, radiusBlocks: 55 / 16.0);
        Assert.Equal(37, slide.Set.NominalFootprintSize);
        using var ensemble = Small(slide, states: 1);
        var fit = ExpressionPredictor.FitSpots(ensemble, slide.Grid, slide.Set);
        int full = Array.FindIndex(slide.Set.Footprints, f => f.Length == 37);
        Assert.True(full >= 0);
        var blocks = slide.Set.Footprints[full];
        var features = blocks.SelectMany(b => slide.Grid.Block(b / 12, b % 12).ToArray()).ToArray();
        using var x = tensor(features, blocks.Length, SyntheticSlide.Channels);
        using var normalized = ensemble.PredictNormalized(x);
        using var mean = normalized[0].mean([0]);
        var m = mean.data<float>().ToArray();
        for (int g = 0; g < 3; g++)
        {
            double expected = ensemble.CountMin[g] + ((ensemble.CountMax[g] - ensemble.CountMin[g]) * m[g]);
            Assert.Equal(expected, fit.Fitted[(full * 3) + g], 3);
        }
    }

    [Fact]
    public void A_saved_ensemble_loads_back_and_predicts_the_same()
    {
        using var slide = new SyntheticSlide(rows: 8, columns: 8);
        using var ensemble = Small(slide, states: 2);
        using var dir = new Support.TempDir();
        EnsembleStore.Save(ensemble, dir.Path);
        Assert.True(File.Exists(Path.Combine(dir.Path, "states", "01", "net_lat.0.linear.weight.npy")));
        Assert.Equal([256, SyntheticSlide.Channels], global::Istar.Formats.Npy.NpyArray.Read(Path.Combine(dir.Path, "states", "00", "net_lat.0.linear.weight.npy")).Shape);
        using var loaded = EnsembleStore.Load(dir.Path);
        using var a = new PredictionGrid(8, 8, 3);
        using var b = new PredictionGrid(8, 8, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, a, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        ExpressionPredictor.Predict(loaded, slide.Grid, null, b, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(a.CountPlane(1), b.CountPlane(1));
        Assert.Equal(ensemble.FeatureMean, loaded.FeatureMean);
    }

    [Fact]
    public void The_latent_is_the_median_over_members_of_the_trunk_outputs()
    {
        using var slide = new SyntheticSlide(rows: 6, columns: 6);
        using var ensemble = Small(slide, states: 3);
        var latent = new LatentRecorder();
        using var grid = new PredictionGrid(6, 6, 3);
        ExpressionPredictor.Predict(ensemble, slide.Grid, null, grid, SilentRunLog.Instance, TestContext.Current.CancellationToken, latentSink: latent);
        Assert.Equal(36 * ExpressionHead.Hidden, latent.Values.Count);
        var features = slide.Grid.Block(2, 3).ToArray();
        using var x = tensor(features, 1, SyntheticSlide.Channels);
        var (_, z) = ensemble.PredictWithLatent(x);
        using (z)
        {
            var members = z.data<float>().ToArray();
            for (int h = 0; h < ExpressionHead.Hidden; h++)
            {
                var v = new[] { members[h], members[ExpressionHead.Hidden + h], members[(2 * ExpressionHead.Hidden) + h] }.Order().ToArray();
                Assert.Equal(v[1], latent.Values[(((2 * 6) + 3) * ExpressionHead.Hidden) + h], 1e-5f);
            }
        }
    }

    private sealed class LatentRecorder : ILatentSink
    {
        public List<float> Values { get; } = [];

        public void Write(int firstRow, int rowCount, ReadOnlySpan<float> latent) => Values.AddRange(latent.ToArray());
    }

    private sealed class ChunkRecorder(int columns, int genes) : IPredictionSink
    {
        public List<int> FirstRows { get; } = [];

        public List<int> RowCounts { get; } = [];

        public List<float> Counts { get; } = [];

        public void Write(int firstRow, int rowCount, ReadOnlySpan<float> counts, ReadOnlySpan<float> spread)
        {
            Assert.Equal(rowCount * columns * genes, counts.Length);
            Assert.Equal(counts.Length, spread.Length);
            FirstRows.Add(firstRow);
            RowCounts.Add(rowCount);
            Counts.AddRange(counts.ToArray());
        }
    }
}
