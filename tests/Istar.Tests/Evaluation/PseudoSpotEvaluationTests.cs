using Istar.Evaluation;
using Istar.Evaluation.Simulation;
using Istar.Formats.AnnData;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Evaluation;

[Collection(nameof(MemoryMeasurement))]
public class PseudoSpotEvaluationTests
{
    /// <summary>Textbook Pearson, written out independently of <see cref="Metrics"/>.</summary>
    private static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double ma = a.Average(), mb = b.Average();
        double num = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return num / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }

    private static double MinMaxRmse(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double[] Scale(IReadOnlyList<double> v) => v.Select(x => (x - v.Min()) / (v.Max() - v.Min())).ToArray();
        var sa = Scale(a);
        var sb = Scale(b);
        return Math.Sqrt(sa.Zip(sb, (x, y) => (x - y) * (x - y)).Average());
    }

    [Fact]
    public void Scores_are_pearson_and_min_max_rmse_over_the_grouped_spots_with_the_pooled_mean_as_baseline()
    {
        // 6 spots x 2 genes; spot 5 is in no group (left out), so it is not scored.
        float[] measured = [4, 1, 2, 0, 6, 3, 1, 5, 7, 2, 100, 100];
        float[] fitted = [3.5f, 0.5f, 2.5f, 0.2f, 5, 2, 1.5f, 4, 6, 3, -7, 9];
        int[][] groups = [[0, 1], [2, 3, 4]];

        var report = PseudoSpotEvaluation.Score(["A", "B"], measured, fitted, 6, groups);

        Assert.Equal(5, report.ScoredSpots);
        Assert.Equal(2, report.PseudoSpots);
        int[] scored = [0, 1, 2, 3, 4];
        for (int g = 0; g < 2; g++)
        {
            var m = scored.Select(s => (double)measured[(s * 2) + g]).ToList();
            var f = scored.Select(s => (double)fitted[(s * 2) + g]).ToList();
            double mean01 = (m[0] + m[1]) / 2, mean234 = (m[2] + m[3] + m[4]) / 3;
            var pooled = new List<double> { mean01, mean01, mean234, mean234, mean234 };
            var score = report.Genes[g];
            Assert.Equal(g == 0 ? "A" : "B", score.Gene);
            Assert.Equal(Pearson(f, m), score.Pearson, 12);
            Assert.Equal(MinMaxRmse(f, m), score.Rmse, 12);
            Assert.Equal(Pearson(pooled, m), score.PooledPearson, 12);
            Assert.Equal(MinMaxRmse(pooled, m), score.PooledRmse, 12);
            Assert.Equal(m.Average(), score.MeanCount, 12);
            double fit01 = (f[0] + f[1]) / 2, fit234 = (f[2] + f[3] + f[4]) / 3;
            var withinF = new List<double> { f[0] - fit01, f[1] - fit01, f[2] - fit234, f[3] - fit234, f[4] - fit234 };
            var withinM = m.Zip(pooled, (a, b) => a - b).ToList();
            Assert.Equal(Pearson(withinF, withinM), score.WithinPearson, 12);
        }

        Assert.Equal((report.Genes[0].Pearson + report.Genes[1].Pearson) / 2, report.MeanPearson, 12);
    }

    [Fact]
    public void A_constant_gene_scores_NaN_and_is_left_out_of_the_means_and_the_files_are_written()
    {
        float[] measured = [1, 2, 1, 5, 1, 3, 1, 9];
        float[] fitted = [0.5f, 2, 0.7f, 4, 0.1f, 3, 0.2f, 8];
        var report = PseudoSpotEvaluation.Score(["flat", "B"], measured, fitted, 4, [[0, 1], [2, 3]]);

        Assert.True(double.IsNaN(report.Genes[0].Pearson));
        Assert.Equal(report.Genes[1].Pearson, report.MeanPearson, 12);
        using var tmp = new TempDir();
        report.Write(tmp.Path);
        var lines = File.ReadAllLines(tmp.File(PseudoSpotEvaluation.TableFile));
        Assert.Equal("gene\tpearson\trmse_minmax\tpooled_pearson\tpooled_rmse_minmax\tmean_count\twithin_pearson", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("flat\tNaN\t", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"mean_pearson\"", File.ReadAllText(tmp.File(PseudoSpotEvaluation.SummaryFile)), StringComparison.Ordinal);
        var png = File.ReadAllBytes(tmp.File(PseudoSpotEvaluation.PlotFile));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void Pseudo_spots_sum_their_members_counts_and_unite_their_footprints()
    {
        using var tmp = new TempDir();
        var sim = Simulator.Simulate(new SimulationOptions { OutputFolder = tmp.File("sample"), WidthMicrons = 700, HeightMicrons = 600, Genes = 12, Seed = 5, RenderSlide = false }, cancellation: TestContext.Current.CancellationToken);
        var sample = sim.Sample;
        var panel = GenePanelSelector.Explicit(sample.GeneNames, sample.GeneNames.Take(12).ToList(), SilentRunLog.Instance);
        var set = TrainingSet.FromSample(sample, panel, sim.BlockRows, sim.BlockColumns, 0.5, FootprintRule.Exact, SilentRunLog.Instance);

        var pseudo = PseudoSpotEvaluation.Pool(sample, set, new PseudoSpotOptions(), SilentRunLog.Instance);

        Assert.Equal(pseudo.Groups.Count, pseudo.Set.SpotCount);
        Assert.True(pseudo.Set.SpotCount >= 4 && pseudo.Set.SpotCount < set.SpotCount / 3, $"{pseudo.Set.SpotCount} pseudo-spots of {set.SpotCount} spots");
        Assert.Equal(set.SpotCount, pseudo.Groups.Sum(g => g.Length) + pseudo.SpotsLeftOut);
        Assert.All(pseudo.Groups, g => Assert.True(g.Length >= 2));
        for (int k = 0; k < pseudo.Groups.Count; k++)
        {
            var members = pseudo.Groups[k];
            for (int g = 0; g < set.GeneCount; g++)
            {
                Assert.Equal(members.Sum(m => set.Counts[(m * set.GeneCount) + g]), pseudo.Set.Counts[(k * set.GeneCount) + g]);
            }

            var union = members.SelectMany(m => set.Footprints[m]).ToHashSet();
            Assert.Equal(union.Order(), pseudo.Set.Footprints[k].Order());
        }

        double meanMembers = pseudo.Groups.Average(g => g.Length);
        Assert.Equal(set.NominalFootprintSize * meanMembers, pseudo.Set.NominalFootprintSize, 9);
        Assert.Equal(100, pseudo.PitchPixels * sample.PixelSize.MicronsPerPixel, 0);
    }

    [Fact]
    public void On_a_simulated_sample_the_scores_match_an_independent_computation_and_the_image_stages_are_shared_with_a_normal_run()
    {
        using var tmp = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var sim = Simulator.Simulate(new SimulationOptions { OutputFolder = tmp.File("sample"), WidthMicrons = 700, HeightMicrons = 600, Genes = 40, Seed = 3 }, cancellation: ct);
        var source = new SampleSource(sim.SpaceRangerFolder) { ImagePath = sim.SlidePath };
        var options = new IstarOptions { Features = "texture", TopGenes = 20, Epochs = 3, States = 2, Clusters = 0, Threads = 2, CacheDirectory = tmp.File("cache") };

        var report = PseudoSpotEvaluation.Run(source, options, tmp.File("eval"), SilentRunLog.Instance, cancellation: ct);

        foreach (string f in new[] { PseudoSpotEvaluation.TableFile, PseudoSpotEvaluation.SummaryFile, PseudoSpotEvaluation.PlotFile })
        {
            Assert.True(File.Exists(tmp.File(Path.Combine("eval", f))), f);
        }

        Assert.Equal(20, report.Genes.Count);
        Assert.True(report.PseudoSpots >= 4 && report.ScoredSpots >= 2 * report.PseudoSpots);
        Assert.InRange(report.MeanPearson, -1, 1);

        // Independent: the run's spot fit is the sum of the super-resolved block predictions over each spot's disk.
        var spots = AnnDataReader.Read(report.Run!.SpotsPath);
        var result = AnnDataReader.Read(report.Run.ResultPath);
        var x = ((DenseMatrix)result.X!).Values;
        var bx = ((NumericColumn)result.Obs["x"]).ToDoubles();
        var by = ((NumericColumn)result.Obs["y"]).ToDoubles();
        var blockRow = new Dictionary<(int, int), int>();
        for (int i = 0; i < result.ObsCount; i++)
        {
            blockRow[((int)by[i], (int)bx[i])] = i;
        }

        var sample = sim.Sample;
        double radius = sample.SpotDiameterPixels / 2;
        var fitted = ((DenseMatrix)spots.Layers["fitted"]).Values;
        var measured = ((DenseMatrix)spots.X!).Values;
        int genes = spots.VarCount, compared = 0;
        Assert.Equal(result.VarNames, spots.VarNames);
        for (int s = 0; s < spots.ObsCount; s++)
        {
            var centre = sample.Centres[sample.SpotIds.ToList().IndexOf(spots.ObsNames[s])];
            var disk = new List<int>();
            bool inside = true;
            for (int i = 0; i < report.Run.GridRows && inside; i++)
            {
                for (int j = 0; j < report.Run.GridColumns; j++)
                {
                    double dx = ((j + 0.5) * 16) - centre.X, dy = ((i + 0.5) * 16) - centre.Y;
                    if ((dx * dx) + (dy * dy) <= radius * radius)
                    {
                        if (!blockRow.TryGetValue((i, j), out int row))
                        {
                            inside = false;
                            break;
                        }

                        disk.Add(row);
                    }
                }
            }

            if (!inside)
            {
                continue;
            }

            compared++;
            for (int g = 0; g < genes; g++)
            {
                double sum = disk.Sum(row => (double)x[((long)row * genes) + g]);
                Assert.Equal(sum, fitted[(s * genes) + g], Math.Max(1e-4, 1e-4 * Math.Abs(sum)));
            }
        }

        Assert.True(compared >= 10, $"{compared} spots lie wholly on predicted blocks");

        // Independent: the reported Pearson from the fit itself, over the spots of the trained pseudo-spots.
        var pseudo = PseudoSpotEvaluation.Pool(sample, TrainingSet.FromSample(sample, GenePanelSelector.Explicit(sample.GeneNames, [.. spots.VarNames], SilentRunLog.Instance), report.Run.GridRows, report.Run.GridColumns, 0.5, FootprintRule.Exact, SilentRunLog.Instance), new PseudoSpotOptions(), SilentRunLog.Instance);
        var scored = pseudo.Groups.SelectMany(g => g).Order().ToList();
        Assert.Equal(report.ScoredSpots, scored.Count);
        for (int g = 0; g < genes; g++)
        {
            var m = scored.Select(s => (double)measured[(s * genes) + g]).ToList();
            var f = scored.Select(s => (double)fitted[(s * genes) + g]).ToList();
            Assert.Equal(Pearson(f, m), report.Genes[g].Pearson, 9);
            Assert.Equal(MinMaxRmse(f, m), report.Genes[g].Rmse, 9);
        }

        // Known answer: scored with the simulator's Poisson means as the "fit", the scorer gives their textbook Pearson
        // with the counts, and that oracle beats the pooled baseline, which cannot resolve within a pseudo-spot.
        var geneIndex = spots.VarNames.Select(n => sample.GeneNames.ToList().IndexOf(n)).ToArray();
        var spotIndex = spots.ObsNames.Select(id => sample.SpotIds.ToList().IndexOf(id)).ToArray();
        var expected = new float[spots.ObsCount * genes];
        for (int s = 0; s < spots.ObsCount; s++)
        {
            for (int g = 0; g < genes; g++)
            {
                expected[(s * genes) + g] = sim.ExpectedCounts[(spotIndex[s] * sample.GeneCount) + geneIndex[g]];
            }
        }

        var oracle = PseudoSpotEvaluation.Score(spots.VarNames, measured, expected, spots.ObsCount, pseudo.Groups);
        for (int g = 0; g < genes; g++)
        {
            var m = scored.Select(s => (double)measured[(s * genes) + g]).ToList();
            var e = scored.Select(s => (double)expected[(s * genes) + g]).ToList();
            Assert.Equal(Pearson(e, m), oracle.Genes[g].Pearson, 9);
        }

        Assert.True(oracle.MeanPearson > oracle.PooledMeanPearson, $"oracle {oracle.MeanPearson:0.000} vs pooled {oracle.PooledMeanPearson:0.000}");
        Assert.Equal(report.PooledMeanPearson, oracle.PooledMeanPearson, 12);

        // A normal run on the same cache reuses the image stages but trains anew (the pseudo-spot key differs).
        var normal = IstarPipeline.Run(source, options, tmp.File("normal"), SilentRunLog.Instance, ct);
        foreach (string stage in new[] { "rescale", "features", "mask" })
        {
            Assert.True(normal.Stages.Single(s => s.Stage == stage).CacheHit, stage + " should be a cache hit");
        }

        Assert.False(normal.Stages.Single(s => s.Stage == "train").CacheHit);
    }
}
