using Istar.Analysis;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Analysis;

public class LabelPlotTests
{
    [Fact]
    public void A_label_png_has_one_pixel_per_block_with_white_background()
    {
        using var dir = new TempDir();
        string path = dir.File("labels.png");

        LabelPlot.Write(path, [-1, 0, 1, -2, 2, 0], 2, 3);

        using var image = Image.NewFromFile(path);
        Assert.Equal((3, 2), (image.Width, image.Height));
        byte[] px = image.WriteToMemory<byte>();
        Assert.Equal(new byte[] { 255, 255, 255 }, px[..3]);
        Assert.Equal(new byte[] { 31, 119, 180 }, px[3..6]);
        Assert.Equal(new byte[] { 128, 128, 128 }, px[9..12]);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(15)]
    public void The_css_colour_of_a_label_is_the_colour_it_has_in_the_png(int labels)
    {
        using var dir = new TempDir();
        string path = dir.File("labels.png");
        int[] grid = [.. Enumerable.Range(0, labels)];
        int palette = LabelPlot.Write(path, grid, 1, labels);

        using var image = Image.NewFromFile(path);
        byte[] px = image.WriteToMemory<byte>();
        for (int k = 0; k < labels; k++)
        {
            Assert.Equal($"#{px[3 * k]:x2}{px[(3 * k) + 1]:x2}{px[(3 * k) + 2]:x2}", LabelPlot.CssColour(k, palette));
        }
    }

    [Fact]
    public void Per_label_masks_are_written_one_file_per_label()
    {
        using var dir = new TempDir();

        LabelPlot.WriteMasks(dir.Path, [-1, 0, 1, 1], 2, 2, ["unclassified", "tumour"]);

        Assert.True(File.Exists(dir.File("unclassified.png")));
        Assert.True(File.Exists(dir.File("tumour.png")));
    }
}
