using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Input;

public sealed class SampleReaderTests
{
    [Fact]
    public void Each_layout_is_detected_from_the_path()
    {
        string data = SharedData.Require("data");

        Assert.Equal(SampleFormat.LegacySt, SampleReader.Detect(Path.Combine(data, "her2st-legacy-st", "ST-cnts", "B4.tsv.gz")));
        Assert.Equal(SampleFormat.SpaceRanger, SampleReader.Detect(Path.Combine(data, "visium-v1-adult-mouse-brain", "spaceranger-subset-section1")));
        Assert.Equal(SampleFormat.SpaceRanger, SampleReader.Detect(Path.Combine(data, "visium-v1-adult-mouse-brain", "spaceranger-subset-section1", "outs", "raw_feature_bc_matrix")));
        Assert.Equal(SampleFormat.SpaceRanger, SampleReader.Detect(Path.Combine(data, "visium-format-fixtures", "seurat-visium", "filtered_feature_bc_matrix.h5")));
        Assert.Equal(SampleFormat.SpotAnnData, SampleReader.Detect(Path.Combine(data, "xenium-lung-ncbi858-hest-subset", "h5ad", "NCBI858.h5ad")));
    }

    [Fact]
    public void An_istar_folder_is_detected_from_cnts_tsv()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);

        Assert.Equal(SampleFormat.IstarFolder, SampleReader.Detect(dir.Path));
        Assert.Equal(SampleFormat.IstarFolder, SampleReader.Detect(dir.File("cnts.tsv")));
    }

    [Fact]
    public void A_path_that_does_not_exist_is_an_input_error()
    {
        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource("/nonexistent/outs")));

        Assert.Equal("/nonexistent/outs", e.Location);
        Assert.Equal("expected an input file or folder, found nothing at this path.", e.Problem);
    }

    [Fact]
    public void An_unknown_layout_lists_the_accepted_ones()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "hello");

        var e = Assert.Throws<InputException>(() => SampleReader.Detect(dir.Path));

        Assert.Contains("Space Ranger outs/", e.Hint, StringComparison.Ordinal);
        Assert.Contains("cnts.tsv", e.Hint, StringComparison.Ordinal);
        Assert.Contains(".h5ad", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Try_read_returns_the_sample_and_every_warning_without_throwing()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir, editCounts: c => c[2][2] = "0.5");
        var report = new InputReport();

        var sample = SampleReader.TryRead(new SampleSource(dir.Path), report);

        Assert.NotNull(sample);
        Assert.False(report.HasErrors);
        Assert.Equal(report.Warnings, sample.Warnings);
    }
}
