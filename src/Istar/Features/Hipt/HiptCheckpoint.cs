using System.Globalization;
using System.Text;
using Istar.Formats.Torch;
using Istar.Input;
using static TorchSharp.torch;

namespace Istar.Features.Hipt;

/// <summary>Which HIPT network a checkpoint holds.</summary>
internal enum HiptModelKind
{
    /// <summary>ViT-256 (ViT-S/16 on 256-px patches): keys <c>patch_embed.*</c>.</summary>
    Vit256,

    /// <summary>ViT-4K (XS on the grid of ViT-256 CLS tokens): keys <c>phi.*</c>.</summary>
    Vit4K,
}

/// <summary>
/// A HIPT DINO training checkpoint (<c>torch.save</c> zip) reduced to its teacher backbone: the <c>teacher</c> entry
/// when present (else the top-level dict), keys with <c>module.</c> then <c>backbone.</c> removed, <c>head.*</c>
/// ignored (spec §6.4). Storages tagged <c>cuda:0</c> are read onto the CPU. Sizes (depth, width, MLP) come from the
/// keys and shapes. Loading into a network is strict: a missing or misshapen backbone key is an error naming it.
/// Memory: only the kept tensors are read (<see cref="TorchArchive"/>), so loading HIPT's 704 MB ViT-256 file costs
/// about its 87 MB teacher backbone, not the whole file.
/// </summary>
internal sealed class HiptCheckpoint : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private HiptCheckpoint(string path, HiptModelKind kind, Dictionary<string, Tensor> tensors, VitConfig config, string? arch, IReadOnlyList<string> recordsRead, long bytesRead)
    {
        Path = path;
        Kind = kind;
        _tensors = tensors;
        Config = config;
        Arch = arch;
        RecordsRead = recordsRead;
        BytesRead = bytesRead;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The network found in the keys.</summary>
    public HiptModelKind Kind { get; }

    /// <summary>Sizes read from the keys.</summary>
    public VitConfig Config { get; }

    /// <summary>The training <c>args.arch</c> when the checkpoint has one (e.g. <c>vit_small</c>).</summary>
    public string? Arch { get; }

    /// <summary>Backbone tensors after prefix stripping (without <c>head.*</c>).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>The zip records (storages) read, in order: the kept tensors' only.</summary>
    public IReadOnlyList<string> RecordsRead { get; }

    /// <summary>Storage bytes read from the file.</summary>
    public long BytesRead { get; }

    /// <summary>
    /// Reads a checkpoint and checks it holds the <paramref name="expected"/> network. Only the kept tensors'
    /// storages are read from the zip; the student, the DINO heads and the optimizer state are never loaded, and
    /// the network and sizes are checked from the pickled shapes before any weight is read.
    /// </summary>
    public static HiptCheckpoint Load(string path, HiptModelKind expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        string what = Describe(expected);
        if (Directory.Exists(path))
        {
            throw new InputException(path, $"is a folder, not the {what} checkpoint file.", $"Pass the .pth file itself ({DefaultFileName(expected)}).");
        }

        if (!File.Exists(path))
        {
            throw new InputException(path, $"the {what} checkpoint does not exist.", HiptWeights.WhereToGet);
        }

        CheckFormat(path, what);
        using var archive = Open(path);
        if (archive.Root is not PyDict root)
        {
            throw new InputException(path, $"holds a {archive.Root?.GetType().Name ?? "None"} at the top level, not a checkpoint dict.", HiptWeights.WhereToGet);
        }

        string? arch = (root["args"] switch
        {
            PyObject args => args.Attribute("arch"),
            PyDict args => args["arch"],
            _ => null,
        }) as string;

        PyDict source = root["teacher"] as PyDict ?? root;
        var kept = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        foreach (var (k, value) in source)
        {
            if (k is not string key || value is not TensorRef t)
            {
                continue;
            }

            string stripped = key.Replace("module.", string.Empty, StringComparison.Ordinal).Replace("backbone.", string.Empty, StringComparison.Ordinal);
            if (!stripped.StartsWith("head.", StringComparison.Ordinal))
            {
                kept[stripped] = t;
            }
        }

        var shapes = kept.ToDictionary(e => e.Key, e => e.Value.Shape, StringComparer.Ordinal);
        HiptModelKind kind = DetectKind(path, shapes, expected);
        VitConfig config = ReadConfig(path, kind, shapes, arch);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, t) in kept)
            {
                try
                {
                    tensors[key] = archive.Read(t);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or OverflowException)
                {
                    throw new InputException(path, $"the {Describe(kind)} weight '{key}' could not be read ({e.Message}).", "Download the file again; it may be truncated or damaged.");
                }
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }

            throw;
        }

        return new HiptCheckpoint(path, kind, tensors, config, arch, [.. archive.RecordsRead], archive.BytesRead);
    }

    /// <summary>Builds the ViT-256 and loads this checkpoint into it (eval mode, no gradients).</summary>
    public VisionTransformer256 CreateVit256()
    {
        RequireKind(HiptModelKind.Vit256);
        var model = new VisionTransformer256(Config);
        LoadInto(model);
        return model;
    }

    /// <summary>Builds the ViT-4K and loads this checkpoint into it (eval mode, no gradients).</summary>
    public VisionTransformer4K CreateVit4K()
    {
        RequireKind(HiptModelKind.Vit4K);
        var model = new VisionTransformer4K(Config);
        LoadInto(model);
        return model;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _tensors.Values)
        {
            t.Dispose();
        }

        _tensors.Clear();
    }

    internal static string Describe(HiptModelKind kind) => kind == HiptModelKind.Vit256 ? "HIPT ViT-256" : "HIPT ViT-4K";

    internal static string DefaultFileName(HiptModelKind kind) => kind == HiptModelKind.Vit256 ? "vit256_small_dino.pth" : "vit4k_xs_dino.pth";

    private void RequireKind(HiptModelKind kind)
    {
        if (Kind != kind)
        {
            throw new InvalidOperationException($"{Path} holds {Describe(Kind)}, not {Describe(kind)}");
        }
    }

    private void LoadInto(HiptVisionTransformer model)
    {
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (!_tensors.TryGetValue(name, out var source))
                {
                    model.Dispose();
                    throw new InputException(Path, $"the {Describe(Kind)} backbone has no '{name}' (looked in the teacher weights after removing 'module.' and 'backbone.').", "The file is incomplete or from a different model; download the original HIPT checkpoint again.");
                }

                if (!source.shape.SequenceEqual(parameter.shape))
                {
                    var problem = new InputException(Path, $"the {Describe(Kind)} weight '{name}' has shape {Shape(source.shape)}, expected {Shape(parameter.shape)}.", "The file is from a different model size; use the original HIPT checkpoint.");
                    model.Dispose();
                    throw problem;
                }

                // copy_ converts fp16/bf16/fp64 weights to the network's type.
                parameter.copy_(source);
                parameter.requires_grad = false;
            }
        }

        model.eval();
        model.ResetCaches();
    }

    private static TorchArchive Open(string path)
    {
        try
        {
            return TorchArchive.Open(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OverflowException)
        {
            throw new InputException(path, $"could not be read as a PyTorch checkpoint ({e.Message}).", "Download the file again; it may be truncated or not a HIPT checkpoint.");
        }
    }

    private static void CheckFormat(string path, string what)
    {
        var head = new byte[512];
        int n;
        using (var fs = File.OpenRead(path))
        {
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        bool tar = n >= 262 && Encoding.ASCII.GetString(head, 257, 5) == "ustar";

        string text = Encoding.ASCII.GetString(head, 0, Math.Min(n, 64));
        if (text.StartsWith("version https://git-lfs", StringComparison.Ordinal))
        {
            throw new InputException(path, $"is a Git LFS pointer file ({new FileInfo(path).Length} bytes), not the {what} checkpoint itself.", "Fetch the real file with `git lfs install && git lfs pull` in your HIPT clone, or download it directly (" + HiptWeights.SourceUrl + ").");
        }

        if (n >= 4 && head[0] == 0x50 && head[1] == 0x4b && head[2] == 0x03 && head[3] == 0x04)
        {
            return;
        }

        if ((n >= 2 && head[0] == 0x80 && head[1] <= 5) || tar)
        {
            throw new InputException(path, $"uses the legacy (non-zip, PyTorch < 1.6) torch.save format, which Istar cannot read.", "Re-save it with a recent PyTorch: torch.save(torch.load(f, map_location='cpu'), f_new) writes the zip format; or download the original HIPT file again.");
        }

        throw new InputException(path, n == 0 ? $"is empty, not the {what} checkpoint." : $"is not a PyTorch checkpoint (no zip signature).", HiptWeights.WhereToGet);
    }

    private static HiptModelKind DetectKind(string path, Dictionary<string, long[]> shapes, HiptModelKind expected)
    {
        bool vit256 = shapes.ContainsKey("patch_embed.proj.weight");
        bool vit4k = shapes.ContainsKey("phi.0.weight");
        HiptModelKind? found = vit256 && !vit4k ? HiptModelKind.Vit256 : vit4k && !vit256 ? HiptModelKind.Vit4K : null;
        if (found is null)
        {
            throw new InputException(path, $"is not a {Describe(expected)} checkpoint: its teacher backbone has neither 'patch_embed.proj.weight' (ViT-256) nor 'phi.0.weight' (ViT-4K).", HiptWeights.WhereToGet);
        }

        if (found != expected)
        {
            string option = expected == HiptModelKind.Vit256 ? "--hipt256" : "--hipt4k";
            string other = expected == HiptModelKind.Vit256 ? "--hipt4k" : "--hipt256";
            throw new InputException(path, $"holds the {Describe(found.Value)} network, but was given as the {Describe(expected)} checkpoint.", $"Swap the files: pass {DefaultFileName(found.Value)} to {other} and {DefaultFileName(expected)} to {option}.");
        }

        return found.Value;
    }

    private static VitConfig ReadConfig(string path, HiptModelKind kind, Dictionary<string, long[]> shapes, string? arch)
    {
        long[] Need(string key)
        {
            return shapes.TryGetValue(key, out var shape)
                ? shape
                : throw new InputException(path, $"the {Describe(kind)} backbone has no '{key}'.", "The file is incomplete; download the original HIPT checkpoint again.");
        }

        int depth = 0;
        while (shapes.Keys.Any(k => k.StartsWith(string.Create(CultureInfo.InvariantCulture, $"blocks.{depth}."), StringComparison.Ordinal)))
        {
            depth++;
        }

        if (depth == 0)
        {
            throw new InputException(path, $"the {Describe(kind)} backbone has no transformer blocks ('blocks.0.*').", "The file is incomplete; download the original HIPT checkpoint again.");
        }

        int dim = (int)Need("cls_token")[^1];
        long positions = Need("pos_embed")[1] - 1;
        int grid = (int)Math.Round(Math.Sqrt(positions));
        if (grid * grid != positions)
        {
            throw new InputException(path, $"'pos_embed' has {positions} patch positions, not a square grid.", HiptWeights.WhereToGet);
        }

        int hidden = (int)Need("blocks.0.mlp.fc1.weight")[0];
        int heads = HeadsFor(arch, kind, dim);
        if (kind == HiptModelKind.Vit256)
        {
            long[] proj = Need("patch_embed.proj.weight");
            return new VitConfig(dim, depth, heads, hidden, (int)proj[1], (int)proj[2], grid);
        }

        long[] phi = Need("phi.0.weight");
        return new VitConfig(dim, depth, heads, hidden, (int)phi[1], 1, grid);
    }

    /// <summary>Head count from the training arch (HIPT: vit_small and vit4k_xs have 6); else 6.</summary>
    private static int HeadsFor(string? arch, HiptModelKind kind, int dim) => arch switch
    {
        "vit_tiny" => 3,
        "vit_small" => 6,
        "vit_base" => 12,
        "vit4k_xs" => 6,
        _ => kind == HiptModelKind.Vit256 && dim % 64 == 0 ? dim / 64 : 6,
    };

    private static string Shape(long[] shape) => "(" + string.Join(", ", shape) + ")";
}
