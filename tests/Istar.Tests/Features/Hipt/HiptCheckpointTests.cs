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
