using System.Buffers.Binary;

namespace Istar.Imaging;

/// <summary>Reads the compression tag of a TIFF's first image directory without decoding (to name JPEG 2000 SVS early).</summary>
internal static class TiffProbe
{
    /// <summary>The Compression (259) value of IFD 0, or null when the file is not a TIFF or the tag is absent.</summary>
    public static int? FirstCompression(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> header = stackalloc byte[16];
            if (stream.Read(header) < 8)
            {
                return null;
            }

            bool little = header[0] == (byte)'I' && header[1] == (byte)'I';
            bool big = header[0] == (byte)'M' && header[1] == (byte)'M';
            if (!little && !big)
            {
                return null;
            }

            ushort magic = U16(header[2..], little);
            bool bigTiff = magic == 43;
            if (magic != 42 && !bigTiff)
            {
                return null;
            }

            long ifd = bigTiff ? (long)U64(header[8..], little) : U32(header[4..], little);
            if (ifd <= 0 || ifd >= stream.Length)
            {
                return null;
            }

            stream.Position = ifd;
            Span<byte> count = stackalloc byte[8];
            stream.ReadExactly(count[..(bigTiff ? 8 : 2)]);
            long entries = bigTiff ? (long)U64(count, little) : U16(count, little);
            int entrySize = bigTiff ? 20 : 12;
            if (entries <= 0 || entries > 4096)
            {
                return null;
            }

            var table = new byte[entries * entrySize];
            stream.ReadExactly(table);
            for (int i = 0; i < entries; i++)
            {
                var e = table.AsSpan(i * entrySize, entrySize);
                if (U16(e, little) != 259)
                {
                    continue;
                }

                ushort type = U16(e[2..], little);
                var value = e[(bigTiff ? 12 : 8)..];
                return type switch
                {
                    3 => U16(value, little),
                    4 => (int)U32(value, little),
                    _ => null,
                };
            }

            return null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool little) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

    private static uint U32(ReadOnlySpan<byte> b, bool little) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

    private static ulong U64(ReadOnlySpan<byte> b, bool little) => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b);
}
