using Istar.Cli;
using Istar.Tests.Support;

namespace Istar.Tests.Input;

[Collection(nameof(ConsoleCapture))]
public sealed class InspectCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Inspect_prints_what_was_read_and_exits_0_for_her2st_b4()
    {
        string counts = SharedData.Require("data", "her2st-legacy-st", "ST-cnts", "B4.tsv.gz");

        var (code, output, errors) = Run("inspect", counts);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, errors);
        Assert.Contains("format:          LegacySt (LegacySt)", output, StringComparison.Ordinal);
        Assert.Contains("spots:           283 (283 in tissue)", output, StringComparison.Ordinal);
        Assert.Contains("genes:           15,289", output, StringComparison.Ordinal);
        Assert.Contains("BT10737_D2_HE.jpg (9,272 × 9,923 px)", output, StringComparison.Ordinal);
        Assert.Matches(@"pixel size:      0\.68\d+ µm/px, from SpotDiameter \(array pitch", output);
        Assert.Matches(@"spot diameter:   14\d\.\d+ px = 100 µm", output);
        Assert.Contains("counts:          total 935,146, median 648 per spot, 0.0 % of stored values non-integer", output, StringComparison.Ordinal);
        Assert.Contains("ok: the input can be used.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_prints_every_warning_and_still_exits_0()
    {
        string outs = SharedData.Require("data", "visium-v1-adult-mouse-brain", "spaceranger-subset-section1", "outs");

        var (code, output, _) = Run("inspect", outs, "--all-spots", "--pixel-size", "0.5");

        Assert.Equal(0, code);
        Assert.Contains("spots:           50 (22 in tissue)", output, StringComparison.Ordinal);
        Assert.Contains("pixel size:      0.5 µm/px, from Explicit (--pixel-size)", output, StringComparison.Ordinal);
        Assert.Contains("3 warning(s):", output, StringComparison.Ordinal);
        Assert.Contains("  warning: raw_feature_bc_matrix.h5: expected the filtered matrix", output, StringComparison.Ordinal);
        Assert.Contains("  warning: pixel size: expected the sources to agree within 5 %", output, StringComparison.Ordinal);
        Assert.Contains("  warning: image: expected the full-resolution H&E slide, found none given.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_exits_2_naming_the_hires_png_when_it_is_given_as_the_slide()
    {
        string dir = SharedData.Require("data", "visium-format-fixtures", "scanpy-visium_data", "1.0.0");

        var (code, output, errors) = Run("inspect", dir, "--image", Path.Combine(dir, "spatial", "tissue_hires_image.png"));

        Assert.Equal(2, code);
        Assert.Contains("spots:           100 (100 in tissue)", output, StringComparison.Ordinal);
        Assert.StartsWith("error: spatial/tissue_positions_list.csv: expected spot centres inside the image tissue_hires_image.png (2,000 × 2,000 px), found 100 of 100 spots outside", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("ok: the input", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_lists_every_error_when_there_are_several()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cnts.tsv"), "\tA\ns0\t1\n");

        var (code, _, errors) = Run("inspect", dir.Path);

        Assert.Equal(2, code);
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("error: the input has problems:", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("- locs-raw.tsv: expected the spot centres in ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("- he-raw.jpg: expected the full-resolution H&E", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_of_a_missing_path_prints_the_golden_message()
    {
        var (code, output, errors) = Run("inspect", "/nonexistent/sample");

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal(
            "error: /nonexistent/sample: expected an input file or folder, found nothing at this path. Check the path; pass a Space Ranger outs/ folder, an iStar data folder, a legacy ST counts .tsv(.gz) or a spot .h5ad." + Environment.NewLine,
            errors);
    }

    [Fact]
    public void Inspect_reads_an_istar_folder_with_the_platform_option()
    {
        using var dir = new TempDir();
        SampleFiles.IstarFolder(dir);

        var (code, output, _) = Run("inspect", dir.Path, "--platform", "visium");

        Assert.Equal(0, code);
        Assert.Contains("format:          IstarFolder (Visium)", output, StringComparison.Ordinal);
        Assert.Contains("spot diameter:   40 px = 20 µm", output, StringComparison.Ordinal);

        // 55 µm over 40 px is 1.375 µm/px, far from pixel-size-raw.txt's 0.5: the platform makes that visible.
        Assert.Contains("warning: pixel size:", output, StringComparison.Ordinal);
    }
}
