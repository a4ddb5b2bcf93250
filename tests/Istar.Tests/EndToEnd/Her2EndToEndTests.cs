using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.EndToEnd;

/// <summary>
/// The whole pipeline on a real section: HER2+ breast cancer B4 (legacy ST, full-resolution H&amp;E JPEG of about
/// 9.3k × 9.9k px at 0.686 µm/px) with HIPT features from the fixture checkpoints (real layout, random weights,
/// depth 2) and a few epochs. It checks that every stage runs on real input and that the output sits in the input's
/// frame; accuracy needs the real weights.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public class Her2EndToEndTests
{
    [Fact]
    public void Section_B4_runs_end_to_end_with_hipt_features_and_lands_in_the_slide_frame()
    {
        string counts = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "B4.tsv.gz");
        string vit256 = SharedData.Require("fixtures", "hipt", "vit256_small_dino.pth");
        string vit4k = SharedData.Require("fixtures", "hipt", "vit4k_xs_dino.pth");
        using var tmp = new TempDir();
        var options = new IstarOptions
        {
            Features = "hipt",
            Hipt256Path = vit256,
            Hipt4kPath = vit4k,
            TopGenes = 30,
            Epochs = 2,
            States = 2,
            Clusters = 4,
        };
        var result = IstarPipeline.Run(new SampleSource(counts), options, tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(30, result.Genes.Count);
        Assert.InRange(result.TissueBlocks, 20_000, 400_000);

        string output = Python.Run(
            """
            import sys, anndata, numpy as np
            a = anndata.read_h5ad(sys.argv[1])
            s = anndata.read_h5ad(sys.argv[2])
            xy = a.obsm['spatial']; sp = s.obsm['spatial']
            print(a.n_vars, a.X.shape[1], int(np.isfinite(a.X).all()))
            # every spot centre lies inside the bounding box of the tissue blocks, in full-res pixels
            inside = (sp[:, 0] >= xy[:, 0].min() - 100) & (sp[:, 0] <= xy[:, 0].max() + 100) & (sp[:, 1] >= xy[:, 1].min() - 100) & (sp[:, 1] <= xy[:, 1].max() + 100)
            print(round(float(inside.mean()), 3))
            print(int(xy[:, 0].max() < 9400), int(xy[:, 1].max() < 10000), a.uns['istar']['parameters']['features'])
            """,
            result.ResultPath,
            result.SpotsPath);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("30 30 1", lines[0]);
        Assert.Equal("1.0", lines[1]);
        Assert.Equal("1 1 hipt", lines[2]);
        Assert.True(File.Exists(result.ReportPath));
    }
}
