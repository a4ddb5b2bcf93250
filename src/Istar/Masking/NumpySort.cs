namespace Istar.Masking;

/// <summary>
/// NumPy 1.24's default <c>argsort</c> (<c>kind='quicksort'</c>: introsort with median-of-3 pivots, insertion sort
/// for partitions of at most 16 elements, heapsort past the depth limit). It is not stable; iStar relies on its
/// tie order when it ranks components and clusters by size, so ports that want the reference's labels use this.
/// </summary>
internal static class NumpySort
{
    private const int SmallQuicksort = 15;

    /// <summary>The permutation that sorts <paramref name="values"/> ascending, ties as NumPy 1.24 leaves them.</summary>
    public static int[] ArgSort(ReadOnlySpan<long> values)
    {
        int n = values.Length;
        var idx = new int[n];
        for (int i = 0; i < n; i++)
        {
            idx[i] = i;
        }

        if (n > 1)
        {
            Quicksort(values, idx);
        }

        return idx;
    }

    /// <summary>The inverse of a permutation: rank[order[i]] = i.</summary>
    public static int[] Inverse(ReadOnlySpan<int> order)
    {
        var rank = new int[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            rank[order[i]] = i;
        }

        return rank;
    }

    private static void Quicksort(ReadOnlySpan<long> v, int[] a)
    {
        int num = a.Length;
        Span<int> stack = stackalloc int[128];
        Span<int> depth = stackalloc int[64];
        int sp = 0;
        int dp = 0;
        int pl = 0;
        int pr = num - 1;
        int cdepth = Msb((uint)num) * 2;
        while (true)
        {
            if (cdepth < 0)
            {
                HeapSort(v, a.AsSpan(pl, pr - pl + 1));
            }
            else
            {
                while (pr - pl > SmallQuicksort)
                {
                    int pm = pl + ((pr - pl) >> 1);
                    if (v[a[pm]] < v[a[pl]])
                    {
                        (a[pm], a[pl]) = (a[pl], a[pm]);
                    }

                    if (v[a[pr]] < v[a[pm]])
                    {
                        (a[pr], a[pm]) = (a[pm], a[pr]);
                    }

                    if (v[a[pm]] < v[a[pl]])
                    {
                        (a[pm], a[pl]) = (a[pl], a[pm]);
                    }

                    long vp = v[a[pm]];
                    int pi = pl;
                    int pj = pr - 1;
                    (a[pm], a[pj]) = (a[pj], a[pm]);
                    while (true)
                    {
                        do
                        {
                            ++pi;
                        }
                        while (v[a[pi]] < vp);
                        do
                        {
                            --pj;
                        }
                        while (vp < v[a[pj]]);
                        if (pi >= pj)
                        {
                            break;
                        }

                        (a[pi], a[pj]) = (a[pj], a[pi]);
                    }

                    int pk = pr - 1;
                    (a[pi], a[pk]) = (a[pk], a[pi]);
                    if (pi - pl < pr - pi)
                    {
                        stack[sp++] = pi + 1;
                        stack[sp++] = pr;
                        pr = pi - 1;
                    }
                    else
                    {
                        stack[sp++] = pl;
                        stack[sp++] = pi - 1;
                        pl = pi + 1;
                    }

                    depth[dp++] = --cdepth;
                }

                for (int pi = pl + 1; pi <= pr; ++pi)
                {
                    int vi = a[pi];
                    long vv = v[vi];
                    int pj = pi;
                    int pk = pi - 1;
                    while (pj > pl && vv < v[a[pk]])
                    {
                        a[pj--] = a[pk--];
                    }

                    a[pj] = vi;
                }
            }

            if (sp == 0)
            {
                break;
            }

            pr = stack[--sp];
            pl = stack[--sp];
            cdepth = depth[--dp];
        }
    }

    private static void HeapSort(ReadOnlySpan<long> v, Span<int> t)
    {
        int n = t.Length;

        // One-based indexing as in NumPy: a[k] = t[k - 1].
        int i;
        int j;
        int tmp;
        for (int l = n >> 1; l > 0; --l)
        {
            tmp = t[l - 1];
            for (i = l, j = l << 1; j <= n;)
            {
                if (j < n && v[t[j - 1]] < v[t[j]])
                {
                    j += 1;
                }

                if (v[tmp] < v[t[j - 1]])
                {
                    t[i - 1] = t[j - 1];
                    i = j;
                    j += j;
                }
                else
                {
                    break;
                }
            }

            t[i - 1] = tmp;
        }

        for (; n > 1;)
        {
            tmp = t[n - 1];
            t[n - 1] = t[0];
            n -= 1;
            for (i = 1, j = 2; j <= n;)
            {
                if (j < n && v[t[j - 1]] < v[t[j]])
                {
                    j++;
                }

                if (v[tmp] < v[t[j - 1]])
                {
                    t[i - 1] = t[j - 1];
                    i = j;
                    j += j;
                }
                else
                {
                    break;
                }
            }

            t[i - 1] = tmp;
        }
    }

    private static int Msb(uint n)
    {
        int depth = 0;
        while ((n >>= 1) != 0)
        {
            depth++;
        }

        return depth;
    }
}
