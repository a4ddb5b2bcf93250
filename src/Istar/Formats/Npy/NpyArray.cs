using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Istar.Formats.Npy;

/// <summary>
/// A NumPy <c>.npy</c> array (format 1.0–3.0, C order) held as float64 or float32 values for comparison and export.
/// Reads little-endian bool, u1, i1, i2, i4, i8, u2, u4, f2, f4 and f8; writes f4, f8, u1 and i8.
/// </summary>
internal sealed partial class NpyArray
{
    public NpyArray(int[] shape, string dtype, double[] values)
    {
        Shape = shape;
        Dtype = dtype;
        Values = values;
    }

    /// <summary>Shape in C order.</summary>
    public int[] Shape { get; }

    /// <summary>NumPy descr as read, e.g. <c>&lt;f4</c>.</summary>
    public string Dtype { get; }

    /// <summary>All values widened to float64, C order.</summary>
    public double[] Values { get; }

    public long Length => Values.LongLength;

    public float[] ToFloat32()
    {
        var r = new float[Values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (float)Values[i];
        }

        return r;
    }

    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static NpyArray Read(Stream stream)
    {
        Span<byte> magic = stackalloc byte[8];
        stream.ReadExactly(magic);
        if (magic[0] != 0x93 || magic[1] != (byte)'N' || magic[2] != (byte)'U' || magic[3] != (byte)'M' || magic[4] != (byte)'P' || magic[5] != (byte)'Y')
        {
            throw new InvalidDataException("not a .npy file (magic bytes missing)");
        }

        int major = magic[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            stream.ReadExactly(len);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else
        {
            Span<byte> len = stackalloc byte[4];
            stream.ReadExactly(len);
            headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(len);
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = Encoding.Latin1.GetString(headerBytes);
        string descr = DescrRegex().Match(header).Groups[1].Value;
        if (FortranRegex().Match(header).Groups[1].Value == "True")
        {
            throw new InvalidDataException("Fortran-order arrays are not supported");
        }

        string shapeText = ShapeRegex().Match(header).Groups[1].Value;
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }

        if (descr.StartsWith('>'))
        {
            throw new InvalidDataException($"big-endian dtype {descr} is not supported");
        }

        string kind = descr.TrimStart('<', '|', '=');
        int size = kind switch
        {
            "b1" or "u1" or "i1" => 1,
            "i2" or "u2" or "f2" => 2,
            "i4" or "u4" or "f4" => 4,
            "i8" or "u8" or "f8" => 8,
            _ => throw new InvalidDataException($"unsupported dtype {descr}"),
        };
        var raw = new byte[count * size];
        stream.ReadExactly(raw);
        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            var s = raw.AsSpan((int)(i * size), size);
            values[i] = kind switch
            {
                "b1" or "u1" => s[0],
                "i1" => (sbyte)s[0],
                "i2" => BinaryPrimitives.ReadInt16LittleEndian(s),
                "u2" => BinaryPrimitives.ReadUInt16LittleEndian(s),
                "f2" => (double)BinaryPrimitives.ReadHalfLittleEndian(s),
                "i4" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "u4" => BinaryPrimitives.ReadUInt32LittleEndian(s),
                "f4" => BinaryPrimitives.ReadSingleLittleEndian(s),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "u8" => BinaryPrimitives.ReadUInt64LittleEndian(s),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
            };
        }

        return new NpyArray(shape, descr, values);
    }

    /// <summary>Writes float32 values with the given shape.</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        using var stream = File.Create(path);
        WriteHeader(stream, "<f4", shape, values.Length);
        var buffer = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), values[i]);
        }

        stream.Write(buffer);
    }

    /// <summary>Writes uint8 values with the given shape.</summary>
    public static void WriteUInt8(string path, ReadOnlySpan<byte> values, params int[] shape)
    {
        using var stream = File.Create(path);
        WriteHeader(stream, "|u1", shape, values.Length);
        stream.Write(values);
    }

    /// <summary>Writes a header for an array that the caller then streams in C order.</summary>
    public static void WriteHeader(Stream stream, string descr, int[] shape, long count)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        long expected = 1;
        foreach (int d in shape)
        {
            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {expected} values, got {count}");
        }

        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - (total % 64)) % 64;
        string header = dict + new string(' ', pad) + "\n";
        Span<byte> pre = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0, 0];
        BinaryPrimitives.WriteUInt16LittleEndian(pre[8..], (ushort)header.Length);
        stream.Write(pre);
        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order':\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
