using Istar.Formats.Npy;
using Istar.Input;
using Istar.Pipeline;
using Istar.Tests.Support;
using Istar.Training;

namespace Istar.Tests.Training;

public class TrainingSetTests
{
    private static SpotSample ImputeSample(double micronsPerPixel, double scaleToFullRes)
    {
        var cnts = FixtureTable.Read(SharedData.Require("fixtures", "hipt", "impute_cnts.tsv"));
        var locs = FixtureTable.Read(SharedData.Require("fixtures", "hipt", "impute_locs.tsv"));
        var x = locs.Column("x");
        var y = locs.Column("y");
        int n = cnts.RowNames.Length;
        var counts = SparseCounts.FromDense(n, cnts.ColumnNames.Length, cnts.Dense(cnts.ColumnNames));
        var centres = Enumerable.Range(0, n).Select(s => new FullResPoint(x[s] * scaleToFullRes, y[s] * scaleToFullRes)).ToList();
        var inTissue = Enumerable.Repeat(true, n).ToList();
        inTissue[5] = false;
        return new SpotSample(cnts.RowNames, counts, cnts.ColumnNames, cnts.ColumnNames, centres, inTissue, 110 * scaleToFullRes,
            new PixelSize(micronsPerPixel, PixelSizeSource.Explicit, "test"), null, SpotPlatform.Visium, SampleFormat.IstarFolder, "fixture");
    }

    [Fact]
    public void Reference_footprints_of_a_sample_are_37_block_disks_on_the_reference_spot_blocks()
    {
        // Full-resolution pixels of 0.25 µm: locations and radius halve on the way to 0.5 µm/px.
        var sample = ImputeSample(0.25, 2);
        var panel = GenePanelSelector.Explicit(sample.GeneNames, File.ReadAllLines(SharedData.Require("fixtures", "hipt", "impute_gene-names.txt")).Where(l => l.Length > 0).ToList());
        var log = new RecordingRunLog();
        var set = TrainingSet.FromSample(sample, panel, 48, 64, 0.5, FootprintRule.Reference, log);
        var ij = NpyArray.Read(SharedData.Require("fixtures", "hipt", "impute_spot_ij.npy")).Values;
        Assert.Equal(63, set.SpotCount);
        Assert.DoesNotContain(5, set.SourceSpots);
        Assert.Equal(37, set.NominalFootprintSize);
        for (int k = 0; k < set.SpotCount; k++)
        {
            int s = set.SourceSpots[k];
            var expected = FootprintBuilder.ReferenceDisk((int)ij[2 * s], (int)ij[(2 * s) + 1], 55 / 16.0).LinearIndices(64);
            Assert.Equal(expected, set.Footprints[k]);
            Assert.Equal(sample.Counts.DenseColumn(panel.Indices[0])[s], set.Counts[k * panel.Count]);
        }
    }

    [Fact]
    public void Exact_footprints_of_a_sample_cover_about_the_spot_area()
    {
        var sample = ImputeSample(0.5, 1);
        var panel = GenePanelSelector.Select(sample.Counts, sample.GeneNames, top: 3);
        var set = TrainingSet.FromSample(sample, panel, 48, 64, 0.5, FootprintRule.Exact, SilentRunLog.Instance);
        Assert.Equal(Math.PI * 55 * 55 / 256, set.NominalFootprintSize, 9);
        Assert.All(set.Footprints, f => Assert.InRange(f.Length, 30, 44));
    }
}
