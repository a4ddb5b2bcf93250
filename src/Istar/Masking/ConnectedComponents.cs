namespace Istar.Masking;

/// <summary>
/// Connected components on a row-major label grid (negative = background), as iStar's
/// <c>connected_components.py</c> computes them (spec §7.1). Flood fills are iterative (an explicit queue), so grids
/// of millions of blocks neither recurse nor allocate per pixel.
/// </summary>
internal static class ConnectedComponents
{
    /// <summary>
    /// 4-connected components of equal non-negative labels, numbered 0, 1, … in the raster order of each component's
    /// first pixel (SciPy <c>ndimage.label</c> order); background pixels get −1.
    /// </summary>
    /// <returns>The component id per pixel and the number of components.</returns>
    public static (int[] Components, int Count) Label(ReadOnlySpan<int> labels, int rows, int columns)
    {
        CheckShape(labels.Length, rows, columns);
        int n = labels.Length;
        var comp = new int[n];
        Array.Fill(comp, -1);
        var queue = new int[n];
        int count = 0;
        for (int start = 0; start < n; start++)
        {
            int lab = labels[start];
            if (lab < 0 || comp[start] >= 0)
            {
                continue;
            }

            int id = count++;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            comp[start] = id;
            while (head < tail)
            {
                int p = queue[head++];
                int r = p / columns;
                int c = p - (r * columns);
                if (r > 0 && comp[p - columns] < 0 && labels[p - columns] == lab)
                {
                    comp[p - columns] = id;
                    queue[tail++] = p - columns;
                }

                if (r < rows - 1 && comp[p + columns] < 0 && labels[p + columns] == lab)
                {
                    comp[p + columns] = id;
                    queue[tail++] = p + columns;
                }

                if (c > 0 && comp[p - 1] < 0 && labels[p - 1] == lab)
                {
                    comp[p - 1] = id;
                    queue[tail++] = p - 1;
                }

                if (c < columns - 1 && comp[p + 1] < 0 && labels[p + 1] == lab)
                {
                    comp[p + 1] = id;
                    queue[tail++] = p + 1;
                }
            }
        }

        return (comp, count);
    }

    /// <summary>
    /// Reassigns every 4-connected component smaller than <paramref name="minSize"/> pixels to the label most frequent
    /// among its 8-neighbours, exactly as the reference's <c>relabel_small_connected</c>:
    /// small components are ranked per label by size (NumPy's unstable quicksort order), numbered across labels,
    /// re-ranked by size ascending and processed smallest first; a component absorbed into another small component
    /// travels with it when that one is processed later. Ties between neighbour labels go to the smallest label.
    /// Negative labels are background and never change.
    /// </summary>
    /// <param name="labels">Row-major labels, <paramref name="rows"/> × <paramref name="columns"/>.</param>
    /// <param name="rows">Grid rows.</param>
    /// <param name="columns">Grid columns.</param>
    /// <param name="minSize">Components with fewer pixels than this are small.</param>
    /// <returns>A new label array.</returns>
    public static int[] RelabelSmall(ReadOnlySpan<int> labels, int rows, int columns, int minSize)
    {
        CheckShape(labels.Length, rows, columns);
        int n = labels.Length;
        var result = labels.ToArray();
        if (n == 0)
        {
            return result;
        }

        var (comp, count) = Label(labels, rows, columns);

        // Pixels per component in CSR form.
        var sizes = new int[count];
        for (int p = 0; p < n; p++)
        {
            if (comp[p] >= 0)
            {
                sizes[comp[p]]++;
            }
        }

        var start = new int[count + 1];
        for (int k = 0; k < count; k++)
        {
            start[k + 1] = start[k] + sizes[k];
        }

        var pixels = new int[start[count]];
        var fill = (int[])start.Clone();
        var compLabel = new int[count];
        for (int p = 0; p < n; p++)
        {
            int k = comp[p];
            if (k >= 0)
            {
                pixels[fill[k]++] = p;
                compLabel[k] = labels[p];
            }
        }

        // Group components by label (ascending label, raster order within a label), rank by size descending.
        var byLabel = new int[count];
        for (int k = 0; k < count; k++)
        {
            byLabel[k] = k;
        }

        Array.Sort(byLabel, (a, b) => compLabel[a] != compLabel[b] ? compLabel[a].CompareTo(compLabel[b]) : a.CompareTo(b));
        var smallOfComp = new int[count];
        Array.Fill(smallOfComp, -1);
        int smallCount = 0;
        for (int g = 0; g < count;)
        {
            int h = g;
            while (h < count && compLabel[byLabel[h]] == compLabel[byLabel[g]])
            {
                h++;
            }

            int m = h - g;
            var negCounts = new long[m];
            int cut = 0;
            for (int i = 0; i < m; i++)
            {
                int s = sizes[byLabel[g + i]];
                negCounts[i] = -(long)s;
                if (s >= minSize)
                {
                    cut++;
                }
            }

            int[] rank = NumpySort.Inverse(NumpySort.ArgSort(negCounts));
            int added = 0;
            for (int i = 0; i < m; i++)
            {
                if (rank[i] >= cut)
                {
                    smallOfComp[byLabel[g + i]] = smallCount + rank[i] - cut;
                    added++;
                }
            }

            smallCount += added;
            g = h;
        }

        if (smallCount == 0)
        {
            return result;
        }

        // Re-rank small components by size ascending.
        var smallComp = new int[smallCount];
        var smallSizes = new long[smallCount];
        for (int k = 0; k < count; k++)
        {
            if (smallOfComp[k] >= 0)
            {
                smallComp[smallOfComp[k]] = k;
                smallSizes[smallOfComp[k]] = sizes[k];
            }
        }

        int[] ascending = NumpySort.ArgSort(smallSizes);
        var small = new int[n];
        Array.Fill(small, -1);
        var members = new List<int>[smallCount];
        for (int id = 0; id < smallCount; id++)
        {
            int k = smallComp[ascending[id]];
            members[id] = [k];
            for (int i = start[k]; i < start[k + 1]; i++)
            {
                small[pixels[i]] = id;
            }
        }

        var votes = new Dictionary<int, int>();
        for (int id = 0; id < smallCount; id++)
        {
            List<int> group = members[id];
            int lab = result[pixels[start[group[0]]]];
            votes.Clear();
            foreach (int k in group)
            {
                for (int i = start[k]; i < start[k + 1]; i++)
                {
                    int p = pixels[i];
                    int r = p / columns;
                    int c = p - (r * columns);
                    for (int dr = -1; dr <= 1; dr++)
                    {
                        int rr = r + dr;
                        if ((uint)rr >= (uint)rows)
                        {
                            continue;
                        }

                        for (int dc = -1; dc <= 1; dc++)
                        {
                            int cc = c + dc;
                            if ((dr == 0 && dc == 0) || (uint)cc >= (uint)columns)
                            {
                                continue;
                            }

                            int l = result[(rr * columns) + cc];
                            if (l >= 0 && l != lab)
                            {
                                votes[l] = votes.GetValueOrDefault(l) + 1;
                            }
                        }
                    }
                }
            }

            if (votes.Count == 0)
            {
                continue;
            }

            int best = int.MaxValue;
            int bestVotes = -1;
            foreach (var (l, v) in votes)
            {
                if (v > bestVotes || (v == bestVotes && l < best))
                {
                    best = l;
                    bestVotes = v;
                }
            }

            // First neighbour with the winning label in (pixel raster order, neighbour order).
            long firstKey = long.MaxValue;
            int firstNeighbour = -1;
            foreach (int k in group)
            {
                for (int i = start[k]; i < start[k + 1]; i++)
                {
                    int p = pixels[i];
                    if ((long)p * 8 >= firstKey)
                    {
                        continue;
                    }

                    int r = p / columns;
                    int c = p - (r * columns);
                    int order = 0;
                    for (int dr = -1; dr <= 1; dr++)
                    {
                        for (int dc = -1; dc <= 1; dc++)
                        {
                            if (dr == 0 && dc == 0)
                            {
                                continue;
                            }

                            int rr = r + dr;
                            int cc = c + dc;
                            if ((uint)rr < (uint)rows && (uint)cc < (uint)columns && result[(rr * columns) + cc] == best)
                            {
                                long key = ((long)p * 8) + order;
                                if (key < firstKey)
                                {
                                    firstKey = key;
                                    firstNeighbour = (rr * columns) + cc;
                                }

                                goto NextPixel;
                            }

                            order++;
                        }
                    }

                NextPixel:;
                }
            }

            int target = small[firstNeighbour];
            foreach (int k in group)
            {
                for (int i = start[k]; i < start[k + 1]; i++)
                {
                    int p = pixels[i];
                    result[p] = best;
                    small[p] = target;
                }
            }

            if (target >= 0 && target != id)
            {
                members[target].AddRange(group);
            }

            members[id] = [];
        }

        return result;
    }

    /// <summary><see cref="RelabelSmall(ReadOnlySpan{int}, int, int, int)"/> on a rectangular array.</summary>
    public static int[,] RelabelSmall(int[,] labels, int minSize)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int rows = labels.GetLength(0);
        int columns = labels.GetLength(1);
        var flat = new int[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                flat[(r * columns) + c] = labels[r, c];
            }
        }

        int[] result = RelabelSmall(flat, rows, columns, minSize);
        var grid = new int[rows, columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                grid[r, c] = result[(r * columns) + c];
            }
        }

        return grid;
    }

    private static void CheckShape(int length, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != length)
        {
            throw new ArgumentException($"labels hold {length} values, not {rows} x {columns}");
        }
    }
}
