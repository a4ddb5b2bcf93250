using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>Sizes of a HIPT ViT, read from a checkpoint's keys and shapes.</summary>
/// <param name="Dim">Token width (384 for ViT-256, 192 for ViT-4K).</param>
/// <param name="Depth">Number of blocks (12 / 6 in the real files, 2 in the fixtures).</param>
/// <param name="Heads">Attention heads (6 for both HIPT models).</param>
/// <param name="MlpHidden">Hidden width of the block MLP (4 · Dim).</param>
/// <param name="InputDim">ViT-256: input channels (3); ViT-4K: width of the input tokens (384).</param>
/// <param name="PatchSize">ViT-256: patch side in pixels (16); ViT-4K: 1.</param>
/// <param name="StoredGrid">Side of the stored positional grid (14).</param>
internal sealed record VitConfig(int Dim, int Depth, int Heads, int MlpHidden, int InputDim, int PatchSize, int StoredGrid);

/// <summary>Shared parts of both HIPT ViTs: CLS token, positional table, blocks, final norm.</summary>
internal abstract class HiptVisionTransformer : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "cls_token")]
    protected readonly Parameter _clsToken;
    [ComponentName(Name = "pos_embed")]
    protected readonly Parameter _posEmbed;
    [ComponentName(Name = "blocks")]
    protected readonly ModuleList<TransformerBlock> _blocks;
    [ComponentName(Name = "norm")]
    protected readonly LayerNorm _norm;
    private readonly Dictionary<(int Rows, int Cols), Tensor> _positionCache = [];
    private float[]? _storedTable;

    protected HiptVisionTransformer(string name, VitConfig config)
        : base(name)
    {
        Config = config;
        _clsToken = new Parameter(zeros(1, 1, config.Dim), requires_grad: false);
        _posEmbed = new Parameter(zeros(1, 1 + (config.StoredGrid * config.StoredGrid), config.Dim), requires_grad: false);
        var blocks = new TransformerBlock[config.Depth];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i] = new TransformerBlock(config.Dim, config.Heads, config.MlpHidden);
        }

        _blocks = nn.ModuleList(blocks);
        _norm = nn.LayerNorm(config.Dim, eps: 1e-6);
    }

    public VitConfig Config { get; }


    /// <summary>Drops cached positional tables (after weights, device or dtype changed).</summary>
    public void ResetCaches()
    {
        foreach (var t in _positionCache.Values)
        {
            t.Dispose();
        }

        _positionCache.Clear();
        _storedTable = null;
    }

    /// <summary>The positional table for a rows × cols token grid, (1, 1 + rows·cols, dim), on the model's device.</summary>
    public float[] PositionTable(int rows, int cols)
    {
        _storedTable ??= _posEmbed.detach().cpu().to(float32).data<float>().ToArray();
        return PositionalEmbedding.Interpolate(_storedTable, Config.Dim, rows, cols);
    }

    /// <summary>Adds CLS and positions to (B, rows·cols, dim) tokens, runs the blocks and the final norm.</summary>
    protected Tensor Encode(Tensor tokens, int rows, int cols)
    {
        using var scope = NewDisposeScope();
        long b = tokens.shape[0];
        Tensor cls = _clsToken.expand(b, -1, -1);
        Tensor x = cat([cls, tokens], 1);
        x = x.Plus(Positions(rows, cols, x));
        foreach (var block in _blocks)
        {
            x = block.forward(x);
        }

        return _norm.forward(x).MoveToOuterDisposeScope();
    }

    private Tensor Positions(int rows, int cols, Tensor like)
    {
        if (!_positionCache.TryGetValue((rows, cols), out var table) || table.device != like.device || table.dtype != like.dtype)
        {
            table?.Dispose();
            float[] values = PositionTable(rows, cols);
            using var cpu = tensor(values, [1, 1 + ((long)rows * cols), Config.Dim]);
            table = cpu.to(like.dtype, like.device).DetachFromDisposeScope();
            _positionCache[(rows, cols)] = table;
        }

        return table;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ResetCaches();
            _clsToken.Dispose();
            _posEmbed.Dispose();
            _blocks.Dispose();
            _norm.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// HIPT ViT-256 (DINO ViT-S/16): 3 × 256 × 256 normalized RGB → (B, 257, 384) tokens after the final LayerNorm
/// (token 0 = CLS, token 1 + 16a + b = patch row a, column b). State-dict keys as in the checkpoint's teacher
/// backbone: <c>cls_token, pos_embed, patch_embed.proj.*, blocks.N.*, norm.*</c>.
/// </summary>
internal sealed class VisionTransformer256 : HiptVisionTransformer
{
    [ComponentName(Name = "patch_embed")]
    private readonly PatchEmbedding _patchEmbed;

    public VisionTransformer256(VitConfig config)
        : base(nameof(VisionTransformer256), config)
    {
        _patchEmbed = new PatchEmbedding(config.InputDim, config.Dim, config.PatchSize);
        RegisterComponents();
    }

    /// <summary>All tokens for (B, 3, H, W) input.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        int rows = (int)(input.shape[2] / Config.PatchSize);
        int cols = (int)(input.shape[3] / Config.PatchSize);
        Tensor tokens = _patchEmbed.forward(input);
        return Encode(tokens, rows, cols).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _patchEmbed.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Conv2d patch embedding (<c>patch_embed.proj</c>), flattened row-major to (B, tokens, dim).</summary>
internal sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "proj")]
    private readonly Conv2d _proj;

    public PatchEmbedding(int inputChannels, int dim, int patch)
        : base(nameof(PatchEmbedding))
    {
        _proj = nn.Conv2d(inputChannels, dim, kernel_size: patch, stride: patch, bias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return _proj.forward(input).flatten(2).transpose(1, 2).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _proj.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// HIPT ViT-4K (<c>vit4k_xs</c>): a (B, 384, gh, gw) grid of ViT-256 CLS vectors → (B, 1 + gh·gw, 192) tokens after
/// the final LayerNorm. Tokenizer <c>phi</c> = Linear 384→192 + GELU (keys <c>phi.0.*</c>).
/// </summary>
internal sealed class VisionTransformer4K : HiptVisionTransformer
{
    [ComponentName(Name = "phi")]
    private readonly Sequential _phi;

    public VisionTransformer4K(VitConfig config)
        : base(nameof(VisionTransformer4K), config)
    {
        _phi = nn.Sequential(
            ("0", nn.Linear(config.InputDim, config.Dim, hasBias: true)),
            ("1", nn.GELU()),
            ("2", nn.Dropout(0)));
        RegisterComponents();
    }

    /// <summary>All tokens for a (B, inputDim, rows, cols) grid.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        int rows = (int)input.shape[2];
        int cols = (int)input.shape[3];
        Tensor tokens = _phi.forward(input.flatten(2).transpose(1, 2));
        return Encode(tokens, rows, cols).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _phi.Dispose();
        }

        base.Dispose(disposing);
    }
}
