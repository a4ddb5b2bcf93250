namespace Istar.Evaluation.Simulation;

/// <summary>
/// The procedural tissue: an irregular section with epithelial nests, fibrous stroma, fat lobules, immune aggregates and
/// vessels, and every nucleus in it. All geometry is in µm; every field is a deterministic function of the seed.
/// </summary>
internal sealed class TissueLayout
{
    /// <summary>Spacing of the adipocyte lattice (µm).</summary>
    public const double FatSpacing = 45;

    private const double BucketSize = 100;
    private readonly ulong _seed;
    private readonly List<int>[,] _vesselBuckets;
    private readonly List<int>[,] _aggregateBuckets;

    public TissueLayout(double width, double height, int seed)
    {
        Width = width;
        Height = height;
        _seed = SimRandom.Mix((ulong)(uint)seed + 0x1234567UL);
        int bx = (int)Math.Ceiling(width / BucketSize) + 1;
        int by = (int)Math.Ceiling(height / BucketSize) + 1;
        _vesselBuckets = NewBuckets(by, bx);
        _aggregateBuckets = NewBuckets(by, bx);
        var rng = SimRandom.For(_seed, 1);
        double area = width * height / 1e6; // mm²
        Aggregates = PlaceAggregates(rng, (int)Math.Round(area * 2.5));
        Vessels = PlaceVessels(rng, (int)Math.Round(area * 9));
        Cells = PlaceCells();
    }

    public double Width { get; }

    public double Height { get; }

    public IReadOnlyList<Aggregate> Aggregates { get; }

    public IReadOnlyList<Vessel> Vessels { get; }

    /// <summary>Every nucleus, sorted by Y.</summary>
    public IReadOnlyList<Cell> Cells { get; }

    /// <summary>The seed of the texture fields (for the renderer).</summary>
    public ulong Seed => _seed;

    /// <summary>Whether (x, y) lies in the section.</summary>
    public bool InTissue(double x, double y)
    {
        double dx = (x - (Width / 2)) / (0.47 * Width);
        double dy = (y - (Height / 2)) / (0.45 * Height);
        double rho = Math.Sqrt((dx * dx) + (dy * dy));
        return rho + (0.18 * (SimRandom.Fractal(_seed + 11, x / 350, y / 350, 2) - 0.5)) < 1;
    }

    /// <summary>Epithelial nest field in [0, 1): nests where it exceeds 0.6.</summary>
    public double NestField(double x, double y) => SimRandom.Fractal(_seed + 21, x / 260, y / 260, 3);

    /// <summary>Fat lobule field.</summary>
    public double FatField(double x, double y) => SimRandom.Fractal(_seed + 31, x / 420, y / 420, 2);

    /// <summary>The compartment at (x, y) µm.</summary>
    public Region RegionAt(double x, double y)
    {
        if (!InTissue(x, y))
        {
            return Region.Background;
        }

        var (vessel, distance) = NearestVessel(x, y, onlyNear: true);
        if (vessel >= 0)
        {
            var v = Vessels[vessel];
            double r = distance + v.Lumen + v.Wall; // distance from the centre
            if (r < v.Lumen)
            {
                return Region.Lumen;
            }

            if (r < v.Lumen + v.Wall)
            {
                return Region.VesselWall;
            }
        }

        if (InAggregate(x, y))
        {
            return Region.Immune;
        }

        double nest = NestField(x, y);
        if (nest > 0.6)
        {
            return Region.Epithelium;
        }

        if (nest < 0.52 && FatField(x, y) > 0.64)
        {
            return Region.Fat;
        }

        return Region.Stroma;
    }

    /// <summary>
    /// The vessel whose outer wall is nearest to (x, y), and the distance to that outer wall (negative inside the vessel).
    /// With <paramref name="onlyNear"/> only vessels in the 3×3 buckets around the point are considered (−1 if none).
    /// </summary>
    public (int Index, double Distance) NearestVessel(double x, double y, bool onlyNear = false)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        if (onlyNear)
        {
            int cx = (int)Math.Floor(x / BucketSize);
            int cy = (int)Math.Floor(y / BucketSize);
            if ((uint)cx < (uint)_vesselBuckets.GetLength(1) && (uint)cy < (uint)_vesselBuckets.GetLength(0))
            {
                foreach (int i in _vesselBuckets[cy, cx])
                {
                    Consider(i);
                }
            }
        }
        else
        {
            for (int i = 0; i < Vessels.Count; i++)
            {
                Consider(i);
            }
        }

        return (best, bestDistance);

        void Consider(int i)
        {
            var v = Vessels[i];
            double d = Math.Sqrt(((x - v.X) * (x - v.X)) + ((y - v.Y) * (y - v.Y))) - v.Lumen - v.Wall;
            if (d < bestDistance)
            {
                bestDistance = d;
                best = i;
            }
        }
    }

    /// <summary>The adipocyte seed of lattice cell (i, j).</summary>
    public (double X, double Y) FatSeed(long i, long j) =>
        (((j + 0.2) + (0.6 * SimRandom.Hash01(_seed + 41, j, i))) * FatSpacing, ((i + 0.2) + (0.6 * SimRandom.Hash01(_seed + 42, j, i))) * FatSpacing);

    /// <summary>Distances to the nearest and second-nearest adipocyte seed.</summary>
    public (double Nearest, double Second) FatDistances(double x, double y)
    {
        long ci = (long)Math.Floor(y / FatSpacing);
        long cj = (long)Math.Floor(x / FatSpacing);
        double d1 = double.PositiveInfinity;
        double d2 = double.PositiveInfinity;
        for (long i = ci - 1; i <= ci + 1; i++)
        {
            for (long j = cj - 1; j <= cj + 1; j++)
            {
                var (sx, sy) = FatSeed(i, j);
                double d = Math.Sqrt(((x - sx) * (x - sx)) + ((y - sy) * (y - sy)));
                if (d < d1)
                {
                    d2 = d1;
                    d1 = d;
                }
                else if (d < d2)
                {
                    d2 = d;
                }
            }
        }

        return (d1, d2);
    }

    /// <summary>The local fibre direction of the stroma (radians).</summary>
    public double FibreAngle(double x, double y) => Math.PI * 2 * SimRandom.Fractal(_seed + 51, x / 300, y / 300, 2);

    private bool InAggregate(double x, double y)
    {
        int cx = (int)Math.Floor(x / BucketSize);
        int cy = (int)Math.Floor(y / BucketSize);
        if ((uint)cx >= (uint)_aggregateBuckets.GetLength(1) || (uint)cy >= (uint)_aggregateBuckets.GetLength(0))
        {
            return false;
        }

        foreach (int i in _aggregateBuckets[cy, cx])
        {
            var a = Aggregates[i];
            double d = Math.Sqrt(((x - a.X) * (x - a.X)) + ((y - a.Y) * (y - a.Y)));
            double edge = a.Radius * (0.85 + (0.3 * SimRandom.ValueNoise(_seed + 61 + (ulong)i, x / 25, y / 25)));
            if (d < edge)
            {
                return true;
            }
        }

        return false;
    }

    private List<Aggregate> PlaceAggregates(SimRandom rng, int count)
    {
        var result = new List<Aggregate>();
        for (int attempt = 0; attempt < count * 200 && result.Count < count; attempt++)
        {
            double x = rng.Uniform(0, Width);
            double y = rng.Uniform(0, Height);
            double radius = rng.Uniform(35, 80);
            double nest = NestField(x, y);
            if (!InTissue(x, y) || nest < 0.42 || nest > 0.58 || result.Any(a => Distance(a.X, a.Y, x, y) < a.Radius + radius + 30))
            {
                continue;
            }

            result.Add(new Aggregate(x, y, radius));
            AddToBuckets(_aggregateBuckets, result.Count - 1, x, y, radius * 1.2);
        }

        return result;
    }

    private List<Vessel> PlaceVessels(SimRandom rng, int count)
    {
        var result = new List<Vessel>();
        for (int attempt = 0; attempt < count * 200 && result.Count < count; attempt++)
        {
            double x = rng.Uniform(0, Width);
            double y = rng.Uniform(0, Height);
            double lumen = rng.NextDouble() < 0.6 ? rng.Uniform(4, 9) : rng.Uniform(10, 28);
            double wall = lumen < 9 ? rng.Uniform(2.5, 3.5) : rng.Uniform(4, 8);
            double outer = lumen + wall;
            if (!InTissue(x, y) || NestField(x, y) > 0.57 || result.Any(v => Distance(v.X, v.Y, x, y) < v.Lumen + v.Wall + outer + 25)
                || Aggregates.Any(a => Distance(a.X, a.Y, x, y) < a.Radius * 1.2 + outer + 5))
            {
                continue;
            }

            result.Add(new Vessel(x, y, lumen, wall));
            AddToBuckets(_vesselBuckets, result.Count - 1, x, y, outer + 1);
        }

        return result;
    }

    private List<Cell> PlaceCells()
    {
        var cells = new List<Cell>();
        var rng = SimRandom.For(_seed, 2);

        // Jittered lattices per compartment; a candidate is kept where the compartment matches.
        Lattice(10, Region.Epithelium, 0.97, p => new Cell(p.X, p.Y, CellType.Epithelial, rng.Uniform(3.4, 4.6), rng.Uniform(2.8, 3.8), rng.Uniform(0, Math.PI), rng.Uniform(0.85, 1.2)));
        Lattice(6.5, Region.Immune, 0.95, p => new Cell(p.X, p.Y, CellType.Lymphocyte, rng.Uniform(2.2, 2.8), rng.Uniform(2.1, 2.6), rng.Uniform(0, Math.PI), rng.Uniform(1.25, 1.5)));
        Lattice(19, Region.Stroma, 0.75, p => new Cell(p.X, p.Y, CellType.Fibroblast, rng.Uniform(5, 7.5), rng.Uniform(1.2, 1.8), FibreAngle(p.X, p.Y), rng.Uniform(0.9, 1.15)));
        Lattice(30, Region.Stroma, 0.35, p => new Cell(p.X, p.Y, CellType.Lymphocyte, rng.Uniform(2.2, 2.8), rng.Uniform(2.1, 2.6), 0, rng.Uniform(1.25, 1.5)));
        Lattice(34, Region.Stroma, 0.5, p => new Cell(p.X, p.Y, CellType.Macrophage, rng.Uniform(3.8, 4.8), rng.Uniform(2.8, 3.6), rng.Uniform(0, Math.PI), rng.Uniform(0.55, 0.7)));

        // Adipocytes: one per lattice seed inside fat, the nucleus pressed against the membrane.
        for (long i = 0; i * FatSpacing < Height; i++)
        {
            for (long j = 0; j * FatSpacing < Width; j++)
            {
                var (sx, sy) = FatSeed(i, j);
                if (sx >= Width || sy >= Height || RegionAt(sx, sy) != Region.Fat)
                {
                    continue;
                }

                double a = rng.Uniform(0, 2 * Math.PI);
                double r = 0.38 * FatSpacing;
                cells.Add(new Cell(sx + (r * Math.Cos(a)), sy + (r * Math.Sin(a)), CellType.Adipocyte, 5.5, 1.4, a + (Math.PI / 2), 0.9));
            }
        }

        // Endothelial cells line every vessel.
        foreach (var v in Vessels)
        {
            double ring = v.Lumen + (0.35 * v.Wall);
            int n = Math.Max(3, (int)Math.Round(2 * Math.PI * ring / 11));
            double phase = rng.Uniform(0, 2 * Math.PI);
            for (int k = 0; k < n; k++)
            {
                double a = phase + (2 * Math.PI * k / n);
                cells.Add(new Cell(v.X + (ring * Math.Cos(a)), v.Y + (ring * Math.Sin(a)), CellType.Endothelial, 4.2, 1.3, a + (Math.PI / 2), 1.05));
            }
        }

        cells.RemoveAll(c => c.X < 0 || c.Y < 0 || c.X >= Width || c.Y >= Height);
        return [.. cells.OrderBy(c => c.Y).ThenBy(c => c.X)];

        void Lattice(double spacing, Region region, double keep, Func<(double X, double Y), Cell> make)
        {
            for (double y0 = 0; y0 < Height; y0 += spacing)
            {
                for (double x0 = 0; x0 < Width; x0 += spacing)
                {
                    double x = x0 + (spacing * rng.Uniform(0.15, 0.85));
                    double y = y0 + (spacing * rng.Uniform(0.15, 0.85));
                    bool accept = rng.NextDouble() < keep;
                    if (accept && x < Width && y < Height && RegionAt(x, y) == region)
                    {
                        cells.Add(make((x, y)));
                    }
                }
            }
        }
    }

    private static List<int>[,] NewBuckets(int rows, int cols)
    {
        var b = new List<int>[rows, cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                b[i, j] = [];
            }
        }

        return b;
    }

    private static void AddToBuckets(List<int>[,] buckets, int index, double x, double y, double radius)
    {
        int x0 = Math.Max(0, (int)Math.Floor((x - radius) / BucketSize));
        int x1 = Math.Min(buckets.GetLength(1) - 1, (int)Math.Floor((x + radius) / BucketSize));
        int y0 = Math.Max(0, (int)Math.Floor((y - radius) / BucketSize));
        int y1 = Math.Min(buckets.GetLength(0) - 1, (int)Math.Floor((y + radius) / BucketSize));
        for (int i = y0; i <= y1; i++)
        {
            for (int j = x0; j <= x1; j++)
            {
                buckets[i, j].Add(index);
            }
        }
    }

    private static double Distance(double x0, double y0, double x1, double y1) => Math.Sqrt(((x0 - x1) * (x0 - x1)) + ((y0 - y1) * (y0 - y1)));
}
