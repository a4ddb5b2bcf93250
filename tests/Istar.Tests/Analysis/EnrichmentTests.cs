using Istar.Analysis;
using Istar.Tests.Support;

namespace Istar.Tests.Analysis;

public class EnrichmentTests
{
    [Fact]
    public void Odds_ratios_follow_the_two_by_two_table_of_each_cell()
    {
        // Clusters 0/1 x labels 0 (Unclassified), 1, 2.
        int[] clusters = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, -1];
        int[] labels = [1, 1, 1, 2, 2, 2, 2, 1, 0, 0, 1];

        var p = Enrichment.Proportions(clusters, labels);
        var or = Enrichment.OddsRatios(p);

        Assert.Equal(3 / 10.0, p[0, 1], 12);
        Assert.Equal(1.0, Sum(p), 12);

        // Independent: cluster 0 vs rest, label 1 vs rest, from counts.
        double a = 3;      // cluster 0, label 1
        double b = 1;      // cluster 0, other labels
        double c = 1;      // other clusters, label 1
        double d = 5;      // neither
        Assert.Equal(a * d / (b * c), or[0, 1], 10);

        var (log2, names) = Enrichment.Report(or, ["Unclassified", "T", "B"]);
        Assert.Equal(["T", "B"], names);
        Assert.Equal(Math.Log2(15), log2[0, 0], 10);
        Assert.True(double.IsNaN(log2[0, 1])); // label T is depleted in cluster 1
    }

    [Fact]
    public void The_report_is_written_as_csv_with_na()
    {
        using var dir = new TempDir();
        string path = dir.File("enrichment.csv");

        Enrichment.WriteCsv(path, new double[,] { { 1.5, double.NaN } }, ["T"]);

        Assert.Equal([",0,1", "T,1.5,NA"], File.ReadAllLines(path));
    }

    private static double Sum(double[,] x)
    {
        double s = 0;
        foreach (double v in x)
        {
            s += v;
        }

        return s;
    }
}
