using System.Globalization;
using Istar.Input.Text;

namespace Istar.Input.IstarFolder;

/// <summary>
/// Reads an iStar data folder: <c>cnts.tsv</c>, <c>locs-raw.tsv</c> (columns <c>x</c>, <c>y</c> by name),
/// <c>he-raw.{jpg,png,tif,tiff}</c>, <c>pixel-size-raw.txt</c>, <c>radius-raw.txt</c> (spot radius in raw pixels),
/// optional <c>gene-names.txt</c> and <c>mask-raw.png</c>. Counts and locations are joined by spot id.
/// </summary>
internal static class IstarFolderReader
{
    public const string Counts = "cnts.tsv";
    public const string Locations = "locs-raw.tsv";
    public const string PixelSizeFile = "pixel-size-raw.txt";
    public const string RadiusFile = "radius-raw.txt";
    public const string GenePanelFile = "gene-names.txt";
    public const string MaskFile = "mask-raw.png";
    private static readonly string[] ImageNames = ["he-raw.jpg", "he-raw.png", "he-raw.tif", "he-raw.tiff"];

    /// <summary>True when the path is a folder holding <c>cnts.tsv</c>, or that file itself.</summary>
    public static bool Looks(string path) =>
        (Directory.Exists(path) && File.Exists(Path.Combine(path, Counts)))
        || (File.Exists(path) && Path.GetFileName(path) == Counts);

    public static SampleParts Read(SampleSource source)
    {
        string folder = Path.GetFullPath(File.Exists(source.Path) ? Path.GetDirectoryName(Path.GetFullPath(source.Path))! : source.Path);
        string F(string name) => Path.Combine(folder, name);
        var missing = new List<InputProblem>();
        void Require(string name, string what, string fix)
        {
            if (!File.Exists(F(name)))
            {
                missing.Add(InputProblem.Error(name, $"expected {what} in {folder}, found no file.", fix));
            }
        }

        Require(Counts, "the spot × gene counts", "Write cnts.tsv: a tab-separated table with the spot id in the first column and one column per gene.");
        Require(Locations, "the spot centres", "Write locs-raw.tsv: spot id, then columns named x (image column) and y (image row) in full-resolution pixels.");
        Require(RadiusFile, "the spot radius in raw pixels", "Write radius-raw.txt with one number: the spot radius in he-raw pixels (Visium: spot_diameter_fullres / 2).");
        if (source.MicronsPerPixel is null)
        {
            Require(PixelSizeFile, "the raw pixel size in µm", "Write pixel-size-raw.txt with one number (µm per he-raw pixel; Visium: 55 / spot_diameter_fullres), or pass --pixel-size.");
        }

        string? image = source.ImagePath ?? ImageNames.Select(F).FirstOrDefault(File.Exists);
        if (image is null)
        {
            missing.Add(InputProblem.Error("he-raw.jpg", $"expected the full-resolution H&E as he-raw.jpg, .png, .tif or .tiff in {folder}, found none.", "Put the H&E image there under that name, or pass it with --image."));
        }

        if (missing.Count > 0)
        {
            throw new InputException(missing);
        }

        var counts = DenseCountTableReader.Read(F(Counts));
        var positions = ReadLocations(F(Locations));
        double radius = TextTable.ReadScalar(F(RadiusFile), "the spot radius in pixels", "radius-raw.txt holds one number: the spot radius in he-raw pixels (Visium: spot_diameter_fullres / 2).");
        var parts = new SampleParts
        {
            Format = SampleFormat.IstarFolder,
            SourcePath = folder,
            Counts = counts,
            Positions = positions,
            Platform = source.Platform ?? SpotPlatform.Other,
            ImagePath = image,
            SpotDiameterPixels = 2 * radius,
            SpotDiameterLocation = $"{RadiusFile} (radius {TextTable.Number(radius)} px × 2)",
            OrderMatters = true,
            GenePanel = File.Exists(F(GenePanelFile)) ? File.ReadAllLines(F(GenePanelFile)).Select(l => l.Trim()).ToList() : null,
            GenePanelLocation = GenePanelFile,
            MaskPath = File.Exists(F(MaskFile)) ? F(MaskFile) : null,
        };

        if (File.Exists(F(PixelSizeFile)))
        {
            double mpp = TextTable.ReadScalar(F(PixelSizeFile), "the pixel size in µm", "pixel-size-raw.txt holds one number: µm per he-raw pixel (Visium: 55 / spot_diameter_fullres).");
            parts.PixelSizes.Add(new PixelSize(mpp, PixelSizeSource.Explicit, $"{PixelSizeFile}, line 1"));
        }

        return parts;
    }

    private static PositionTable ReadLocations(string path)
    {
        string name = Path.GetFileName(path);
        var table = new PositionTable(name);
        using var reader = TextTable.Open(path);
        string? header = reader.ReadLine();
        if (header is null)
        {
            throw new InputException($"{name}, line 1", "expected a header with columns x and y, found an empty file.", "Write the spot id, then columns named x (image column) and y (image row).");
        }

        char sep = TextTable.GuessSeparator(header);
        var names = TextTable.Split(header, sep).Select(h => h.Trim()).ToList();
        int xAt = names.IndexOf("x");
        int yAt = names.IndexOf("y");
        if (xAt < 0 || yAt < 0)
        {
            throw new InputException(
                $"{name}, line 1",
                $"expected columns named x and y (iStar reads them by name), found {string.Join(", ", names.Select(n => n.Length == 0 ? "(empty)" : n))}.",
                "Rename the column holding the image column (horizontal pixel) to x and the one holding the image row to y.");
        }

        int lineNo = 1;
        string? line;
        int? offset = null;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var f = TextTable.Split(line, sep);

            // pandas writes an empty first header cell for the index; a header without it is shifted by one.
            offset ??= f.Length == names.Count + 1 ? 1 : 0;
            string where = $"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}";
            if (f.Length <= Math.Max(xAt, yAt) + offset)
            {
                throw new InputException(where, $"expected {names.Count} fields like the header, found {f.Length}.", "Every row needs the spot id and the x and y columns.");
            }

            double x = Number(f[xAt + offset.Value], where, "x");
            double y = Number(f[yAt + offset.Value], where, "y");
            table.Add(f[0].Trim(), new SpotPosition(new FullResPoint(x, y), true, lineNo, where));
        }

        return table;
    }

    private static double Number(string field, string where, string column)
    {
        if (double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return v;
        }

        throw new InputException($"{where}, column {column}", $"expected a pixel coordinate (a number), found {TextTable.Quote(field)}.", "x and y are full-resolution pixel positions of the spot centre.");
    }
}
