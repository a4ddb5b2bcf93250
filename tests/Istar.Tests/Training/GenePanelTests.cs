using Istar.Input;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Training;

public class GenePanelTests
{
    private static (SparseCounts Counts, string[] Genes) Fixture()
    {
        var table = FixtureTable.Read(SharedData.Require("fixtures", "hipt", "genes_cnts.tsv"));
        return (SparseCounts.FromDense(table.RowNames.Length, table.ColumnNames.Length, table.Dense(table.ColumnNames)), table.ColumnNames);
    }

    private static string[] Lines(string file) =>
        File.ReadAllLines(SharedData.Require("fixtures", "hipt", file)).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void The_top_genes_by_raw_count_variance_match_the_reference()
    {
        var (counts, genes) = Fixture();
        var panel = GenePanelSelector.Select(counts, genes, top: 20);
        Assert.Equal(Lines("genes_gene-names.txt"), panel.Names);
        Assert.Equal(panel.Names, panel.Indices.Select(i => genes[i]));
    }

    [Fact]
    public void Faithful_extra_genes_drop_unknown_and_selected_names_and_prepend_the_rest()
    {
        var (counts, genes) = Fixture();
        var log = new RecordingRunLog();
        var panel = GenePanelSelector.Select(counts, genes, top: 20, extra: Lines("genes_extra-genes.txt"), faithful: true, log: log);
        Assert.Equal(Lines("genes_gene-names-with-extra.txt"), panel.Names);
        Assert.Contains(log.Warnings, w => w.Contains("NOT_A_GENE", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_extra_genes_are_an_input_error_listing_them_by_default()
    {
        var (counts, genes) = Fixture();
        var e = Assert.Throws<InputException>(() => GenePanelSelector.Select(counts, genes, top: 20, extra: ["NOT_A_GENE", "IGLC2", "ALSO_MISSING"]));
        Assert.Equal("--extra-genes", e.Location);
        Assert.Contains("NOT_A_GENE", e.Problem, StringComparison.Ordinal);
        Assert.Contains("ALSO_MISSING", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_gene_list_keeps_its_order_and_rejects_unknown_names()
    {
        var (_, genes) = Fixture();
        var panel = GenePanelSelector.Explicit(genes, ["MDK", "BEST1", "MDK"]);
        Assert.Equal(["MDK", "BEST1"], panel.Names);
        var e = Assert.Throws<InputException>(() => GenePanelSelector.Explicit(genes, ["MDK", "NOPE"]));
        Assert.Contains("NOPE", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gene_list_is_read_from_a_file_or_a_comma_separated_value()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("genes.txt"), ["# panel", "MDK", "", "BEST1"]);
        Assert.Equal(["MDK", "BEST1"], GenePanelSelector.ParseList(dir.File("genes.txt")));
        Assert.Equal(["MDK", "BEST1"], GenePanelSelector.ParseList("MDK, BEST1"));
    }

    [Fact]
    public void Tied_variances_keep_the_input_column_order()
    {
        var counts = SparseCounts.FromDense(3, 4, [0, 1, 5, 1, 0, 2, 5, 2, 0, 3, 5, 3]);
        var panel = GenePanelSelector.Select(counts, ["zero", "a", "const", "b"], top: 4);
        Assert.Equal(["a", "b", "zero", "const"], panel.Names);
    }

    [Fact]
    public void Seurat_v3_ranks_overdispersed_genes_first()
    {
        // 200 spots: 300 Poisson genes with means 0.5 … 90 (log-uniform) and 10 overdispersed genes of mean ≈ 2 (variance ≈ 37).
        var rng = new Random(3);
        int spots = 200, genes = 310;
        var dense = new float[spots * genes];
        for (int g = 0; g < genes; g++)
        {
            for (int s = 0; s < spots; s++)
            {
                double lambda = g < 300 ? 0.5 * Math.Pow(180, g / 300.0) : (rng.NextDouble() < 0.1 ? 20 : 0.2);
                dense[(s * genes) + g] = Poisson(rng, lambda);
            }
        }

        var counts = SparseCounts.FromDense(spots, genes, dense);
        var names = Enumerable.Range(0, genes).Select(g => $"g{g}").ToArray();
        var panel = GenePanelSelector.Select(counts, names, top: 10, ranking: GeneRanking.SeuratV3);
        Assert.True(panel.Indices.Count(i => i >= 300) >= 8, string.Join(", ", panel.Names));

        // Plain variance prefers the high-mean Poisson genes instead.
        var byVariance = GenePanelSelector.Select(counts, names, top: 10);
        Assert.True(byVariance.Indices.Count(i => i >= 300) <= 2, string.Join(", ", byVariance.Names));
    }

    [Fact]
    public void Loess_reproduces_a_quadratic_exactly()
    {
        var x = Enumerable.Range(0, 50).Select(i => i / 10.0).ToArray();
        var y = x.Select(v => 1 - (2 * v) + (0.5 * v * v)).ToArray();
        var fit = Loess.Fit(x, y, 0.3);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(y[i], fit[i], 8);
        }
    }

    private static float Poisson(Random rng, double lambda)
    {
        double l = Math.Exp(-lambda), p = 1;
        int k = 0;
        do
        {
            k++;
            p *= rng.NextDouble();
        }
        while (p > l);
        return k - 1;
    }
}
