using Istar.Formats.Npy;
using Istar.Prediction;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Training;

public class GoldenReplayTests(ITestOutputHelper output)
{
    private static string Fx(string name) => SharedData.Require("fixtures", "hipt", name);

    [Fact]
    public void Faithful_training_replays_the_reference_losses_and_super_resolved_counts()
    {
        var genes = File.ReadAllLines(Fx("impute_gene-names.txt")).Where(l => l.Length > 0).ToList();
        var cnts = FixtureTable.Read(Fx("impute_cnts.tsv"));
        var locs = FixtureTable.Read(Fx("impute_locs.tsv"));
        var spotIj = NpyArray.Read(Fx("impute_spot_ij.npy")).Values;
        var order = NpyArray.Read(Fx("impute_sample_order.npy"));
        var expectedLoss = NpyArray.Read(Fx("impute_step_loss.npy")).Values;
        var expectedSuper = NpyArray.Read(Fx("impute_cnts_super.npy"));
        var init = new Dictionary<string, float[]>();
        foreach (string name in ExpressionHead.ReferenceNames())
        {
            init[name] = NpyArray.Read(Fx($"impute_init_{name}.npy")).ToFloat32();
        }

        using var grid = HiptFeatureFixture.Load();
        var x = locs.Column("x");
        var y = locs.Column("y");
        const double RadiusBlocks = 55 / 16.0;
        var footprints = new List<SpotFootprint>();
        for (int s = 0; s < x.Length; s++)
        {
            var (i, j) = FootprintBuilder.ReferenceBlock(x[s], y[s]);
            Assert.Equal(spotIj[2 * s], i);
            Assert.Equal(spotIj[(2 * s) + 1], j);
            footprints.Add(FootprintBuilder.ReferenceDisk(i, j, RadiusBlocks));
        }

        var log = new RecordingRunLog();
        var set = TrainingSet.Create(grid.Rows, grid.Columns, genes, cnts.Dense(genes), footprints, FootprintBuilder.DiskSize(RadiusBlocks), log);
        Assert.Empty(log.Warnings);
        Assert.Equal(37, set.NominalFootprintSize);

        int spots = order.Shape[1];
        var losses = new List<float>();
        var options = TrainingOptions.Faithful with
        {
            Epochs = 3,
            States = 1,
            Threads = 1,
            InitialWeights = [init],
            SampleOrder = (_, epoch) => order.Values.Skip(epoch * spots).Take(spots).Select(v => (int)v).ToArray(),
            StepObserver = (_, _, loss) => losses.Add(loss),
        };
        using var ensemble = ExpressionTrainer.Train(grid, set, options, log, TestContext.Current.CancellationToken);
        Assert.Equal(expectedLoss.Length, losses.Count);
        double worstLoss = 0;
        for (int k = 0; k < losses.Count; k++)
        {
            worstLoss = Math.Max(worstLoss, Math.Abs(losses[k] - expectedLoss[k]) / Math.Abs(expectedLoss[k]));
        }

        using var prediction = new PredictionGrid(grid.Rows, grid.Columns, genes.Count);
        ExpressionPredictor.Predict(ensemble, grid, null, prediction, log, TestContext.Current.CancellationToken);
        int plane = grid.Rows * grid.Columns;
        double maxAbs = expectedSuper.Values.Max(Math.Abs);
        double worstSuper = 0;
        double worstSuperElementwise = 0;
        for (int g = 0; g < genes.Count; g++)
        {
            var ours = prediction.CountPlane(g);
            for (int b = 0; b < plane; b++)
            {
                double want = expectedSuper.Values[(g * plane) + b];
                double diff = Math.Abs(ours[b] - want);
                worstSuper = Math.Max(worstSuper, diff / maxAbs);
                worstSuperElementwise = Math.Max(worstSuperElementwise, diff / Math.Abs(want));
            }
        }

        output.WriteLine($"step loss: max rel error {worstLoss:E3}; cnts_super: max abs error / max {worstSuper:E3}, max elementwise rel {worstSuperElementwise:E3}");
        Assert.True(worstLoss <= 1e-4, $"step loss max rel error {worstLoss:E3}");
        Assert.True(worstSuperElementwise <= 1e-4, $"cnts_super max rel error {worstSuperElementwise:E3}");
    }
}
