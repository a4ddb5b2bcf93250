using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Pipeline;

public class ArtifactStoreTests
{
    [Fact]
    public void Same_settings_give_the_same_key_and_a_changed_setting_a_different_one()
    {
        var a = ContentKey.For("train", 1).Add("epochs", 400).Add("lr", 1e-4).Build();
        var b = ContentKey.For("train", 1).Add("epochs", 400).Add("lr", 1e-4).Build();
        var c = ContentKey.For("train", 1).Add("epochs", 401).Add("lr", 1e-4).Build();
        var d = ContentKey.For("train", 2).Add("epochs", 400).Add("lr", 1e-4).Build();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
    }

    [Fact]
    public void Second_run_with_the_same_key_is_a_cache_hit_and_does_not_recompute()
    {
        using var tmp = new TempDir();
        var store = new ArtifactStore(tmp.File("cache"));
        int runs = 0;
        void Produce(string dir)
        {
            runs++;
            File.WriteAllText(Path.Combine(dir, "out.txt"), "42");
        }

        string first = store.GetOrCreate("mask", ContentKey.For("mask", 1).Add("k", 2), Produce, out bool hit1, out var key1);
        string second = store.GetOrCreate("mask", ContentKey.For("mask", 1).Add("k", 2), Produce, out bool hit2, out var key2);
        Assert.False(hit1);
        Assert.True(hit2);
        Assert.Equal(1, runs);
        Assert.Equal(first, second);
        Assert.Equal(key1, key2);
        Assert.Equal("42", File.ReadAllText(Path.Combine(second, "out.txt")));
        Assert.Equal("mask", ArtifactStore.ReadManifest(second).Stage);
    }

    [Fact]
    public void A_failed_stage_leaves_no_entry_behind()
    {
        using var tmp = new TempDir();
        var store = new ArtifactStore(tmp.File("cache"));
        var parts = ContentKey.For("features", 1).Add("x", "y");
        Assert.Throws<InvalidOperationException>(() =>
            store.GetOrCreate("features", parts, dir =>
            {
                File.WriteAllText(Path.Combine(dir, "half.bin"), "partial");
                throw new InvalidOperationException("killed");
            }, out _, out _));
        Assert.Null(store.TryGet("features", parts.Build()));
        Assert.Empty(Directory.GetDirectories(Path.Combine(store.Root, "features")));
    }

    [Fact]
    public void File_hashes_follow_content_changes()
    {
        using var tmp = new TempDir();
        string f = tmp.File("slide.bin");
        File.WriteAllText(f, "abc");
        var hashes = new FileHashes(tmp.File("memo.json"));
        string h1 = hashes.Sha256(f);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h1);
        File.WriteAllText(f, "abcd");
        File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(1));
        Assert.NotEqual(h1, new FileHashes(tmp.File("memo.json")).Sha256(f));
    }

    [Fact]
    public void Atomic_write_keeps_the_old_output_when_writing_fails()
    {
        using var tmp = new TempDir();
        string target = tmp.File("result.h5ad");
        File.WriteAllText(target, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(target, t =>
        {
            File.WriteAllText(t, "new-but-broken");
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(tmp.Path));
    }
}
