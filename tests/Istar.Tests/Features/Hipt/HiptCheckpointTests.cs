using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Istar.Features.Hipt;
using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Features.Hipt;

[Collection(HiptCollection.Name)]
public class HiptCheckpointTests
{
    [Fact]
    public void The_teacher_backbone_is_read_with_prefixes_stripped_and_the_head_ignored()
    {
        using var checkpoint = HiptCheckpoint.Load(HiptTestData.Vit4KPath, HiptModelKind.Vit4K);
        Assert.Equal(HiptModelKind.Vit4K, checkpoint.Kind);
        Assert.Equal("vit4k_xs", checkpoint.Arch);
        Assert.Equal(30, checkpoint.Tensors.Count); // 38 teacher entries less 8 head.*
        Assert.DoesNotContain(checkpoint.Tensors.Keys, k => k.StartsWith("head.", StringComparison.Ordinal) || k.Contains("backbone", StringComparison.Ordinal));
        Assert.Equal(TorchSharp.DeviceType.CPU, checkpoint.Tensors["phi.0.weight"].device_type);
    }

    [Fact]
    public void A_Git_LFS_pointer_is_reported_as_a_pointer_with_how_to_fetch_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("vit256_small_dino.pth");
        File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:6960cd5a8657dc8bb214671aa0c6dbd3f5b698e84386884955836487ddc89e24\nsize 704238867\n");
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit256));
        Assert.Equal(path, e.Location);
        Assert.Contains("Git LFS pointer", e.Problem, StringComparison.Ordinal);
        Assert.Contains("git lfs", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_legacy_torch_save_file_is_rejected_naming_the_format()
    {
        using var dir = new TempDir();
        string path = dir.File("old.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit256));
        Assert.Contains("legacy", e.Problem, StringComparison.Ordinal);
        Assert.Contains("torch.save", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pre_1_0_tar_checkpoint_is_rejected_as_legacy()
    {
        using var dir = new TempDir();
        string path = dir.File("ancient.pth");
        var bytes = new byte[1024];
        Encoding.ASCII.GetBytes("storages").CopyTo(bytes, 0);
        Encoding.ASCII.GetBytes("ustar").CopyTo(bytes, 257);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit4K));
        Assert.Contains("legacy", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_says_where_to_get_the_checkpoints()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(dir.File("nope.pth"), HiptModelKind.Vit4K));
        Assert.Contains("does not exist", e.Problem, StringComparison.Ordinal);
        Assert.Contains("mahmoodlab/HIPT", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("x.pth");
        File.WriteAllText(path, "<html>404</html>");
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit256));
        Assert.Contains("not a PyTorch checkpoint", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Swapped_checkpoints_are_detected_by_their_keys(bool asVit256)
    {
        var expected = asVit256 ? HiptModelKind.Vit256 : HiptModelKind.Vit4K;
        string path = expected == HiptModelKind.Vit256 ? HiptTestData.Vit4KPath : HiptTestData.Vit256Path;
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, expected));
        Assert.Contains("was given as the " + HiptCheckpoint.Describe(expected), e.Problem, StringComparison.Ordinal);
        Assert.Contains("Swap", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backbone_key_missing_from_the_teacher_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        string path = dir.File("broken.pth");

        // Same-length rename of the teacher's key only (the student's is prefixed by "module.").
        RewritePickle(HiptTestData.Vit256Path, path, "backbone.blocks.1.norm2.bias", "backbone.blocks.1.norm2.bia_");
        using var checkpoint = HiptCheckpoint.Load(path, HiptModelKind.Vit256);
        var e = Assert.Throws<InputException>(() => checkpoint.CreateVit256());
        Assert.Contains("'blocks.1.norm2.bias'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_with_neither_patch_embed_nor_phi_is_not_taken_for_HIPT()
    {
        using var dir = new TempDir();
        string path = dir.File("other.pth");
        RewritePickle(HiptTestData.Vit4KPath, path, "backbone.phi.0.weight", "backbone.psi.0.weight");
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit4K));
        Assert.Contains("neither", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misshapen_backbone_weight_is_an_error_naming_it_and_both_shapes()
    {
        using var dir = new TempDir();
        string path = dir.File("swapped-bias.pth");

        // Swap the names of fc1.bias (1536) and fc2.bias (384) in block 0 of the teacher.
        RewritePickle(HiptTestData.Vit256Path, path, ("backbone.blocks.0.mlp.fc1.bias", "backbone.blocks.0.mlp.fcX.bias"), ("backbone.blocks.0.mlp.fc2.bias", "backbone.blocks.0.mlp.fc1.bias"), ("backbone.blocks.0.mlp.fcX.bias", "backbone.blocks.0.mlp.fc2.bias"));
        using var checkpoint = HiptCheckpoint.Load(path, HiptModelKind.Vit256);
        var e = Assert.Throws<InputException>(() => checkpoint.CreateVit256());
        Assert.Contains("'blocks.0.mlp.fc1.bias' has shape (384), expected (1536)", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_checkpoint_is_an_input_error()
    {
        using var dir = new TempDir();
        string path = dir.File("truncated.pth");
        byte[] bytes = File.ReadAllBytes(HiptTestData.Vit4KPath);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit4K));
        Assert.Contains("could not be read", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_teacher_backbone_records_are_read()
    {
        using var checkpoint = HiptCheckpoint.Load(HiptTestData.Vit256Path, HiptModelKind.Vit256);

        // 30 backbone tensors = 3,921,024 float32 parameters (fixture README); the file holds 143 storages in 32.8 MB.
        Assert.Equal(30, checkpoint.RecordsRead.Count);
        Assert.Equal(30, checkpoint.RecordsRead.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(4L * 3_921_024, checkpoint.BytesRead);
        using var zip = ZipFile.OpenRead(HiptTestData.Vit256Path);
        Assert.Equal(143, zip.Entries.Count(e => e.FullName.StartsWith("checkpoint/data/", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_copy_without_the_student_heads_and_optimizer_records_loads_the_same_weights()
    {
        using var dir = new TempDir();
        string path = dir.File("teacher-only.pth");
        using var original = HiptCheckpoint.Load(HiptTestData.Vit256Path, HiptModelKind.Vit256);
        var keep = original.RecordsRead.ToHashSet(StringComparer.Ordinal);

        // Deleting every other storage record: a reader that opened any of them would fail here.
        CopyZip(HiptTestData.Vit256Path, path, name => !name.StartsWith("checkpoint/data/", StringComparison.Ordinal) || keep.Contains(name));
        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.Equal(30, zip.Entries.Count(e => e.FullName.StartsWith("checkpoint/data/", StringComparison.Ordinal)));
        }

        using var copy = HiptCheckpoint.Load(path, HiptModelKind.Vit256);
        Assert.Equal(original.Tensors.Keys.Order(StringComparer.Ordinal), copy.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in original.Tensors)
        {
            Assert.True(Same(tensor, copy.Tensors[key]), key);
        }

        using var vit = copy.CreateVit256();
        Assert.Equal(2, vit.Config.Depth);
    }

    [Fact]
    public void A_missing_teacher_record_is_an_error_naming_the_weight_and_the_record()
    {
        using var dir = new TempDir();
        string path = dir.File("no-cls.pth");
        string cls;
        using (var original = HiptCheckpoint.Load(HiptTestData.Vit4KPath, HiptModelKind.Vit4K))
        {
            cls = original.RecordsRead[0];
        }

        CopyZip(HiptTestData.Vit4KPath, path, name => name != cls);
        var e = Assert.Throws<InputException>(() => HiptCheckpoint.Load(path, HiptModelKind.Vit4K));
        Assert.Contains("'cls_token' could not be read", e.Problem, StringComparison.Ordinal);
        Assert.Contains($"'{cls}' is missing", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FloatStorage")]
    [InlineData("BFloat16Storage")]
    [InlineData("HalfStorage")]
    public void Teacher_weights_stored_as_offset_and_transposed_views_load_into_the_network(string storageType)
    {
        using var dir = new TempDir();
        string path = dir.File("views.pth");
        using var original = HiptCheckpoint.Load(HiptTestData.Vit4KPath, HiptModelKind.Vit4K);
        var type = storageType switch
        {
            "BFloat16Storage" => TorchSharp.torch.ScalarType.BFloat16,
            "HalfStorage" => TorchSharp.torch.ScalarType.Float16,
            _ => TorchSharp.torch.ScalarType.Float32,
        };

        // Each weight in its own storage after 3 padding elements; matrices stored column-major (stride (1, rows)),
        // as a transposed view would be. The head points at a record that does not exist: it must not be read.
        const int pad = 3;
        var writer = new TorchZipWriter();
        var teacher = new PickleDict(Ordered: true);
        int n = 0;
        foreach (var (key, tensor) in original.Tensors)
        {
            using var typed = tensor.to(type);
            bool matrix = tensor.shape.Length == 2;
            using var layout = matrix ? typed.t().contiguous() : typed.contiguous();
            byte[] data = layout.bytes.ToArray();
            int size = data.Length / (int)tensor.numel();
            var bytes = new byte[(pad * size) + data.Length];
            bytes.AsSpan(0, pad * size).Fill(0x7f);
            data.CopyTo(bytes, pad * size);
            string storage = (n++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            writer.AddStorage(storage, bytes);
            long[] shape = tensor.shape;
            long[] stride = matrix ? [1, shape[0]] : ContiguousStrides(shape);
            teacher.Add("backbone." + key, new PickleTensor(storage, storageType, pad + tensor.numel(), pad, shape, stride, "cuda:0"));
        }

        teacher.Add("head.last_layer.weight_v", new PickleTensor("999", "FloatStorage", 65536L * 256, 0, [65536, 256], [256, 1]));
        writer.Write(path, new PickleDict()
            .Add("teacher", teacher)
            .Add("args", new PickleNamespace(new PickleDict().Add("arch", "vit4k_xs"))));

        using var views = HiptCheckpoint.Load(path, HiptModelKind.Vit4K);
        Assert.Equal("vit4k_xs", views.Arch);
        Assert.Equal(original.Tensors.Count, views.RecordsRead.Count);
        foreach (var (key, tensor) in original.Tensors)
        {
            using var expected = tensor.to(type);
            Assert.Equal(type, views.Tensors[key].dtype);
            Assert.True(Same(expected, views.Tensors[key]), key);
        }

        using var vit = views.CreateVit4K();
        using var qkv = vit.named_parameters().Single(p => p.name == "blocks.0.attn.qkv.weight").parameter.detach();
        using var want = original.Tensors["blocks.0.attn.qkv.weight"].to(type).to(TorchSharp.torch.ScalarType.Float32);
        Assert.True(Same(want, qkv));
    }

    /// <summary>Same shape, type and bits (element-wise equality, NaN never equal).</summary>
    private static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
        {
            return false;
        }

        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var stride = new long[shape.Length];
        long step = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            stride[d] = step;
            step *= shape[d];
        }

        return stride;
    }

    /// <summary>Copies a zip, keeping the entries whose names pass <paramref name="keep"/>.</summary>
    private static void CopyZip(string source, string target, Func<string, bool> keep)
    {
        using var input = ZipFile.OpenRead(source);
        using var output = ZipFile.Open(target, ZipArchiveMode.Create);
        foreach (var entry in input.Entries.Where(e => keep(e.FullName)))
        {
            using var read = entry.Open();
            using var write = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
            read.CopyTo(write);
        }
    }

    private static void RewritePickle(string source, string target, string from, string to) => RewritePickle(source, target, (from, to));

    /// <summary>Copies a torch zip, replacing BINUNICODE strings in data.pkl by others of the same length, in order.</summary>
    private static void RewritePickle(string source, string target, params (string From, string To)[] replacements)
    {
        using var input = ZipFile.OpenRead(source);
        using var output = ZipFile.Open(target, ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            using var read = entry.Open();
            using var buffer = new MemoryStream();
            read.CopyTo(buffer);
            byte[] bytes = buffer.ToArray();
            if (entry.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            {
                foreach (var (from, to) in replacements)
                {
                    Assert.Equal(from.Length, to.Length);
                    int at = bytes.AsSpan().IndexOf(Binunicode(from));
                    Assert.True(at >= 0, $"'{from}' not found in {entry.FullName}");
                    Binunicode(to).CopyTo(bytes, at);
                }
            }

            var copy = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression);
            using var write = copy.Open();
            write.Write(bytes);
        }
    }

    private static byte[] Binunicode(string s)
    {
        byte[] text = Encoding.UTF8.GetBytes(s);
        var result = new byte[5 + text.Length];
        result[0] = (byte)'X';
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(1), text.Length);
        text.CopyTo(result, 5);
        return result;
    }
}
