using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Input.IstarFolder;

public sealed class IstarFolderReaderTests
{
    [Fact]
    public void The_hipt_fixture_files_read_as_an_istar_folder_with_the_radius_doubled()
    {
        string fx = SharedData.Require("fixtures", "hipt", "genes_cnts.tsv");
        string hipt = Path.GetDirectoryName(fx)!;
        using var dir = new TempDir();
        foreach (var (from, to) in new[] { ("genes_cnts.tsv", "cnts.tsv"), ("genes_locs-raw.tsv", "locs-raw.tsv"), ("genes_pixel-size-raw.txt", "pixel-size-raw.txt"), ("genes_radius-raw.txt", "radius-raw.txt"), ("genes_gene-names.txt", "gene-names.txt") })
        {
            File.Copy(Path.Combine(hipt, from), dir.File(to));
        }

        SampleFiles.WhiteImage(dir.File("he-raw.jpg"), 4500, 7500);

        var sample = SampleReader.Read(new SampleSource(dir.Path) { Platform = SpotPlatform.Visium });

        Assert.Equal(SampleFormat.IstarFolder, sample.Format);
        Assert.Equal(40, sample.SpotCount);
        Assert.Equal(60, sample.GeneCount);
        Assert.Equal(new PixelSize(0.3075, PixelSizeSource.Explicit, "pixel-size-raw.txt, line 1"), sample.PixelSize);
        Assert.Equal(2 * 89.43089430894309, sample.SpotDiameterPixels, 9);
        Assert.Equal(55, sample.SpotDiameterMicrons, 2);
        Assert.Equal("10x21", sample.SpotIds[0]);
        Assert.Equal(new FullResPoint(2545.13, 5822.13), sample.Centres[0]);
        Assert.Equal(20, sample.GenePanel!.Count);
        Assert.Equal("IGLC2", sample.GenePanel[0]);
        Assert.Empty(sample.Warnings);
    }

    [Fact]
    public void Locations_in_another_order_are_joined_by_id_with_a_warning_about_upstream_istar()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editLocs: locs => locs.Reverse(1, locs.Count - 1));

        var sample = SampleReader.Read(new SampleSource(dir.Path));

        Assert.Equal(new FullResPoint(100, 100), sample.Centres[0]);
        Assert.Equal("s0", sample.SpotIds[0]);
        var w = Assert.Single(sample.Warnings);
        Assert.Equal("locs-raw.tsv", w.Location);
        Assert.Contains("by order", w.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_are_all_listed_at_once_with_what_each_holds()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cnts.tsv"), "\tA\ns0\t1\n");

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        Assert.Equal(["locs-raw.tsv", "radius-raw.txt", "pixel-size-raw.txt", "he-raw.jpg"], e.Problems.Select(p => p.Location));
        Assert.Contains("spot radius", e.Problems[1].Problem, StringComparison.Ordinal);
        Assert.Contains("--pixel-size", e.Problems[2].Hint, StringComparison.Ordinal);
        Assert.Contains("--image", e.Problems[3].Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Locations_without_x_and_y_columns_name_the_columns_found()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editLocs: locs => locs[0] = ["", "col", "row"]);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        Assert.Equal("locs-raw.tsv, line 1", e.Location);
        Assert.Contains("found (empty), col, row", e.Problem, StringComparison.Ordinal);
        Assert.Contains("Rename", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pixel_size_file_that_is_not_a_number_is_reported_at_line_1()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        File.WriteAllText(dir.File("pixel-size-raw.txt"), "0,5 um\n");

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        Assert.Equal("pixel-size-raw.txt, line 1", e.Location);
        Assert.Equal("expected the pixel size in µm (one number), found \"0,5 um\".", e.Problem);
    }

    [Fact]
    public void Unknown_genes_in_the_gene_panel_are_listed_with_their_lines()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        File.WriteAllLines(dir.File("gene-names.txt"), ["g1", "NOPE", "g2", "nope2"]);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        Assert.Equal("gene-names.txt, line 2", e.Location);
        Assert.Contains("2 unknown: NOPE (line 2), nope2 (line 4)", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_of_another_size_than_the_image_is_an_error()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);
        SampleFiles.WhiteImage(dir.File("mask-raw.png"), 100, 100);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        Assert.Equal("mask-raw.png", e.Location);
        Assert.Contains("found 100 × 100 px", e.Problem, StringComparison.Ordinal);
    }
}
