using System.Globalization;
using Istar.Input;
using PureHDF;
using PureHDF.VOL.Native;

namespace Istar.Formats.AnnData;

/// <summary>
/// Reads <c>.h5ad</c> files as written by Python anndata 0.7–0.10 (and by <see cref="AnnDataWriter"/>): dense or
/// sparse (CSR, CSC) <c>X</c> and layers, <c>obs</c>/<c>var</c> frames with numeric, bool, string, categorical and
/// nullable columns, <c>obsm</c> arrays and <c>uns</c> recursively. Elements it does not model (<c>raw</c>,
/// <c>varm</c>, <c>obsp</c>, <c>varp</c>, sparse or data-frame <c>obsm</c>, awkward arrays) are listed in
/// <see cref="AnnDataFile.Skipped"/>. Problems with the file are reported as <see cref="InputException"/>s.
/// </summary>
internal static class AnnDataReader
{
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    private const string ResaveHint = "Re-save it with a current anndata: python -c \"import anndata; anndata.read_h5ad('in.h5ad').write_h5ad('out.h5ad')\".";

    public static AnnDataFile Read(string path)
    {
        using var file = Open(path);
        return Read(file, path);
    }

    /// <summary>Opens an HDF5 file after checking it exists and has the HDF5 signature; errors are InputExceptions.</summary>
    public static NativeFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new InputException(path, "expected an .h5ad file, found a folder.", "Give the path of the .h5ad file itself.");
        }

        if (!File.Exists(path))
        {
            throw new InputException(path, "expected an .h5ad file, found nothing at this path.", "Check the path and that the file was copied completely.");
        }

        if (!HasHdf5Signature(path))
        {
            throw new InputException(path, "expected an HDF5 file (.h5ad), found a file without the HDF5 signature.", "Check that this is an AnnData .h5ad file (not a .csv, .zarr, .loom or a truncated download).");
        }

        try
        {
            return H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InputException(path, $"expected a readable HDF5 file, found one that cannot be opened ({e.Message}).", "The file may be truncated or corrupt; copy or export it again.");
        }
    }

    private static bool HasHdf5Signature(string path)
    {
        // The signature sits at 0, 512, 1024, 2048, … (after an optional user block).
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        for (long offset = 0; offset + 8 <= stream.Length; offset = offset == 0 ? 512 : offset * 2)
        {
            stream.Position = offset;
            stream.ReadExactly(head);
            if (head.SequenceEqual(Hdf5Signature))
            {
                return true;
            }
        }

        return false;
    }

    public static AnnDataFile Read(NativeFile file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        var r = new Reader(path);
        string? rootType = H5Util.StringAttribute(file, "encoding-type");
        if (rootType is null)
        {
            bool modernObs = file.LinkExists("obs") && file.Get("obs") is IH5Group g && H5Util.StringAttribute(g, "encoding-type") == "dataframe";
            if (!modernObs)
            {
                throw new InputException(path, "expected an AnnData file (root attribute encoding-type = \"anndata\", written by anndata 0.7 or later), found no encoding-type attribute.", "This is either not an AnnData file or one written by a very old anndata (< 0.7). " + ResaveHint);
            }
        }
        else if (rootType != "anndata")
        {
            throw new InputException(path, $"expected an AnnData file (root encoding-type \"anndata\"), found encoding-type \"{rootType}\".", "Give the .h5ad file of an AnnData object.");
        }

        var obs = r.RequiredFrame(file, "obs");
        var var = r.RequiredFrame(file, "var");
        var data = new AnnDataFile(obs, var);
        if (file.LinkExists("X"))
        {
            data.X = r.Matrix(file.Get("X"), "X");
        }

        if (file.LinkExists("obsm") && file.Get("obsm") is IH5Group obsm)
        {
            foreach (var child in obsm.Children())
            {
                string where = "obsm/" + child.Name;
                if (child is IH5Dataset ds && ds.Type.Class != H5DataTypeClass.VariableLength && ds.Type.Class != H5DataTypeClass.String)
                {
                    data.Obsm[child.Name] = r.DenseArrayOf(ds, where);
                }
                else
                {
                    data.Skipped.Add($"{where} ({H5Util.StringAttribute(child, "encoding-type") ?? "unknown encoding"})");
                }
            }
        }

        if (file.LinkExists("layers") && file.Get("layers") is IH5Group layers)
        {
            foreach (var child in layers.Children())
            {
                data.Layers[child.Name] = r.Matrix(child, "layers/" + child.Name);
            }
        }

        if (file.LinkExists("uns") && file.Get("uns") is IH5Group uns)
        {
            foreach (var (key, value) in r.Dict(uns, "uns"))
            {
                data.Uns[key] = value;
            }
        }

        foreach (string other in new[] { "raw", "varm", "obsp", "varp" })
        {
            if (file.LinkExists(other) && (file.Get(other) is not IH5Group og || og.Children().Any()))
            {
                data.Skipped.Add(other);
            }
        }

        data.Skipped.AddRange(r.Skipped);
        try
        {
            data.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InputException(path, $"expected consistent shapes, found: {e.Message}.", "The file is inconsistent; re-save it with anndata.");
        }

        return data;
    }

    private sealed class Reader(string path)
    {
        public List<string> Skipped { get; } = [];

        public InputException Error(string where, string problem, string? hint = null) => new($"{path}:{where}", problem, hint);

        public AnnDataFrame RequiredFrame(NativeFile file, string name)
        {
            if (!file.LinkExists(name))
            {
                throw Error(name, $"expected a {name} data frame, found none.", "Give the .h5ad file of a complete AnnData object.");
            }

            var element = file.Get(name);
            if (element is not IH5Group group)
            {
                throw Error(name, $"expected {name} as a data-frame group, found a dataset (the layout of anndata < 0.7).", ResaveHint);
            }

            return Frame(group, name);
        }

        public AnnDataFrame Frame(IH5Group group, string where)
        {
            string? type = H5Util.StringAttribute(group, "encoding-type");
            if (type is not null && type != "dataframe")
            {
                throw Error(where, $"expected a data frame (encoding-type \"dataframe\"), found encoding-type \"{type}\".");
            }

            string indexName = H5Util.StringAttribute(group, "_index") ?? AnnDataFrame.DefaultIndexName;
            if (!group.LinkExists(indexName) || group.Get(indexName) is not IH5Dataset indexSet)
            {
                throw Error(where, $"expected the index dataset \"{indexName}\" named by the _index attribute, found none.", "The file is incomplete; re-save it with anndata.");
            }

            var index = Texts(indexSet, where + "/" + indexName);
            var frame = new AnnDataFrame(index, indexName);
            var order = ColumnOrder(group, where);
            IH5Group? oldCategories = group.LinkExists("__categories") && group.Get("__categories") is IH5Group oc ? oc : null;
            foreach (string name in order)
            {
                string cw = where + "/" + name;
                if (!group.LinkExists(name))
                {
                    throw Error(cw, $"expected column \"{name}\" listed in column-order, found none.", "The file is incomplete; re-save it with anndata.");
                }

                var column = Column(group.Get(name), name, cw, oldCategories);
                if (column is null)
                {
                    continue;
                }

                if (column.Length != index.Length)
                {
                    throw Error(cw, $"expected {index.Length} values (one per row), found {column.Length}.");
                }

                frame.Add(column);
            }

            return frame;
        }

        private string[] ColumnOrder(IH5Group group, string where)
        {
            if (!group.AttributeExists("column-order"))
            {
                return [];
            }

            var attribute = group.Attribute("column-order");
            if (attribute.Type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength)
            {
                try
                {
                    return attribute.Space.Rank == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>();
                }
                catch (Exception e) when (e is not InputException and not OutOfMemoryException)
                {
                    throw Error(where, $"expected the column-order attribute as strings, found one that cannot be read ({e.Message}).");
                }
            }

            // h5py stores an empty list as an empty float64 array.
            return [];
        }

        private AnnColumn? Column(IH5Object element, string name, string where, IH5Group? oldCategories)
        {
            string? type = H5Util.StringAttribute(element, "encoding-type");
            if (element is IH5Group group)
            {
                switch (type)
                {
                    case "categorical":
                        return Categorical(group, name, where);
                    case "nullable-integer":
                    case "nullable-boolean":
                        return Nullable(group, name, where, type);
                    default:
                        Skipped.Add($"{where} ({type ?? "unknown encoding"})");
                        return null;
                }
            }

            if (element is not IH5Dataset ds)
            {
                Skipped.Add($"{where} (not a dataset or group)");
                return null;
            }

            if (oldCategories is not null && oldCategories.LinkExists(name) && oldCategories.Get(name) is IH5Dataset cats)
            {
                // anndata 0.7: codes here, categories in __categories/<name>.
                var codes = NumericArrays.ToInt64(Numeric(ds, where));
                bool ordered = H5Util.BoolAttribute(ds, "ordered") ?? false;
                return new CategoricalColumn(name, Texts(cats, where), Array.ConvertAll(codes, c => (int)c), ordered);
            }

            if (H5Util.IsText(ds))
            {
                return new StringColumn(name, Texts(ds, where));
            }

            var values = Numeric(ds, where);
            return values is bool[] b ? new BoolColumn(name, b) : new NumericColumn(name, values);
        }

        private CategoricalColumn Categorical(IH5Group group, string name, string where)
        {
            if (!group.LinkExists("categories") || !group.LinkExists("codes") || group.Get("categories") is not IH5Dataset cats || group.Get("codes") is not IH5Dataset codesSet)
            {
                throw Error(where, "expected a categorical with \"categories\" and \"codes\" datasets, found it incomplete.", "Re-save the file with anndata.");
            }

            string[] categories = H5Util.IsText(cats) ? Texts(cats, where + "/categories") : Array.ConvertAll(NumericArrays.ToDoubles(Numeric(cats, where + "/categories")), v => v.ToString(CultureInfo.InvariantCulture));
            var codes = NumericArrays.ToInt64(Numeric(codesSet, where + "/codes"));
            bool ordered = H5Util.BoolAttribute(group, "ordered") ?? false;
            try
            {
                return new CategoricalColumn(name, categories, Array.ConvertAll(codes, c => checked((int)c)), ordered);
            }
            catch (ArgumentException e)
            {
                throw Error(where, $"expected codes within the {categories.Length} unique categories, found: {e.Message}.");
            }
        }

        private NumericColumn Nullable(IH5Group group, string name, string where, string type)
        {
            if (group.Get("values") is not IH5Dataset valuesSet || group.Get("mask") is not IH5Dataset maskSet)
            {
                throw Error(where, $"expected a {type} with \"values\" and \"mask\" datasets, found it incomplete.");
            }

            var values = NumericArrays.ToDoubles(Numeric(valuesSet, where + "/values"));
            var mask = Numeric(maskSet, where + "/mask") as bool[] ?? throw Error(where + "/mask", "expected a boolean mask, found another type.");
            var result = (double[])values.Clone();
            for (int i = 0; i < result.Length && i < mask.Length; i++)
            {
                if (mask[i])
                {
                    result[i] = double.NaN;
                }
            }

            return new NumericColumn(name, result);
        }

        public AnnMatrix Matrix(IH5Object element, string where)
        {
            if (element is IH5Dataset ds)
            {
                var dims = ds.Space.Dimensions;
                if (dims.Length != 2)
                {
                    throw Error(where, $"expected a 2-D matrix, found a {dims.Length}-D dataset.");
                }

                if (dims[0] > int.MaxValue || dims[1] > int.MaxValue || dims[0] * dims[1] > (ulong)Array.MaxLength)
                {
                    throw Error(where, $"expected a dense matrix of at most {Array.MaxLength} values, found {dims[0]} × {dims[1]}.", "Store it as a sparse (CSR) matrix instead.");
                }

                if (H5Util.IsText(ds))
                {
                    throw Error(where, "expected a numeric matrix, found strings.");
                }

                return new DenseMatrix((int)dims[0], (int)dims[1], NumericArrays.ToFloats(Numeric(ds, where)));
            }

            if (element is not IH5Group group)
            {
                throw Error(where, "expected a matrix (dataset or sparse-matrix group), found another kind of HDF5 object.");
            }

            string? type = H5Util.StringAttribute(group, "encoding-type") ?? H5Util.StringAttribute(group, "h5sparse_format") switch
            {
                "csr" => "csr_matrix",
                "csc" => "csc_matrix",
                _ => null,
            };
            if (type is not ("csr_matrix" or "csc_matrix"))
            {
                throw Error(where, $"expected a dense array or a csr_matrix/csc_matrix group, found encoding-type \"{type ?? "none"}\".");
            }

            var shape = H5Util.IntAttribute(group, "shape") ?? H5Util.IntAttribute(group, "h5sparse_shape");
            if (shape is not { Length: 2 } || shape[0] < 0 || shape[1] < 0 || shape[0] > int.MaxValue || shape[1] > int.MaxValue)
            {
                throw Error(where, "expected a sparse matrix with a two-value shape attribute, found none.");
            }

            foreach (string part in new[] { "data", "indices", "indptr" })
            {
                if (!group.LinkExists(part) || group.Get(part) is not IH5Dataset)
                {
                    throw Error(where, $"expected {type} datasets data, indices and indptr, found no \"{part}\".", "The file is incomplete; re-save it with anndata.");
                }
            }

            var values = NumericArrays.ToFloats(Numeric(group.Dataset("data"), where + "/data"));
            var indices = Indices(Numeric(group.Dataset("indices"), where + "/indices"));
            var pointers = NumericArrays.ToInt64(Numeric(group.Dataset("indptr"), where + "/indptr"));
            int rows = (int)shape[0], columns = (int)shape[1];
            int major = type == "csr_matrix" ? rows : columns, minor = type == "csr_matrix" ? columns : rows;
            if (pointers.Length != major + 1 || indices.Length != values.Length || pointers[0] != 0 || pointers[^1] != values.Length)
            {
                throw Error(where, $"expected consistent {type} arrays (indptr of {major + 1} values from 0 to {values.Length}), found indptr of {pointers.Length} values ending at {(pointers.Length > 0 ? pointers[^1] : 0)} and {indices.Length} indices.", "The file is corrupt; re-save it with anndata.");
            }

            for (int k = 1; k < pointers.Length; k++)
            {
                if (pointers[k] < pointers[k - 1])
                {
                    throw Error(where + "/indptr", "expected non-decreasing pointers, found a decrease.");
                }
            }

            foreach (int i in indices)
            {
                if ((uint)i >= (uint)minor)
                {
                    throw Error(where + "/indices", $"expected indices below {minor}, found {i}.");
                }
            }

            return type == "csr_matrix"
                ? new CsrMatrix(rows, columns, pointers, indices, values)
                : CscToCsr(rows, columns, pointers, indices, values);
        }

        private static CsrMatrix CscToCsr(int rows, int columns, long[] colPointers, int[] rowIndices, float[] values)
        {
            var rowPointers = new long[rows + 1];
            foreach (int r in rowIndices)
            {
                rowPointers[r + 1]++;
            }

            for (int r = 0; r < rows; r++)
            {
                rowPointers[r + 1] += rowPointers[r];
            }

            var next = (long[])rowPointers.Clone();
            var columnIndices = new int[values.Length];
            var csrValues = new float[values.Length];
            for (int c = 0; c < columns; c++)
            {
                for (long k = colPointers[c]; k < colPointers[c + 1]; k++)
                {
                    long at = next[rowIndices[k]]++;
                    columnIndices[at] = c;
                    csrValues[at] = values[k];
                }
            }

            return new CsrMatrix(rows, columns, rowPointers, columnIndices, csrValues);
        }

        private int[] Indices(Array values)
        {
            if (values is int[] i)
            {
                return i;
            }

            var wide = NumericArrays.ToInt64(values);
            return Array.ConvertAll(wide, v => v is < 0 or > int.MaxValue ? -1 : (int)v);
        }

        public DenseArray DenseArrayOf(IH5Dataset ds, string where)
        {
            var dims = ds.Space.Dimensions;
            int[] shape = dims.Length == 0 ? [] : System.Array.ConvertAll(dims, d => d > int.MaxValue ? throw Error(where, $"expected dimensions below 2^31, found {d}.") : (int)d);
            return new DenseArray(shape, Numeric(ds, where));
        }

        public Dictionary<string, object> Dict(IH5Group group, string where)
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var child in group.Children())
            {
                if (Element(child, where + "/" + child.Name) is { } value)
                {
                    result[child.Name] = value;
                }
            }

            return result;
        }

        private object? Element(IH5Object element, string where)
        {
            string? type = H5Util.StringAttribute(element, "encoding-type");
            if (element is IH5Group group)
            {
                switch (type)
                {
                    case null or "dict":
                        return Dict(group, where);
                    case "dataframe":
                        return Frame(group, where);
                    case "csr_matrix" or "csc_matrix":
                        return Matrix(group, where);
                    case "categorical":
                        var cat = Categorical(group, "values", where);
                        return Enumerable.Range(0, cat.Length).Select(i => cat[i]).ToArray();
                    default:
                        Skipped.Add($"{where} ({type})");
                        return null;
                }
            }

            if (element is not IH5Dataset ds)
            {
                Skipped.Add($"{where} (link)");
                return null;
            }

            bool scalar = ds.Space.Rank == 0;
            if (H5Util.IsText(ds))
            {
                var texts = Texts(ds, where);
                return scalar || type == "string" ? texts.FirstOrDefault() ?? string.Empty : texts;
            }

            if (ds.Type.Class is not (H5DataTypeClass.FixedPoint or H5DataTypeClass.FloatingPoint or H5DataTypeClass.Enumerated))
            {
                Skipped.Add($"{where} (HDF5 type {ds.Type.Class})");
                return null;
            }

            var values = Numeric(ds, where);
            if (scalar)
            {
                return values switch
                {
                    bool[] b => b[0],
                    double[] or float[] => NumericArrays.ToDoubles(values)[0],
                    ulong[] ul => ul[0] <= long.MaxValue ? (long)ul[0] : (object)ul[0],
                    _ => NumericArrays.ToInt64(values)[0],
                };
            }

            return ds.Space.Rank == 1 ? values : DenseArrayOf(ds, where);
        }

        public string[] Texts(IH5Dataset ds, string where)
        {
            if (!H5Util.IsText(ds))
            {
                var numbers = NumericArrays.ToDoubles(Numeric(ds, where));
                return System.Array.ConvertAll(numbers, v => v.ToString(CultureInfo.InvariantCulture));
            }

            try
            {
                return ds.Space.Rank == 0 ? [ds.Read<string>()] : ds.Read<string[]>();
            }
            catch (Exception e) when (e is not InputException and not OutOfMemoryException)
            {
                throw Error(where, $"expected strings, found a dataset that cannot be read as strings ({e.Message}).");
            }
        }

        public Array Numeric(IH5Dataset ds, string where)
        {
            var t = ds.Type;
            try
            {
                switch (t.Class)
                {
                    case H5DataTypeClass.FloatingPoint when t.Size == 8:
                        return ds.Read<double[]>();
                    case H5DataTypeClass.FloatingPoint when t.Size == 4:
                        return ds.Read<float[]>();
                    case H5DataTypeClass.FloatingPoint when t.Size == 2:
                        return System.Array.ConvertAll(ds.Read<Half[]>(), h => (float)h);
                    case H5DataTypeClass.FixedPoint:
                        bool signed = t.FixedPoint.IsSigned;
                        return t.Size switch
                        {
                            1 => signed ? ds.Read<sbyte[]>() : ds.Read<byte[]>(),
                            2 => signed ? ds.Read<short[]>() : ds.Read<ushort[]>(),
                            4 => signed ? ds.Read<int[]>() : ds.Read<uint[]>(),
                            8 => signed ? ds.Read<long[]>() : ds.Read<ulong[]>(),
                            _ => throw Error(where, $"expected a numeric dataset, found a {t.Size}-byte integer type."),
                        };
                    case H5DataTypeClass.Enumerated when t.Size == 1 && H5Util.IsBoolEnum(t):
                        return System.Array.ConvertAll(ds.Read<byte[]>(), b => b != 0);
                    default:
                        throw Error(where, $"expected a numeric or boolean dataset, found HDF5 type {t.Class} ({t.Size} bytes).");
                }
            }
            catch (Exception e) when (e is not InputException and not OutOfMemoryException)
            {
                throw Error(where, $"expected a readable numeric dataset, found one that cannot be read ({e.Message}).", "The file may be corrupt or use an unsupported filter.");
            }
        }
    }
}

/// <summary>Small helpers over PureHDF's reading API.</summary>
internal static class H5Util
{
    public static string? StringAttribute(IH5Object element, string name)
    {
        if (!element.AttributeExists(name))
        {
            return null;
        }

        var a = element.Attribute(name);
        if (a.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
        {
            return null;
        }

        try
        {
            return a.Space.Rank == 0 ? a.Read<string>() : a.Read<string[]>().FirstOrDefault();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    public static long[]? IntAttribute(IH5Object element, string name)
    {
        if (!element.AttributeExists(name))
        {
            return null;
        }

        var a = element.Attribute(name);
        if (a.Type.Class != H5DataTypeClass.FixedPoint)
        {
            return null;
        }

        bool signed = a.Type.FixedPoint.IsSigned;
        return a.Type.Size switch
        {
            8 => signed ? a.Read<long[]>() : System.Array.ConvertAll(a.Read<ulong[]>(), v => (long)v),
            4 => signed ? System.Array.ConvertAll(a.Read<int[]>(), v => (long)v) : System.Array.ConvertAll(a.Read<uint[]>(), v => (long)v),
            _ => null,
        };
    }

    public static bool? BoolAttribute(IH5Object element, string name)
    {
        if (!element.AttributeExists(name))
        {
            return null;
        }

        var a = element.Attribute(name);
        return a.Type.Class is H5DataTypeClass.Enumerated or H5DataTypeClass.FixedPoint && a.Type.Size == 1
            ? a.Read<byte[]>().FirstOrDefault() != 0
            : null;
    }

    public static bool IsText(IH5Dataset ds) =>
        ds.Type.Class == H5DataTypeClass.String
        || (ds.Type.Class == H5DataTypeClass.VariableLength && IsVariableLengthString(ds.Type));

    private static bool IsVariableLengthString(IH5DataType type)
    {
        try
        {
            // h5py's str datasets: variable-length sequences of 1-byte characters.
            return type.VariableLength.BaseType is { Size: 1, Class: H5DataTypeClass.FixedPoint or H5DataTypeClass.String };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    public static bool IsBoolEnum(IH5DataType type)
    {
        var members = type.Enumeration.GetMembers<byte>();
        return members.Count == 2 && members.TryGetValue("FALSE", out byte f) && f == 0 && members.TryGetValue("TRUE", out byte t) && t == 1;
    }
}
