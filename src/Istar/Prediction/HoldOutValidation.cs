using Istar.Features;
using Istar.Pipeline;
using Istar.Training;
using static TorchSharp.torch;

namespace Istar.Prediction;

/// <summary>Result of hold-out validation: per-gene Pearson r between held-out measured counts and footprint sums.</summary>
internal sealed record ValidationReport(IReadOnlyList<string> GeneNames, double[] Pearson, int[] HeldOut, SpotFit HeldOutFit)
{
    /// <summary>Mean of the finite per-gene correlations (NaN when none is finite).</summary>
    public double MeanPearson
    {
        get
        {
            var finite = Pearson.Where(double.IsFinite).ToArray();
            return finite.Length == 0 ? double.NaN : finite.Average();
        }
    }
}

/// <summary>
/// <c>validate fraction</c>: holds out a seeded random fraction of spots, trains on the rest and compares each held-out
/// spot's measured counts with the sum of the predicted counts per block over its footprint, gene by gene.
/// </summary>
internal static class HoldOutValidation
{
    /// <summary>Positions (into the set) of the held-out spots: round(fraction · n), at least 1 and at most n − 1, seeded.</summary>
    public static int[] ChooseHeldOut(int spots, double fraction, long seed)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), "the held-out fraction must lie strictly between 0 and 1");
        }

        if (spots < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(spots), "hold-out validation needs at least 2 spots");
        }

        int count = Math.Clamp((int)Math.Round(fraction * spots, MidpointRounding.ToEven), 1, spots - 1);
        using var generator = new Generator((ulong)unchecked((seed * 31L) + 12345));
        using var perm = randperm(spots, generator: generator);
        var chosen = perm.data<long>().ToArray().Take(count).Select(v => (int)v).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>Trains on the spots not held out and scores the held-out ones.</summary>
    public static ValidationReport Run(FeatureGrid grid, TrainingSet set, double fraction, TrainingOptions options, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var held = ChooseHeldOut(set.SpotCount, fraction, options.Seed);
        var heldSet = new HashSet<int>(held);
        var train = Enumerable.Range(0, set.SpotCount).Where(s => !heldSet.Contains(s)).ToArray();
        log.Info($"[validate] training on {train.Length} spots, holding out {held.Length}");
        using var ensemble = ExpressionTrainer.Train(grid, set.Subset(train), options, log, cancellation);
        return Score(ensemble, grid, set.Subset(held), held);
    }

    /// <summary>Scores a trained ensemble on spots it has not seen.</summary>
    public static ValidationReport Score(ExpressionEnsemble ensemble, FeatureGrid grid, TrainingSet heldOut, int[] heldPositions)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        var fit = ExpressionPredictor.FitSpots(ensemble, grid, heldOut);
        int genes = heldOut.GeneCount;
        var r = new double[genes];
        for (int g = 0; g < genes; g++)
        {
            r[g] = Pearson(fit.Measured, fit.Fitted, g, genes);
        }

        return new ValidationReport(heldOut.GeneNames, r, heldPositions, fit);
    }

    /// <summary>Pearson correlation of column <paramref name="gene"/> of two spots × genes arrays (NaN when either is constant).</summary>
    public static double Pearson(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int gene, int genes)
    {
        int n = a.Length / genes;
        double ma = 0, mb = 0;
        for (int s = 0; s < n; s++)
        {
            ma += a[(s * genes) + gene];
            mb += b[(s * genes) + gene];
        }

        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int s = 0; s < n; s++)
        {
            double da = a[(s * genes) + gene] - ma;
            double db = b[(s * genes) + gene] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }

        return saa > 0 && sbb > 0 ? sab / Math.Sqrt(saa * sbb) : double.NaN;
    }
}
