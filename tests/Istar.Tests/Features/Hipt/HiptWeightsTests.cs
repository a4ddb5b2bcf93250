using Istar.Features.Hipt;
using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Features.Hipt;

public class HiptWeightsTests
{
    [Fact]
    public void Without_options_the_files_are_looked_for_in_the_cache_folder_under_home()
    {
        using var home = new TempDir();
        var e = Assert.Throws<InputException>(() => HiptWeights.Resolve(null, null, null, home.Path));
        string folder = Path.Combine(home.Path, ".cache", "istar", "weights");
        Assert.Equal(2, e.Problems.Count);
        Assert.Equal(Path.Combine(folder, "vit256_small_dino.pth"), e.Problems[0].Location);
        Assert.Equal(Path.Combine(folder, "vit4k_xs_dino.pth"), e.Problems[1].Location);
        Assert.Contains(folder, e.Problems[0].Problem, StringComparison.Ordinal);
        Assert.Contains("mahmoodlab/HIPT", e.Hint, StringComparison.Ordinal);
        Assert.Contains("HIPT_4K/Checkpoints", e.Hint, StringComparison.Ordinal);
        Assert.Contains("Git LFS", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void ISTAR_WEIGHTS_names_the_folder_and_explicit_paths_win()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("vit256_small_dino.pth"), "x");
        File.WriteAllText(dir.File("mine4k.pth"), "y");
        var weights = HiptWeights.Resolve(null, dir.File("mine4k.pth"), dir.Path, "/nonexistent-home");
        Assert.Equal(dir.File("vit256_small_dino.pth"), weights.Vit256Path);
        Assert.Equal(dir.File("mine4k.pth"), weights.Vit4KPath);

        var e = Assert.Throws<InputException>(() => HiptWeights.Resolve(dir.File("missing.pth"), null, dir.Path, "/nonexistent-home"));
        Assert.Equal(dir.File("missing.pth"), e.Location);
        Assert.Contains("--hipt256", e.Problem, StringComparison.Ordinal);
        Assert.Contains("$ISTAR_WEIGHTS", e.Problems[1].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_weights_hash_is_the_sha256_of_the_file()
    {
        string path = HiptTestData.Vit4KPath;
        string hash = HiptWeights.Sha256(path);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), hash);
        Assert.Same(hash, HiptWeights.Sha256(path));
    }
}
