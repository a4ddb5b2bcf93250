using Istar.Features;
using Istar.Formats.Npy;
using Istar.Masking;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Masking;

public class ReferenceMaskTests
{
    private const int Margin = 16;

    [Theory]
    [InlineData(4000, "mask_relabeled_labels.npy")]
    [InlineData(50, "mask_min50_relabeled_labels.npy")]
    public void Small_component_cleanup_of_the_fixture_kmeans_labels_matches_the_reference(int minConnected, string expectedFile)
    {
        var kmeans = Fixture("mask_kmeans_labels.npy");
        int[] actual = ConnectedComponents.RelabelSmall(ConnectedComponentsTests.ToInts(kmeans.Values), kmeans.Shape[0], kmeans.Shape[1], minConnected);

        Assert.Equal(ConnectedComponentsTests.ToInts(Fixture(expectedFile).Values), actual);
    }

    [Theory]
    [InlineData(4000, "mask_small.npy")]
    [InlineData(50, "mask_min50.npy")]
    public void The_post_kmeans_mask_from_the_fixture_labels_matches_the_reference_exactly(int minConnected, string expectedFile)
    {
        var kmeans = Fixture("mask_kmeans_labels.npy");
        using var features = LoadFeatures();
        float[] rgb = InnerRgb(features, kmeans.Shape[0], kmeans.Shape[1]);

        bool[] mask = ReferenceMask.FromKMeansLabels(ConnectedComponentsTests.ToInts(kmeans.Values), kmeans.Shape[0], kmeans.Shape[1], rgb, Margin, minConnected);

        bool[] expected = Fixture(expectedFile).Values.Select(v => v != 0).ToArray();
        Assert.Equal(expected.Length, mask.Length);
        Assert.Equal(expected, mask);
    }

    [Fact]
    public void The_default_reference_mask_of_the_small_fixture_is_empty_because_the_empty_clusters_nan_std_wins()
    {
        using var features = LoadFeatures();

        bool[] mask = ReferenceMask.Compute(features, new ReferenceMaskOptions(), SilentRunLog.Instance, TestContext.Current.CancellationToken);

        Assert.Equal(48 * 64, mask.Length);
        Assert.DoesNotContain(true, mask);
    }

    [Fact]
    public void The_whole_reference_mask_with_min_connected_fifty_matches_the_fixture_from_the_features()
    {
        using var features = LoadFeatures();

        bool[] mask = ReferenceMask.Compute(features, new ReferenceMaskOptions { MinConnected = 50 }, SilentRunLog.Instance, TestContext.Current.CancellationToken);

        Assert.Equal(Fixture("mask_min50.npy").Values.Select(v => v != 0).ToArray(), mask);
    }

    [Fact]
    public void Kmeans_on_the_fixture_features_finds_the_reference_partition()
    {
        var expected = ConnectedComponentsTests.ToInts(Fixture("mask_kmeans_labels.npy").Values);
        using var features = LoadFeatures();

        int[] labels = ReferenceMask.KMeansLabels(features, Margin, new ReferenceMaskOptions(), TestContext.Current.CancellationToken);

        int same = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            same += labels[i] == expected[i] ? 1 : 0;
        }

        double agreement = Math.Max(same, labels.Length - same) / (double)labels.Length;
        Assert.True(agreement == 1.0, $"partition agreement {agreement:P2} ({same} of {labels.Length} equal labels)");
        Assert.Equal(expected, labels);
    }

    internal static FeatureGrid LoadFeatures()
    {
        var cls = Fixture("emb_shift_cls.npy");
        var sub = Fixture("emb_shift_sub.npy");
        var rgb = Fixture("emb_shift_rgb.npy");
        int rows = cls.Shape[1];
        int columns = cls.Shape[2];
        int channels = cls.Shape[0] + sub.Shape[0] + rgb.Shape[0];
        var provenance = new FeatureProvenance("hipt", "fixture", 0.5, 16, "", "")
        {
            Groups = [new ChannelGroup("cls", 0, 192), new ChannelGroup("sub", 192, 384), new ChannelGroup("rgb", 576, 3)],
        };
        var grid = FeatureGrid.Allocate(rows, columns, channels, provenance);
        int offset = 0;
        foreach (var part in new[] { cls, sub, rgb })
        {
            int c = part.Shape[0];
            float[] values = part.ToFloat32();
            for (int ch = 0; ch < c; ch++)
            {
                grid.SetChannelPlane(offset + ch, values.AsSpan(ch * rows * columns, rows * columns));
            }

            offset += c;
        }

        return grid;
    }

    internal static float[] InnerRgb(FeatureGrid features, int innerRows, int innerColumns)
    {
        var rgb = new float[innerRows * innerColumns * 3];
        for (int r = 0; r < innerRows; r++)
        {
            for (int c = 0; c < innerColumns; c++)
            {
                var b = features.Block(r + Margin, c + Margin);
                for (int ch = 0; ch < 3; ch++)
                {
                    rgb[(((r * innerColumns) + c) * 3) + ch] = b[576 + ch];
                }
            }
        }

        return rgb;
    }

    private static NpyArray Fixture(string name) => NpyArray.Read(SharedData.Require("fixtures", "hipt", name));
}
