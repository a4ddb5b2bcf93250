using Istar.Input;
using ScottPlot;

namespace Istar.Output.Maps;

/// <summary>
/// A block-grid image of one gene: values per block, NaN where there is no tissue. A null <see cref="Unit"/> draws no
/// colour bar (a mask, where every drawn block means the same thing).
/// </summary>
internal sealed record BlockMap(string Title, float[] Values, int Rows, int Columns, double BlockMicrons, string? Unit = "predicted counts per block");

/// <summary>Measured spot values drawn over the slide thumbnail.</summary>
internal sealed record SpotMap(
    string Title,
    byte[] ThumbnailRgb,
    int ThumbnailWidth,
    int ThumbnailHeight,
    double ThumbnailMicronsPerPixel,
    IReadOnlyList<FullResPoint> Centres,
    double FullResMicronsPerPixel,
    double SpotDiameterMicrons,
    float[] Values);

/// <summary>
/// Renders gene maps the way biologists read them: turbo colour map, background left white, a colour bar and a
/// scale bar in µm, and optionally the measured spots on the H&amp;E beside the super-resolved map, both in µm
/// with rows growing downwards as on the slide.
/// </summary>
internal static class GeneMapPlot
{
    /// <summary>Writes one PNG with the super-resolved map (and the spot map to its left when given).</summary>
    public static void Write(string path, BlockMap map, SpotMap? spots = null, int panelWidth = 700)
    {
        ArgumentNullException.ThrowIfNull(map);
        double aspect = (double)map.Rows / map.Columns;
        int height = Math.Clamp((int)(panelWidth * aspect) + 80, 250, 2400);
        var mapPlot = MapPanel(map);
        Pipeline.AtomicFile.Write(path, tmp =>
        {
            if (spots is null)
            {
                mapPlot.SavePng(tmp, panelWidth, height);
                return;
            }

            var multi = new Multiplot();
            multi.Reset(SpotPanel(spots, map));
            multi.AddPlot(mapPlot);
            multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
            multi.SavePng(tmp, panelWidth * 2, height);
        });
    }

    /// <summary>A round length for a scale bar about a fifth of <paramref name="extent"/>.</summary>
    public static double NiceLength(double extent)
    {
        double target = extent / 5;
        double power = Math.Pow(10, Math.Floor(Math.Log10(target)));
        foreach (double m in new[] { 5.0, 2.0, 1.0 })
        {
            if (m * power <= target)
            {
                return m * power;
            }
        }

        return power;
    }

    private static Plot MapPanel(BlockMap map)
    {
        var plot = new Plot();
        var intensities = new double[map.Rows, map.Columns];
        for (int r = 0; r < map.Rows; r++)
        {
            for (int c = 0; c < map.Columns; c++)
            {
                intensities[r, c] = map.Values[(r * map.Columns) + c];
            }
        }

        var (min, max, clipped) = ColourRange(map.Values);

        double width = map.Columns * map.BlockMicrons, height = map.Rows * map.BlockMicrons;
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Turbo();
        heatmap.NaNCellColor = Colors.White;
        heatmap.FlipVertically = true;
        heatmap.Extent = new CoordinateRect(0, width, height, 0);
        if (double.IsFinite(min))
        {
            // A constant map (a mask, a gene predicted flat) takes the middle of the colour map: at the bottom of
            // the range it would read as "lowest" and blend into a dark background.
            heatmap.ManualRange = max > min ? new ScottPlot.Range(min, max) : new ScottPlot.Range(min - 1, max + 1);
        }

        if (map.Unit is not null)
        {
            var bar = plot.Add.ColorBar(heatmap);
            bar.Label = clipped ? $"{map.Unit} (top {ClipPercent} % at the top colour)" : map.Unit;
        }
        Finish(plot, map.Title, width, height);
        return plot;
    }

    /// <summary>Share of the highest block values drawn in the top colour.</summary>
    internal const double ClipPercent = 1;

    /// <summary>
    /// The colour range of a block map: its minimum to its 99th percentile. Single 8 µm blocks are noisy, and a few
    /// extreme ones would otherwise push everything else into the bottom colours (scanpy's <c>vmax="p99"</c>).
    /// The full maximum is kept when the percentile would collapse the range.
    /// </summary>
    internal static (double Min, double Max, bool Clipped) ColourRange(ReadOnlySpan<float> values)
    {
        var finite = new List<float>(values.Length);
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                finite.Add(v);
            }
        }

        if (finite.Count == 0)
        {
            return (double.NaN, double.NaN, false);
        }

        finite.Sort();
        double min = finite[0], max = finite[^1];
        double top = finite[(int)Math.Floor((finite.Count - 1) * (1 - (ClipPercent / 100)))];
        return top > min && top < max ? (min, top, true) : (min, max, false);
    }

    private static Plot SpotPanel(SpotMap spots, BlockMap map)
    {
        var plot = new Plot();
        double width = spots.ThumbnailWidth * spots.ThumbnailMicronsPerPixel;
        double height = spots.ThumbnailHeight * spots.ThumbnailMicronsPerPixel;
        var pixels = new byte[spots.ThumbnailHeight, spots.ThumbnailWidth, 3];
        Buffer.BlockCopy(spots.ThumbnailRgb, 0, pixels, 0, spots.ThumbnailRgb.Length);
        plot.Add.ImageRect(new ScottPlot.Image(pixels), new CoordinateRect(0, width, height, 0));
        var colormap = new ScottPlot.Colormaps.Turbo();
        float min = spots.Values.Min(), max = spots.Values.Max();
        double radius = spots.SpotDiameterMicrons / 2;
        for (int i = 0; i < spots.Centres.Count; i++)
        {
            double x = spots.Centres[i].X * spots.FullResMicronsPerPixel, y = spots.Centres[i].Y * spots.FullResMicronsPerPixel;
            var circle = plot.Add.Circle(x, y, radius);
            double f = max > min ? (spots.Values[i] - min) / (max - min) : 0.5;
            circle.FillColor = colormap.GetColor(f);
            circle.LineWidth = 0;
        }

        // The same colour bar as the map beside it, so both panels read alike and keep the same plot width.
        var bar = plot.Add.ColorBar(new SpotColours(colormap, new ScottPlot.Range(min, max > min ? max : min + 1)));
        bar.Label = "measured counts per spot";
        Finish(plot, spots.Title, Math.Max(width, map.Columns * map.BlockMicrons), Math.Max(height, map.Rows * map.BlockMicrons));
        return plot;
    }

    private sealed class SpotColours(IColormap colormap, ScottPlot.Range range) : IHasColorAxis
    {
        public IColormap Colormap { get; set; } = colormap;

        public ScottPlot.Range GetRange() => range;
    }

    private static void Finish(Plot plot, string title, double width, double height)
    {
        plot.Title(title);
        plot.HideGrid();
        plot.Axes.SetLimits(0, width, height, 0);
        plot.Axes.SquareUnits();
        double length = NiceLength(width);
        var scale = plot.Add.ScaleBar(length, 0);
        scale.XLabel = length >= 1000 ? $"{length / 1000:0.#} mm" : $"{length:0} µm";
        plot.Axes.Bottom.Label.Text = "µm";
        plot.Axes.Left.Label.Text = "µm";
    }
}
