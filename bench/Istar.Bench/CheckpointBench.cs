using System.Diagnostics;
using System.Runtime.InteropServices;
using Istar.Features.Hipt;
using static TorchSharp.torch;

namespace Istar.Bench;

/// <summary>
/// HIPT checkpoint loading: seconds and peak RSS of reading each file (<see cref="HiptCheckpoint.Load"/>) and of the
/// production path (<see cref="HiptNetworks.Load"/>: both files into both networks, plus the SHA-256 of both files
/// for the cache key). Usage: <c>checkpoint PATH256 PATH4K [cold] [networks]</c>. <c>cold</c> first drops both files
/// from the page cache (<c>posix_fadvise DONTNEED</c>), so the first steps read from disk. <c>networks</c> runs only
/// the production step (hashing included), in a process where no earlier step has left freed memory behind;
/// otherwise the hashes are computed (and timed) before it. The peak of each step is measured from the RSS right
/// before it: on Linux the high-water mark is reset between steps (<c>/proc/self/clear_refs</c>).
/// </summary>
internal static partial class CheckpointBench
{
    public static void Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: checkpoint PATH256 PATH4K [cold] [networks]");
            return;
        }

        var weights = new HiptWeights(args[0], args[1]);
        bool cold = args[2..].Contains("cold");
        bool networksOnly = args[2..].Contains("networks");

        // libtorch and the managed runtime load before the first measurement, so they are not counted as loading.
        using (var warm = zeros(1))
        {
        }

        if (cold)
        {
            Console.WriteLine($"page cache dropped for both files: {DropFromPageCache(weights.Vit256Path) && DropFromPageCache(weights.Vit4KPath)}");
        }

        if (!ResetPeak())
        {
            Console.WriteLine("note: /proc/self/clear_refs is not writable; peaks are process-wide since start");
        }

        string suffix = cold ? " (cold cache)" : string.Empty;
        Console.WriteLine("| step | file | MB | seconds | RSS before MB | peak RSS MB | peak − before MB | RSS after MB | found |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        string? hashes = null;
        if (!networksOnly)
        {
            // The small file first: memory freed by a step is reused by the next, which would hide the smaller one's cost.
            foreach (var (path, kind) in new[] { (weights.Vit4KPath, HiptModelKind.Vit4K), (weights.Vit256Path, HiptModelKind.Vit256) })
            {
                Measure("HiptCheckpoint.Load" + suffix, Path.GetFileName(path), new FileInfo(path).Length, () =>
                {
                    using var checkpoint = HiptCheckpoint.Load(path, kind);
                    long parameters = checkpoint.Tensors.Values.Sum(t => t.numel());
                    return $"{checkpoint.Kind} {Describe(checkpoint.Config)}, arch {checkpoint.Arch}; {checkpoint.Tensors.Count} tensors, {parameters:N0} parameters; read {checkpoint.RecordsRead.Count} records, {checkpoint.BytesRead / 1e6:0.0} MB";
                });
            }

            var hash = Stopwatch.StartNew();
            string identity = weights.Identity;
            hashes = $"SHA-256 of both files (memoised, so not in the HiptNetworks.Load row): {hash.Elapsed.TotalSeconds:0.00} s ({identity})";
        }

        HiptNetworks? networks = null;
        long both = new FileInfo(weights.Vit256Path).Length + new FileInfo(weights.Vit4KPath).Length;
        // Hashing has read both files by now unless only this step runs.
        Measure("HiptNetworks.Load (both" + (networksOnly ? ", incl. SHA-256)" + suffix : ")"), "both", both, () =>
        {
            networks = HiptNetworks.Load(weights);
            return $"ViT-256 {Describe(networks.Vit256.Config)}; ViT-4K {Describe(networks.Vit4K.Config)}";
        });
        networks?.Dispose();
        if (hashes is not null)
        {
            Console.WriteLine(hashes);
        }
    }

    private static void Measure(string step, string file, long bytes, Func<string> load)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        ResetPeak();
        long before = Rss();
        var sw = Stopwatch.StartNew();
        string found = load();
        double seconds = sw.Elapsed.TotalSeconds;
        long after = Rss();
        long peak = Peak();
        Console.WriteLine($"| {step} | {file} | {bytes / 1e6:0.0} | {seconds:0.00} | {before / 1e6:0} | {peak / 1e6:0} | {(peak - before) / 1e6:0} | {after / 1e6:0} | {found} |");
    }

    private static string Describe(VitConfig c) => $"depth {c.Depth}, dim {c.Dim}, heads {c.Heads}, MLP {c.MlpHidden}, input {c.InputDim}, patch {c.PatchSize}, pos grid {c.StoredGrid}";

    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    private static long Peak()
    {
        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64;
    }

    /// <summary>Resets the kernel's RSS high-water mark (VmHWM) to the current RSS; false where that is not possible.</summary>
    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Asks the kernel to drop a (clean) file's pages from the page cache.</summary>
    private static bool DropFromPageCache(string path)
    {
        using var file = File.OpenHandle(path);
        return PosixFadvise((int)file.DangerousGetHandle(), 0, 0, 4 /* POSIX_FADV_DONTNEED */) == 0;
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);
}
