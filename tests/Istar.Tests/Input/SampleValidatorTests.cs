using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Input;

public sealed class SampleValidatorTests
{
    private static InputReport ReadReport(string path, SampleSource? source = null)
    {
        var report = new InputReport();
        SampleReader.TryRead(source ?? new SampleSource(path), report);
        return report;
    }

    [Fact]
    public void Negative_counts_are_an_error_naming_the_line_gene_and_value()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c[2][3] = "-2");

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("cnts.tsv, line 3", p.Location);
        Assert.Equal("expected non-negative counts, found 1 negative value(s), e.g. -2 for gene g2 at cnts.tsv, line 3.", p.Problem);
        Assert.Contains("raw UMI counts", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Nan_and_infinite_counts_are_an_error()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => (c[3][1], c[4][2]) = ("nan", "inf"));

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("cnts.tsv, line 4", p.Location);
        Assert.StartsWith("expected finite counts, found 2 NaN or infinite value(s), e.g. NaN for gene g0", p.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Fractional_counts_are_a_warning_that_raw_counts_are_expected()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c[2][2] = "1.5");

        var report = ReadReport(dir.Path);

        Assert.False(report.HasErrors);
        var w = Assert.Single(report.Warnings);
        Assert.Equal("cnts.tsv", w.Location);
        Assert.StartsWith("expected raw integer counts, found 1 of ", w.Problem, StringComparison.Ordinal);
        Assert.Contains("1.5 for gene g1 at cnts.tsv, line 3", w.Problem, StringComparison.Ordinal);
        Assert.Contains("not normalised or log values", w.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_in_the_counts_is_an_error_naming_line_and_gene()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c[5][4] = "tumour");

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("cnts.tsv, line 6, gene g3 (spot s4)", p.Location);
        Assert.Equal("expected a count (a number), found \"tumour\".", p.Problem);
    }

    [Fact]
    public void Duplicate_spot_ids_are_an_error_with_their_lines()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c[4][0] = "s0");

        var errors = ReadReport(dir.Path).Errors.ToList();

        var p = Assert.Single(errors, e => e.Problem.Contains("unique spot ids", StringComparison.Ordinal));
        Assert.Equal("cnts.tsv, line 5", p.Location);
        Assert.Equal("expected unique spot ids, found 1 repeated id(s), e.g. s0 (cnts.tsv, line 5).", p.Problem);
    }

    [Fact]
    public void Duplicate_gene_names_are_made_unique_as_scanpy_does_with_a_warning()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, genes: 5, editCounts: c => (c[0][2], c[0][3], c[0][5]) = ("g0", "g0", "g0-1"));

        var sample = SampleReader.Read(new SampleSource(dir.Path));

        Assert.Equal(["g0", "g0-2", "g0-3", "g3", "g0-1"], sample.GeneNames);
        var w = Assert.Single(sample.Warnings);
        Assert.Equal("cnts.tsv", w.Location);
        Assert.Equal("expected unique gene names, found 2 repeated name(s) of 1 gene(s), e.g. g0.", w.Problem);
    }

    [Fact]
    public void Scanpy_style_suffixes_number_each_repeat()
    {
        var report = new InputReport();

        var unique = SampleValidator.MakeGeneNamesUnique(["A", "B", "A", "A", "B"], "x", report);

        Assert.Equal(["A", "B", "A-1", "A-2", "B-1"], unique);
        Assert.Single(report.Warnings);
    }

    [Fact]
    public void An_implausible_pixel_size_is_an_error_at_its_file_and_line()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        File.WriteAllText(dir.File("pixel-size-raw.txt"), "236\n");

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("pixel-size-raw.txt, line 1", p.Location);
        Assert.Equal("expected 0.05–20 µm/px, found 236.", p.Problem);
        Assert.Contains("55 / spot_diameter_fullres", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tiny_pixel_size_option_is_an_error_at_the_option()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);

        var report = ReadReport(dir.Path, new SampleSource(dir.Path) { MicronsPerPixel = 0.001 });

        var p = Assert.Single(report.Errors);
        Assert.Equal("--pixel-size", p.Location);
        Assert.Single(report.Warnings, w => w.Location == "pixel size");
    }

    [Fact]
    public void Spots_outside_the_image_are_reported_with_their_ids_and_positions()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editLocs: l => l[3] = ["s2", "1500", "80"]);

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("locs-raw.tsv", p.Location);
        Assert.Equal("expected spot centres inside the image he-raw.jpg (1,000 × 1,000 px), found 1 of 6 spots outside, e.g. s2 at (1,500, 80).", p.Problem);
        Assert.Contains("--image", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Swapped_x_and_y_are_named_as_the_likely_cause()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, imageSize: 1000, editLocs: l => l[1] = ["s0", "100", "900"]);
        SampleFiles.WhiteImage(dir.File("he-raw.jpg"), 1000, 600);

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Contains("x and y exchanged", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_centres_are_named_as_another_pixel_frame()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editLocs: l => l[1] = ["s0", "100", "-900"]);

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Contains("negative", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_with_a_header_only_are_an_empty_sample()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c.RemoveRange(1, c.Count - 1));

        var errors = ReadReport(dir.Path).Errors.ToList();

        var p = Assert.Single(errors);
        Assert.Equal("cnts.tsv", p.Location);
        Assert.Equal("expected at least one spot, found none.", p.Problem);
    }

    [Fact]
    public void A_counts_file_without_genes_is_an_error_at_line_1()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        File.WriteAllText(dir.File("cnts.tsv"), "spot\ns0\n");

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.Equal("cnts.tsv, line 1", p.Location);
        Assert.Contains("gene names", p.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_radius_of_zero_is_an_error_at_radius_raw_txt()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        File.WriteAllText(dir.File("radius-raw.txt"), "0\n");

        var p = Assert.Single(ReadReport(dir.Path).Errors);

        Assert.StartsWith("radius-raw.txt", p.Location, StringComparison.Ordinal);
        Assert.Equal("expected a positive spot diameter in pixels, found 0.", p.Problem);
    }

    [Fact]
    public void Extra_locations_without_counts_are_a_warning()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editLocs: l => l.Add(["extra", "10", "10"]));

        var sample = SampleReader.Read(new SampleSource(dir.Path));

        var w = Assert.Single(sample.Warnings);
        Assert.Equal("locs-raw.tsv", w.Location);
        Assert.Contains("1 without, e.g. extra", w.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_validated_on_its_own_checks_the_slide_too()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        var read = SampleReader.Read(new SampleSource(dir.Path));
        string small = SampleFiles.WhiteImage(dir.File("small.jpg"), 300, 300);
        var sample = new SpotSample(read.SpotIds, read.Counts, read.GeneNames, read.GeneIds, read.Centres, read.InTissue, read.SpotDiameterPixels, read.PixelSize, small, read.Platform, SampleFormat.SpotAnnData, dir.File("sample.h5ad"));

        var report = SampleValidator.Validate(sample);

        var p = Assert.Single(report.Errors);
        Assert.Contains("spots outside", p.Problem, StringComparison.Ordinal);
    }
}
