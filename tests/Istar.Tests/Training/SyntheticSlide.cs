using Istar.Features;
using Istar.Pipeline;
using Istar.Training;

namespace Istar.Tests.Training;

/// <summary>
/// A synthetic slide: independent random features per block, known per-block expression f_g(features), and spots whose
/// counts are the sums of f over their footprints (the generative model iStar assumes).
/// </summary>
internal sealed class SyntheticSlide : IDisposable
{
    public const int Channels = 6;

    public SyntheticSlide(int rows = 30, int columns = 30, int spacing = 2, double radiusBlocks = 1.5, int seed = 1)
    {
        var rng = new Random(seed);
        Grid = FeatureGrid.Allocate(rows, columns, Channels, new FeatureProvenance("synthetic", "test", 0.5, 16, "", ""));
        Truth = new float[rows * columns * Genes.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var v = Grid.Block(r, c);
                for (int k = 0; k < Channels; k++)
                {
                    v[k] = (float)Normal(rng);
                }

                var t = Truth.AsSpan(((r * columns) + c) * Genes.Length, Genes.Length);
                t[0] = (float)Math.Exp(0.8 * v[0]);
                t[1] = (float)(Math.Max(0, v[1]) + (0.5 * v[2] * v[2]));
                t[2] = (float)(2 / (1 + Math.Exp(-2 * (v[3] - v[4]))));
            }
        }

        var footprints = new List<SpotFootprint>();
        var counts = new List<float>();
        for (int i = 1; i < rows - 1; i += spacing)
        {
            for (int j = 1; j < columns - 1; j += spacing)
            {
                var fp = FootprintBuilder.ReferenceDisk(i, j, radiusBlocks).ClipTo(rows, columns);
                footprints.Add(fp);
                var sum = new float[Genes.Length];
                foreach (int b in fp.LinearIndices(columns))
                {
                    for (int g = 0; g < Genes.Length; g++)
                    {
                        sum[g] += Truth[(b * Genes.Length) + g];
                    }
                }

                counts.AddRange(sum);
            }
        }

        Set = TrainingSet.Create(rows, columns, Genes, counts.ToArray(), footprints, FootprintBuilder.DiskSize(radiusBlocks), SilentRunLog.Instance);
    }

    public static string[] Genes { get; } = ["exp", "relu", "sigmoid"];

    public FeatureGrid Grid { get; }

    /// <summary>True expected counts per block, Hb × Wb × G.</summary>
    public float[] Truth { get; }

    public TrainingSet Set { get; }

    public static double Correlation(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        double ma = a.Average(v => (double)v), mb = b.Average(v => (double)v);
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    public void Dispose() => Grid.Dispose();

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
