using Istar.Input;

namespace Istar.Evaluation;

/// <summary>
/// Pools neighbouring spots into coarser pseudo-spots for accuracy checks on real data without ground truth
/// (protocol b): train on pseudo-spots whose footprint is the union of their members' disks and whose counts are
/// the members' sums, then score the predictions summed over each original spot's footprint against its counts.
/// </summary>
public static class PseudoSpotPooling
{
    /// <summary>The median distance from each spot to its nearest neighbour, in the centres' unit.</summary>
    public static double NearestNeighbourPitch(IReadOnlyList<FullResPoint> centres)
    {
        ArgumentNullException.ThrowIfNull(centres);
        if (centres.Count < 2)
        {
            throw new ArgumentException("need at least two spots to measure the pitch", nameof(centres));
        }

        // A uniform grid of buckets keeps this near-linear for tens of thousands of spots.
        double minX = centres.Min(c => c.X), minY = centres.Min(c => c.Y);
        double maxX = centres.Max(c => c.X), maxY = centres.Max(c => c.Y);
        double area = Math.Max((maxX - minX) * (maxY - minY), 1);
        double cell = Math.Max(Math.Sqrt(area / centres.Count) * 2, 1e-9);
        var buckets = new Dictionary<(long, long), List<int>>();
        for (int i = 0; i < centres.Count; i++)
        {
            var key = ((long)Math.Floor((centres[i].X - minX) / cell), (long)Math.Floor((centres[i].Y - minY) / cell));
            if (!buckets.TryGetValue(key, out var list))
            {
                buckets[key] = list = [];
            }

            list.Add(i);
        }

        var nearest = new double[centres.Count];
        for (int i = 0; i < centres.Count; i++)
        {
            long bx = (long)Math.Floor((centres[i].X - minX) / cell), by = (long)Math.Floor((centres[i].Y - minY) / cell);
            double best = double.PositiveInfinity;

            // Points in bucket ring k are at least (k - 1) cells away, so stop once the best is closer than that.
            for (long ring = 0; (ring == 0 || best > (ring - 1) * cell) && ring < 1024; ring++)
            {
                for (long dx = -ring; dx <= ring; dx++)
                {
                    for (long dy = -ring; dy <= ring; dy++)
                    {
                        if (Math.Max(Math.Abs(dx), Math.Abs(dy)) != ring || !buckets.TryGetValue((bx + dx, by + dy), out var list))
                        {
                            continue;
                        }

                        foreach (int j in list)
                        {
                            if (j != i)
                            {
                                best = Math.Min(best, Math.Sqrt(Math.Pow(centres[i].X - centres[j].X, 2) + Math.Pow(centres[i].Y - centres[j].Y, 2)));
                            }
                        }
                    }
                }
            }

            nearest[i] = best;
        }

        Array.Sort(nearest);
        return nearest[nearest.Length / 2];
    }

    /// <summary>
    /// Groups spots by square cells of side <paramref name="factor"/> × pitch laid over the spot lattice. Every spot
    /// lands in exactly one group; groups are ordered by cell (row-major) and members by spot index.
    /// </summary>
    public static IReadOnlyList<int[]> Group(IReadOnlyList<FullResPoint> centres, double pitch, double factor)
    {
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pitch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        double cell = pitch * factor;
        double minX = centres.Min(c => c.X) - (pitch / 2), minY = centres.Min(c => c.Y) - (pitch / 2);
        var groups = new SortedDictionary<(long Row, long Column), List<int>>();
        for (int i = 0; i < centres.Count; i++)
        {
            var key = ((long)Math.Floor((centres[i].Y - minY) / cell), (long)Math.Floor((centres[i].X - minX) / cell));
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
            }

            list.Add(i);
        }

        return groups.Values.Select(g => g.ToArray()).ToList();
    }

    /// <summary>Sums the count rows of each group into a pseudo-spot count matrix.</summary>
    public static SparseCounts SumCounts(SparseCounts counts, IReadOnlyList<int[]> groups)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(groups);
        var ptr = new long[groups.Count + 1];
        var idx = new List<int>();
        var val = new List<float>();
        var acc = new Dictionary<int, float>();
        for (int g = 0; g < groups.Count; g++)
        {
            acc.Clear();
            foreach (int r in groups[g])
            {
                for (long k = counts.RowPointers[r]; k < counts.RowPointers[r + 1]; k++)
                {
                    acc[counts.ColumnIndices[k]] = acc.GetValueOrDefault(counts.ColumnIndices[k]) + counts.Values[k];
                }
            }

            foreach (var (column, value) in acc.OrderBy(p => p.Key))
            {
                idx.Add(column);
                val.Add(value);
            }

            ptr[g + 1] = idx.Count;
        }

        return new SparseCounts(groups.Count, counts.Columns, ptr, [.. idx], [.. val]);
    }
}
