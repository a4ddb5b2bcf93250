using System.Diagnostics;
using System.Globalization;
using Istar.Pipeline;

namespace Istar.Cli.Terminal;

/// <summary>
/// Plain log lines on stderr, so CI logs and HPC batch jobs show progress; on a terminal the progress line is
/// redrawn in place instead of repeated.
/// </summary>
internal sealed class ConsoleRunLog : IRunLog
{
    private readonly bool _interactive = !Console.IsErrorRedirected;

    public void Info(string message) => Console.Error.WriteLine(message);

    public void Warn(string message) => Console.Error.WriteLine("warning: " + message);

    public IProgressTask Begin(string stage, string description, long total) => new Task(this, stage, description, total);

    private sealed class Task(ConsoleRunLog log, string stage, string description, long total) : IProgressTask
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _done;
        private TimeSpan _lastPrint = TimeSpan.FromSeconds(-10);
        private string? _status;

        public void Advance(long steps = 1, string? status = null)
        {
            _done += steps;
            _status = status ?? _status;
            var now = _clock.Elapsed;
            bool finished = _done >= total;
            if (log._interactive)
            {
                if (finished || now - _lastPrint > TimeSpan.FromMilliseconds(200))
                {
                    Console.Error.Write("\r" + Line());
                    _lastPrint = now;
                }
            }
            else if (finished || now - _lastPrint > TimeSpan.FromSeconds(5))
            {
                Console.Error.WriteLine(Line());
                _lastPrint = now;
            }
        }

        public void Dispose()
        {
            if (log._interactive)
            {
                Console.Error.Write("\r" + Line() + Environment.NewLine);
            }
            else
            {
                Console.Error.WriteLine(Line() + " done");
            }
        }

        private string Line()
        {
            double pct = total > 0 ? 100.0 * _done / total : 100;
            string bar = log._interactive ? "[" + new string('#', (int)(pct / 5)).PadRight(20, '.') + "] " : string.Empty;
            return string.Create(CultureInfo.InvariantCulture, $"[{stage}] {description} {bar}{_done}/{total} ({pct:0}%) {_clock.Elapsed.TotalSeconds:0.0}s {_status}").TrimEnd();
        }
    }
}
