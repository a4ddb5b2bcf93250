using System.Globalization;
using System.Text.RegularExpressions;
using Istar.Input;
using Istar.Pipeline;
using NetVips;

namespace Istar.Imaging;

/// <summary>
/// A full-resolution slide (TIFF, BigTIFF, pyramidal TIFF, JPEG-compressed SVS, JPEG, PNG) read through libvips,
/// which streams: region reads and resampling never decode the whole slide into managed memory.
/// </summary>
/// <remarks>
/// Every read returns 8-bit RGB. Inputs that are not 8-bit RGB are converted the same way everywhere (spec §16.22a,
/// where the reference would wrap 16-bit values or break on greyscale): 16-bit and float samples are scaled to 0–255
/// with rounding, greyscale is copied to R, G and B, an alpha channel is dropped (as the reference drops it), CMYK is
/// converted to sRGB. Each conversion is reported once, when the slide is opened, through the <see cref="IRunLog"/>.
/// </remarks>
public sealed partial class Slide : IDisposable
{
    private readonly Image _image;
    private readonly Image _rgb;
    private readonly double _floatScale;

    private Slide(string path, Image image, int page, IReadOnlyList<string> conversions)
    {
        Path = path;
        Page = page;
        _image = image;
        Conversions = conversions;
        // Float samples: 0–1 (scRGB-style) or 0–255, decided once here on the random-access image, so that sequential
        // re-reads of the same file convert identically without a pass of their own.
        _floatScale = image.Format is Enums.BandFormat.Float or Enums.BandFormat.Double
            ? (image.Interpretation == Enums.Interpretation.Scrgb || image.Max() <= 1.0 ? 255.0 : 1.0)
            : 1.0;
        _rgb = ToRgb8(image, _floatScale);
    }

    /// <summary>The slide file.</summary>
    public string Path { get; }

    /// <summary>Width of level 0 in pixels.</summary>
    public int Width => _image.Width;

    /// <summary>Height of level 0 in pixels.</summary>
    public int Height => _image.Height;

    /// <summary>Number of bands as stored (3 = RGB, 4 = RGBA, 1 = grey).</summary>
    public int Bands => _image.Bands;

    /// <summary>Bits per sample as stored (8, 16, 32 or 64).</summary>
    public int BitsPerSample => _image.Format switch
    {
        Enums.BandFormat.Uchar or Enums.BandFormat.Char => 8,
        Enums.BandFormat.Ushort or Enums.BandFormat.Short => 16,
        Enums.BandFormat.Double or Enums.BandFormat.Dpcomplex => 64,
        _ => 32,
    };

    /// <summary>Pages (pyramid levels, associated images) in the file; 1 for JPEG/PNG.</summary>
    public int Pages => _image.Contains("n-pages") ? (int)_image.Get("n-pages") : 1;

    /// <summary>
    /// The TIFF page read as level 0: the largest page (0 for SVS, pyramids written level 0 first, JPEG and PNG; a
    /// later page when a file stores a thumbnail or label first).
    /// </summary>
    public int Page { get; }

    /// <summary>The conversions applied to reach 8-bit RGB, each as a sentence (empty for 8-bit RGB input).</summary>
    public IReadOnlyList<string> Conversions { get; }

    /// <summary>The underlying libvips image (level 0, as stored).</summary>
    internal Image Image => _image;

    /// <summary>Level 0 as 3-band uchar RGB (a lazy libvips pipeline).</summary>
    internal Image Rgb => _rgb;

    /// <summary>Opens a slide; throws <see cref="InputException"/> naming the file when it cannot be read.</summary>
    public static Slide Open(string path) => Open(path, null);

    /// <summary>
    /// Opens a slide, reporting conversions to 8-bit RGB (16-bit, greyscale, alpha, CMYK) as warnings on
    /// <paramref name="log"/>. Throws <see cref="InputException"/> for a missing, unreadable or JPEG 2000 file.
    /// </summary>
    public static Slide Open(string path, IRunLog? log)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InputException(path, "the slide file does not exist.", "Pass the full-resolution H&E image (TIFF/SVS/JPEG/PNG) with --image.");
        }

        int? compression = TiffProbe.FirstCompression(path);
        if (compression is 33003 or 33005 or 34712)
        {
            throw new InputException(
                path,
                $"the slide is JPEG 2000-compressed (TIFF compression {compression}), which the bundled libvips cannot decode.",
                "Convert it to a JPEG-compressed tiled TIFF first, e.g. with Debian's 'vips' tool (libvips-tools, built with OpenSlide): 'vips tiffsave slide.svs slide.tif --tile --pyramid --compression jpeg --Q 90 --bigtiff'.");
        }

        Image image;
        try
        {
            image = Image.NewFromFile(path, access: Enums.Access.Random, failOn: Enums.FailOn.Error);
        }
        catch (VipsException e)
        {
            throw Unreadable(path, e);
        }

        int page = 0;
        try
        {
            page = LargestPage(path, image);
            if (page != 0)
            {
                image.Dispose();
                image = Load(path, page, Enums.Access.Random);
                log?.Info($"{path}: page {page} is the largest image in the file and is read as the slide.");
            }
        }
        catch (VipsException e)
        {
            image.Dispose();
            throw Unreadable(path, e);
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            image.Dispose();
            throw new InputException(path, "the image has no pixels.", "Check that the file is a complete image.");
        }

        var conversions = DescribeConversions(image);
        foreach (string c in conversions)
        {
            log?.Warn($"{path}: {c}");
        }

        return new Slide(path, image, page, conversions);
    }

    /// <summary>
    /// The pixel size recorded in the file, if any: Aperio <c>MPP</c> in the image description, OME-XML
    /// <c>PhysicalSizeX</c>, else the resolution libvips reads (TIFF resolution tags in pixels per centimetre or inch,
    /// PNG pHYs, JPEG JFIF density). Values outside
    /// <see cref="PixelSize.MinPlausible"/>–<see cref="PixelSize.MaxPlausible"/> (the 72/96/300 dpi placeholders many
    /// tools write) are ignored.
    /// </summary>
    public double? MetadataMicronsPerPixel()
    {
        if (_image.Contains("image-description"))
        {
            string description = _image.Get("image-description") as string ?? string.Empty;
            var m = AperioMppRegex().Match(description);
            if (m.Success && TryParse(m.Groups[1].Value, out double mpp) && Plausible(mpp))
            {
                return mpp;
            }

            var ome = OmePhysicalSizeRegex().Match(description);
            if (ome.Success && TryParse(ome.Groups[1].Value, out double size))
            {
                var unitMatch = OmePhysicalUnitRegex().Match(description);
                string unit = unitMatch.Success ? unitMatch.Groups[1].Value : "µm";
                double factor = unit switch
                {
                    "nm" => 1e-3,
                    "mm" => 1e3,
                    "cm" => 1e4,
                    _ => 1.0,
                };
                if (Plausible(size * factor))
                {
                    return size * factor;
                }
            }
        }

        if (_image.Contains("resolution-unit"))
        {
            // libvips reports xres in pixels per millimetre whatever the file's unit ("cm" or "in").
            string unit = _image.Get("resolution-unit") as string ?? string.Empty;
            double xres = _image.Xres;
            if ((unit == "cm" || unit == "in") && xres > 0)
            {
                double mpp = 1000.0 / xres;
                if (Plausible(mpp))
                {
                    return mpp;
                }
            }
        }

        return null;
    }

    /// <summary>Reads a region of level 0 as interleaved RGB bytes (alpha dropped, grey expanded, 16-bit scaled).</summary>
    public byte[] ReadRegionRgb(int x, int y, int width, int height)
    {
        var buffer = new byte[checked(width * height * 3)];
        ReadRegionRgb(x, y, width, height, buffer);
        return buffer;
    }

    /// <summary>Reads a region of level 0 into <paramref name="destination"/> (width × height × 3 bytes).</summary>
    public void ReadRegionRgb(int x, int y, int width, int height, Span<byte> destination)
    {
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || (long)x + width > Width || (long)y + height > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"region ({x}, {y}, {width}×{height}) is outside the {Width}×{Height} slide");
        }

        if (destination.Length < width * height * 3)
        {
            throw new ArgumentException("destination is too small", nameof(destination));
        }

        try
        {
            using var region = Region.New(_rgb);
            byte[] data = region.Fetch(x, y, width, height);
            data.AsSpan(0, width * height * 3).CopyTo(destination);
        }
        catch (VipsException e)
        {
            throw Unreadable(Path, e);
        }
    }

    /// <summary>
    /// A downsampled RGB copy of the whole slide whose longer side is at most <paramref name="maxSide"/> pixels
    /// (never upsampled), for overlays and reports. Uses the file's pyramid levels where it has them.
    /// </summary>
    public RgbImage Thumbnail(int maxSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        try
        {
            using var thumb = Page == 0
                ? Image.Thumbnail(Path, maxSide, height: maxSide, size: Enums.Size.Down, failOn: Enums.FailOn.Error)
                : _image.ThumbnailImage(maxSide, height: maxSide, size: Enums.Size.Down);
            using var rgb = ToRgb8(thumb, _floatScale);
            return new RgbImage(rgb.Width, rgb.Height, rgb.WriteToMemory<byte>());
        }
        catch (VipsException e)
        {
            throw Unreadable(Path, e);
        }
    }

    /// <summary>A second libvips image of level 0 for one top-to-bottom pass (decodes JPEG/strip TIFF in strips).</summary>
    internal Image OpenSequential() => Load(Path, Page, Enums.Access.Sequential);

    private static Image Load(string path, int page, Enums.Access access) =>
        page == 0
            ? Image.NewFromFile(path, access: access, failOn: Enums.FailOn.Error)
            : Image.NewFromFile(path, access: access, failOn: Enums.FailOn.Error, kwargs: new VOption { { "page", page } });

    /// <summary>The index of the largest page of a multi-page TIFF (headers only; the first of equals wins).</summary>
    private static int LargestPage(string path, Image first)
    {
        if (!first.Contains("n-pages") || !first.Contains("vips-loader") || (first.Get("vips-loader") as string) != "tiffload")
        {
            return 0;
        }

        int pages = Math.Min((int)first.Get("n-pages"), 64);
        int best = 0;
        long bestArea = (long)first.Width * first.Height;
        for (int p = 1; p < pages; p++)
        {
            using var candidate = Load(path, p, Enums.Access.Random);
            long area = (long)candidate.Width * candidate.Height;
            if (area > bestArea)
            {
                best = p;
                bestArea = area;
            }
        }

        return best;
    }

    /// <summary>Converts another image of this slide's file (e.g. a sequential re-open) exactly as the slide converts level 0.</summary>
    internal Image ToRgb8Like(Image sameFile) => ToRgb8(sameFile, _floatScale);

    /// <summary>Converts any band layout and sample format to 3-band uchar RGB; float samples are multiplied by <paramref name="floatScale"/>.</summary>
    internal static Image ToRgb8(Image image, double floatScale = 1.0)
    {
        Image x = image;
        if ((x.Interpretation == Enums.Interpretation.Cmyk && x.Bands >= 4) || x.Interpretation == Enums.Interpretation.Lab || x.Interpretation == Enums.Interpretation.Labs || x.Interpretation == Enums.Interpretation.Xyz)
        {
            x = x.Colourspace(Enums.Interpretation.Srgb);
        }

        // Drop alpha (the reference keeps the first three channels); grey + alpha keeps grey.
        if (x.Bands == 2)
        {
            x = x.ExtractBand(0);
        }
        else if (x.Bands > 3)
        {
            x = x.ExtractBand(0, 3);
        }

        switch (x.Format)
        {
            case Enums.BandFormat.Uchar:
                break;
            case Enums.BandFormat.Ushort:
                x = (x * (255.0 / 65535.0) + 0.5).Cast(Enums.BandFormat.Uchar);
                break;
            case Enums.BandFormat.Float or Enums.BandFormat.Double:
                // scRGB-style floats are 0–1; anything else is taken as 0–255.
                x = (x * floatScale + 0.5).Cast(Enums.BandFormat.Uchar);
                break;
            default:
                x = x.Cast(Enums.BandFormat.Uchar);
                break;
        }

        if (x.Bands == 1)
        {
            x = x.Bandjoin(x, x);
        }

        return x.Copy(interpretation: Enums.Interpretation.Srgb);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _rgb.Dispose();
        _image.Dispose();
    }

    internal static InputException Unreadable(string path, VipsException e)
    {
        string hint = path.EndsWith(".svs", StringComparison.OrdinalIgnoreCase)
            ? "If this .svs is JPEG 2000-compressed, the bundled libvips cannot decode it; convert it to a tiled TIFF (e.g. with 'vips tiffsave' from Debian's libvips-tools built with OpenSlide)."
            : "Check that the file is a complete, uncorrupted image (TIFF, SVS, JPEG or PNG); re-export or re-download it.";
        return new InputException(path, "cannot be read as an image: " + FirstLine(e.Message), hint);
    }

    private static List<string> DescribeConversions(Image image)
    {
        var list = new List<string>();
        if (image.Format != Enums.BandFormat.Uchar)
        {
            list.Add(image.Format == Enums.BandFormat.Ushort
                ? "16-bit samples were scaled to 8 bits (v × 255 / 65535, rounded)."
                : $"{image.Format} samples were converted to 8 bits.");
        }

        if (image.Interpretation == Enums.Interpretation.Cmyk)
        {
            list.Add("CMYK was converted to sRGB.");
        }

        if (image.Bands is 1 or 2)
        {
            list.Add("the image is greyscale; its grey value was copied to R, G and B.");
        }

        if (image.Bands is 2 or > 3 && image.Interpretation != Enums.Interpretation.Cmyk)
        {
            list.Add("the alpha channel was dropped (as the reference does); transparent areas keep their stored colour.");
        }

        return list;
    }

    private static bool Plausible(double mpp) => double.IsFinite(mpp) && mpp >= PixelSize.MinPlausible && mpp <= PixelSize.MaxPlausible;

    private static bool TryParse(string s, out double value) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? s;

    [GeneratedRegex(@"MPP\s*=\s*([0-9.eE+-]+)")]
    private static partial Regex AperioMppRegex();

    [GeneratedRegex(@"PhysicalSizeX\s*=\s*""([0-9.eE+-]+)""")]
    private static partial Regex OmePhysicalSizeRegex();

    [GeneratedRegex(@"PhysicalSizeXUnit\s*=\s*""([^""]+)""")]
    private static partial Regex OmePhysicalUnitRegex();
}

/// <summary>A small interleaved 8-bit RGB image held in memory (thumbnails, test crops).</summary>
public sealed class RgbImage
{
    /// <summary>Wraps interleaved RGB bytes (Height × Width × 3).</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException("pixels must hold width * height * 3 bytes", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Interleaved RGB, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Loads any image libvips reads, converted to 8-bit RGB like a <see cref="Slide"/>.</summary>
    public static RgbImage Load(string path)
    {
        using var slide = Slide.Open(path);
        return new RgbImage(slide.Width, slide.Height, slide.ReadRegionRgb(0, 0, slide.Width, slide.Height));
    }

    /// <summary>Saves as PNG, JPEG or TIFF by extension.</summary>
    public void Save(string path)
    {
        using var image = Image.NewFromMemory(Pixels, Width, Height, 3, Enums.BandFormat.Uchar);
        image.WriteToFile(path);
    }
}
