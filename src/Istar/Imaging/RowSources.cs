using NetVips;

namespace Istar.Imaging;

/// <summary>Supplies an 8-bit RGB image top to bottom, strip by strip. Rows are requested in increasing order.</summary>
internal interface IRgbRowSource
{
    int Width { get; }

    int Height { get; }

    /// <summary>Copies rows [y, y + count) as interleaved RGB into <paramref name="destination"/>.</summary>
    void ReadRows(int y, int count, Span<byte> destination);
}

/// <summary>An in-memory interleaved RGB image.</summary>
internal sealed class MemoryRowSource(byte[] rgb, int width, int height) : IRgbRowSource
{
    public int Width => width;

    public int Height => height;

    public void ReadRows(int y, int count, Span<byte> destination) =>
        rgb.AsSpan(y * width * 3, count * width * 3).CopyTo(destination);
}

/// <summary>
/// A slide read top to bottom through a second, sequential-access libvips image of the same file, so that a JPEG or
/// strip TIFF is decoded once, in strips, rather than into a whole-image cache.
/// </summary>
internal sealed class SlideRowSource : IRgbRowSource, IDisposable
{
    private readonly string _path;
    private readonly Image _file;
    private readonly Image _rgb;
    private readonly Region _region;

    public SlideRowSource(Slide slide)
    {
        _path = slide.Path;
        try
        {
            _file = slide.OpenSequential();
            _rgb = slide.ToRgb8Like(_file);
            _region = Region.New(_rgb);
        }
        catch (VipsException e)
        {
            throw Slide.Unreadable(slide.Path, e);
        }
    }

    public int Width => _rgb.Width;

    public int Height => _rgb.Height;

    public void ReadRows(int y, int count, Span<byte> destination)
    {
        try
        {
            byte[] data = _region.Fetch(0, y, Width, count);
            data.AsSpan(0, count * Width * 3).CopyTo(destination);
        }
        catch (VipsException e)
        {
            throw Slide.Unreadable(_path, e);
        }
    }

    public void Dispose()
    {
        _region.Dispose();
        _rgb.Dispose();
        _file.Dispose();
    }
}
