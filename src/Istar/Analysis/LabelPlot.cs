using NetVips;

namespace Istar.Analysis;

/// <summary>PNGs of label grids (clusters, annotations) at block resolution, one pixel per block.</summary>
internal static class LabelPlot
{
    /// <summary>matplotlib's tab20, in its order (the reference builds its palettes from it).</summary>
    private static readonly byte[][] Tab20 =
    [
        [31, 119, 180], [174, 199, 232], [255, 127, 14], [255, 187, 120], [44, 160, 44],
        [152, 223, 138], [214, 39, 40], [255, 152, 150], [148, 103, 189], [197, 176, 213],
        [140, 86, 75], [196, 156, 148], [227, 119, 194], [247, 182, 210], [127, 127, 127],
        [199, 199, 199], [188, 189, 34], [219, 219, 141], [23, 190, 207], [158, 218, 229],
    ];

    /// <summary>matplotlib's tab10.</summary>
    private static readonly byte[][] Tab10 =
    [
        [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
        [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
    ];

    /// <summary>
    /// Writes labels as colours: −1 white (background), other negatives grey, labels ≥ 0 from tab10 (≤ 10 labels)
    /// or tab20 (dark shades first, then light), cycling beyond 20. Returns the palette size used, for
    /// <see cref="CssColour"/> keys that must show the same colours.
    /// </summary>
    public static int Write(string path, ReadOnlySpan<int> labels, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (labels.Length != rows * columns)
        {
            throw new ArgumentException("labels must hold rows * columns values", nameof(labels));
        }

        int max = -1;
        foreach (int l in labels)
        {
            max = Math.Max(max, l);
        }

        var rgb = new byte[labels.Length * 3];
        for (int i = 0; i < labels.Length; i++)
        {
            byte[] colour = Colour(labels[i], max + 1);
            rgb[3 * i] = colour[0];
            rgb[(3 * i) + 1] = colour[1];
            rgb[(3 * i) + 2] = colour[2];
        }

        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        using var image = Image.NewFromMemory(rgb, columns, rows, 3, Enums.BandFormat.Uchar);
        image.Pngsave(path);
        return max + 1;
    }

    /// <summary>Writes one mask per label ≥ 0: orange = the label, light grey = other labels, white = background.</summary>
    public static void WriteMasks(string directory, ReadOnlySpan<int> labels, int rows, int columns, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        int max = -1;
        foreach (int l in labels)
        {
            max = Math.Max(max, l);
        }

        var rgb = new byte[labels.Length * 3];
        for (int k = 0; k <= max; k++)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                byte[] c = labels[i] == k ? [255, 127, 14] : labels[i] >= 0 ? [220, 220, 220] : [255, 255, 255];
                c.CopyTo(rgb, 3 * i);
            }

            string name = names is not null && k < names.Count ? names[k] : k.ToString("000", System.Globalization.CultureInfo.InvariantCulture);
            using var image = Image.NewFromMemory(rgb, columns, rows, 3, Enums.BandFormat.Uchar);
            image.Pngsave(Path.Combine(directory, name + ".png"));
        }
    }

    /// <summary>The colour <see cref="Write"/> gives a label, as CSS (<c>#rrggbb</c>); <paramref name="count"/> = what Write returned.</summary>
    internal static string CssColour(int label, int count)
    {
        byte[] c = Colour(label, count);
        return $"#{c[0]:x2}{c[1]:x2}{c[2]:x2}";
    }

    internal static byte[] Colour(int label, int count)
    {
        if (label == -1)
        {
            return [255, 255, 255];
        }

        if (label < 0)
        {
            return [128, 128, 128];
        }

        if (count <= 10)
        {
            return Tab10[label];
        }

        // Dark shades (even tab20 entries) first, then the light ones.
        int k = label % 20;
        return Tab20[k < 10 ? 2 * k : (2 * (k - 10)) + 1];
    }
}
