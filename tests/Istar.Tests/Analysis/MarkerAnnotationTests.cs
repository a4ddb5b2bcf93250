using Istar.Analysis;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Masking;
using Istar.Tests.Support;

namespace Istar.Tests.Analysis;

public class MarkerAnnotationTests
{
    // 4 blocks x 4 genes (A, B, C, D).
    private static readonly float[] Values =
    [
        0, 10, 1, 5,
        2, 0, 3, 5,
        4, 5, 1, 5,
        8, 5, 2, 5,
    ];

    [Fact]
    public void Label_scores_are_means_of_min_max_normalised_marker_genes_and_labels_are_the_argmax()
    {
        var p = Predictions();
        var panel = new MarkerPanel([("A", "tumour"), ("C", "tumour"), ("B", "immune"), ("X", "immune")]);
        var log = new RecordingLog();

        var result = MarkerAnnotation.Annotate(p, panel, log);

        Assert.Equal(["immune", "tumour"], result.Labels);
        for (int i = 0; i < 4; i++)
        {
            double a = (Values[(i * 4) + 0] - 0) / (8 + 1e-12);
            double b = (Values[(i * 4) + 1] - 0) / (10 + 1e-12);
            double c = (Values[(i * 4) + 2] - 1) / (2 + 1e-12);
            double immune = b;
            double tumour = (a + c) / 2;
            Assert.Equal(immune, result.Scores[(i * 2) + 0], 6);
            Assert.Equal(tumour, result.Scores[(i * 2) + 1], 6);
            Assert.Equal(Math.Max(immune, tumour), result.Confidence[i], 6);
            Assert.Equal(immune >= tumour ? 0 : 1, result.Best[i]);
        }

        Assert.Contains(log.Warnings, w => w.Contains('X', StringComparison.Ordinal));
    }

    [Fact]
    public void Thresholds_shift_labels_by_one_and_mark_low_confidence_blocks_unclassified()
    {
        var p = Predictions();
        var panel = new MarkerPanel([("A", "tumour"), ("C", "tumour"), ("B", "immune")]);
        var result = MarkerAnnotation.Annotate(p, panel, SilentRunLog.Instance);

        // Block 1: immune 0, tumour (0.25 + 1) / 2 = 0.625 -> label 2; block 2: immune 0.5, tumour 0.25 -> 1.
        int[] low = result.Thresholded(0.01);
        int[] high = result.Thresholded(0.6);

        Assert.Equal(["Unclassified", "immune", "tumour"], result.NamesWithUnclassified);
        Assert.Equal([1, 2, 1, 2], low);
        Assert.Equal([1, 2, 0, 2], high);
    }

    [Fact]
    public void A_label_without_predicted_genes_is_left_out_with_a_warning()
    {
        var log = new RecordingLog();

        var result = MarkerAnnotation.Annotate(Predictions(), new MarkerPanel([("A", "x"), ("Q", "y")]), log);

        Assert.Equal(["x"], result.Labels);
        Assert.Contains(log.Warnings, w => w.Contains("'y'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_signature_score_drops_genes_below_the_threshold_and_clips_to_the_quantiles()
    {
        int n = 1001;
        var v = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            v[i * 2] = i;            // gene A: 0 .. 1000
            v[(i * 2) + 1] = 0.0001f; // gene Z: below 1e-3 everywhere
        }

        var p = new BlockPredictions(v, ["A", "Z"], Enumerable.Range(0, n).ToArray(), new int[n], n, 1);
        var log = new RecordingLog();

        float[] score = MarkerAnnotation.SignatureScore(p, ["A", "Z"], log);

        // A normalised = i / 1000; quantiles 0.1 % and 99.9 % of 0..1 in 1001 steps are 0.001 and 0.999.
        Assert.Equal(0.001, score[0], 6);
        Assert.Equal(0.5, score[500], 6);
        Assert.Equal(0.999, score[1000], 6);
        Assert.Contains(log.Warnings, w => w.Contains('Z', StringComparison.Ordinal));
    }

    [Fact]
    public void A_marker_tsv_is_read_by_column_name_and_labels_sort_ordinally()
    {
        using var dir = new TempDir();
        string path = dir.File("markers.tsv");
        File.WriteAllText(path, "label\tnote\tgene\nb cell\tx\tMS4A1\nT cell\ty\tCD3E\nb cell\tz\tCD79A\n\n");

        var panel = MarkerPanel.Read(path);

        Assert.Equal(3, panel.Markers.Count);
        Assert.Equal(["T cell", "b cell"], panel.Labels());
        Assert.Equal(["MS4A1", "CD79A"], panel.GenesOf("b cell"));
    }

    [Fact]
    public void A_marker_tsv_without_a_gene_column_is_an_input_error()
    {
        using var dir = new TempDir();
        string path = dir.File("markers.tsv");
        File.WriteAllText(path, "symbol\tlabel\nCD3E\tT\n");

        var e = Assert.Throws<InputException>(() => MarkerPanel.Read(path));

        Assert.Contains("'gene'", e.Problem, StringComparison.Ordinal);
    }

    private static BlockPredictions Predictions() =>
        new((float[])Values.Clone(), ["A", "B", "C", "D"], [0, 0, 1, 1], [0, 1, 0, 1], 2, 2);
}
