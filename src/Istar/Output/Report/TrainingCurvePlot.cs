using ScottPlot;

namespace Istar.Output.Report;

/// <summary>Training loss per epoch, one line per ensemble member, on a log scale.</summary>
internal static class TrainingCurvePlot
{
    public static void Write(string path, IReadOnlyList<double[]> lossPerState)
    {
        ArgumentNullException.ThrowIfNull(lossPerState);
        var plot = new Plot();
        for (int s = 0; s < lossPerState.Count; s++)
        {
            var loss = lossPerState[s];
            var xs = Enumerable.Range(1, loss.Length).Select(i => (double)i).ToArray();
            var ys = loss.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"state {s}";
            line.MarkerSize = 0;
        }

        plot.Title("Training loss");
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "log10 MSE";
        plot.ShowLegend();
        Pipeline.AtomicFile.Write(path, tmp => plot.SavePng(tmp, 700, 400));
    }
}
