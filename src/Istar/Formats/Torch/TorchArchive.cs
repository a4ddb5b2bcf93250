using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Istar.Formats.Torch;

/// <summary>
/// One storage of a <c>torch.save</c> archive (record <c>data/&lt;Key&gt;</c>): its element type from the pickled
/// storage class (<c>torch.FloatStorage</c>, …), the device it was saved from, and its length in elements.
/// </summary>
internal sealed class TorchStorage(string key, string typeName, string location, long elements)
{
    public string Key { get; } = key;

    /// <summary>The storage class name, e.g. <c>FloatStorage</c>.</summary>
    public string TypeName { get; } = typeName;

    /// <summary>Where it lived when saved (<c>cpu</c>, <c>cuda:0</c>, …); every storage is read onto the CPU.</summary>
    public string Location { get; } = location;

    public long Elements { get; } = elements;

    /// <summary>The element type, or null for storage classes this reader does not map (quantized, …).</summary>
    public ScalarType? Type => TypeName switch
    {
        "FloatStorage" => ScalarType.Float32,
        "DoubleStorage" => ScalarType.Float64,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" or "UntypedStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        "ComplexFloatStorage" => ScalarType.ComplexFloat32,
        "ComplexDoubleStorage" => ScalarType.ComplexFloat64,
        _ => null,
    };

    /// <summary>Bytes per element (0 when <see cref="Type"/> is null).</summary>
    public int ElementSize => Type switch
    {
        ScalarType.Float64 or ScalarType.Int64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        ScalarType.ComplexFloat64 => 16,
        _ => 0,
    };
}

/// <summary>
/// A <c>torch.save</c> zip archive (PyTorch ≥ 1.6) opened for lazy reading. <see cref="Root"/> is the unpickled
/// <c>data.pkl</c> with every tensor as a <see cref="TensorRef"/>; no storage record is opened until
/// <see cref="Read"/> asks for a tensor, and then only the byte range that tensor covers is read. Why: a DINO
/// training checkpoint is mostly student, optimizer state and DINO heads (HIPT's ViT-256 file: 704 MB, of which
/// the teacher backbone is 87 MB), and a reader that materialises everything needs memory for all of it.
/// </summary>
internal sealed class TorchArchive : IDisposable
{
    private const long MaxPickleBytes = 1L << 30;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, TorchStorage> _storages = new(StringComparer.Ordinal);
    private readonly List<string> _recordsRead = [];

    private TorchArchive(ZipArchive zip, string prefix)
    {
        _zip = zip;
        Prefix = prefix;
    }

    /// <summary>The record folder, e.g. <c>checkpoint/</c> (torch.save names it after the file written).</summary>
    public string Prefix { get; }

    /// <summary>The unpickled top-level object.</summary>
    public object? Root { get; private set; }

    /// <summary>Every storage the pickle refers to, by key (metadata only).</summary>
    public IReadOnlyDictionary<string, TorchStorage> Storages => _storages;

    /// <summary>Storage records opened so far, in order (one entry per <see cref="Read"/>).</summary>
    public IReadOnlyList<string> RecordsRead => _recordsRead;

    /// <summary>Storage bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Opens the archive and unpickles <c>data.pkl</c>. Throws <see cref="InvalidDataException"/> (not a torch zip,
    /// malformed pickle, big-endian data) or <see cref="IOException"/>.
    /// </summary>
    public static TorchArchive Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.RandomAccess);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        try
        {
            var archive = new TorchArchive(zip, FindPrefix(zip));
            archive.Root = archive.Unpickle();
            return archive;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads one tensor onto the CPU: the elements <see cref="TensorRef.Offset"/> … offset + extent of its storage,
    /// laid out by its shape and strides (views, transposes, stride-0 expansions, 0-d tensors) into a new tensor of
    /// the storage's element type.
    /// </summary>
    public Tensor Read(TensorRef tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TorchStorage storage = tensor.Storage;
        string record = Prefix + "data/" + storage.Key;
        if (storage.Type is not ScalarType type)
        {
            throw new InvalidDataException($"record '{record}' is a torch.{storage.TypeName}, which is not supported");
        }

        long[] shape = tensor.Shape;
        long[] stride = tensor.Stride;
        if (shape.Length != stride.Length || shape.Any(s => s < 0) || stride.Any(s => s < 0) || tensor.Offset < 0)
        {
            throw new InvalidDataException($"tensor on record '{record}' has shape {Text(shape)}, stride {Text(stride)} and offset {tensor.Offset}, which do not describe a view");
        }

        if (shape.Contains(0))
        {
            return empty(shape, type);
        }

        // The elements the view touches: offset … offset + 1 + Σ (size − 1) · stride.
        long extent = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            extent = checked(extent + ((shape[d] - 1) * stride[d]));
        }

        if (tensor.Offset + extent > storage.Elements)
        {
            throw new InvalidDataException($"tensor of shape {Text(shape)}, stride {Text(stride)} at offset {tensor.Offset} needs {tensor.Offset + extent} elements of record '{record}', which has {storage.Elements}");
        }

        ZipArchiveEntry entry = _zip.GetEntry(record) ?? throw new InvalidDataException($"record '{record}' is missing from the archive");
        long size = storage.ElementSize;
        if (entry.Length < storage.Elements * size)
        {
            throw new InvalidDataException($"record '{record}' holds {entry.Length} bytes, but its storage needs {storage.Elements * size}");
        }

        _recordsRead.Add(record);
        var buffer = empty(extent, type);
        try
        {
            using (var stream = entry.Open())
            {
                Skip(stream, tensor.Offset * size);
                ReadInto(stream, buffer, extent * size);
            }

            BytesRead += extent * size;
            if (IsContiguous(shape, stride) && extent == shape.Aggregate(1L, (a, b) => a * b))
            {
                return buffer.view(shape);
            }

            using var view = buffer.as_strided(shape, stride, 0);
            return view.contiguous();
        }
        finally
        {
            // The result holds its own reference to the data; this handle is not needed.
            buffer.Dispose();
        }
    }

    public void Dispose() => _zip.Dispose();

    private static string FindPrefix(ZipArchive zip)
    {
        // torch.save writes "<name>/data.pkl" (the name is the file's stem when it was saved, not necessarily now).
        foreach (var entry in zip.Entries)
        {
            string name = entry.FullName;
            if (name == "data.pkl" || (name.EndsWith("/data.pkl", StringComparison.Ordinal) && name.IndexOf('/', StringComparison.Ordinal) == name.Length - "/data.pkl".Length))
            {
                return name[..^"data.pkl".Length];
            }
        }

        throw new InvalidDataException("the zip has no data.pkl record, so it was not written by torch.save");
    }

    private object? Unpickle()
    {
        var order = _zip.GetEntry(Prefix + "byteorder");
        if (order is not null)
        {
            using var reader = new StreamReader(order.Open(), Encoding.ASCII);
            string text = reader.ReadToEnd().Trim();
            if (text != "little")
            {
                throw new InvalidDataException($"the tensors are stored in '{text}' byte order; only little-endian checkpoints are supported");
            }
        }

        var pickle = _zip.GetEntry(Prefix + "data.pkl")!;
        if (pickle.Length > MaxPickleBytes)
        {
            throw new InvalidDataException($"data.pkl is {pickle.Length} bytes, too large for a checkpoint's metadata");
        }

        var bytes = new byte[pickle.Length];
        using (var stream = pickle.Open())
        {
            stream.ReadExactly(bytes);
        }

        return TorchPickle.Load(bytes, PersistentLoad);
    }

    /// <summary>torch.save's persistent id of a storage: ('storage', torch.XStorage, key, location, elements).</summary>
    private TorchStorage PersistentLoad(object?[] id)
    {
        if (id.Length < 5 || id[0] is not "storage" || id[1] is not PyGlobal type || id[2] is not string key || id[3] is not string location || id[4] is not long elements || elements < 0)
        {
            throw new InvalidDataException("a persistent id is not ('storage', type, key, location, size), so this is not a torch.save tensor archive");
        }

        if (_storages.TryGetValue(key, out var known))
        {
            return known;
        }

        var storage = new TorchStorage(key, type.Name, location, elements);
        _storages[key] = storage;
        return storage;
    }

    private static bool IsContiguous(long[] shape, long[] stride)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected)
            {
                return false;
            }

            expected *= shape[d];
        }

        return true;
    }

    private static void Skip(Stream stream, long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        if (stream.CanSeek)
        {
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }

        var scratch = new byte[(int)Math.Min(bytes, 1 << 16)];
        while (bytes > 0)
        {
            int n = stream.Read(scratch, 0, (int)Math.Min(bytes, scratch.Length));
            if (n == 0)
            {
                throw new EndOfStreamException("storage record ended early");
            }

            bytes -= n;
        }
    }

    /// <summary>Reads straight into the tensor's memory (no managed copy of the data).</summary>
    private static void ReadInto(Stream stream, Tensor target, long bytes)
    {
        Span<byte> data = target.bytes;
        if (data.Length != bytes)
        {
            throw new InvalidOperationException($"tensor memory is {data.Length} bytes, expected {bytes}");
        }

        stream.ReadExactly(data);
    }

    private static string Text(long[] values) => "(" + string.Join(", ", values) + ")";
}
