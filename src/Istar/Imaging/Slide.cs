using System.Globalization;
using System.Text.RegularExpressions;
using Istar.Input;
using NetVips;

namespace Istar.Imaging;

/// <summary>
/// A full-resolution slide (TIFF, BigTIFF, pyramidal TIFF, JPEG-compressed SVS, JPEG, PNG) read through libvips,
/// which streams: region reads and resampling never decode the whole slide into managed memory.
/// </summary>
public sealed partial class Slide : IDisposable
{
    private readonly Image _image;

    private Slide(string path, Image image)
    {
        Path = path;
        _image = image;
    }

    /// <summary>The slide file.</summary>
    public string Path { get; }

    /// <summary>Width of level 0 in pixels.</summary>
    public int Width => _image.Width;

    /// <summary>Height of level 0 in pixels.</summary>
    public int Height => _image.Height;

    /// <summary>Number of bands as stored (3 = RGB, 4 = RGBA, 1 = grey).</summary>
    public int Bands => _image.Bands;

    /// <summary>The underlying libvips image (level 0).</summary>
    internal Image Image => _image;

    /// <summary>Opens a slide; throws <see cref="InputException"/> naming the file when it cannot be read.</summary>
    public static Slide Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InputException(path, "the slide file does not exist.", "Pass the full-resolution H&E image (TIFF/SVS/JPEG/PNG) with --image.");
        }

        try
        {
            var image = Image.NewFromFile(path, access: Enums.Access.Random);
            return new Slide(path, image);
        }
        catch (VipsException e)
        {
            string hint = path.EndsWith(".svs", StringComparison.OrdinalIgnoreCase)
                ? "This .svs may be JPEG 2000-compressed, which the bundled libvips cannot decode; convert it to a tiled TIFF (e.g. with 'vips tiffsave' from Debian's libvips-tools built with OpenSlide)."
                : "Check that the file is a complete image (TIFF, SVS, JPEG or PNG).";
            throw new InputException(path, "cannot be read as an image: " + FirstLine(e.Message), hint);
        }
    }

    /// <summary>
    /// The pixel size recorded in the file, if any: Aperio <c>MPP</c> in the image description, else TIFF resolution
    /// tags in pixels per centimetre or inch (ignored when they are the 72/96 dpi placeholders many tools write).
    /// </summary>
    public double? MetadataMicronsPerPixel()
    {
        var fields = _image.GetFields();
        if (fields.Contains("image-description"))
        {
            string description = _image.Get("image-description") as string ?? string.Empty;
            var m = AperioMppRegex().Match(description);
            if (m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double mpp) && mpp > 0)
            {
                return mpp;
            }
        }

        if (fields.Contains("resolution-unit") || fields.Contains("xres"))
        {
            // libvips stores xres in pixels per millimetre regardless of the file's unit.
            double xres = _image.Xres;
            string unit = fields.Contains("resolution-unit") ? _image.Get("resolution-unit") as string ?? string.Empty : string.Empty;
            if (xres > 0)
            {
                double dpi = xres * 25.4;
                bool placeholder = Math.Abs(dpi - 72) < 0.5 || Math.Abs(dpi - 96) < 0.5 || Math.Abs(dpi - 300) < 0.5 || Math.Abs(xres - 1) < 1e-9 || Math.Abs(dpi - 1) < 1e-6;
                if (!placeholder && (unit == "cm" || unit == "in"))
                {
                    return 1000.0 / xres;
                }
            }
        }

        return null;
    }

    /// <summary>Reads a region of level 0 as interleaved RGB bytes (alpha dropped, grey expanded).</summary>
    public byte[] ReadRegionRgb(int x, int y, int width, int height)
    {
        using var region = _image.Crop(x, y, width, height);
        using var rgb = ToRgb8(region);
        return rgb.WriteToMemory<byte>();
    }

    /// <summary>Converts any band layout to 3-band uchar sRGB.</summary>
    internal static Image ToRgb8(Image image)
    {
        Image x = image;
        if (x.Bands == 4 || x.Bands == 2)
        {
            x = x.Flatten(background: [255.0]);
        }

        if (x.Format != Enums.BandFormat.Uchar)
        {
            x = x.Format == Enums.BandFormat.Ushort ? (x >> 8).Cast(Enums.BandFormat.Uchar) : x.Cast(Enums.BandFormat.Uchar);
        }

        if (x.Bands == 1)
        {
            x = x.Bandjoin(x, x);
        }

        return x.Bands > 3 ? x.ExtractBand(0, 3) : x;
    }

    /// <inheritdoc />
    public void Dispose() => _image.Dispose();

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? s;

    [GeneratedRegex(@"MPP\s*=\s*([0-9.eE+-]+)")]
    private static partial Regex AperioMppRegex();
}
