namespace Istar.Features.Texture;

/// <summary>
/// The channel layout of <see cref="TextureExtractor"/>. Every channel is a statistic of one pixel map over a 16×16-px
/// block (8 µm at 0.5 µm/px), or a neighbourhood mean of such a block statistic.
/// <para>Pixel maps (per pixel of the 0.5 µm/px image):</para>
/// <list type="bullet">
/// <item><c>base</c> (6): R, G, B in [0, 1]; haematoxylin (H), eosin (E) and residual (Res) optical densities from
/// Ruifrok–Johnston colour deconvolution (OD = −log10((I + 1) / 256), stain vectors H = (0.650, 0.704, 0.286),
/// E = (0.072, 0.990, 0.105), residual = H × E).</item>
/// <item>for each scale σ ∈ {1, 2, 4, 8, 16} px and each stain S ∈ {H, E} (10 maps per scale, stain-major):
/// <c>smooth</c> = G_σ * S; <c>grad</c> = σ |∇(G_σ * S)|; <c>log</c> = σ² Δ(G_σ * S) (Laplacian of Gaussian);
/// <c>hess1</c> ≥ <c>hess2</c> = σ² × eigenvalues of the Hessian of G_σ * S. Gaussian kernels are truncated at 3σ;
/// the image edge is extended by replicating edge pixels. σ = 1, 2 are computed at full resolution; σ = 4, 8, 16 as
/// σ' = 2 on the stain maps box-downsampled by 2, 4, 8 (a pyramid; scale-normalised responses are unchanged by it), and
/// their block statistics are over the 8×8, 4×4, 2×2 downsampled pixels of the block.</item>
/// </list>
/// <para>Channels, in order:</para>
/// <list type="number">
/// <item><c>base:mean</c> (6), <c>base:std</c> (6): block mean and (population) standard deviation of the base maps.</item>
/// <item>per σ: <c>s{σ}:mean</c> (10), <c>s{σ}:std</c> (10) of the scale's maps in the order above, then
/// <c>s{σ}:st</c> (4): for H then E, the eigenvalues λ1 ≥ λ2 of the structure tensor σ² ∇S ∇Sᵀ integrated over the block.</item>
/// <item><c>ctx3:mean</c> (56) and <c>ctx7:mean</c> (56): the 56 block-mean channels (base:mean and every s{σ}:mean)
/// averaged over the 3×3 and 7×7 block neighbourhoods (edge blocks replicated).</item>
/// </list>
/// Total: 12 + 5 × 24 + 2 × 56 = 244 channels.
/// </summary>
internal static class TextureChannels
{
    /// <summary>Gaussian scales in pixels.</summary>
    public static readonly int[] Sigmas = [1, 2, 4, 8, 16];

    /// <summary>Names of the base pixel maps.</summary>
    public static readonly string[] BaseMaps = ["R", "G", "B", "H", "E", "Res"];

    /// <summary>Names of the filtered stains.</summary>
    public static readonly string[] Stains = ["H", "E"];

    /// <summary>Names of the filter responses per stain and scale.</summary>
    public static readonly string[] Responses = ["smooth", "grad", "log", "hess1", "hess2"];

    /// <summary>Structure-tensor eigenvalues per stain and scale.</summary>
    public static readonly string[] TensorResponses = ["st1", "st2"];

    /// <summary>Neighbourhood sizes (in blocks) for context pooling.</summary>
    public static readonly int[] ContextSizes = [3, 7];

    /// <summary>Pixel maps per scale.</summary>
    public static int MapsPerScale => Stains.Length * Responses.Length;

    /// <summary>Structure-tensor channels per scale.</summary>
    public static int TensorPerScale => Stains.Length * TensorResponses.Length;

    /// <summary>Channels per scale: mean + std of each map, then structure-tensor eigenvalues.</summary>
    public static int PerScale => (2 * MapsPerScale) + TensorPerScale;

    /// <summary>Channels computed from the pixels of one block (before context pooling).</summary>
    public static int BlockChannels => (2 * BaseMaps.Length) + (Sigmas.Length * PerScale);

    /// <summary>Number of block-mean channels that are context-pooled.</summary>
    public static int MeanChannels => BaseMaps.Length + (Sigmas.Length * MapsPerScale);

    /// <summary>Total channel count.</summary>
    public static int Count => BlockChannels + (ContextSizes.Length * MeanChannels);

    /// <summary>Offset of the first channel of scale index <paramref name="s"/>.</summary>
    public static int ScaleStart(int s) => (2 * BaseMaps.Length) + (s * PerScale);

    /// <summary>Indices (into the block channels) of the block-mean channels, in context order.</summary>
    public static int[] MeanChannelIndices()
    {
        var result = new List<int>();
        for (int i = 0; i < BaseMaps.Length; i++)
        {
            result.Add(i);
        }

        for (int s = 0; s < Sigmas.Length; s++)
        {
            for (int i = 0; i < MapsPerScale; i++)
            {
                result.Add(ScaleStart(s) + i);
            }
        }

        return [.. result];
    }

    /// <summary>The channel groups, in channel order.</summary>
    public static IReadOnlyList<ChannelGroup> Groups()
    {
        var groups = new List<ChannelGroup>();
        int at = 0;
        void Add(string name, int count)
        {
            groups.Add(new ChannelGroup(name, at, count));
            at += count;
        }

        Add("base:mean", BaseMaps.Length);
        Add("base:std", BaseMaps.Length);
        foreach (int sigma in Sigmas)
        {
            Add($"s{sigma}:mean", MapsPerScale);
            Add($"s{sigma}:std", MapsPerScale);
            Add($"s{sigma}:st", TensorPerScale);
        }

        foreach (int size in ContextSizes)
        {
            Add($"ctx{size}:mean", MeanChannels);
        }

        return groups;
    }

    /// <summary>One name per channel, e.g. <c>s4:std:E:grad</c> or <c>ctx7:mean:H</c>.</summary>
    public static IReadOnlyList<string> Names()
    {
        var names = new List<string>();
        var means = new List<string>();
        foreach (string m in BaseMaps)
        {
            names.Add("base:mean:" + m);
            means.Add(m);
        }

        foreach (string m in BaseMaps)
        {
            names.Add("base:std:" + m);
        }

        foreach (int sigma in Sigmas)
        {
            foreach (string stat in new[] { "mean", "std" })
            {
                foreach (string stain in Stains)
                {
                    foreach (string r in Responses)
                    {
                        names.Add($"s{sigma}:{stat}:{stain}:{r}");
                        if (stat == "mean")
                        {
                            means.Add($"s{sigma}:{stain}:{r}");
                        }
                    }
                }
            }

            foreach (string stain in Stains)
            {
                foreach (string r in TensorResponses)
                {
                    names.Add($"s{sigma}:st:{stain}:{r}");
                }
            }
        }

        foreach (int size in ContextSizes)
        {
            foreach (string m in means)
            {
                names.Add($"ctx{size}:mean:{m}");
            }
        }

        return names;
    }
}
