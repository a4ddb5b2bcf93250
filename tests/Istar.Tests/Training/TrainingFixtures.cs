using System.Globalization;
using Istar.Features;
using Istar.Formats.Npy;
using Istar.Pipeline;
using Istar.Tests.Support;

namespace Istar.Tests.Training;

/// <summary>A small table read from a fixture TSV: first column = row names, header = column names.</summary>
internal sealed record FixtureTable(string[] RowNames, string[] ColumnNames, double[,] Values)
{
    public static FixtureTable Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split('\t');
        var columns = header.Skip(1).ToArray();
        var rows = new string[lines.Length - 1];
        var values = new double[rows.Length, columns.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            var cells = lines[r + 1].Split('\t');
            rows[r] = cells[0];
            for (int c = 0; c < columns.Length; c++)
            {
                values[r, c] = double.Parse(cells[c + 1], CultureInfo.InvariantCulture);
            }
        }

        return new FixtureTable(rows, columns, values);
    }

    public double[] Column(string name)
    {
        int c = Array.IndexOf(ColumnNames, name);
        return Enumerable.Range(0, RowNames.Length).Select(r => Values[r, c]).ToArray();
    }

    /// <summary>Dense rows × selected columns as float32.</summary>
    public float[] Dense(IReadOnlyList<string> columns)
    {
        var idx = columns.Select(c => Array.IndexOf(ColumnNames, c)).ToArray();
        var result = new float[RowNames.Length * idx.Length];
        for (int r = 0; r < RowNames.Length; r++)
        {
            for (int k = 0; k < idx.Length; k++)
            {
                result[(r * idx.Length) + k] = (float)Values[r, idx[k]];
            }
        }

        return result;
    }
}

/// <summary>Loads the HIPT fixture feature grid (cls, sub, rgb → 579 channels) from the C × Hb × Wb arrays.</summary>
internal static class HiptFeatureFixture
{
    public static FeatureGrid Load()
    {
        var parts = new[] { "emb_shift_cls.npy", "emb_shift_sub.npy", "emb_shift_rgb.npy" }
            .Select(f => NpyArray.Read(SharedData.Require("fixtures", "hipt", f))).ToArray();
        int rows = parts[0].Shape[1];
        int columns = parts[0].Shape[2];
        int channels = parts.Sum(p => p.Shape[0]);
        var grid = FeatureGrid.Allocate(rows, columns, channels, new FeatureProvenance("hipt", "fixture", 0.5, 16, "", ""));
        int at = 0;
        foreach (var p in parts)
        {
            var values = p.ToFloat32();
            int plane = rows * columns;
            for (int c = 0; c < p.Shape[0]; c++)
            {
                grid.SetChannelPlane(at + c, values.AsSpan(c * plane, plane));
            }

            at += p.Shape[0];
        }

        return grid;
    }
}

/// <summary>A run log that records warnings and progress statuses.</summary>
internal sealed class RecordingRunLog : IRunLog
{
    public List<string> Infos { get; } = [];

    public List<string> Warnings { get; } = [];

    public List<string> Statuses { get; } = [];

    public void Info(string message) => Infos.Add(message);

    public void Warn(string message) => Warnings.Add(message);

    public IProgressTask Begin(string stage, string description, long total) => new Task(this);

    private sealed class Task(RecordingRunLog log) : IProgressTask
    {
        public void Advance(long steps = 1, string? status = null)
        {
            if (status is not null)
            {
                log.Statuses.Add(status);
            }
        }

        public void Dispose()
        {
        }
    }
}
