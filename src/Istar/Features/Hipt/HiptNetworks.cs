using TorchSharp;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>Numeric precision of HIPT inference.</summary>
internal enum HiptPrecision
{
    /// <summary>float32 everywhere (the reference).</summary>
    Fp32,

    /// <summary>bfloat16 weights and activations (about 2× faster on AVX-512-BF16 CPUs and GPUs).</summary>
    Bf16,
}

/// <summary>Both HIPT networks, loaded once, on one device and in one precision.</summary>
internal sealed class HiptNetworks : IDisposable
{
    private HiptNetworks(VisionTransformer256 vit256, VisionTransformer4K vit4k, Device device, HiptPrecision precision, string weightsHash)
    {
        Vit256 = vit256;
        Vit4K = vit4k;
        Device = device;
        Precision = precision;
        WeightsHash = weightsHash;
    }

    public VisionTransformer256 Vit256 { get; }

    public VisionTransformer4K Vit4K { get; }

    public Device Device { get; }

    public HiptPrecision Precision { get; }

    public ScalarType ScalarType => Precision == HiptPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>SHA-256 prefixes of both files (<c>vit256+vit4k</c>), empty for networks built in memory.</summary>
    public string WeightsHash { get; }

    /// <summary>Loads both checkpoints (strictly) and moves the networks to <paramref name="device"/>.</summary>
    public static HiptNetworks Load(HiptWeights weights, Device? device = null, HiptPrecision precision = HiptPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(weights);
        // One checkpoint at a time: each one's tensors are freed once copied into its network.
        VisionTransformer256 vit256;
        using (var c256 = HiptCheckpoint.Load(weights.Vit256Path, HiptModelKind.Vit256))
        {
            vit256 = c256.CreateVit256();
        }

        VisionTransformer4K vit4k;
        try
        {
            using var c4k = HiptCheckpoint.Load(weights.Vit4KPath, HiptModelKind.Vit4K);
            vit4k = c4k.CreateVit4K();
        }
        catch
        {
            vit256.Dispose();
            throw;
        }

        return FromModels(vit256, vit4k, device ?? CPU, precision, weights.Identity);
    }

    /// <summary>Wraps networks already loaded (moves them to the device and precision).</summary>
    public static HiptNetworks FromModels(VisionTransformer256 vit256, VisionTransformer4K vit4k, Device device, HiptPrecision precision, string weightsHash)
    {
        ArgumentNullException.ThrowIfNull(vit256);
        ArgumentNullException.ThrowIfNull(vit4k);
        var type = precision == HiptPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        vit256.to(type).to(device);
        vit4k.to(type).to(device);
        vit256.ResetCaches();
        vit4k.ResetCaches();
        return new HiptNetworks(vit256, vit4k, device, precision, weightsHash);
    }

    /// <summary>Runs ViT-256 on (B, 3, 256, 256) float32 CPU input; returns (B, 257, 384) float32 on the CPU.</summary>
    public Tensor RunVit256(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor x = input.to(ScalarType, Device);
        return Vit256.forward(x).to(ScalarType.Float32).cpu().contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Runs ViT-4K on (B, 384, rows, cols) float32 CPU input; returns (B, 1 + rows·cols, 192) float32 CPU.</summary>
    public Tensor RunVit4K(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor x = input.to(ScalarType, Device);
        return Vit4K.forward(x).to(ScalarType.Float32).cpu().contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Vit256.Dispose();
        Vit4K.Dispose();
    }
}
