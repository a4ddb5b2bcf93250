using System.Globalization;
using Istar.Analysis;
using Istar.Formats.AnnData;
using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Output.Maps;
using Istar.Output.Report;
using Istar.Pipeline;

namespace Istar.Output;

/// <summary>
/// The downstream steps of a run: clusters, marker annotation and cluster differential expression on the
/// super-resolved predictions, per-gene maps beside the measured spots, and the HTML report.
/// </summary>
internal static class RunAnalysis
{
    /// <summary>Analyses use at most this many predicted values in memory (blocks × genes); beyond it, the most variable genes.</summary>
    public const long MaxAnalysisValues = 150_000_000;

    /// <summary>Genes named per cluster in the report's key (highest fold change against the other clusters).</summary>
    public const int ClusterKeyGenes = 5;

    /// <summary>Gene maps drawn by default: the first genes of the panel (the most variable ones).</summary>
    public const int DefaultMaps = 6;

    public static AnalysisSummary Run(RunOutputs o, ResultContent content)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(content);
        var summary = new AnalysisSummary();
        var log = o.Run.Log;
        string figures = Path.Combine(o.Run.OutputDirectory, "figures");
        Directory.CreateDirectory(figures);
        var predictions = Predictions(o);
        if (o.Run.Options.Clusters > 1 && o.Counts.Count >= o.Run.Options.Clusters)
        {
            var clusters = Clustering.Cluster(predictions, new ClusteringOptions
            {
                Clusters = o.Run.Options.Clusters,
                MinClusterSize = 20,
                Seed = (ulong)o.Run.Options.Seed,
            }, o.Run.Cancellation);
            content.ObsColumns.Add(CategoricalColumn.FromValues("cluster", clusters.BlockLabels.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToArray()));
            summary.ClustersPng = Path.Combine(figures, "clusters.png");
            int palette = LabelPlot.Write(summary.ClustersPng, clusters.GridLabels, o.Counts.GridRows, o.Counts.GridColumns);
            summary.Clusters = clusters.Clusters;
            var differential = Differential.Compare(Differential.Aggregate(predictions, clusters.BlockLabels));
            Differential.WriteTables(Path.Combine(o.Run.OutputDirectory, "clusters"), differential);
            var aggregate = differential.Aggregate;
            int genes = aggregate.Genes.Count;
            for (int k = 0; k < aggregate.Clusters.Length; k++)
            {
                var top = Enumerable.Range(0, genes).Where(j => double.IsFinite(differential.FoldChange[(k * genes) + j]))
                    .OrderByDescending(j => differential.FoldChange[(k * genes) + j]).ThenBy(j => j).Take(ClusterKeyGenes)
                    .Select(j => aggregate.Genes[j]).ToList();
                summary.ClusterKey.Add((aggregate.Clusters[k], LabelPlot.CssColour(aggregate.Clusters[k], palette), aggregate.Count[k], top));
            }

            log.Info($"[analyse] {clusters.Clusters} clusters; tables in clusters/");
        }

        if (o.Run.Options.MarkersPath is { } markers)
        {
            var panel = MarkerPanel.Read(markers);
            var annotation = MarkerAnnotation.Annotate(predictions, panel, log);
            var best = annotation.Thresholded(MarkerAnnotation.ReferenceThresholds[1]);
            var names = annotation.NamesWithUnclassified;
            var labels = best.Select(b => b >= 0 && b < names.Count ? names[b] : "Unclassified").ToArray();
            content.ObsColumns.Add(CategoricalColumn.FromValues("annotation", labels));
            content.ObsColumns.Add(new NumericColumn("annotation_confidence", annotation.Confidence));
            for (int l = 0; l < annotation.Labels.Count; l++)
            {
                var scores = new float[o.Counts.Count];
                for (int i = 0; i < scores.Length; i++)
                {
                    scores[i] = annotation.Scores[(i * annotation.Labels.Count) + l];
                }

                content.ObsColumns.Add(new NumericColumn("score_" + annotation.Labels[l], scores));
            }

            var grid = new int[o.Counts.GridRows * o.Counts.GridColumns];
            Array.Fill(grid, -1);
            for (int i = 0; i < o.Counts.Count; i++)
            {
                var (r, c) = o.Counts.Blocks[i];
                // Unclassified tissue is grey (-2), not white: white is the background.
                grid[(r * o.Counts.GridColumns) + c] = best[i] > 0 ? best[i] - 1 : -2;
            }

            summary.AnnotationPng = Path.Combine(figures, "annotation.png");
            int palette = LabelPlot.Write(summary.AnnotationPng, grid, o.Counts.GridRows, o.Counts.GridColumns);
            var labelIndex = annotation.Labels.ToList();
            foreach (var group in labels.GroupBy(l => l).OrderByDescending(g => g.Count()))
            {
                int k = labelIndex.IndexOf(group.Key);
                summary.AnnotationCounts.Add((group.Key, group.Count(), LabelPlot.CssColour(k >= 0 ? k : -2, palette)));
            }
        }

        WriteMaps(o, figures, summary);
        return summary;
    }

    /// <summary>Per-gene <c>.npy</c> grids (Hb × Wb float32, 0 outside the mask) in the reference's <c>cnts-super/</c> layout.</summary>
    public static void ExportNpy(string outputDirectory, MaskedBlockTable counts, IReadOnlyList<string> genes)
    {
        string dir = Path.Combine(outputDirectory, "cnts-super");
        Directory.CreateDirectory(dir);
        for (int g = 0; g < genes.Count; g++)
        {
            var plane = counts.GenePlane(g).Select(v => float.IsNaN(v) ? 0 : v).ToArray();
            AtomicFile.Write(Path.Combine(dir, SafeFileName(genes[g]) + ".npy"), tmp => NpyArray.WriteFloat32(tmp, plane, counts.GridRows, counts.GridColumns));
        }
    }

    public static string WriteReport(RunOutputs o, AnalysisSummary analysis)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(analysis);
        string figures = Path.Combine(o.Run.OutputDirectory, "figures");
        var sample = o.Sample;
        var model = new ReportModel { Title = $"Istar run: {Path.GetFileName(sample.SourcePath.TrimEnd('/'))}" };
        model.Facts.Add(new("sample", sample.SourcePath));
        model.Facts.Add(new("format", sample.Format.ToString()));
        model.Facts.Add(new("slide", o.SlidePath));
        model.Facts.Add(new("pixel size", sample.PixelSize.ToString()));
        model.Facts.Add(new("spots", $"{sample.SpotCount} ({o.Set.SpotCount} used for training)"));
        model.Facts.Add(new("spot diameter", FormattableString.Invariant($"{sample.SpotDiameterPixels:0.#} px = {sample.SpotDiameterMicrons:0.#} µm")));
        model.Facts.Add(new("genes", $"{sample.GeneCount} in the sample, {o.Panel.Names.Count} predicted"));
        model.Facts.Add(new("block grid", FormattableString.Invariant($"{o.Counts.GridRows} x {o.Counts.GridColumns} blocks of {o.Frame.BlockMicrons:0.#} µm; {o.Counts.Count} tissue blocks")));
        model.Facts.Add(new("preset", o.Run.Options.Preset.ToString()));
        model.Facts.Add(new("features", o.Run.Options.Features));
        model.Warnings.AddRange(o.Run.Warnings);

        string alignment = Path.Combine(figures, "alignment.png");
        var totals = sample.Counts.RowSums().Select(v => (float)v).ToArray();
        var thumb = Thumbnail(o);
        GeneMapPlot.Write(alignment, new BlockMap("tissue mask", o.Mask.Select(m => m ? 1f : float.NaN).ToArray(), o.Counts.GridRows, o.Counts.GridColumns, o.Frame.BlockMicrons, Unit: null), SpotMapOf(o, thumb, "total counts per spot", totals));
        model.Figures.Add(new ReportFigure("Alignment", "Spots (coloured by total counts) on the H&E, and the tissue mask on the block grid. The two should show the same tissue in the same place.", alignment));
        string overlay = Path.Combine(o.MaskDirectory, "overlay.png");
        if (File.Exists(overlay))
        {
            model.Figures.Add(new ReportFigure("Tissue mask", "Tissue mask over the block colours", overlay));
        }

        if (o.Ensemble.EpochLoss.Count > 0)
        {
            string curves = Path.Combine(figures, "training.png");
            TrainingCurvePlot.Write(curves, o.Ensemble.EpochLoss.Select(l => l.Select(v => (double)v).ToArray()).ToList());
            model.Figures.Add(new ReportFigure("Training", "Training loss per epoch of each ensemble member", curves));
        }

        if (o.Validation is { } v)
        {
            var rows = v.GeneNames.Select((g, i) => (g, r: v.Pearson[i])).Where(t => double.IsFinite(t.r)).OrderByDescending(t => t.r)
                .Select(t => (IReadOnlyList<string>)[t.g, t.r.ToString("0.###", CultureInfo.InvariantCulture)]).ToList();
            model.Tables.Add(new ReportTable("Validation", FormattableString.Invariant($"Held-out spots ({v.HeldOut.Length}): Pearson r per gene between measured counts and predictions summed over the footprint; mean {v.MeanPearson:0.###}"), ["gene", "r"], rows));
        }

        foreach (var (gene, png) in analysis.Maps)
        {
            model.Figures.Add(new ReportFigure("Gene maps", $"{gene}: measured spots (left), super-resolved prediction (right)", png));
        }

        if (analysis.ClustersPng is { } clusters)
        {
            string present = analysis.ClusterKey.Count == analysis.Clusters ? $"{analysis.Clusters} clusters" : $"{analysis.ClusterKey.Count} clusters (of k = {analysis.Clusters}; the rest ended empty after small pieces were merged)";
            model.Figures.Add(new ReportFigure("Clusters", $"{present} of the super-resolved expression", clusters));
            long blocks = analysis.ClusterKey.Sum(c => c.Blocks);
            model.Tables.Add(new ReportTable(
                "Clusters",
                $"Cluster key: blocks per cluster and the {ClusterKeyGenes} genes with the highest fold change against the other clusters (all statistics in clusters/contrast/)",
                ["cluster", "blocks", "genes"],
                analysis.ClusterKey.Select(c => (IReadOnlyList<string>)[
                    c.Label.ToString(CultureInfo.InvariantCulture),
                    FormattableString.Invariant($"{c.Blocks} ({100.0 * c.Blocks / Math.Max(1, blocks):0.#} %)"),
                    string.Join(", ", c.TopGenes)]).ToList(),
                analysis.ClusterKey.Select(c => c.Colour).ToList()));
        }

        if (analysis.AnnotationPng is { } annotation)
        {
            model.Figures.Add(new ReportFigure("Annotation", "Marker-based annotation (threshold 0.05)", annotation));
            model.Tables.Add(new ReportTable("Annotation", "Blocks per label", ["label", "blocks"], analysis.AnnotationCounts.Select(a => (IReadOnlyList<string>)[a.Label, a.Blocks.ToString(CultureInfo.InvariantCulture)]).ToList(), analysis.AnnotationCounts.Select(a => a.Colour).ToList()));
        }

        model.Tables.Add(new ReportTable("Stages", "Stage timings", ["stage", "cache hit", "seconds"],
            o.Run.Stages.Select(s => (IReadOnlyList<string>)[s.Stage, s.CacheHit ? "yes" : "no", s.Seconds.ToString("0.0", CultureInfo.InvariantCulture)]).ToList()));
        string path = Path.Combine(o.Run.OutputDirectory, "report.html");
        RunReport.Write(path, model);
        return path;
    }

    private static void WriteMaps(RunOutputs o, string figures, AnalysisSummary summary)
    {
        var thumb = Thumbnail(o);
        int maps = Math.Min(DefaultMaps, o.Panel.Names.Count);
        for (int g = 0; g < maps; g++)
        {
            string gene = o.Panel.Names[g];
            int column = o.Panel.Indices[g];
            var measured = o.Sample.Counts.DenseColumn(column);
            string png = Path.Combine(figures, "map-" + SafeFileName(gene) + ".png");
            GeneMapPlot.Write(png, new BlockMap(gene + " (super-resolved)", o.Counts.GenePlane(g), o.Counts.GridRows, o.Counts.GridColumns, o.Frame.BlockMicrons), SpotMapOf(o, thumb, gene + " (measured)", measured));
            summary.Maps.Add((gene, png));
        }
    }

    private static SpotMap SpotMapOf(RunOutputs o, (RgbImage Image, double MicronsPerPixel) thumb, string title, float[] values) =>
        new(title, thumb.Image.Pixels, thumb.Image.Width, thumb.Image.Height, thumb.MicronsPerPixel, o.Sample.Centres, o.Sample.PixelSize.MicronsPerPixel, o.Sample.SpotDiameterMicrons, values);

    /// <summary>One slide thumbnail (and its µm per pixel) for the spot maps, so the slide is decoded once per run.</summary>
    private static (RgbImage Image, double MicronsPerPixel) Thumbnail(RunOutputs o)
    {
        using var slide = Slide.Open(o.SlidePath);
        var thumb = slide.Thumbnail(1000);
        return (thumb, o.Sample.PixelSize.MicronsPerPixel * slide.Width / thumb.Width);
    }

    /// <summary>A gene name as a file name: letters, digits, '-', '_' and '.' kept, anything else '_'.</summary>
    internal static string SafeFileName(string gene) =>
        string.Concat(gene.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'));

    /// <summary>The predictions in memory for the analyses, limited to the most variable genes on large slides.</summary>
    private static BlockPredictions Predictions(RunOutputs o)
    {
        var table = o.Counts;
        int genes = table.Genes;
        var chosen = Enumerable.Range(0, genes).ToArray();
        if ((long)table.Count * genes > MaxAnalysisValues)
        {
            int keep = (int)Math.Max(1, MaxAnalysisValues / table.Count);
            var mean = new double[genes];
            var square = new double[genes];
            for (int i = 0; i < table.Count; i++)
            {
                var row = table.Row(i);
                for (int g = 0; g < genes; g++)
                {
                    mean[g] += row[g];
                    square[g] += (double)row[g] * row[g];
                }
            }

            chosen = Enumerable.Range(0, genes).OrderByDescending(g => (square[g] / table.Count) - Math.Pow(mean[g] / table.Count, 2)).Take(keep).Order().ToArray();
            o.Run.Log.Info($"[analyse] using the {keep} most variable of {genes} genes ({table.Count} blocks)");
        }

        var values = new float[(long)table.Count * chosen.Length];
        for (int i = 0; i < table.Count; i++)
        {
            var row = table.Row(i);
            for (int k = 0; k < chosen.Length; k++)
            {
                values[((long)i * chosen.Length) + k] = row[chosen[k]];
            }
        }

        return new BlockPredictions(values, chosen.Select(g => o.Panel.Names[g]).ToList(), table.Blocks.Select(b => b.Row).ToArray(), table.Blocks.Select(b => b.Column).ToArray(), table.GridRows, table.GridColumns);
    }
}
