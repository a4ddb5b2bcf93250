using Istar.Imaging;
using Istar.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>
/// One iStar <c>get_embeddings</c> run (spec §5.4) on a crop of the scaled image: edge-replicated 4096 tiling,
/// ViT-256 on every 256-px patch, ViT-4K once over the whole grid of ViT-256 CLS tokens, ViT-4K patch tokens
/// replicated over their 16 × 16 blocks; both are <b>added</b> into a feature grid at a block offset.
/// Identical patches are computed once (same input, same output): patches wholly inside the edge-replicated
/// padding (their content depends only on where the padding starts) and patches of one flat colour (white
/// padding, empty glass).
/// </summary>
internal sealed class HiptEmbedding
{
    /// <summary>Channel layout of the HIPT feature vector.</summary>
    public const int ClsChannels = 192;
    public const int SubChannels = 384;
    public const int RgbChannels = 3;
    public const int ClsStart = 0;
    public const int SubStart = ClsChannels;
    public const int RgbStart = ClsChannels + SubChannels;
    public const int TotalChannels = ClsChannels + SubChannels + RgbChannels;

    private const int Patch = 256;
    private const int Region = 4096;
    private const int PatchesPerRegionSide = Region / Patch;
    private const int PatchBytes = Patch * Patch * 3;
    private const int MaxCachedPatches = 256;
    private static readonly float[] Normalized = BuildNormalization();
    private readonly HiptNetworks _networks;
    private readonly int _batchSize;
    private readonly Dictionary<UInt128, float[]> _cache = [];

    public HiptEmbedding(HiptNetworks networks, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _networks = networks;
        _batchSize = batchSize;
    }

    /// <summary>Number of patches the last runs actually sent through ViT-256.</summary>
    public long PatchesComputed { get; private set; }

    /// <summary>Number of patches the last runs took from an identical earlier patch.</summary>
    public long PatchesReused { get; private set; }

    /// <summary>iStar's input normalization, <c>(float32(v)/255 − 0.5)/0.5</c>, CHW, for one interleaved RGB patch.</summary>
    public static void Normalize(ReadOnlySpan<byte> rgb, Span<float> chw)
    {
        int plane = rgb.Length / 3;
        for (int i = 0; i < plane; i++)
        {
            chw[i] = Normalized[rgb[i * 3]];
            chw[plane + i] = Normalized[rgb[(i * 3) + 1]];
            chw[(2 * plane) + i] = Normalized[rgb[(i * 3) + 2]];
        }
    }

    /// <summary>
    /// Runs on rows [y0, y0 + height) × cols [x0, x0 + width) of <paramref name="image"/> and adds the
    /// floor(height/16) × floor(width/16) block results into <paramref name="grid"/> at (blockRow0, blockCol0).
    /// </summary>
    public void AddRun(ScaledImage image, int y0, int x0, int height, int width, FeatureGrid grid, int blockRow0, int blockCol0, IProgressTask? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(grid);
        int tilesDown = (height + Region - 1) / Region;
        int tilesAcross = (width + Region - 1) / Region;
        int gridRows = tilesDown * PatchesPerRegionSide;
        int gridCols = tilesAcross * PatchesPerRegionSide;
        int blockRows = height / 16;
        int blockCols = width / 16;
        var clsGrid = new float[(long)gridRows * gridCols * SubChannels];

        var batchKeys = new List<UInt128>(_batchSize);
        var batchTargets = new List<List<(int Row, int Col)>>(_batchSize);
        var batchSlots = new Dictionary<UInt128, int>();
        var batchKeyed = new HashSet<int>();

        // Keys of padding patches are positions in this crop: valid for this run only. Flat-colour keys hold
        // across runs and images.
        var runCache = new Dictionary<UInt128, float[]>();
        var input = new float[(long)_batchSize * 3 * Patch * Patch];
        var patch = new byte[PatchBytes];

        void Flush()
        {
            if (batchKeys.Count == 0)
            {
                return;
            }

            int n = batchKeys.Count;
            using var scope = NewDisposeScope();
            using var x = tensor(input.AsSpan(0, n * 3 * Patch * Patch).ToArray(), [n, 3, Patch, Patch]);
            using var tokens = _networks.RunVit256(x);
            float[] values = tokens.data<float>().ToArray();
            int per = values.Length / n;
            for (int s = 0; s < n; s++)
            {
                var output = values.AsSpan(s * per, per);
                foreach (var (row, col) in batchTargets[s])
                {
                    Scatter(output, row, col);
                }

                if (batchKeyed.Contains(s))
                {
                    UInt128 key = batchKeys[s];
                    var cache = IsFlatKey(key) ? _cache : runCache;
                    if (cache.Count < MaxCachedPatches)
                    {
                        cache[key] = output.ToArray();
                    }
                }
            }

            PatchesComputed += n;
            progress?.Advance(batchTargets.Sum(t => t.Count));
            batchKeys.Clear();
            batchTargets.Clear();
            batchSlots.Clear();
            batchKeyed.Clear();
        }

        void Scatter(ReadOnlySpan<float> output, int row, int col)
        {
            output[..SubChannels].CopyTo(clsGrid.AsSpan((int)((((long)row * gridCols) + col) * SubChannels), SubChannels));
            for (int i = 0; i < 16; i++)
            {
                int br = (row * 16) + i;
                if (br >= blockRows)
                {
                    break;
                }

                for (int j = 0; j < 16; j++)
                {
                    int bc = (col * 16) + j;
                    if (bc >= blockCols)
                    {
                        break;
                    }

                    var token = output.Slice((1 + (i * 16) + j) * SubChannels, SubChannels);
                    var block = grid.Block(blockRow0 + br, blockCol0 + bc).Slice(SubStart, SubChannels);
                    for (int d = 0; d < SubChannels; d++)
                    {
                        block[d] += token[d];
                    }
                }
            }
        }

        int slot;
        for (int row = 0; row < gridRows; row++)
        {
            for (int col = 0; col < gridCols; col++)
            {
                cancellation.ThrowIfCancellationRequested();
                CutPatch(image, y0, x0, height, width, row * Patch, col * Patch, patch);
                UInt128? found = Key(patch, row * Patch, col * Patch, height, width);
                if (found is not UInt128 key)
                {
                    slot = batchKeys.Count;
                    batchKeys.Add(UInt128.Zero);
                    batchTargets.Add([(row, col)]);
                    Normalize(patch, input.AsSpan(slot * 3 * Patch * Patch, 3 * Patch * Patch));
                    if (batchKeys.Count == _batchSize)
                    {
                        Flush();
                    }

                    continue;
                }

                if (_cache.TryGetValue(key, out var cached) || runCache.TryGetValue(key, out cached))
                {
                    Scatter(cached, row, col);
                    PatchesReused++;
                    progress?.Advance();
                    continue;
                }

                if (batchSlots.TryGetValue(key, out slot))
                {
                    batchTargets[slot].Add((row, col));
                    PatchesReused++;
                    continue;
                }

                slot = batchKeys.Count;
                batchSlots[key] = slot;
                batchKeyed.Add(slot);
                batchKeys.Add(key);
                batchTargets.Add([(row, col)]);
                Normalize(patch, input.AsSpan(slot * 3 * Patch * Patch, 3 * Patch * Patch));
                if (batchKeys.Count == _batchSize)
                {
                    Flush();
                }
            }
        }

        Flush();

        // ViT-4K once over the whole grid (not per 4096 region), patch tokens replicated over 16 × 16 blocks.
        float[] regionTokens;
        using (var scope = NewDisposeScope())
        {
            using var g = tensor(clsGrid, [1, gridRows, gridCols, SubChannels]);
            using var x = g.permute(0, 3, 1, 2);
            using var tokens = _networks.RunVit4K(x);
            regionTokens = tokens.data<float>().ToArray();
        }

        for (int br = 0; br < blockRows; br++)
        {
            for (int bc = 0; bc < blockCols; bc++)
            {
                int token = 1 + ((br / 16) * gridCols) + (bc / 16);
                var src = regionTokens.AsSpan(token * ClsChannels, ClsChannels);
                var block = grid.Block(blockRow0 + br, blockCol0 + bc).Slice(ClsStart, ClsChannels);
                for (int d = 0; d < ClsChannels; d++)
                {
                    block[d] += src[d];
                }
            }
        }
    }

    /// <summary>Patches a run of this crop will send through ViT-256 (before de-duplication).</summary>
    public static long PatchCount(int height, int width) =>
        (long)((height + Region - 1) / Region) * ((width + Region - 1) / Region) * PatchesPerRegionSide * PatchesPerRegionSide;

    /// <summary>Copies a 256-px patch at (py, px) of the crop, edge-replicating past its bottom/right border.</summary>
    internal static void CutPatch(ScaledImage image, int y0, int x0, int height, int width, int py, int px, Span<byte> patch)
    {
        int inside = Math.Clamp(width - px, 0, Patch);
        int lastX = Math.Min(px + Patch, width) - 1;
        for (int i = 0; i < Patch; i++)
        {
            int y = y0 + Math.Min(py + i, height - 1);
            var line = image.ReadRows(y, 1);
            var dst = patch.Slice(i * Patch * 3, Patch * 3);
            if (inside > 0)
            {
                line.Slice((x0 + px) * 3, inside * 3).CopyTo(dst);
            }

            if (inside < Patch)
            {
                var edge = line.Slice((x0 + lastX) * 3, 3);
                for (int j = inside; j < Patch; j++)
                {
                    edge.CopyTo(dst.Slice(j * 3, 3));
                }
            }
        }
    }

    /// <summary>
    /// A key shared exactly by patches with equal content, or null for an ordinary patch: a flat colour (tag 1 +
    /// RGB), or a patch wholly in the edge padding (tag 2 + its clamped position: rows past the crop all repeat the
    /// last row, columns past it the last column).
    /// </summary>
    private static UInt128? Key(ReadOnlySpan<byte> patch, int py, int px, int height, int width)
    {
        if (IsFlat(patch))
        {
            return new UInt128(1, ((ulong)patch[0] << 16) | ((ulong)patch[1] << 8) | patch[2]);
        }

        bool below = py >= height;
        bool right = px >= width;
        if (!below && !right)
        {
            return null;
        }

        ulong y = below ? uint.MaxValue : (ulong)py;
        ulong x = right ? uint.MaxValue : (ulong)px;
        return new UInt128(2, (y << 32) | x);
    }

    private static bool IsFlatKey(UInt128 key) => (ulong)(key >> 64) == 1;

    private static bool IsFlat(ReadOnlySpan<byte> patch)
    {
        byte r = patch[0], g = patch[1], b = patch[2];
        for (int i = 3; i < patch.Length; i += 3)
        {
            if (patch[i] != r || patch[i + 1] != g || patch[i + 2] != b)
            {
                return false;
            }
        }

        return true;
    }

    private static float[] BuildNormalization()
    {
        var table = new float[256];
        for (int v = 0; v < 256; v++)
        {
            table[v] = ((v / 255f) - 0.5f) / 0.5f;
        }

        return table;
    }
}
