using System.Globalization;
using Istar.Evaluation.Simulation;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.EndToEnd;

/// <summary>The whole pipeline on a small simulated sample: outputs, cache behaviour and determinism.</summary>
[Collection(nameof(MemoryMeasurement))]
public class PipelineTests
{
    private static IstarOptions Quick(int epochs = 4) => new()
    {
        Features = "texture",
        TopGenes = 20,
        Epochs = epochs,
        States = 2,
        Clusters = 3,
        Threads = 2,
    };

    private static SimulatedSample Simulate(TempDir tmp) => Simulator.Simulate(new SimulationOptions
    {
        OutputFolder = tmp.File("sample"),
        WidthMicrons = 700,
        HeightMicrons = 600,
        Genes = 40,
        Seed = 3,
    }, cancellation: TestContext.Current.CancellationToken);

    [Fact]
    public void A_run_writes_a_result_that_python_anndata_opens_in_the_input_frame_and_a_rerun_is_a_cache_hit()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var first = IstarPipeline.Run(source, Quick(), tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.True(first.TissueBlocks > 100);
        Assert.Equal(20, first.Genes.Count);
        Assert.All(first.Stages.Where(s => s.Key.Length > 0), s => Assert.False(s.CacheHit));
        foreach (string f in new[] { first.ResultPath, first.SpotsPath, first.ReportPath })
        {
            Assert.True(File.Exists(f), f);
        }

        string output = Python.Run(
            """
            import sys, anndata, numpy as np
            a = anndata.read_h5ad(sys.argv[1])
            s = anndata.read_h5ad(sys.argv[2])
            print(a.n_obs, a.n_vars)
            xy = a.obsm['spatial']
            # block centres in full-res px: x = (16 * col + 8) * f - 0.5 with f = 1 here (0.5 µm/px slide)
            print(int(np.allclose(xy[:, 0], 16 * a.obs['x'].values + 7.5)), int(np.allclose(xy[:, 1], 16 * a.obs['y'].values + 7.5)))
            print(int((a.X >= 0).all()), int(np.isfinite(a.X).all()), a.layers['spread'].shape == a.X.shape)
            print(a.uns['istar']['parameters']['features'], a.uns['istar']['pixel_size_source'])
            print(s.n_obs, s.n_vars, sorted(s.layers.keys()))
            print(a.obs['cluster'].dtype.name)
            print(' '.join(f'{k}:{v}' for k, v in sorted(a.obs['cluster'].value_counts().items(), key=lambda kv: int(kv[0])) if v > 0))
            """,
            first.ResultPath,
            first.SpotsPath);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{first.TissueBlocks} 20", lines[0]);
        Assert.Equal("1 1", lines[1]);
        Assert.Equal("1 1 True", lines[2]);
        Assert.Equal("texture ImageMetadata", lines[3]);
        Assert.EndsWith(" 20 ['fitted', 'residual']", lines[4], StringComparison.Ordinal);
        Assert.Equal("category", lines[5]);

        // The report's cluster key counts the same blocks per cluster as the result's obs['cluster'].
        var key = KeyRows(first.ReportPath, "clusters").Select(k => $"{k.Label}:{k.Blocks.Split(' ')[0]}");
        Assert.Equal(lines[6], string.Join(' ', key));

        // The feature store in the cache names the slide and the stage's content key, and holds float16.
        string store = Directory.GetFiles(tmp.File("run/.istar-cache/features"), IstarPipeline.FeaturesFile, SearchOption.AllDirectories).Single();
        var header = Istar.Features.FeatureStore.Describe(store);
        Assert.Equal(new FileHashes(null).Sha256(sim.SlidePath), header.Provenance.SlideHash);
        Assert.StartsWith(first.Stages.Single(s => s.Stage == "features").Key, header.Key, StringComparison.Ordinal);

        byte[] firstResult = File.ReadAllBytes(first.ResultPath);
        var second = IstarPipeline.Run(source, Quick(), tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        foreach (string stage in new[] { "rescale", "features", "mask", "train", "predict" })
        {
            Assert.True(second.Stages.Single(s => s.Stage == stage).CacheHit, stage + " should be a cache hit");
        }

        Assert.Equal(Values(firstResult), Values(File.ReadAllBytes(second.ResultPath)));
    }

    [Fact]
    public void Marker_annotation_labels_every_tissue_block_and_the_report_key_counts_them()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        File.WriteAllLines(tmp.File("markers.tsv"), ["gene\tlabel", .. new[] { "EPCAM", "KRT8", "KRT18", "KRT19", "CDH1" }.Select(g => g + "\tepithelial"), .. new[] { "COL1A1", "COL1A2", "COL3A1", "DCN", "LUM" }.Select(g => g + "\tstroma")]);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var run = IstarPipeline.Run(source, Quick() with { TopGenes = 40, MarkersPath = tmp.File("markers.tsv") }, tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);

        string output = Python.Run(
            """
            import sys, anndata
            a = anndata.read_h5ad(sys.argv[1])
            counts = a.obs['annotation'].value_counts()
            print(' '.join(f'{k}:{v}' for k, v in sorted(counts.items()) if v > 0))
            print(int(a.obs['annotation_confidence'].between(0, 1).all()), 'score_epithelial' in a.obs, 'score_stroma' in a.obs)
            """,
            run.ResultPath);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("epithelial:", lines[0], StringComparison.Ordinal);
        Assert.Equal("1 True True", lines[1]);

        var key = KeyRows(run.ReportPath, "annotation");
        Assert.Equal(lines[0], string.Join(' ', key.OrderBy(k => k.Label, StringComparer.Ordinal).Select(k => $"{k.Label}:{k.Blocks}")));
        Assert.Equal(key.Count, key.Select(k => k.Colour).Distinct().Count());

        // Every tissue block has a colour in the annotation map (unclassified ones grey): white is background only.
        using var png = NetVips.Image.NewFromFile(tmp.File("run/figures/annotation.png"));
        byte[] px = png.WriteToMemory<byte>();
        int coloured = Enumerable.Range(0, png.Width * png.Height).Count(i => px[3 * i] != 255 || px[(3 * i) + 1] != 255 || px[(3 * i) + 2] != 255);
        Assert.Equal(run.TissueBlocks, coloured);
    }

    /// <summary>The rows of a report section's colour key: swatch colour, then the first two cells.</summary>
    private static List<(string Colour, string Label, string Blocks)> KeyRows(string reportPath, string section) =>
        System.Text.RegularExpressions.Regex.Matches(Section(File.ReadAllText(reportPath), section), "<td><span class=\"swatch\" style=\"background:(#[0-9a-f]{6})\"></span></td><td>([^<]+)</td><td>([^<]+)</td>")
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();

    private static string Section(string html, string id)
    {
        int start = html.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the report has no {id} section");
        return html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Changing_the_epochs_retrains_but_reuses_the_features_and_the_same_seed_reproduces_the_predictions()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var a = IstarPipeline.Run(source, Quick(3), tmp.File("a"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        var b = IstarPipeline.Run(source, Quick(3) with { CacheDirectory = tmp.File("a/.istar-cache") }, tmp.File("b"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        var c = IstarPipeline.Run(source, Quick(5) with { CacheDirectory = tmp.File("a/.istar-cache") }, tmp.File("c"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.True(c.Stages.Single(s => s.Stage == "features").CacheHit);
        Assert.False(c.Stages.Single(s => s.Stage == "train").CacheHit);
        Assert.True(b.Stages.Single(s => s.Stage == "train").CacheHit);

        // A fresh cache with the same seed recomputes everything and must give the same numbers.
        var d = IstarPipeline.Run(source, Quick(3) with { CacheDirectory = tmp.File("fresh") }, tmp.File("d"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.False(d.Stages.Single(s => s.Stage == "train").CacheHit);
        Assert.Equal(Values(File.ReadAllBytes(a.ResultPath)), Values(File.ReadAllBytes(d.ResultPath)));
        Assert.NotEqual(Values(File.ReadAllBytes(a.ResultPath)), Values(File.ReadAllBytes(c.ResultPath)));
    }

    [Fact]
    public void The_features_stage_alone_exports_channel_major_npy_and_a_later_full_run_reuses_it()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var partial = IstarPipeline.Run(source, Quick() with { StopAfter = "features", ExportFeaturesDirectory = tmp.File("npy") }, tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(string.Empty, partial.ResultPath);
        Assert.DoesNotContain(partial.Stages, s => s.Stage == "train");
        var files = Directory.GetFiles(tmp.File("npy"), "*.npy");
        Assert.NotEmpty(files);
        long channels = 0;
        foreach (string f in files)
        {
            var array = Istar.Formats.Npy.NpyArray.Read(f);
            Assert.Equal(3, array.Shape.Length);
            Assert.Equal(partial.GridRows, array.Shape[1]);
            Assert.Equal(partial.GridColumns, array.Shape[2]);
            channels += array.Shape[0];
        }

        Assert.Equal(new Istar.Features.Texture.TextureExtractor().Channels, channels);
        var full = IstarPipeline.Run(source, Quick(), tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken);
        Assert.True(full.Stages.Single(s => s.Stage == "features").CacheHit);
        Assert.True(File.Exists(full.ResultPath));
    }

    [Fact]
    public void Fast_features_are_kept_near_tissue_only_and_a_user_mask_widens_them()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        string userMask = tmp.File("all.png");
        using (var white = NetVips.Image.Black(14, 12) + 255)
        {
            white.Cast(NetVips.Enums.BandFormat.Uchar).WriteToFile(userMask);
        }

        // 700 x 600 µm at 0.5 µm/px: 87 x 75 whole content blocks.
        int ZeroContentBlocks(string run, IstarOptions options)
        {
            IstarPipeline.Run(source, options with { StopAfter = "features" }, tmp.File(run), SilentRunLog.Instance, TestContext.Current.CancellationToken);
            string store = Directory.GetFiles(tmp.File(run + "/.istar-cache/features"), IstarPipeline.FeaturesFile, SearchOption.AllDirectories).Single();
            using var grid = Istar.Features.FeatureGrid.Open(store);
            int zero = 0;
            for (int r = 0; r < 75; r++)
            {
                for (int c = 0; c < 87; c++)
                {
                    zero += grid.Block(r, c).IndexOfAnyExcept(0f) < 0 ? 1 : 0;
                }
            }

            return zero;
        }

        int withoutMask = ZeroContentBlocks("plain", Quick());
        int withMask = ZeroContentBlocks("masked", Quick() with { MaskPath = userMask });
        Assert.True(withoutMask > 100, $"{withoutMask} background blocks left out");
        Assert.Equal(0, withMask);
    }

    [Fact]
    public void A_sample_without_a_slide_is_an_input_error_that_names_the_fix()
    {
        using var tmp = new TempDir();
        var sim = Simulate(tmp);
        File.Delete(sim.SlidePath);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var e = Assert.Throws<InputException>(() => IstarPipeline.Run(source, Quick(), tmp.File("run"), SilentRunLog.Instance, TestContext.Current.CancellationToken));
        Assert.Contains("slide.tif", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File("run/result.h5ad")));
    }

    private static string Values(byte[] h5ad)
    {
        // Compare the numbers, not the file bytes: HDF5 files carry no timestamps here, but be robust anyway.
        string path = Path.Combine(Path.GetTempPath(), "istar-cmp-" + Guid.NewGuid().ToString("N")[..8] + ".h5ad");
        File.WriteAllBytes(path, h5ad);
        try
        {
            var file = Istar.Formats.AnnData.AnnDataReader.Read(path);
            var x = (Istar.Formats.AnnData.DenseMatrix)file.X!;
            return string.Join(",", x.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
