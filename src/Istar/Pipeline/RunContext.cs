using System.Diagnostics;

namespace Istar.Pipeline;

/// <summary>How one stage of a run went.</summary>
public sealed record StageTiming(string Stage, bool CacheHit, double Seconds, string Key);

/// <summary>What one run passes to every stage: options, cache, log, cancellation, and the stage record.</summary>
internal sealed class RunContext
{
    private readonly List<StageTiming> _stages = [];

    public RunContext(IstarOptions options, string outputDirectory, IRunLog log, CancellationToken cancellation)
    {
        Options = options;
        OutputDirectory = Path.GetFullPath(outputDirectory);
        Log = log;
        Cancellation = cancellation;
        Directory.CreateDirectory(OutputDirectory);
        Store = new ArtifactStore(options.CacheDirectory ?? Path.Combine(OutputDirectory, ".istar-cache"));
    }

    public IstarOptions Options { get; }

    public string OutputDirectory { get; }

    public IRunLog Log { get; }

    public CancellationToken Cancellation { get; }

    public ArtifactStore Store { get; }

    public List<string> Warnings { get; } = [];

    public IReadOnlyList<StageTiming> Stages => _stages;

    /// <summary>Runs or reuses a cached stage and records it; returns the entry folder.</summary>
    public string Cached(string stage, ContentKey.Builder key, Action<string> produce, out ContentKey entryKey)
    {
        Cancellation.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        string dir = Store.GetOrCreate(stage, key, produce, out bool hit, out entryKey);
        _stages.Add(new StageTiming(stage, hit, clock.Elapsed.TotalSeconds, entryKey.Short));
        Log.Info(hit
            ? $"[{stage}] cache hit ({entryKey.Short})"
            : FormattableString.Invariant($"[{stage}] done in {clock.Elapsed.TotalSeconds:0.0} s ({entryKey.Short})"));
        return dir;
    }

    /// <summary>Runs an uncached step and records its time.</summary>
    public T Measure<T>(string stage, Func<T> step)
    {
        Cancellation.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        T result = step();
        _stages.Add(new StageTiming(stage, false, clock.Elapsed.TotalSeconds, string.Empty));
        return result;
    }

    /// <summary>The stage record as an AnnData <c>uns</c> dictionary.</summary>
    public Dictionary<string, object> StagesAsUns() => _stages.ToDictionary(
        s => s.Stage,
        s => (object)new Dictionary<string, object> { ["seconds"] = s.Seconds, ["cache_hit"] = s.CacheHit, ["key"] = s.Key });
}
