using System.IO.MemoryMappedFiles;
using NetVips;

namespace Istar.Imaging;

/// <summary>
/// The slide rescaled to the working pixel size (default 0.5 µm/px) and padded with white to multiples of 256 px:
/// the reference's <c>he.jpg</c>. Interleaved RGB bytes, row-major.
/// </summary>
/// <remarks>
/// A 0.5 µm/px section of a few cm² is several GB, so the pixels need not be one managed array: images above
/// <see cref="FileBackedThreshold"/> bytes (or when asked) live in a memory-mapped temporary file that is deleted
/// on <see cref="Dispose"/> (and by the OS when the process ends). The folder is the one passed, else
/// <c>$ISTAR_TEMP</c>, else the system temp folder (choose a disk, not a RAM-backed tmpfs, for whole slides). Whole-slide users stream by strips through
/// <see cref="ReadRows"/>; <see cref="Pixels"/> is only available below 2 GiB.
/// </remarks>
public sealed unsafe class ScaledImage : IDisposable
{
    /// <summary>Images larger than this (bytes) are file-backed by default: 256 MiB.</summary>
    public const long FileBackedThreshold = 256L << 20;

    /// <summary>Size of the libvips native (<c>.v</c>) header that precedes the raw pixels.</summary>
    private const int VipsHeaderBytes = 64;

    private readonly byte[]? _managed;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private bool _disposed;

    /// <summary>Wraps interleaved RGB bytes (Height × Width × 3).</summary>
    public ScaledImage(byte[] rgb, int width, int height, double micronsPerPixel, int contentWidth, int contentHeight)
        : this(width, height, micronsPerPixel, contentWidth, contentHeight)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException("rgb must hold width * height * 3 bytes", nameof(rgb));
        }

        _managed = rgb;
    }

    private ScaledImage(int width, int height, double micronsPerPixel, int contentWidth, int contentHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (contentWidth < 1 || contentWidth > width || contentHeight < 1 || contentHeight > height)
        {
            throw new ArgumentException("content size must be within the padded size");
        }

        Width = width;
        Height = height;
        MicronsPerPixel = micronsPerPixel;
        ContentWidth = contentWidth;
        ContentHeight = contentHeight;
    }

    private ScaledImage(int width, int height, double micronsPerPixel, int contentWidth, int contentHeight, string? tempDirectory)
        : this(width, height, micronsPerPixel, contentWidth, contentHeight, NewTempPath(tempDirectory, ".rgb"), existing: false, offset: 0)
    {
    }

    private ScaledImage(int width, int height, double micronsPerPixel, int contentWidth, int contentHeight, string backingFile, bool existing, long offset)
        : this(width, height, micronsPerPixel, contentWidth, contentHeight)
    {
        BackingFile = backingFile;
        // On Unix the file is unlinked as soon as it is mapped, so nothing is left behind even if the process dies;
        // elsewhere it is deleted when the mapping closes.
        bool unlinkNow = !OperatingSystem.IsWindows();
        var stream = new FileStream(BackingFile, existing ? FileMode.Open : FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 4096, unlinkNow ? FileOptions.None : FileOptions.DeleteOnClose);
        try
        {
            if (!existing)
            {
                stream.SetLength(ByteLength);
            }
            else if (stream.Length < offset + ByteLength)
            {
                throw new InvalidDataException($"{BackingFile} holds {stream.Length} bytes, fewer than the {offset + ByteLength} expected");
            }

            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(offset, ByteLength, MemoryMappedFileAccess.ReadWrite);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
            _pointer += _view.PointerOffset;
            if (unlinkNow)
            {
                File.Delete(BackingFile);
            }
        }
        catch
        {
            _view?.Dispose();
            _map?.Dispose();
            stream.Dispose();
            File.Delete(BackingFile);
            throw;
        }
    }

    /// <summary>Padded width in pixels (multiple of 256 unless built otherwise).</summary>
    public int Width { get; }

    /// <summary>Padded height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width of the rescaled slide before padding.</summary>
    public int ContentWidth { get; }

    /// <summary>Height of the rescaled slide before padding.</summary>
    public int ContentHeight { get; }

    /// <summary>Pixel size of this image in µm.</summary>
    public double MicronsPerPixel { get; }

    /// <summary>Block rows for 16-px blocks.</summary>
    public int BlockRows => Height / 16;

    /// <summary>Block columns for 16-px blocks.</summary>
    public int BlockColumns => Width / 16;

    /// <summary>Bytes per row (Width × 3).</summary>
    public int Stride => Width * 3;

    /// <summary>Total bytes (Height × Width × 3).</summary>
    public long ByteLength => (long)Height * Width * 3;

    /// <summary>True when the pixels live in a memory-mapped temporary file rather than a managed array.</summary>
    public bool IsFileBacked => _map is not null;

    /// <summary>
    /// The temporary backing file, or null for in-memory images. On Linux/macOS it is unlinked as soon as it is mapped
    /// (the space is freed when the image is disposed or the process ends); on Windows it is deleted on dispose.
    /// </summary>
    public string? BackingFile { get; }

    /// <summary>All pixels, interleaved RGB, row-major. Only for images under 2 GiB; stream others with <see cref="ReadRows"/>.</summary>
    public ReadOnlySpan<byte> Pixels
    {
        get
        {
            if (ByteLength > int.MaxValue)
            {
                throw new InvalidOperationException($"the {Width}×{Height} image is {ByteLength:N0} bytes, too large for one span; read it by strips with ReadRows.");
            }

            return Span(0, (int)ByteLength);
        }
    }

    /// <summary>
    /// Allocates a white (255) image of the given padded size. File-backed when <paramref name="fileBacked"/> is true,
    /// or when null and the image exceeds <see cref="FileBackedThreshold"/>.
    /// </summary>
    public static ScaledImage CreateWhite(int width, int height, double micronsPerPixel, int contentWidth, int contentHeight, bool? fileBacked = null, string? tempDirectory = null)
    {
        long bytes = (long)width * height * 3;
        bool useFile = fileBacked ?? bytes > FileBackedThreshold;
        if (!useFile && bytes > Array.MaxLength)
        {
            useFile = true;
        }

        ScaledImage image = useFile
            ? new ScaledImage(width, height, micronsPerPixel, contentWidth, contentHeight, tempDirectory)
            : new ScaledImage(new byte[bytes], width, height, micronsPerPixel, contentWidth, contentHeight);
        if (image.IsFileBacked)
        {
            // Only the padding must be written: content rows are filled by the producer.
            image.FillPadding();
        }
        else
        {
            image._managed.AsSpan().Fill(255);
        }

        return image;
    }

    /// <summary>
    /// Renders a libvips pipeline (already padded to its final size, 3-band uchar) into a new image with libvips's own
    /// threaded sink: into a managed array when small, else into a temporary <c>.v</c> file that is then memory-mapped
    /// in place (no copy through managed memory).
    /// </summary>
    internal static ScaledImage Render(Image padded, double micronsPerPixel, int contentWidth, int contentHeight, bool? fileBacked, string? tempDirectory)
    {
        long bytes = (long)padded.Width * padded.Height * 3;
        bool useFile = fileBacked ?? bytes > FileBackedThreshold;
        if (!useFile && bytes <= Array.MaxLength)
        {
            byte[] data = padded.WriteToMemory<byte>();
            return new ScaledImage(data, padded.Width, padded.Height, micronsPerPixel, contentWidth, contentHeight);
        }

        string path = NewTempPath(tempDirectory, ".v");
        try
        {
            padded.WriteToFile(path);
            CheckVipsHeader(path, padded.Width, padded.Height);
            return new ScaledImage(padded.Width, padded.Height, micronsPerPixel, contentWidth, contentHeight, path, existing: true, offset: VipsHeaderBytes);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>The padded size for a content size: each side rounded up to a multiple of <paramref name="multiple"/> (spec §4).</summary>
    public static (int Width, int Height) PaddedSize(int contentWidth, int contentHeight, int multiple = 256) =>
        (PadUp(contentWidth, multiple), PadUp(contentHeight, multiple));

    /// <summary>Rounds <paramref name="n"/> up to a multiple of <paramref name="multiple"/>.</summary>
    public static int PadUp(int n, int multiple) => checked((n + multiple - 1) / multiple * multiple);

    /// <summary>
    /// Loads an image already at the working pixel size (e.g. a saved <c>he.jpg</c>) and pads it with white to
    /// multiples of <paramref name="padMultiple"/> (1 = no padding).
    /// </summary>
    public static ScaledImage Load(string path, double micronsPerPixel, int padMultiple = 256, bool? fileBacked = null)
    {
        using var slide = Slide.Open(path);
        var (pw, ph) = PaddedSize(slide.Width, slide.Height, padMultiple);
        var image = CreateWhite(pw, ph, micronsPerPixel, slide.Width, slide.Height, fileBacked);
        try
        {
            int strip = Math.Max(1, (8 << 20) / (slide.Width * 3));
            var buffer = new byte[strip * slide.Width * 3];
            for (int y = 0; y < slide.Height; y += strip)
            {
                int n = Math.Min(strip, slide.Height - y);
                slide.ReadRegionRgb(0, y, slide.Width, n, buffer);
                image.WriteContentRows(y, n, buffer.AsSpan(0, n * slide.Width * 3));
            }

            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Rows [y, y + count) as interleaved RGB.</summary>
    public ReadOnlySpan<byte> ReadRows(int y, int count)
    {
        CheckRows(y, count);
        return Span((long)y * Stride, checked(count * Stride));
    }

    /// <summary>
    /// Copies the region [x, x + width) × [y, y + height) as interleaved RGB into <paramref name="destination"/>.
    /// Pixels outside the image repeat the nearest edge pixel (NumPy <c>np.pad(mode='edge')</c>, as the reference's
    /// <c>patchify</c> pads 4096-px tiles).
    /// </summary>
    public void CopyRegion(int x, int y, int width, int height, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (destination.Length < (long)width * height * 3)
        {
            throw new ArgumentException("destination is too small", nameof(destination));
        }

        int x0 = Math.Clamp(x, 0, Width), x1 = Math.Clamp(x + width, 0, Width);
        for (int r = 0; r < height; r++)
        {
            int sy = Math.Clamp(y + r, 0, Height - 1);
            var src = ReadRows(sy, 1);
            var dst = destination.Slice(r * width * 3, width * 3);
            if (x1 > x0)
            {
                src[(x0 * 3)..(x1 * 3)].CopyTo(dst[((x0 - x) * 3)..]);
            }

            for (int c = 0; c < width; c++)
            {
                int sx = x + c;
                if (sx >= x0 && sx < x1)
                {
                    c = x1 - x - 1;
                    continue;
                }

                int e = Math.Clamp(sx, 0, Width - 1) * 3;
                dst[c * 3] = src[e];
                dst[(c * 3) + 1] = src[e + 1];
                dst[(c * 3) + 2] = src[e + 2];
            }
        }
    }

    /// <summary>Rows [y, y + count) for writing (producers only).</summary>
    internal Span<byte> WritableRows(int y, int count)
    {
        CheckRows(y, count);
        return Span((long)y * Stride, checked(count * Stride));
    }

    /// <summary>Writes <paramref name="count"/> content rows (ContentWidth × 3 bytes each) starting at row <paramref name="y"/>.</summary>
    internal void WriteContentRows(int y, int count, ReadOnlySpan<byte> rows)
    {
        int cw = ContentWidth * 3;
        for (int r = 0; r < count; r++)
        {
            rows.Slice(r * cw, cw).CopyTo(WritableRows(y + r, 1));
        }
    }

    /// <summary>Saves the padded image (PNG, JPEG or TIFF by extension; JPEG uses <paramref name="quality"/>).</summary>
    public void Save(string path, int quality = 90)
    {
        using var image = ToVips();
        if (path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
        {
            if (Width > 65535 || Height > 65535)
            {
                throw new InvalidOperationException($"JPEG cannot hold a {Width}×{Height} image (65,535 px a side at most); save it as .tif instead.");
            }

            image.Jpegsave(path, q: quality);
        }
        else if (path.EndsWith(".tif", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tiff", StringComparison.OrdinalIgnoreCase))
        {
            image.Tiffsave(path, compression: Enums.ForeignTiffCompression.Jpeg, q: quality, tile: true, pyramid: true, bigtiff: ByteLength > (3L << 30));
        }
        else
        {
            image.WriteToFile(path);
        }
    }

    /// <summary>A libvips view of the pixels (no copy for file-backed images; valid while this image lives).</summary>
    internal Image ToVips()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_managed is not null)
        {
            return Image.NewFromMemory(_managed, Width, Height, 3, Enums.BandFormat.Uchar);
        }

        return Image.NewFromMemory((IntPtr)_pointer, (ulong)ByteLength, Width, Height, 3, Enums.BandFormat.Uchar);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
        _pointer = null;
    }

    private static string NewTempPath(string? tempDirectory, string extension)
    {
        string? env = Environment.GetEnvironmentVariable("ISTAR_TEMP");
        string dir = tempDirectory ?? (string.IsNullOrEmpty(env) ? System.IO.Path.GetTempPath() : env);
        Directory.CreateDirectory(dir);
        return System.IO.Path.Combine(dir, "istar-scaled-" + Guid.NewGuid().ToString("N")[..12] + extension);
    }

    /// <summary>Checks the magic, size, bands and format of a libvips native file before mapping its pixels.</summary>
    private static void CheckVipsHeader(string path, int width, int height)
    {
        var h = new byte[VipsHeaderBytes];
        using (var f = File.OpenRead(path))
        {
            f.ReadExactly(h);
        }

        uint magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(h);
        if (magic != 0x08f2a6b6 && magic != 0xb6a6f208)
        {
            throw new InvalidDataException($"{path}: not a libvips native file");
        }

        // The magic gives the pixel byte order; header fields have been written in either order across versions.
        bool Matches(bool littleEndian)
        {
            int Int(int at) => littleEndian ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(at)) : System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(h.AsSpan(at));
            return Int(4) == width && Int(8) == height && Int(12) == 3 && Int(20) == 0;
        }

        if (!Matches(true) && !Matches(false))
        {
            throw new InvalidDataException($"{path}: unexpected libvips header for a {width}×{height} RGB uchar image");
        }
    }

    private void FillPadding()
    {
        int cw = ContentWidth * 3;
        for (int y = 0; y < Height; y++)
        {
            var row = WritableRows(y, 1);
            if (y >= ContentHeight)
            {
                row.Fill(255);
            }
            else if (cw < row.Length)
            {
                row[cw..].Fill(255);
            }
        }
    }

    private void CheckRows(int y, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (y < 0 || count < 0 || (long)y + count > Height)
        {
            throw new ArgumentOutOfRangeException(nameof(y), $"rows [{y}, {(long)y + count}) are outside 0–{Height}");
        }
    }

    private Span<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_managed is not null)
        {
            return _managed.AsSpan((int)offset, length);
        }

        return new Span<byte>(_pointer + offset, length);
    }
}
