using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Istar.Tests.Support;

/// <summary>
/// Writes small <c>torch.save</c>-style zip checkpoints for tests (no Python needed): a protocol-2 <c>data.pkl</c>
/// built from <see cref="PickleDict"/>, <see cref="PickleNamespace"/>, <see cref="PickleTensor"/>, strings, ints,
/// floats, bools, null and tuples (<c>object?[]</c>), plus one raw little-endian record per storage.
/// </summary>
internal sealed class TorchZipWriter
{
    private readonly Dictionary<string, byte[]> _storages = new(StringComparer.Ordinal);

    /// <summary>Adds the storage record <c>data/<paramref name="key"/></c>.</summary>
    public void AddStorage(string key, byte[] bytes) => _storages[key] = bytes;

    public static byte[] Floats(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public void Write(string path, object? root, string prefix = "archive/", string? byteOrder = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Entry(zip, prefix + "data.pkl", Pickle(root));
        foreach (var (key, bytes) in _storages)
        {
            Entry(zip, prefix + "data/" + key, bytes);
        }

        Entry(zip, prefix + "version", Encoding.ASCII.GetBytes("3\n"));
        if (byteOrder is not null)
        {
            Entry(zip, prefix + "byteorder", Encoding.ASCII.GetBytes(byteOrder));
        }
    }

    public static byte[] Pickle(object? root)
    {
        var o = new MemoryStream();
        o.Write([0x80, 2]);
        Value(o, root);
        o.WriteByte((byte)'.');
        return o.ToArray();
    }

    private static void Entry(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }

    private static void Value(MemoryStream o, object? v)
    {
        switch (v)
        {
            case null:
                o.WriteByte((byte)'N');
                break;
            case bool b:
                o.WriteByte(b ? (byte)0x88 : (byte)0x89);
                break;
            case int i:
                Int(o, i);
                break;
            case long l:
                Int(o, l);
                break;
            case double d:
                o.WriteByte((byte)'G');
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(bytes, d);
                o.Write(bytes);
                break;
            case string s:
                Str(o, s);
                break;
            case object?[] tuple:
                o.WriteByte((byte)'(');
                foreach (var item in tuple)
                {
                    Value(o, item);
                }

                o.WriteByte((byte)'t');
                break;
            case PickleTensor t:
                Global(o, "torch._utils", "_rebuild_tensor_v2");
                o.WriteByte((byte)'(');
                o.WriteByte((byte)'(');
                Str(o, "storage");
                Global(o, "torch", t.StorageType);
                Str(o, t.Key);
                Str(o, t.Location);
                Int(o, t.StorageElements);
                o.WriteByte((byte)'t');
                o.WriteByte((byte)'Q');
                Int(o, t.Offset);
                Value(o, t.Shape.Cast<object?>().ToArray());
                Value(o, t.Stride.Cast<object?>().ToArray());
                o.WriteByte(0x89);
                Value(o, new PickleDict(Ordered: true));
                o.WriteByte((byte)'t');
                o.WriteByte((byte)'R');
                break;
            case PickleNamespace ns:
                Global(o, "argparse", "Namespace");
                o.WriteByte((byte)')');
                o.WriteByte(0x81);
                Value(o, ns.Fields);
                o.WriteByte((byte)'b');
                break;
            case PickleDict dict:
                if (dict.Ordered)
                {
                    Global(o, "collections", "OrderedDict");
                    o.WriteByte((byte)')');
                    o.WriteByte((byte)'R');
                }
                else
                {
                    o.WriteByte((byte)'}');
                }

                if (dict.Items.Count > 0)
                {
                    o.WriteByte((byte)'(');
                    foreach (var (key, value) in dict.Items)
                    {
                        Value(o, key);
                        Value(o, value);
                    }

                    o.WriteByte((byte)'u');
                }

                break;
            default:
                throw new ArgumentException($"cannot pickle {v.GetType().Name}", nameof(v));
        }
    }

    private static void Int(MemoryStream o, long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            o.WriteByte((byte)'J');
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            o.Write(b);
        }
        else
        {
            o.WriteByte(0x8a);
            o.WriteByte(8);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            o.Write(b);
        }
    }

    private static void Str(MemoryStream o, string s)
    {
        byte[] text = Encoding.UTF8.GetBytes(s);
        o.WriteByte((byte)'X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, text.Length);
        o.Write(n);
        o.Write(text);
    }

    private static void Global(MemoryStream o, string module, string name)
    {
        o.WriteByte((byte)'c');
        o.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    }
}

/// <summary>A dict (or OrderedDict) to pickle, items in order.</summary>
internal sealed record PickleDict(bool Ordered = false)
{
    public List<(object Key, object? Value)> Items { get; } = [];

    public PickleDict Add(object key, object? value)
    {
        Items.Add((key, value));
        return this;
    }
}

/// <summary>An <c>argparse.Namespace</c> with the given fields.</summary>
internal sealed record PickleNamespace(PickleDict Fields);

/// <summary>A tensor view of storage <paramref name="Key"/> (elements, not bytes).</summary>
internal sealed record PickleTensor(string Key, string StorageType, long StorageElements, long Offset, long[] Shape, long[] Stride, string Location = "cpu");
