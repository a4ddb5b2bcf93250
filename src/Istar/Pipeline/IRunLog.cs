namespace Istar.Pipeline;

/// <summary>Where the library reports progress and messages. The CLI renders it; library users may plug their own.</summary>
public interface IRunLog
{
    /// <summary>An informational line, e.g. "[features] 1,024 tiles".</summary>
    void Info(string message);

    /// <summary>A warning the user should read.</summary>
    void Warn(string message);

    /// <summary>Starts a unit of long work with a known number of steps.</summary>
    IProgressTask Begin(string stage, string description, long total);
}

/// <summary>A unit of long work; dispose when done.</summary>
public interface IProgressTask : IDisposable
{
    /// <summary>Advances by <paramref name="steps"/>, optionally with a status such as the current loss.</summary>
    void Advance(long steps = 1, string? status = null);
}

/// <summary>A log that drops everything (tests, quiet library use).</summary>
public sealed class SilentRunLog : IRunLog
{
    /// <summary>The shared instance.</summary>
    public static SilentRunLog Instance { get; } = new();

    /// <inheritdoc />
    public void Info(string message)
    {
    }

    /// <inheritdoc />
    public void Warn(string message)
    {
    }

    /// <inheritdoc />
    public IProgressTask Begin(string stage, string description, long total) => NoProgress.Instance;

    private sealed class NoProgress : IProgressTask
    {
        public static NoProgress Instance { get; } = new();

        public void Advance(long steps = 1, string? status = null)
        {
        }

        public void Dispose()
        {
        }
    }
}
