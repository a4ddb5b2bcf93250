using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Input.LegacySt;

public sealed class LegacyStReaderTests
{
    [Fact]
    public void Her2st_B4_is_read_with_its_full_res_jpeg_and_the_pixel_size_from_the_array_pitch()
    {
        string counts = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "B4.tsv.gz");

        var sample = SampleReader.Read(new SampleSource(counts));

        Assert.Equal(SampleFormat.LegacySt, sample.Format);
        Assert.Equal(SpotPlatform.LegacySt, sample.Platform);
        Assert.Equal(283, sample.SpotCount);
        Assert.Equal(283, sample.InTissueCount);
        Assert.Equal(15289, sample.GeneCount);
        Assert.EndsWith("BT10737_D2_HE.jpg", sample.SlidePath);
        Assert.Equal(PixelSizeSource.SpotDiameter, sample.PixelSize.Source);
        Assert.InRange(sample.PixelSize.MicronsPerPixel, 0.680, 0.692);
        Assert.Equal(100, sample.SpotDiameterMicrons, 6);
        Assert.InRange(sample.SpotDiameterPixels / 2, 71, 75);
        Assert.Equal(935146, sample.Counts.RowSums().Sum());

        // Joined by id: the first count row 10x14 sits where the selection table puts 10x14.
        Assert.Equal("10x14", sample.SpotIds[0]);
        Assert.Equal(new FullResPoint(2555.02, 3792.05), sample.Centres[0]);
        int sdf4 = sample.GeneNames.ToList().IndexOf("SDF4");
        Assert.Equal(3f, sample.Counts.DenseColumn(sdf4)[0]);
        Assert.Empty(sample.Warnings);
    }

    [Fact]
    public void Her2st_C2_is_read_with_its_full_res_jpeg()
    {
        string counts = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "C2.tsv.gz");

        var sample = SampleReader.Read(new SampleSource(counts));

        Assert.Equal(187, sample.SpotCount);
        Assert.Equal(15706, sample.GeneCount);
        Assert.EndsWith("5714_HE_BT_C2.jpg", sample.SlidePath);
        Assert.InRange(sample.PixelSize.MicronsPerPixel, 0.680, 0.692);
        Assert.Equal(new FullResPoint(2545.13, 5822.13), sample.Centres[0]);
        int erbb2 = sample.GeneNames.ToList().IndexOf("ERBB2");
        Assert.Equal(7f, sample.Counts.DenseColumn(erbb2)[0]);
        Assert.Equal(1926633, sample.Counts.RowSums().Sum());
    }

    [Fact]
    public void An_explicit_pixel_size_wins_over_the_array_pitch_and_a_disagreement_is_a_warning()
    {
        string counts = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "C2.tsv.gz");

        var sample = SampleReader.Read(new SampleSource(counts) { MicronsPerPixel = 0.5 });

        Assert.Equal(new PixelSize(0.5, PixelSizeSource.Explicit, "--pixel-size"), sample.PixelSize);
        Assert.Equal(200, sample.SpotDiameterPixels, 6);
        var warning = Assert.Single(sample.Warnings);
        Assert.Equal("pixel size", warning.Location);
        Assert.Contains("0.5 µm/px", warning.Problem, StringComparison.Ordinal);
        Assert.Contains("array pitch", warning.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_without_a_selection_table_name_the_missing_file_and_the_option()
    {
        using var dir = new TempDir();
        SampleFiles.WriteTable(dir.File("X1.tsv"), [["", "A", "B"], ["1x1", "1", "2"], ["2x1", "0", "3"]]);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.File("X1.tsv"))));

        Assert.Equal("X1_selection.tsv", e.Location);
        Assert.Contains("pixel_x", e.Problem, StringComparison.Ordinal);
        Assert.Contains("--selection", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_spots_missing_from_the_selection_are_reported_with_their_ids_and_lines()
    {
        using var dir = new TempDir();
        SampleFiles.WriteTable(dir.File("X1.tsv"), [["", "A", "B"], ["1x1", "1", "2"], ["2x1", "0", "3"], ["9x9", "4", "4"]]);
        SampleFiles.WriteTable(dir.File("X1_selection.tsv"), [["x", "y", "new_x", "new_y", "pixel_x", "pixel_y", "selected"], ["1", "1", "1", "1", "100", "100", "1"], ["2", "1", "2", "1", "390", "100", "1"], ["1", "2", "1", "2", "100", "390", "1"]]);
        SampleFiles.WhiteImage(dir.File("he.jpg"), 600, 600);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.File("X1.tsv")) { ImagePath = dir.File("he.jpg") }));

        var p = Assert.Single(e.Problems);
        Assert.Equal("X1.tsv", p.Location);
        Assert.Contains("1 of 3 without one", p.Problem, StringComparison.Ordinal);
        Assert.Contains("9x9 (X1.tsv, line 4)", p.Problem, StringComparison.Ordinal);
        Assert.Contains("matched by spot id", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pixel_size_follows_from_a_290_px_array_step()
    {
        double? pitch = Istar.Input.LegacySt.LegacyStReader.FitPitch([(1, 1, 100, 100), (2, 1, 390, 101), (1, 2, 99, 390), (3, 3, 680, 680)]);

        Assert.NotNull(pitch);
        Assert.Equal(290, pitch.Value, 0);
    }
}
