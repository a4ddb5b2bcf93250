using Istar.Evaluation.Simulation;
using Istar.Features.Texture;
using Istar.Imaging;
using Istar.Pipeline;
using Istar.Tests.Support;
using static TorchSharp.torch;

namespace Istar.Tests.Evaluation.Simulation;

public class TextureOnSimulationTests
{
    [Fact]
    public void Texture_features_predict_marker_truth_on_held_out_tissue()
    {
        using var dir = new TempDir();
        var sim = Simulator.Simulate(
            new SimulationOptions { OutputFolder = dir.Path, WidthMicrons = 800, HeightMicrons = 800, Genes = 40, Seed = 11 },
            null,
            TestContext.Current.CancellationToken);
        using var slide = Slide.Open(sim.SlidePath);
        int size = slide.Width;
        var image = new ScaledImage(slide.ReadRegionRgb(0, 0, size, size), size, size, 0.5, size, size);
        using var features = new TextureExtractor().Extract(image, null, SilentRunLog.Instance, TestContext.Current.CancellationToken);
        int hb = sim.BlockRows;
        int wb = sim.BlockColumns;
        int channels = features.Channels;

        var train = new List<(int R, int C)>();
        var test = new List<(int R, int C)>();
        for (int r = 0; r < hb; r++)
        {
            for (int c = 0; c < wb; c++)
            {
                float cells = 0;
                for (int t = 0; t < sim.CellTypes.Count; t++)
                {
                    cells += sim.CellCountPlane(t)[(r * wb) + c];
                }

                if (cells > 0)
                {
                    (c < wb / 2 ? train : test).Add((r, c));
                }
            }
        }

        var report = new List<string>();
        foreach (string type in new[] { "Epithelial", "Lymphocyte", "Adipocyte" })
        {
            int gene = sim.Sample.GeneNames.ToList().IndexOf(sim.MarkerGenes[type][0]);
            using var scope = NewDisposeScope();
            var (xTrain, yTrain) = Design(features, sim, gene, train, channels);
            var (xTest, yTest) = Design(features, sim, gene, test, channels);
            var mean = xTrain.mean([0], keepdim: true);
            var std = xTrain.std([0], keepdim: true) + 1e-6;
            xTrain = (xTrain - mean) / std;
            xTest = (xTest - mean) / std;
            var yMean = yTrain.mean();
            var gram = xTrain.t().matmul(xTrain) + (eye(channels, dtype: ScalarType.Float64) * (0.1 * train.Count));
            var w = linalg.solve(gram, xTrain.t().matmul(yTrain - yMean));
            var prediction = xTest.matmul(w) + yMean;
            double r = Pearson(prediction, yTest);
            report.Add($"{type} ({sim.Sample.GeneNames[gene]}): r = {r:0.00}");
            Assert.True(r > 0.5, string.Join("; ", report));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("; ", report));
    }

    private static (Tensor X, Tensor Y) Design(Istar.Features.FeatureGrid features, SimulatedSample sim, int gene, List<(int R, int C)> blocks, int channels)
    {
        var x = new double[blocks.Count * channels];
        var y = new double[blocks.Count];
        for (int i = 0; i < blocks.Count; i++)
        {
            var (r, c) = blocks[i];
            var v = features.Block(r, c);
            for (int k = 0; k < channels; k++)
            {
                x[(i * channels) + k] = v[k];
            }

            y[i] = sim.TruthPlane(gene)[(r * sim.BlockColumns) + c];
        }

        return (tensor(x, [blocks.Count, channels]), tensor(y, [blocks.Count]));
    }

    private static double Pearson(Tensor a, Tensor b)
    {
        var da = a - a.mean();
        var db = b - b.mean();
        return (da * db).sum().item<double>() / Math.Sqrt((da * da).sum().item<double>() * (db * db).sum().item<double>());
    }
}
