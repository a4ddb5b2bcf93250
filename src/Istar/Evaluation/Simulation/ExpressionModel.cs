using System.Globalization;

namespace Istar.Evaluation.Simulation;

/// <summary>
/// The gene panel and how each cell expresses it: a cell-type profile (with five marker genes per type) plus two
/// structure-tied programs driven by the distance to the nearest vessel wall: <c>hypoxia</c> (rises away from
/// vessels, mostly in epithelial cells and macrophages) and <c>perivascular</c> (falls off within ~30 µm of a vessel).
/// </summary>
internal sealed class ExpressionModel
{
    /// <summary>Expected counts per cell over the panel at depth 1, before the cell type's RNA content factor.</summary>
    public const double CountsPerCell = 100;

    public static readonly string[][] Markers =
    [
        ["EPCAM", "KRT8", "KRT18", "KRT19", "CDH1"],
        ["COL1A1", "COL1A2", "COL3A1", "DCN", "LUM"],
        ["ADIPOQ", "PLIN1", "FABP4", "LEP", "CIDEA"],
        ["PTPRC", "CD3E", "CD2", "MS4A1", "CD79A"],
        ["PECAM1", "VWF", "CDH5", "CLDN5", "KDR"],
        ["CD68", "CD163", "LYZ", "C1QA", "AIF1"],
    ];

    public static readonly string[] HypoxiaGenes = ["VEGFA", "CA9", "SLC2A1", "PGK1", "LDHA", "ADM", "NDRG1", "BNIP3"];

    public static readonly string[] PerivascularGenes = ["RGS5", "NOTCH3", "PDGFRB", "MCAM", "ANGPT2"];

    /// <summary>Relative RNA content per cell type.</summary>
    public static readonly double[] RnaContent = [1.0, 0.7, 0.5, 0.45, 0.6, 0.9];

    /// <summary>Hypoxia program strength per cell type (fraction of the cell's counts at full hypoxia).</summary>
    public static readonly double[] HypoxiaStrength = [0.25, 0.05, 0.03, 0.03, 0.02, 0.2];

    /// <summary>Perivascular program strength (fraction of the cell's counts next to a vessel).</summary>
    public const double PerivascularStrength = 0.15;

    /// <summary>Length scale of the hypoxia rise (µm).</summary>
    public const double HypoxiaLength = 120;

    /// <summary>Length scale of the perivascular decay (µm).</summary>
    public const double PerivascularLength = 30;

    private readonly double[][] _profiles;
    private readonly double[] _hypoxia;
    private readonly double[] _perivascular;

    public ExpressionModel(int genes, int seed)
    {
        var names = new List<string>();
        var kinds = new List<string>();
        for (int t = 0; t < Markers.Length; t++)
        {
            foreach (string m in Markers[t])
            {
                names.Add(m);
                kinds.Add("marker:" + (CellType)t);
            }
        }

        foreach (string g in HypoxiaGenes)
        {
            names.Add(g);
            kinds.Add("program:hypoxia");
        }

        foreach (string g in PerivascularGenes)
        {
            names.Add(g);
            kinds.Add("program:perivascular");
        }

        for (int i = names.Count; i < genes; i++)
        {
            names.Add("SIMG" + (i + 1).ToString("D5", CultureInfo.InvariantCulture));
            kinds.Add("background");
        }

        GeneNames = names.Take(genes).ToArray();
        GeneKinds = kinds.Take(genes).ToArray();
        GeneIds = Enumerable.Range(1, genes).Select(i => "SIMG" + i.ToString("D11", CultureInfo.InvariantCulture)).ToArray();

        var rng = SimRandom.For(SimRandom.Mix((ulong)(uint)seed + 77UL), 3);
        int types = Markers.Length;
        _profiles = new double[types][];
        for (int t = 0; t < types; t++)
        {
            var p = new double[genes];
            for (int g = 0; g < genes; g++)
            {
                string kind = GeneKinds[g];
                double level = Math.Exp(0.8 * rng.NextGaussian());
                if (kind == "marker:" + (CellType)t)
                {
                    level *= rng.Uniform(30, 60);
                }
                else if (kind.StartsWith("marker:", StringComparison.Ordinal))
                {
                    level *= 0.05;
                }
                else if (kind.StartsWith("program:", StringComparison.Ordinal))
                {
                    level *= 0.1;
                }

                p[g] = level;
            }

            _profiles[t] = Normalised(p);
        }

        _hypoxia = Program("program:hypoxia", rng);
        _perivascular = Program("program:perivascular", rng);
    }

    public IReadOnlyList<string> GeneNames { get; }

    public IReadOnlyList<string> GeneIds { get; }

    /// <summary>What each gene is: <c>marker:&lt;type&gt;</c>, <c>program:hypoxia</c>, <c>program:perivascular</c> or <c>background</c>.</summary>
    public IReadOnlyList<string> GeneKinds { get; }

    public int GeneCount => GeneNames.Count;

    /// <summary>Hypoxia level at a distance from the nearest vessel wall.</summary>
    public static double Hypoxia(double distance) => 1 - Math.Exp(-Math.Max(0, distance) / HypoxiaLength);

    /// <summary>Perivascular level at a distance from the nearest vessel wall.</summary>
    public static double Perivascular(double distance) => Math.Exp(-Math.Max(0, distance) / PerivascularLength);

    /// <summary>Adds the expected counts of one cell (at depth <paramref name="depth"/>) to <paramref name="target"/> (one value per gene).</summary>
    public void AddCell(CellType type, double vesselDistance, double depth, Span<double> target)
    {
        int t = (int)type;
        double scale = CountsPerCell * depth * RnaContent[t];
        double h = HypoxiaStrength[t] * Hypoxia(vesselDistance);
        double v = PerivascularStrength * Perivascular(vesselDistance);
        var p = _profiles[t];
        for (int g = 0; g < p.Length; g++)
        {
            target[g] += scale * (p[g] + (h * _hypoxia[g]) + (v * _perivascular[g]));
        }
    }

    private double[] Program(string kind, SimRandom rng)
    {
        var q = new double[GeneCount];
        for (int g = 0; g < GeneCount; g++)
        {
            q[g] = GeneKinds[g] == kind ? rng.Uniform(0.5, 1.5) : 0;
        }

        return q.Sum() > 0 ? Normalised(q) : q;
    }

    private static double[] Normalised(double[] v)
    {
        double s = v.Sum();
        return [.. v.Select(x => x / s)];
    }
}
