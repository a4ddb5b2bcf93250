using Istar.Evaluation;
using Istar.Input;

namespace Istar.Tests.Evaluation;

public class PseudoSpotPoolingTests
{
    private static List<FullResPoint> HexLattice(int rows, int columns, double pitch)
    {
        var points = new List<FullResPoint>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                points.Add(new FullResPoint((c * pitch) + (r % 2 == 1 ? pitch / 2 : 0), r * pitch * Math.Sqrt(3) / 2));
            }
        }

        return points;
    }

    [Fact]
    public void Pitch_of_a_hexagonal_lattice_is_its_centre_spacing()
    {
        Assert.Equal(181.8, PseudoSpotPooling.NearestNeighbourPitch(HexLattice(12, 15, 181.8)), 6);
    }

    [Fact]
    public void Every_spot_lands_in_exactly_one_group_and_groups_are_local()
    {
        var spots = HexLattice(10, 10, 100);
        var groups = PseudoSpotPooling.Group(spots, 100, 2);
        var all = groups.SelectMany(g => g).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, spots.Count), all);
        Assert.True(groups.Count < spots.Count / 2.5, $"{groups.Count} groups for {spots.Count} spots");
        foreach (var g in groups)
        {
            foreach (int a in g)
            {
                foreach (int b in g)
                {
                    double d = Math.Sqrt(Math.Pow(spots[a].X - spots[b].X, 2) + Math.Pow(spots[a].Y - spots[b].Y, 2));
                    Assert.True(d <= 2 * 100 * Math.Sqrt(2) + 1e-9);
                }
            }
        }
    }

    [Fact]
    public void Pseudo_spot_counts_are_the_sums_of_their_members()
    {
        float[] dense = [1, 0, 2, 0, 3, 0, 4, 5, 0, 0, 0, 6];
        var counts = SparseCounts.FromDense(4, 3, dense);
        var pooled = PseudoSpotPooling.SumCounts(counts, [[0, 2], [1, 3]]);
        Assert.Equal(new float[] { 1 + 4, 0 + 5, 2 + 0 }, pooled.SelectRows([0]).DenseColumns([0, 1, 2]));
        Assert.Equal(new float[] { 0 + 0, 3 + 0, 0 + 6 }, pooled.SelectRows([1]).DenseColumns([0, 1, 2]));
    }
}
