using Istar.Formats.Npy;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Training;

public class SpotFootprintTests
{
    [Theory]
    [InlineData(50, 29)]
    [InlineData(55, 37)]
    [InlineData(60, 45)]
    [InlineData(100, 121)]
    public void A_reference_disk_of_the_spec_radius_covers_the_spec_number_of_blocks(int radiusPixels, int blocks)
    {
        Assert.Equal(blocks, FootprintBuilder.DiskSize(radiusPixels / 16.0));
        Assert.Equal(blocks, FootprintBuilder.ReferenceDisk(20, 20, radiusPixels / 16.0).Count);
    }

    [Fact]
    public void A_visium_spot_at_half_a_micron_per_pixel_covers_37_blocks_in_a_9_by_9_window()
    {
        var mask = FootprintBuilder.DiskMask(55 / 16.0);
        Assert.Equal(9, mask.GetLength(0));
        Assert.Equal(9, mask.GetLength(1));
        Assert.Equal(37, mask.Cast<bool>().Count(b => b));
    }

    [Theory]
    [InlineData("disk_mask_r3.4375.npy", 3.4375)]
    [InlineData("disk_mask_r3.1250.npy", 3.125)]
    [InlineData("disk_mask_r6.2500.npy", 6.25)]
    public void The_disk_mask_matches_the_reference_exactly(string file, double radius)
    {
        var expected = NpyArray.Read(SharedData.Require("fixtures", "hipt", file));
        var mask = FootprintBuilder.DiskMask(radius);
        Assert.Equal(expected.Shape, new[] { mask.GetLength(0), mask.GetLength(1) });
        for (int a = 0; a < mask.GetLength(0); a++)
        {
            for (int b = 0; b < mask.GetLength(1); b++)
            {
                Assert.Equal(expected.Values[(a * mask.GetLength(1)) + b] != 0, mask[a, b]);
            }
        }
    }

    [Fact]
    public void The_reference_block_rounds_half_to_even()
    {
        Assert.Equal((4, 4), FootprintBuilder.ReferenceBlock(72, 72));
        Assert.Equal((6, 4), FootprintBuilder.ReferenceBlock(72, 104));
        Assert.Equal((6, 6), FootprintBuilder.ReferenceBlock(88, 104));
        Assert.Equal((2, 2), FootprintBuilder.ReferenceBlock(40, 40));
    }

    [Fact]
    public void An_exact_disk_is_centred_on_the_true_spot_centre()
    {
        // Centre on a block corner (64, 64): the footprint is symmetric about it, so its block centres average to it.
        var fp = FootprintBuilder.ExactDisk(64, 64, 55);
        double meanRow = 0, meanCol = 0;
        foreach (var (r, c) in fp.Blocks)
        {
            meanRow += (r + 0.5) * 16;
            meanCol += (c + 0.5) * 16;
        }

        Assert.Equal(64, meanRow / fp.Count, 9);
        Assert.Equal(64, meanCol / fp.Count, 9);
        Assert.InRange(fp.Count, 30, 44);
    }

    [Fact]
    public void A_footprint_leaving_the_grid_is_clipped_with_a_warning()
    {
        var log = new RecordingRunLog();
        var inside = FootprintBuilder.ReferenceDisk(10, 10, 55 / 16.0);
        var edge = FootprintBuilder.ReferenceDisk(1, 10, 55 / 16.0);
        var set = TrainingSet.Create(30, 30, ["g"], [1f, 2f], [inside, edge], 37, log, ["a", "b"]);
        Assert.Equal(2, set.SpotCount);
        Assert.Equal(37, set.Footprints[0].Length);
        Assert.InRange(set.Footprints[1].Length, 1, 36);
        Assert.All(set.Footprints[1], b => Assert.InRange(b, 0, (30 * 30) - 1));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("clipped", warning, StringComparison.Ordinal);
        Assert.Contains("b (", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spot_with_no_block_on_the_grid_is_dropped_with_a_warning()
    {
        var log = new RecordingRunLog();
        var inside = FootprintBuilder.Square(0, 0, 2, 2);
        var outside = FootprintBuilder.Square(50, 50, 2, 2);
        var set = TrainingSet.Create(10, 10, ["g"], [1f, 2f], [inside, outside], 4, log, ["a", "b"]);
        Assert.Equal(1, set.SpotCount);
        Assert.Equal([0], set.SourceSpots);
        Assert.Contains(log.Warnings, w => w.Contains("dropped", StringComparison.Ordinal) && w.Contains('b', StringComparison.Ordinal));
    }

    [Fact]
    public void Squares_and_unions_are_footprints_too()
    {
        var square = FootprintBuilder.Square(2, 3, 2, 3);
        Assert.Equal(6, square.Count);
        Assert.Equal([(2 * 10) + 3, (2 * 10) + 4, (2 * 10) + 5, (3 * 10) + 3, (3 * 10) + 4, (3 * 10) + 5], square.LinearIndices(10));
        var union = SpotFootprint.Union([square, FootprintBuilder.Square(3, 5, 2, 2)]);
        Assert.Equal(6 + 3, union.Count);
    }
}
