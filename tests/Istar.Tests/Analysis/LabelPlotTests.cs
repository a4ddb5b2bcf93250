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

    [Fact]
    public void Per_label_masks_are_written_one_file_per_label()
    {
        using var dir = new TempDir();

        LabelPlot.WriteMasks(dir.Path, [-1, 0, 1, 1], 2, 2, ["unclassified", "tumour"]);

        Assert.True(File.Exists(dir.File("unclassified.png")));
        Assert.True(File.Exists(dir.File("tumour.png")));
    }
}
