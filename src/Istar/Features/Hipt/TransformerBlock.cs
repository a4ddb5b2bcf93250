using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>
/// One pre-norm ViT block as in DINO/HIPT: <c>x += attn(norm1(x)); x += mlp(norm2(x))</c>. State-dict names:
/// <c>norm1.*</c>, <c>attn.qkv.*</c>, <c>attn.proj.*</c>, <c>norm2.*</c>, <c>mlp.fc1.*</c>, <c>mlp.fc2.*</c>.
/// </summary>
internal sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "norm1")]
    private readonly LayerNorm _norm1;
    [ComponentName(Name = "attn")]
    private readonly SelfAttention _attention;
    [ComponentName(Name = "norm2")]
    private readonly LayerNorm _norm2;
    [ComponentName(Name = "mlp")]
    private readonly FeedForward _mlp;

    public TransformerBlock(long dim, int heads, long hidden)
        : base(nameof(TransformerBlock))
    {
        _norm1 = nn.LayerNorm(dim, eps: 1e-6);
        _attention = new SelfAttention(dim, heads);
        _norm2 = nn.LayerNorm(dim, eps: 1e-6);
        _mlp = new FeedForward(dim, hidden);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = input.Plus(_attention.forward(_norm1.forward(input)));
        x = x.Plus(_mlp.forward(_norm2.forward(x)));
        return x.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _norm1.Dispose();
            _attention.Dispose();
            _norm2.Dispose();
            _mlp.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Multi-head self-attention with one fused qkv projection (output index <c>s·dim + h·headDim + d</c>) and
/// scaled dot-product attention (scale headDim^−½).
/// </summary>
internal sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "qkv")]
    private readonly Linear _qkv;
    [ComponentName(Name = "proj")]
    private readonly Linear _proj;
    private readonly int _heads;

    public SelfAttention(long dim, int heads)
        : base(nameof(SelfAttention))
    {
        if (dim % heads != 0)
        {
            throw new ArgumentException($"dim {dim} is not a multiple of {heads} heads", nameof(heads));
        }

        _heads = heads;
        _qkv = nn.Linear(dim, dim * 3, hasBias: true);
        _proj = nn.Linear(dim, dim, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0];
        long n = input.shape[1];
        long c = input.shape[2];
        Tensor qkv = _qkv.forward(input).reshape(b, n, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4);
        Tensor q = qkv[0];
        Tensor k = qkv[1];
        Tensor v = qkv[2];
        Tensor attended = nn.functional.scaled_dot_product_attention(q, k, v);
        Tensor merged = attended.transpose(1, 2).reshape(b, n, c);
        return _proj.forward(merged).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _qkv.Dispose();
            _proj.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The ViT MLP: fc1, exact-erf GELU, fc2.</summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "fc1")]
    private readonly Linear _fc1;
    [ComponentName(Name = "fc2")]
    private readonly Linear _fc2;

    public FeedForward(long dim, long hidden)
        : base(nameof(FeedForward))
    {
        _fc1 = nn.Linear(dim, hidden, hasBias: true);
        _fc2 = nn.Linear(hidden, dim, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor h = nn.functional.gelu(_fc1.forward(input));
        return _fc2.forward(h).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fc1.Dispose();
            _fc2.Dispose();
        }

        base.Dispose(disposing);
    }
}
