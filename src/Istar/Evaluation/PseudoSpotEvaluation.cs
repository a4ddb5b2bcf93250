using System.Globalization;
using System.Text;
using System.Text.Json;
using Istar.Formats.AnnData;
using Istar.Input;
using Istar.Pipeline;
using Istar.Training;
using ScottPlot;

namespace Istar.Evaluation;

/// <summary>How spots are pooled into pseudo-spots.</summary>
public sealed record PseudoSpotOptions
{
    /// <summary>
    /// Side of the square pooling cell in spot pitches (the median nearest-neighbour distance): 2 gives 2 × 2 spots per
    /// pseudo-spot on a square lattice (legacy ST) and about 4–5 on Visium's hexagonal one.
    /// </summary>
    public double Pool { get; init; } = 2;

    /// <summary>
    /// Groups with fewer spots are neither trained on (a one-spot "pseudo-spot" is the spot itself, so it would leak the
    /// resolution being tested) nor scored.
    /// </summary>
    public int MinimumMembers { get; init; } = 2;
}

/// <summary>
/// One gene's accuracy at the original spots: the model's (predictions summed over the spot's footprint) and the
/// pooled baseline's (each spot given its pseudo-spot's mean count, i.e. no super-resolution).
/// </summary>
/// <param name="Gene">Gene name.</param>
/// <param name="Pearson">Pearson correlation between fitted and measured counts over the scored spots.</param>
/// <param name="Rmse">RMSE after min–max scaling fitted and measured counts to [0, 1] each.</param>
/// <param name="PooledPearson">The pooled baseline's Pearson.</param>
/// <param name="PooledRmse">The pooled baseline's min–max RMSE.</param>
/// <param name="MeanCount">Mean measured count per scored spot.</param>
/// <param name="WithinPearson">
/// Pearson of the deviations from the pseudo-spot means (fitted minus its pseudo-spot's mean fitted value against
/// measured minus its pseudo-spot's mean count): how well the model resolves within a pseudo-spot, which the pooled
/// baseline cannot do at all (its deviations are zero).
/// </param>
public sealed record PseudoGeneScore(string Gene, double Pearson, double Rmse, double PooledPearson, double PooledRmse, double MeanCount, double WithinPearson);

/// <summary>The result of a pseudo-spot evaluation (protocol b): per-gene scores at the original spots.</summary>
public sealed class PseudoSpotReport
{
    internal PseudoSpotReport(IReadOnlyList<PseudoGeneScore> genes, int scoredSpots, int pseudoSpots)
    {
        Genes = genes;
        ScoredSpots = scoredSpots;
        PseudoSpots = pseudoSpots;
    }

    /// <summary>Per-gene scores, in panel order.</summary>
    public IReadOnlyList<PseudoGeneScore> Genes { get; }

    /// <summary>Original spots scored (the members of the pseudo-spots trained on).</summary>
    public int ScoredSpots { get; }

    /// <summary>Pseudo-spots trained on.</summary>
    public int PseudoSpots { get; }

    /// <summary>Spots of groups too small to train on (not scored).</summary>
    public int SpotsLeftOut { get; init; }

    /// <summary>The pooling factor in spot pitches.</summary>
    public double Pool { get; init; }

    /// <summary>The measured spot pitch in full-resolution pixels.</summary>
    public double PitchPixels { get; init; }

    /// <summary>The spot pitch in µm.</summary>
    public double PitchMicrons { get; init; }

    /// <summary>Free-form facts for the JSON summary (sample, features, epochs, …).</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();

    /// <summary>The pipeline run that trained on the pseudo-spots (its <c>result.h5ad</c> is the super-resolved prediction).</summary>
    public IstarRunResult? Run { get; init; }

    /// <summary>Mean over genes of the model's Pearson (NaNs, e.g. constant genes, ignored).</summary>
    public double MeanPearson => MeanOf(Genes.Select(g => g.Pearson));

    /// <summary>Median over genes of the model's Pearson (NaNs ignored).</summary>
    public double MedianPearson => MedianOf(Genes.Select(g => g.Pearson));

    /// <summary>Mean over genes of the model's min–max RMSE.</summary>
    public double MeanRmse => MeanOf(Genes.Select(g => g.Rmse));

    /// <summary>Mean over genes of the within-pseudo-spot Pearson (see <see cref="PseudoGeneScore.WithinPearson"/>).</summary>
    public double MeanWithinPearson => MeanOf(Genes.Select(g => g.WithinPearson));

    /// <summary>Mean over genes of the pooled baseline's Pearson.</summary>
    public double PooledMeanPearson => MeanOf(Genes.Select(g => g.PooledPearson));

    /// <summary>Mean over genes of the pooled baseline's min–max RMSE.</summary>
    public double PooledMeanRmse => MeanOf(Genes.Select(g => g.PooledRmse));

    /// <summary>The summary as a Markdown table.</summary>
    public string SummaryTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scored by | mean Pearson | median Pearson | mean RMSE (min–max) | mean within-pseudo-spot Pearson | genes | spots | pseudo-spots |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| model trained on pseudo-spots | {MeanPearson:0.000} | {MedianPearson:0.000} | {MeanRmse:0.000} | {MeanWithinPearson:0.000} | {Genes.Count} | {ScoredSpots} | {PseudoSpots} |");
        sb.AppendLine(CultureInfo.InvariantCulture, $"| pooled baseline (pseudo-spot mean) | {PooledMeanPearson:0.000} | {MedianOf(Genes.Select(g => g.PooledPearson)):0.000} | {PooledMeanRmse:0.000} | 0 | {Genes.Count} | {ScoredSpots} | {PseudoSpots} |");
        return sb.ToString();
    }

    /// <summary>Writes <c>pseudo-spots.tsv</c> (one row per gene), <c>pseudo-spots.json</c> and <c>pseudo-spots-pearson.png</c>.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var tsv = new StringBuilder("gene\tpearson\trmse_minmax\tpooled_pearson\tpooled_rmse_minmax\tmean_count\twithin_pearson\n");
        foreach (var g in Genes)
        {
            tsv.Append(CultureInfo.InvariantCulture, $"{g.Gene}\t{g.Pearson:R}\t{g.Rmse:R}\t{g.PooledPearson:R}\t{g.PooledRmse:R}\t{g.MeanCount:R}\t{g.WithinPearson:R}\n");
        }

        AtomicFile.Write(Path.Combine(directory, "pseudo-spots.tsv"), t => File.WriteAllText(t, tsv.ToString()));
        var summary = new Dictionary<string, object>
        {
            ["protocol"] = "pseudo-spots: train on pooled spots (footprint = union of disks, counts = sums), score predictions summed over each original spot's footprint against its counts",
            ["pool_pitches"] = Pool,
            ["pitch_px"] = PitchPixels,
            ["pitch_um"] = PitchMicrons,
            ["pseudo_spots"] = PseudoSpots,
            ["spots_scored"] = ScoredSpots,
            ["spots_left_out"] = SpotsLeftOut,
            ["genes"] = Genes.Count,
            ["mean_pearson"] = Finite(MeanPearson),
            ["median_pearson"] = Finite(MedianPearson),
            ["mean_rmse_minmax"] = Finite(MeanRmse),
            ["mean_within_pearson"] = Finite(MeanWithinPearson),
            ["pooled_mean_pearson"] = Finite(PooledMeanPearson),
            ["pooled_mean_rmse_minmax"] = Finite(PooledMeanRmse),
            ["facts"] = Facts,
        };
        AtomicFile.Write(Path.Combine(directory, "pseudo-spots.json"), t => File.WriteAllText(t, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true })));
        WritePlot(Path.Combine(directory, "pseudo-spots-pearson.png"));
    }

    /// <summary>A histogram of the per-gene Pearson: the model, the pooled baseline and the model within pseudo-spots, with their means.</summary>
    private void WritePlot(string path)
    {
        const int Bins = 20;
        const double Width = 2.0 / Bins;
        var plot = new Plot();
        var series = new (string Label, Func<PseudoGeneScore, double> Value, Color Color, double Offset)[]
        {
            ("model trained on pseudo-spots", g => g.Pearson, Colors.SteelBlue, -Width / 3),
            ("pooled baseline", g => g.PooledPearson, Colors.Gray, 0),
            ("model, within pseudo-spots", g => g.WithinPearson, Colors.DarkOrange, Width / 3),
        };
        foreach (var (label, value, color, offset) in series)
        {
            var counts = new double[Bins];
            foreach (double r in Genes.Select(value).Where(double.IsFinite))
            {
                counts[Math.Clamp((int)Math.Floor((r + 1) / Width), 0, Bins - 1)]++;
            }

            var bars = Enumerable.Range(0, Bins).Select(b => new Bar
            {
                Position = -1 + ((b + 0.5) * Width) + offset,
                Value = counts[b],
                Size = Width / 3,
                FillColor = color,
                LineWidth = 0,
            }).ToList();
            plot.Add.Bars(bars);
            double mean = MeanOf(Genes.Select(value));
            if (double.IsFinite(mean))
            {
                var line = plot.Add.VerticalLine(mean, 2, color, LinePattern.Dashed);
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{label}: mean {mean:0.000}");
            }
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Pseudo-spot evaluation: {Genes.Count} genes at {ScoredSpots} spots ({PseudoSpots} pseudo-spots, pool {Pool:0.##})"));
        plot.Axes.Bottom.Label.Text = "per-gene Pearson at the original spots";
        plot.Axes.Left.Label.Text = "genes";
        plot.Axes.SetLimitsX(-1, 1);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperLeft);
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, 800, 450));
    }

    private static object Finite(double v) => double.IsFinite(v) ? v : "NaN";

    internal static double MeanOf(IEnumerable<double> values)
    {
        var f = values.Where(double.IsFinite).ToList();
        return f.Count == 0 ? double.NaN : f.Average();
    }

    internal static double MedianOf(IEnumerable<double> values)
    {
        var f = values.Where(double.IsFinite).Order().ToList();
        return f.Count == 0 ? double.NaN : f.Count % 2 == 1 ? f[f.Count / 2] : (f[(f.Count / 2) - 1] + f[f.Count / 2]) / 2;
    }
}

/// <summary>The pseudo-spots built from a training set: the set to train on and its groups (positions in the original set).</summary>
internal sealed record PseudoSpots(TrainingSet Set, IReadOnlyList<int[]> Groups, double PitchPixels, int SpotsLeftOut);

/// <summary>
/// Accuracy on real data without ground truth (evaluation protocol b): neighbouring spots are pooled into pseudo-spots
/// (<see cref="PseudoSpotPooling"/>: footprint = union of the members' disks, counts = their sums), the pipeline trains
/// on the pseudo-spots only, and the predictions summed over each original spot's footprint (the run's
/// <c>spots.h5ad</c> fit) are scored against that spot's measured counts: per-gene Pearson, and RMSE after per-gene
/// min–max scaling. The pooled baseline gives every spot its pseudo-spot's mean, the best one can do without
/// resolving below the pseudo-spots.
/// </summary>
public static class PseudoSpotEvaluation
{
    /// <summary>File names written to the output folder.</summary>
    public const string TableFile = "pseudo-spots.tsv", SummaryFile = "pseudo-spots.json", PlotFile = "pseudo-spots-pearson.png";

    /// <summary>
    /// Reads the sample, trains on its pseudo-spots (the pipeline run goes to <c>&lt;out&gt;/run</c>, its cache to
    /// <see cref="IstarOptions.CacheDirectory"/> or <c>&lt;out&gt;/.istar-cache</c>) and writes the scores to <paramref name="outputDirectory"/>.
    /// </summary>
    public static PseudoSpotReport Run(SampleSource source, IstarOptions options, string outputDirectory, IRunLog log, PseudoSpotOptions? pooling = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Evaluate(o => IstarPipeline.Run(source, o, Path.Combine(outputDirectory, "run"), log, cancellation), source.Path, options, outputDirectory, log, pooling);
    }

    /// <summary>As <see cref="Run(SampleSource, IstarOptions, string, IRunLog, PseudoSpotOptions?, CancellationToken)"/> for a sample in memory.</summary>
    public static PseudoSpotReport Run(SpotSample sample, IstarOptions options, string outputDirectory, IRunLog log, PseudoSpotOptions? pooling = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Evaluate(o => IstarPipeline.Run(sample, o, Path.Combine(outputDirectory, "run"), log, cancellation), sample.SourcePath, options, outputDirectory, log, pooling);
    }

    private static PseudoSpotReport Evaluate(Func<IstarOptions, IstarRunResult> pipeline, string samplePath, IstarOptions options, string outputDirectory, IRunLog log, PseudoSpotOptions? pooling)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        ArgumentNullException.ThrowIfNull(log);
        pooling ??= new PseudoSpotOptions();
        Validate(pooling);
        PseudoSpots? pooled = null;
        SpotSample? seen = null;
        TrainingSet? original = null;
        var swap = new TrainingSetOverride(
            string.Create(CultureInfo.InvariantCulture, $"pseudo-spots v1: pool {pooling.Pool:R} pitches, groups of at least {pooling.MinimumMembers} spots"),
            (sample, set, l) =>
            {
                pooled = Pool(sample, set, pooling, l);
                seen = sample;
                original = set;
                return pooled.Set;
            });
        var run = pipeline(options with
        {
            TrainOn = swap,
            ValidateFraction = 0,
            CacheDirectory = options.CacheDirectory ?? Path.Combine(Path.GetFullPath(outputDirectory), ".istar-cache"),
        });
        if (pooled is null || seen is null || original is null)
        {
            throw new InvalidOperationException("the pipeline did not build a training set");
        }

        // The run's spot fit is the pseudo-spot-trained model summed over the sample's own footprints.
        var fit = AnnDataReader.Read(run.SpotsPath);
        var ids = original.SourceSpots.Select(s => seen.SpotIds[s]).ToList();
        if (!fit.ObsNames.SequenceEqual(ids, StringComparer.Ordinal) || !fit.VarNames.SequenceEqual(original.GeneNames, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{run.SpotsPath} does not hold the training spots and genes in order");
        }

        var measured = Dense(fit.X ?? throw new InvalidDataException("spots.h5ad has no X"));
        var fitted = Dense(fit.Layers["fitted"]);
        var scored = Score(fit.VarNames, measured, fitted, fit.ObsCount, pooled.Groups);
        double mpp = seen.PixelSize.MicronsPerPixel;
        var report = new PseudoSpotReport(scored.Genes, scored.ScoredSpots, scored.PseudoSpots)
        {
            SpotsLeftOut = pooled.SpotsLeftOut,
            Pool = pooling.Pool,
            PitchPixels = pooled.PitchPixels,
            PitchMicrons = pooled.PitchPixels * mpp,
            Run = run,
            Facts = new Dictionary<string, string>
            {
                ["sample"] = samplePath,
                ["features"] = options.Features,
                ["preset"] = options.Preset.ToString().ToLowerInvariant(),
                ["epochs"] = options.Epochs?.ToString(CultureInfo.InvariantCulture) ?? "preset default",
                ["states"] = options.States.ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["run"] = run.OutputDirectory,
            },
        };
        report.Write(outputDirectory);
        log.Info(FormattableString.Invariant(
            $"[pseudo-spots] mean Pearson over {report.Genes.Count} genes at {report.ScoredSpots} spots: {report.MeanPearson:0.000} (pooled baseline {report.PooledMeanPearson:0.000}; within pseudo-spots {report.MeanWithinPearson:0.000})"));
        return report;
    }

    private static void Validate(PseudoSpotOptions pooling)
    {
        var problems = new InputReport();
        if (!(pooling.Pool > 1) || !double.IsFinite(pooling.Pool))
        {
            problems.Fail("--pool", $"{pooling.Pool} is not above 1: pseudo-spots must be coarser than the spots.", "Use --pool 2 (about 2 x 2 spots per pseudo-spot).");
        }

        if (pooling.MinimumMembers < 1)
        {
            problems.Fail("minimum members", $"{pooling.MinimumMembers} is below 1.");
        }

        problems.ThrowIfErrors();
    }

    /// <summary>
    /// Pools the spots of <paramref name="set"/> (centres from <paramref name="sample"/>) into pseudo-spots: groups of
    /// a square cell of <see cref="PseudoSpotOptions.Pool"/> pitches, footprint = union of the members' footprints,
    /// counts = sums. The nominal footprint size becomes the spots' times the mean group size, so that the block
    /// outputs stay in counts per block of the original spots.
    /// </summary>
    internal static PseudoSpots Pool(SpotSample sample, TrainingSet set, PseudoSpotOptions pooling, IRunLog log)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(pooling);
        ArgumentNullException.ThrowIfNull(log);
        var centres = set.SourceSpots.Select(s => sample.Centres[s]).ToList();
        if (centres.Count < 2)
        {
            throw new InputException("spots", $"{centres.Count} spot(s) cannot be pooled into pseudo-spots.", "Evaluate a sample with many spots.");
        }

        double pitch = PseudoSpotPooling.NearestNeighbourPitch(centres);
        var all = PseudoSpotPooling.Group(centres, pitch, pooling.Pool);
        var groups = all.Where(g => g.Length >= pooling.MinimumMembers).ToList();
        int leftOut = all.Where(g => g.Length < pooling.MinimumMembers).Sum(g => g.Length);
        if (groups.Count < 2)
        {
            throw new InputException("spots", $"pooling {centres.Count} spots by {pooling.Pool} pitches leaves {groups.Count} pseudo-spot(s) of at least {pooling.MinimumMembers} spots.", "Use a smaller --pool or a larger sample.");
        }

        int genes = set.GeneCount;
        var counts = new float[(long)groups.Count * genes];
        var footprints = new List<SpotFootprint>(groups.Count);
        for (int k = 0; k < groups.Count; k++)
        {
            var row = counts.AsSpan(k * genes, genes);
            foreach (int m in groups[k])
            {
                var member = set.Counts.AsSpan(m * genes, genes);
                for (int g = 0; g < genes; g++)
                {
                    row[g] += member[g];
                }
            }

            footprints.Add(SpotFootprint.Union(groups[k].Select(m => new SpotFootprint(set.Footprints[m].Select(b => (b / set.Columns, b % set.Columns))))));
        }

        double meanMembers = groups.Average(g => g.Length);
        var ids = groups.Select((g, k) => string.Create(CultureInfo.InvariantCulture, $"pseudo-{k} ({g.Length} spots)")).ToList();
        var pseudo = TrainingSet.Create(set.Rows, set.Columns, set.GeneNames, counts, footprints, set.NominalFootprintSize * meanMembers, log, ids);
        log.Info(FormattableString.Invariant(
            $"[pseudo-spots] {set.SpotCount} spots -> {groups.Count} pseudo-spots of {meanMembers:0.0} spots on average (cells of {pooling.Pool:0.##} x {pitch:0.#} px); {leftOut} spot(s) in smaller groups left out"));
        return new PseudoSpots(pseudo, groups, pitch, leftOut);
    }

    /// <summary>
    /// Scores fitted against measured counts (both spots × genes, row-major) over the members of
    /// <paramref name="groups"/> (spot positions): per gene, Pearson and RMSE after min–max scaling each side, for the
    /// model and for the pooled baseline (each spot given its group's mean measured count).
    /// </summary>
    internal static PseudoSpotReport Score(IReadOnlyList<string> genes, ReadOnlySpan<float> measured, ReadOnlySpan<float> fitted, int spots, IReadOnlyList<int[]> groups)
    {
        ArgumentNullException.ThrowIfNull(genes);
        ArgumentNullException.ThrowIfNull(groups);
        int g = genes.Count;
        if (measured.Length != (long)spots * g || fitted.Length != measured.Length)
        {
            throw new ArgumentException($"measured and fitted must hold {spots} spots x {g} genes");
        }

        var scored = groups.SelectMany(x => x).Order().ToArray();
        if (scored.Distinct().Count() != scored.Length || scored.Any(s => s < 0 || s >= spots))
        {
            throw new ArgumentException("groups must be disjoint spot positions", nameof(groups));
        }

        var groupOf = new int[spots];
        Array.Fill(groupOf, -1);
        for (int k = 0; k < groups.Count; k++)
        {
            foreach (int s in groups[k])
            {
                groupOf[s] = k;
            }
        }

        var result = new List<PseudoGeneScore>(g);
        var m = new double[scored.Length];
        var f = new double[scored.Length];
        var pooled = new double[scored.Length];
        var withinM = new double[scored.Length];
        var withinF = new double[scored.Length];
        var groupMean = new double[groups.Count];
        var groupFitted = new double[groups.Count];
        for (int gene = 0; gene < g; gene++)
        {
            Array.Clear(groupMean);
            Array.Clear(groupFitted);
            for (int k = 0; k < groups.Count; k++)
            {
                foreach (int s in groups[k])
                {
                    groupMean[k] += measured[(s * g) + gene];
                    groupFitted[k] += fitted[(s * g) + gene];
                }

                groupMean[k] /= groups[k].Length;
                groupFitted[k] /= groups[k].Length;
            }

            for (int i = 0; i < scored.Length; i++)
            {
                int s = scored[i];
                m[i] = measured[(s * g) + gene];
                f[i] = fitted[(s * g) + gene];
                pooled[i] = groupMean[groupOf[s]];
                withinM[i] = m[i] - pooled[i];
                withinF[i] = f[i] - groupFitted[groupOf[s]];
            }

            var ms = Metrics.MinMaxScale(m);
            result.Add(new PseudoGeneScore(
                genes[gene],
                Metrics.Pearson(f, m),
                Metrics.Rmse(Metrics.MinMaxScale(f), ms),
                Metrics.Pearson(pooled, m),
                Metrics.Rmse(Metrics.MinMaxScale(pooled), ms),
                m.Average(),
                Metrics.Pearson(withinF, withinM)));
        }

        return new PseudoSpotReport(result, scored.Length, groups.Count);
    }

    private static float[] Dense(AnnMatrix matrix) => matrix switch
    {
        DenseMatrix d => d.Values,
        CsrMatrix c => c.ToDense(),
        _ => throw new InvalidDataException("expected a dense or CSR matrix"),
    };
}
