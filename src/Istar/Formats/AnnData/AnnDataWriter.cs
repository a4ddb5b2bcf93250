using PureHDF;
using PureHDF.Filters;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace Istar.Formats.AnnData;

/// <summary>How <see cref="AnnDataWriter"/> lays out large matrices.</summary>
internal sealed record AnnDataWriteOptions
{
    /// <summary>
    /// gzip level 1–9 for dense <c>X</c> and layers (chunked, with the shuffle filter), or 0 for none (contiguous,
    /// the fastest to write and read). Default 0.
    /// </summary>
    public int CompressionLevel { get; init; }

    /// <summary>Values per row block fed to HDF5 (and per chunk when compressing). Default 1 Mi values (4 MiB).</summary>
    public int BlockValues { get; init; } = 1 << 20;
}

/// <summary>
/// Writes <see cref="AnnDataFile"/>s as <c>.h5ad</c> following the AnnData on-disk specification (anndata ≥ 0.8
/// reads them without warnings). The file is written under a temporary name in the target folder and renamed into
/// place when complete, so a reader never sees a half-written file.
/// </summary>
/// <remarks>
/// Memory, measured with PureHDF 2.2.0 on this project's 2-core machine: PureHDF's default writing chunk cache keeps
/// every chunk of a chunked dataset until the writer is disposed (100k × 1000 float32, 381 MB: peak RSS 449 MB, i.e.
/// the whole dataset). So dense matrices here are written row block by row block through
/// <see cref="H5NativeWriter.Write{T}"/> with a hyperslab file selection: uncompressed into a contiguous dataset,
/// which PureHDF writes straight to the file, or, when compressing, into row-block chunks through
/// <see cref="OneChunkWritingCache"/>, which hands each chunk to the file as soon as the next one starts. Measured
/// for a <see cref="RowBlockMatrix"/> of 400k × 1000 float32 (1.5 GB of values, more than 2^28 values): uncompressed
/// 16 s, peak RSS 111 MB (88 MB before writing); gzip level 1, 17 s, peak RSS 300 MB (filter buffers awaiting
/// collection). Memory stays flat in the number of rows, and no array larger than one block (default 4 MiB) is
/// needed, so matrices of more than 2^31 values can be written. CSR matrices, obs/var columns, obsm and uns are
/// written from the arrays given (each under 2^31 elements by construction), at BeginWrite.
/// </remarks>
internal static class AnnDataWriter
{
    public static void Write(AnnDataFile data, string path, AnnDataWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new AnnDataWriteOptions();
        if (options.CompressionLevel is < 0 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "CompressionLevel must be 0–9");
        }

        data.Validate();
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var pending = new List<Action<H5NativeWriter>>();
            var file = new H5File();
            SetEncoding(file, "anndata", "0.1.0");
            if (data.X is not null)
            {
                file["X"] = MatrixElement(data.X, options, pending);
            }

            file["obs"] = DataFrameGroup(data.Obs);
            file["var"] = DataFrameGroup(data.Var);
            var obsm = DictGroup();
            foreach (var (name, array) in data.Obsm)
            {
                obsm[CheckName(name, "obsm")] = ArrayDataset(array);
            }

            file["obsm"] = obsm;
            file["varm"] = DictGroup();
            file["obsp"] = DictGroup();
            file["varp"] = DictGroup();
            var layers = DictGroup();
            foreach (var (name, layer) in data.Layers)
            {
                layers[CheckName(name, "layers")] = MatrixElement(layer, options, pending);
            }

            file["layers"] = layers;
            file["uns"] = UnsGroup(data.Uns, "uns", options, pending);

            using (var writer = file.BeginWrite(temp))
            {
                foreach (var write in pending)
                {
                    write(writer);
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string CheckName(string name, string where)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"{where}: '{name}' cannot be an HDF5 name (empty, '.', '..' or containing '/')");
        }

        return name;
    }

    private static void SetEncoding(H5Object element, string type, string version)
    {
        element.Attributes["encoding-type"] = type;
        element.Attributes["encoding-version"] = version;
    }

    private static H5Group DictGroup()
    {
        var group = new H5Group();
        SetEncoding(group, "dict", "0.1.0");
        return group;
    }

    private static object MatrixElement(AnnMatrix matrix, AnnDataWriteOptions options, List<Action<H5NativeWriter>> pending)
    {
        switch (matrix)
        {
            case CsrMatrix csr:
            {
                var group = new H5Group
                {
                    ["data"] = new H5Dataset(csr.Values),
                    ["indices"] = new H5Dataset(csr.ColumnIndices),
                    ["indptr"] = new H5Dataset(csr.RowPointers),
                };
                SetEncoding(group, "csr_matrix", "0.1.0");
                group.Attributes["shape"] = new long[] { csr.Rows, csr.Columns };
                return group;
            }

            case DenseMatrix dense:
                return DeferredDense(dense.Rows, dense.Columns, (first, count, block) =>
                    dense.Values.AsMemory().Slice((int)((long)first * dense.Columns), count * dense.Columns).CopyTo(block), options, pending);

            case RowBlockMatrix blocks:
                return DeferredDense(blocks.Rows, blocks.Columns, blocks.Fill, options, pending);

            default:
                throw new ArgumentException($"unsupported matrix type {matrix.GetType().Name}", nameof(matrix));
        }
    }

    private static H5Dataset DeferredDense(int rows, int columns, Action<int, int, Memory<float>> fill, AnnDataWriteOptions options, List<Action<H5NativeWriter>> pending)
    {
        int blockRows = (int)Math.Clamp(options.BlockValues / Math.Max(1, columns), 1, Math.Max(1, rows));
        var dims = new ulong[] { (ulong)rows, (ulong)columns };
        H5Dataset<float[]> dataset;
        if (rows == 0 || columns == 0)
        {
            // Nothing to stream; an empty dataset still carries the shape.
            var empty = new H5Dataset(Array.Empty<float>(), fileDims: dims);
            SetEncoding(empty, "array", "0.2.0");
            return empty;
        }

        if (options.CompressionLevel > 0)
        {
            var filters = new List<H5Filter>
            {
                ShuffleFilter.Id,
                new(DeflateFilter.Id, new Dictionary<string, object> { [DeflateFilter.COMPRESSION_LEVEL] = options.CompressionLevel }),
            };
            dataset = new H5Dataset<float[]>(dims, chunks: [(uint)blockRows, (uint)columns], datasetCreation: new H5DatasetCreation(new OneChunkWritingCache(), filters));
        }
        else
        {
            dataset = new H5Dataset<float[]>(dims);
        }

        SetEncoding(dataset, "array", "0.2.0");
        pending.Add(writer =>
        {
            float[]? buffer = null;
            for (int first = 0; first < rows; first += blockRows)
            {
                int count = Math.Min(blockRows, rows - first);
                int length = count * columns;
                if (buffer is null || buffer.Length != length)
                {
                    buffer = new float[length];
                }

                fill(first, count, buffer);
                var selection = new HyperslabSelection(2, [(ulong)first, 0], [(ulong)count, (ulong)columns]);
                writer.Write(dataset, buffer, fileSelection: selection);
            }
        });
        return dataset;
    }

    private static H5Dataset ArrayDataset(DenseArray array)
    {
        var dims = array.Shape.Select(d => (ulong)d).ToArray();
        var dataset = array.Values is bool[] b ? new H5Dataset(ToH5Bool(b), fileDims: dims) : new H5Dataset(array.Values, fileDims: dims);
        SetEncoding(dataset, "array", "0.2.0");
        return dataset;
    }

    private static H5Dataset NumericArrayDataset(Array values)
    {
        var dataset = values is bool[] b ? new H5Dataset(ToH5Bool(b)) : new H5Dataset(values);
        SetEncoding(dataset, "array", "0.2.0");
        return dataset;
    }

    private static H5Dataset StringArrayDataset(string[] values)
    {
        if (values.Any(v => v is null))
        {
            throw new ArgumentException("string arrays must not contain null; use a categorical column for missing values");
        }

        var dataset = new H5Dataset(values);
        SetEncoding(dataset, "string-array", "0.2.0");
        return dataset;
    }

    private static H5Group DataFrameGroup(AnnDataFrame frame)
    {
        var group = new H5Group();
        SetEncoding(group, "dataframe", "0.2.0");
        group.Attributes["_index"] = frame.IndexName;
        // h5py writes an empty column list as an empty float64 array; anndata reads either.
        group.Attributes["column-order"] = frame.Columns.Count == 0 ? Array.Empty<double>() : frame.Columns.Select(c => c.Name).ToArray();
        group[CheckName(frame.IndexName, "data frame index")] = StringArrayDataset([.. frame.Index]);
        foreach (var column in frame.Columns)
        {
            group[CheckName(column.Name, "data frame column")] = column switch
            {
                NumericColumn n => NumericArrayDataset(n.Values),
                BoolColumn b => NumericArrayDataset(b.Values),
                StringColumn s => StringArrayDataset(s.Values),
                CategoricalColumn c => CategoricalGroup(c),
                _ => throw new ArgumentException($"unsupported column type {column.GetType().Name}"),
            };
        }

        return group;
    }

    private static H5Group CategoricalGroup(CategoricalColumn column)
    {
        var group = new H5Group
        {
            ["categories"] = StringArrayDataset(column.Categories),
            ["codes"] = NumericArrayDataset(CompactCodes(column)),
        };
        SetEncoding(group, "categorical", "0.2.0");
        group.Attributes["ordered"] = column.Ordered ? H5Bool.TRUE : H5Bool.FALSE;
        return group;
    }

    // pandas picks the smallest signed type that holds the codes; anndata reads any.
    private static Array CompactCodes(CategoricalColumn column) => column.Categories.Length switch
    {
        < sbyte.MaxValue => Array.ConvertAll(column.Codes, c => (sbyte)c),
        < short.MaxValue => Array.ConvertAll(column.Codes, c => (short)c),
        _ => column.Codes,
    };

    private static H5Group UnsGroup(IEnumerable<KeyValuePair<string, object>> values, string where, AnnDataWriteOptions options, List<Action<H5NativeWriter>> pending)
    {
        var group = DictGroup();
        foreach (var (key, value) in values)
        {
            group[CheckName(key, where)] = UnsElement(value, where + "/" + key, options, pending);
        }

        return group;
    }

    private static object UnsElement(object value, string where, AnnDataWriteOptions options, List<Action<H5NativeWriter>> pending)
    {
        switch (value)
        {
            case null:
                throw new ArgumentException($"{where}: null values cannot be stored in uns");
            case string s:
            {
                var dataset = new H5Dataset(s);
                SetEncoding(dataset, "string", "0.2.0");
                return dataset;
            }

            case bool b:
                return Scalar(b ? H5Bool.TRUE : H5Bool.FALSE);
            case double or float or long or int or short or sbyte or ulong or uint or ushort or byte:
                return Scalar(value);
            case string[] strings:
                return StringArrayDataset(strings);
            case Array array when array.Rank == 1 && NumericArrays.IsSupported(array.GetType().GetElementType()!):
                return NumericArrayDataset(array);
            case DenseArray dense:
                return ArrayDataset(dense);
            case AnnDataFrame frame:
                return DataFrameGroup(frame);
            case AnnMatrix matrix:
                return MatrixElement(matrix, options, pending);
            case IEnumerable<KeyValuePair<string, object>> dict:
                return UnsGroup(dict, where, options, pending);
            default:
                throw new ArgumentException($"{where}: values of type {value.GetType().Name} cannot be stored in uns");
        }
    }

    private static H5Dataset Scalar(object value)
    {
        var dataset = new H5Dataset(value);
        SetEncoding(dataset, "numeric-scalar", "0.2.0");
        return dataset;
    }

    private static H5Bool[] ToH5Bool(bool[] values) => Array.ConvertAll(values, v => v ? H5Bool.TRUE : H5Bool.FALSE);
}

/// <summary>
/// numpy's bool as h5py stores it: an HDF5 enum with members FALSE = 0 and TRUE = 1 (h5py maps exactly this enum to
/// <c>bool</c>). The base type is unsigned because PureHDF 2.2.0 fails to write enums with a signed base type.
/// </summary>
#pragma warning disable CA1028, CA1008, CA1707 // the member names and base type are the on-disk format
internal enum H5Bool : byte
{
    FALSE = 0,
    TRUE = 1,
}
#pragma warning restore CA1028, CA1008, CA1707

/// <summary>
/// A writing chunk cache that holds one chunk: when the writer asks for another, the held one goes to the file.
/// Writing row blocks aligned to whole chunks, each chunk is written exactly once and memory stays at one chunk.
/// </summary>
/// <remarks>
/// PureHDF 2.2.0's <c>GetWriteStream</c> passes a chunk-writer delegate that ignores its index argument and writes at
/// the index requested in that call; so this cache keeps the delegate it got with each chunk and calls that one when
/// evicting it, which writes the chunk at its own index.
/// </remarks>
internal sealed class OneChunkWritingCache : IWritingChunkCache
{
    private ulong _index = ulong.MaxValue;
    private Memory<byte> _chunk;
    private Action<ulong, Memory<byte>>? _writer;

    public Memory<byte> GetChunk(ulong chunkIndex, Func<Memory<byte>> chunkAllocator, Action<ulong, Memory<byte>> chunkWriter)
    {
        ArgumentNullException.ThrowIfNull(chunkAllocator);
        if (_writer is not null && chunkIndex == _index)
        {
            return _chunk;
        }

        _writer?.Invoke(_index, _chunk);
        _index = chunkIndex;
        _chunk = chunkAllocator();
        _writer = chunkWriter;
        return _chunk;
    }

    public void Flush(Action<ulong, Memory<byte>> chunkWriter)
    {
        ArgumentNullException.ThrowIfNull(chunkWriter);
        if (_writer is not null)
        {
            chunkWriter(_index, _chunk);
            _writer = null;
            _chunk = default;
            _index = ulong.MaxValue;
        }
    }
}
