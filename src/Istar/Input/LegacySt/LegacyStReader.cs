using System.Globalization;
using System.Text.RegularExpressions;
using Istar.Input.Text;

namespace Istar.Input.LegacySt;

/// <summary>
/// Reads legacy Spatial Transcriptomics (Ståhl 2016) as published for HER2ST: a counts table whose spot ids are
/// <c>&lt;x&gt;x&lt;y&gt;</c> array coordinates, and a <c>&lt;id&gt;_selection.tsv</c> spot table with
/// <c>x y … pixel_x pixel_y selected</c> (<c>pixel_x</c> = image column, <c>pixel_y</c> = image row, full-res px).
/// Spots are 100 µm across, 200 µm apart; the pixel size comes from the array pitch when nothing better is known.
/// </summary>
internal static partial class LegacyStReader
{
    /// <summary>Centre-to-centre distance of neighbouring legacy ST spots (µm).</summary>
    public const double PitchMicrons = 200;

    /// <summary>True when the path is a text table whose first spot id looks like <c>10x21</c>.</summary>
    public static bool Looks(string path)
    {
        if (!File.Exists(path) || !(path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv.gz", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        try
        {
            using var reader = TextTable.Open(path);
            string? header = reader.ReadLine();
            string? first = reader.ReadLine();
            if (header is null || first is null)
            {
                return false;
            }

            string id = TextTable.Unquote(first.Split(TextTable.GuessSeparator(header))[0]);
            return ArrayIdRegex().IsMatch(id);
        }
        catch (IOException)
        {
            return false;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    public static SampleParts Read(SampleSource source)
    {
        string countsPath = Path.GetFullPath(source.Path);
        string stem = Stem(countsPath);
        string dir = Path.GetDirectoryName(countsPath)!;
        string? selection = source.SelectionPath ?? new[]
        {
            Path.Combine(dir, stem + "_selection.tsv"),
            Path.Combine(dir, "..", "ST-spotfiles", stem + "_selection.tsv"),
        }.Select(Path.GetFullPath).FirstOrDefault(File.Exists);
        if (selection is null || !File.Exists(selection))
        {
            throw new InputException(
                source.SelectionPath is null ? $"{stem}_selection.tsv" : Path.GetFileName(source.SelectionPath),
                $"expected the spot table with pixel_x and pixel_y for {Path.GetFileName(countsPath)}, found none{(source.SelectionPath is null ? $" beside it or in ../ST-spotfiles/" : $" at {source.SelectionPath}")}.",
                "Pass it with --selection (HER2ST: ST-spotfiles/<section>_selection.tsv).");
        }

        var counts = DenseCountTableReader.Read(countsPath);
        var (positions, fit) = ReadSelection(selection);
        string? image = source.ImagePath ?? FindImage(dir, stem);
        var parts = new SampleParts
        {
            Format = SampleFormat.LegacySt,
            SourcePath = countsPath,
            Counts = counts,
            Positions = positions,
            Platform = source.Platform ?? SpotPlatform.LegacySt,
            ImagePath = image,
            HasInTissueFlag = true,
            ExtraPositionsExpected = true,
        };
        if (fit is { } pitch)
        {
            parts.PixelSizes.Add(new PixelSize(
                PitchMicrons / pitch,
                PixelSizeSource.SpotDiameter,
                string.Create(CultureInfo.InvariantCulture, $"array pitch {pitch:0.#} px per 200 µm step in {positions.Location}")));
        }

        return parts;
    }

    /// <summary>The section id: file name without <c>.tsv</c>/<c>.tsv.gz</c>.</summary>
    private static string Stem(string path)
    {
        string name = Path.GetFileName(path);
        foreach (string ext in new[] { ".tsv.gz", ".tsv" })
        {
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
            {
                return name[..^ext.Length];
            }
        }

        return Path.GetFileNameWithoutExtension(name);
    }

    /// <summary>HER2ST layout: ST-cnts/B4.tsv.gz ↔ ST-imgs/B/B4/*.jpg (the only JPEG there).</summary>
    private static string? FindImage(string countsDir, string stem)
    {
        if (stem.Length == 0)
        {
            return null;
        }

        string folder = Path.GetFullPath(Path.Combine(countsDir, "..", "ST-imgs", stem[..1], stem));
        if (!Directory.Exists(folder))
        {
            return null;
        }

        var jpgs = Directory.GetFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".tif", StringComparison.OrdinalIgnoreCase)).ToList();
        return jpgs.Count == 1 ? jpgs[0] : null;
    }

    private static (PositionTable Table, double? Pitch) ReadSelection(string path)
    {
        string name = Path.GetFileName(path);
        var table = new PositionTable(name);
        using var reader = TextTable.Open(path);
        string header = reader.ReadLine() ?? string.Empty;
        char sep = TextTable.GuessSeparator(header);
        var cols = TextTable.Split(header, sep).Select(h => h.Trim()).ToList();
        int At(string column)
        {
            int i = cols.IndexOf(column);
            if (i < 0)
            {
                throw new InputException($"{name}, line 1", $"expected a column '{column}', found the columns {string.Join(", ", cols)}.", "The ST spot table needs x, y (array coordinates matching the count ids) and pixel_x, pixel_y (full-res image column and row).");
            }

            return i;
        }

        int xi = At("x"), yi = At("y"), pxi = At("pixel_x"), pyi = At("pixel_y");
        int si = cols.IndexOf("selected");
        var arrays = new List<(double Ax, double Ay, double Px, double Py)>();
        int lineNo = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var f = TextTable.Split(line, sep);
            string where = $"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}";
            if (f.Length < cols.Count)
            {
                throw new InputException(where, $"expected {cols.Count} fields like the header, found {f.Length}.", "The spot table is truncated or has a stray separator.");
            }

            double ax = Number(f[xi], where, "x"), ay = Number(f[yi], where, "y");
            double px = Number(f[pxi], where, "pixel_x"), py = Number(f[pyi], where, "pixel_y");
            bool selected = si < 0 || Number(f[si], where, "selected") != 0;
            string id = string.Create(CultureInfo.InvariantCulture, $"{ax:0.###}x{ay:0.###}");
            table.Add(id, new SpotPosition(new FullResPoint(px, py), selected, lineNo, where));
            arrays.Add((ax, ay, px, py));
        }

        return (table, FitPitch(arrays));
    }

    /// <summary>
    /// Least-squares affine fit pixel = A·array + b; the pitch is the mean length of the two array steps in pixels.
    /// Null when the spots do not span two directions.
    /// </summary>
    internal static double? FitPitch(IReadOnlyList<(double Ax, double Ay, double Px, double Py)> spots)
    {
        if (spots.Count < 3)
        {
            return null;
        }

        // Normal equations for [ax, ay, 1] → px and → py.
        var m = new double[3, 3];
        var bx = new double[3];
        var by = new double[3];
        foreach (var s in spots)
        {
            double[] v = [s.Ax, s.Ay, 1];
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    m[i, j] += v[i] * v[j];
                }

                bx[i] += v[i] * s.Px;
                by[i] += v[i] * s.Py;
            }
        }

        var cx = Solve3(m, bx);
        var cy = Solve3(m, by);
        if (cx is null || cy is null)
        {
            return null;
        }

        double stepX = Math.Sqrt((cx[0] * cx[0]) + (cy[0] * cy[0]));
        double stepY = Math.Sqrt((cx[1] * cx[1]) + (cy[1] * cy[1]));
        double pitch = (stepX + stepY) / 2;
        return double.IsFinite(pitch) && pitch > 0 ? pitch : null;
    }

    private static double[]? Solve3(double[,] a, double[] b)
    {
        double Det(double[,] m) =>
            (m[0, 0] * ((m[1, 1] * m[2, 2]) - (m[1, 2] * m[2, 1])))
            - (m[0, 1] * ((m[1, 0] * m[2, 2]) - (m[1, 2] * m[2, 0])))
            + (m[0, 2] * ((m[1, 0] * m[2, 1]) - (m[1, 1] * m[2, 0])));
        double d = Det(a);
        if (Math.Abs(d) < 1e-9)
        {
            return null;
        }

        var x = new double[3];
        for (int c = 0; c < 3; c++)
        {
            var t = (double[,])a.Clone();
            for (int r = 0; r < 3; r++)
            {
                t[r, c] = b[r];
            }

            x[c] = Det(t) / d;
        }

        return x;
    }

    private static double Number(string field, string where, string column)
    {
        if (double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return v;
        }

        throw new InputException($"{where}, column {column}", $"expected a number, found {TextTable.Quote(field)}.", "The ST spot table holds numbers only.");
    }

    [GeneratedRegex(@"^\d+(\.\d+)?x\d+(\.\d+)?$")]
    private static partial Regex ArrayIdRegex();
}
