using Istar.Imaging;
using Istar.Pipeline;
using TorchSharp;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>
/// HIPT histology features (ViT-256 + ViT-4K, 579 channels: cls 0–191, sub 192–575, rgb 576–578). Both
/// checkpoints are loaded once, on the first <see cref="Extract"/>, and reused for every shift and every image.
/// </summary>
internal sealed class HiptExtractor : IFeatureExtractor, IDisposable
{
    private readonly HiptWeights _weights;
    private readonly HiptOptions _options;
    private readonly Lock _gate = new();
    private HiptNetworks? _networks;
    private bool _ownsNetworks = true;
    private string? _settingsKey;

    public HiptExtractor(HiptWeights weights, HiptOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = weights;
        _options = options ?? new HiptOptions();
        if (_options.BatchSize <= 0)
        {
            throw new Istar.Input.InputException("--batch-size", $"must be positive, got {_options.BatchSize}.");
        }
    }

    /// <summary>
    /// Resolves the checkpoints (<c>--hipt256</c>/<c>--hipt4k</c>, else <c>$ISTAR_WEIGHTS</c>, else
    /// <c>~/.cache/istar/weights</c>) and creates the extractor; throws <see cref="Istar.Input.InputException"/> saying
    /// where it looked when a file is missing.
    /// </summary>
    public static HiptExtractor Create(string? hipt256, string? hipt4k, HiptOptions? options = null) =>
        new(HiptWeights.Resolve(hipt256, hipt4k), options);

    /// <summary>For tests and callers that already hold loaded networks (not disposed with the extractor).</summary>
    internal HiptExtractor(HiptNetworks networks, HiptOptions? options = null)
        : this(new HiptWeights(string.Empty, string.Empty), options)
    {
        _networks = networks;
        _ownsNetworks = false;
        _settingsKey = $"hipt;{_options.Key};weights={networks.WeightsHash}";
    }

    /// <inheritdoc />
    public string Name => "hipt";

    /// <inheritdoc />
    public string SettingsKey => _settingsKey ??= $"hipt;{_options.Key};weights={_weights.Identity}";

    /// <inheritdoc />
    public int Channels => HiptEmbedding.TotalChannels;

    /// <summary>The options in use.</summary>
    public HiptOptions Options => _options;

    /// <inheritdoc />
    public FeatureGrid Extract(ScaledImage image, bool[]? tissueHint, IRunLog log, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(log);
        if (tissueHint is not null && tissueHint.Length != image.BlockRows * image.BlockColumns)
        {
            throw new ArgumentException($"tissueHint must hold {image.BlockRows} x {image.BlockColumns} values", nameof(tissueHint));
        }

        if (_options.Threads > 0)
        {
            torch.set_num_threads(_options.Threads);
        }

        var networks = Networks(log);
        string mode = _options.Mode == HiptMode.Faithful ? (_options.Shift ? "faithful" : "faithful-noshift") : "fast";
        var provenance = new FeatureProvenance(Name, mode, image.MicronsPerPixel, 16, networks.WeightsHash, string.Empty);
        return _options.Mode == HiptMode.Faithful
            ? HiptFeatures.ExtractFaithful(networks, image, _options, provenance, log, cancellation)
            : HiptFastFeatures.Extract(networks, image, tissueHint, _options, provenance, log, cancellation);
    }

    /// <summary>The device the options ask for: <c>cuda</c> only when libtorch has CUDA, else the CPU (with a warning).</summary>
    internal static Device ResolveDevice(string requested, IRunLog log)
    {
        string d = requested.Trim().ToLowerInvariant();
        switch (d)
        {
            case "cpu":
                return CPU;
            case "cuda" or "gpu" or "auto":
                if (cuda.is_available())
                {
                    return CUDA;
                }

                if (d != "auto")
                {
                    log.Warn("[features] CUDA was requested but libtorch reports no CUDA device; running HIPT on the CPU.");
                }

                return CPU;
            default:
                throw new Istar.Input.InputException("--device", $"'{requested}' is not a device.", "Use cpu, cuda or auto.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_ownsNetworks)
            {
                _networks?.Dispose();
            }

            _networks = null;
        }
    }

    private HiptNetworks Networks(IRunLog log)
    {
        lock (_gate)
        {
            if (_networks is null)
            {
                var device = ResolveDevice(_options.Device, log);
                log.Info($"[features] loading HIPT checkpoints {_weights.Vit256Path} and {_weights.Vit4KPath} ({device.type}, {_options.Precision.ToString().ToLowerInvariant()})");
                _networks = HiptNetworks.Load(_weights, device, _options.Precision);
            }

            return _networks;
        }
    }
}
