using System.Globalization;
using PureHDF;
using PureHDF.VOL.Native;

namespace Istar.Input.SpaceRanger;

/// <summary>
/// Reads a 10x HDF5 feature-barcode matrix (<c>filtered_feature_bc_matrix.h5</c> / <c>raw_feature_bc_matrix.h5</c>):
/// <c>matrix/{data,indices,indptr,shape,barcodes,features/{id,name,feature_type}}</c>, stored CSC by barcode.
/// CSC by barcode of a genes × barcodes matrix is CSR of barcodes × genes, so no transpose is needed; only the
/// Gene Expression features are kept. The Cell Ranger 2 layout (<c>&lt;genome&gt;/{genes,gene_names,…}</c>) is read too.
/// </summary>
internal static class TenXH5Reader
{
    public const string GeneExpression = "Gene Expression";

    public static CountTable Read(string path)
    {
        string name = Path.GetFileName(path);
        NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not InputException and not OutOfMemoryException)
        {
            throw new InputException(name, $"expected a 10x HDF5 matrix, found a file that is not HDF5 ({e.Message}).", "Pass Space Ranger's filtered_feature_bc_matrix.h5 (or the MEX folder filtered_feature_bc_matrix/).");
        }

        using (file)
        {
            var group = FindMatrixGroup(file, name);
            string g = group.Name ?? "matrix";
            string[] barcodes = ReadStrings(group, "barcodes", name, g);
            long[] indptr = ReadLongs(group, "indptr", name, g);
            long[] shape = ReadLongs(group, "shape", name, g);
            string[] ids;
            string[] names;
            string[]? types = null;
            if (group.LinkExists("features"))
            {
                var features = group.Group("features");
                ids = ReadStrings(features, "id", name, g + "/features");
                names = ReadStrings(features, "name", name, g + "/features");
                if (features.LinkExists("probe_region"))
                {
                    throw new InputException(
                        $"{name}, {g}/features",
                        $"expected gene features, found probe-level features (a probe_region dataset; names like {(names.Length > 0 ? names[0] : "GENE|probe")}).",
                        "This is a probe-level matrix (raw_probe_bc_matrix.h5); pass the gene-level filtered_feature_bc_matrix.h5 from the same outs/.");
                }

                if (features.LinkExists("feature_type"))
                {
                    types = ReadStrings(features, "feature_type", name, g + "/features");
                }
            }
            else if (group.LinkExists("genes"))
            {
                ids = ReadStrings(group, "genes", name, g);
                names = group.LinkExists("gene_names") ? ReadStrings(group, "gene_names", name, g) : ids;
            }
            else
            {
                throw new InputException($"{name}, {g}", "expected a 'features' group (or Cell Ranger 2 'genes'), found neither.", "The file does not look like a 10x feature-barcode matrix; pass Space Ranger's filtered_feature_bc_matrix.h5.");
            }

            if (shape.Length != 2 || shape[0] != ids.Length || shape[1] != barcodes.Length || indptr.Length != barcodes.Length + 1 || names.Length != ids.Length)
            {
                throw new InputException(
                    $"{name}, {g}/shape",
                    string.Create(CultureInfo.InvariantCulture, $"expected shape [features, barcodes] = [{ids.Length}, {barcodes.Length}] with {barcodes.Length + 1} indptr entries, found shape [{string.Join(", ", shape)}] and {indptr.Length} indptr entries."),
                    "The matrix file is inconsistent or truncated; regenerate it with Space Ranger.");
            }

            int[] indices = ReadInts(group, "indices", name, g);
            float[] data = ReadFloats(group, "data", name, g);
            if (indices.Length != data.Length || indptr[^1] != data.Length)
            {
                throw new InputException($"{name}, {g}/data", string.Create(CultureInfo.InvariantCulture, $"expected {indptr[^1]} stored values (the last indptr), found {data.Length} values and {indices.Length} indices."), "The matrix file is truncated; regenerate it with Space Ranger.");
            }

            // Keep Gene Expression only (antibody capture, CRISPR guides … are not genes for iStar).
            var keep = new int[ids.Length];
            var keptIds = new List<string>();
            var keptNames = new List<string>();
            for (int f = 0; f < ids.Length; f++)
            {
                bool isGene = types is null || types[f] == GeneExpression;
                keep[f] = isGene ? keptIds.Count : -1;
                if (isGene)
                {
                    keptIds.Add(ids[f]);
                    keptNames.Add(names[f]);
                }
            }

            var counts = Filter(barcodes.Length, keptIds.Count, indptr, indices, data, keep, ids.Length, name, g);
            return new CountTable(name, barcodes, counts, keptNames, keptIds, i => $"{name}, {g}/barcodes[{i.ToString(CultureInfo.InvariantCulture)}]");
        }
    }

    private static SparseCounts Filter(int rows, int columns, long[] indptr, int[] indices, float[] data, int[] keep, int features, string name, string g)
    {
        var ptr = new long[rows + 1];
        var idx = new List<int>(indices.Length);
        var val = new List<float>(indices.Length);
        for (int r = 0; r < rows; r++)
        {
            for (long k = indptr[r]; k < indptr[r + 1]; k++)
            {
                int f = indices[k];
                if ((uint)f >= (uint)features)
                {
                    throw new InputException($"{name}, {g}/indices[{k.ToString(CultureInfo.InvariantCulture)}]", $"expected a feature index below {features.ToString(CultureInfo.InvariantCulture)}, found {f.ToString(CultureInfo.InvariantCulture)}.", "The matrix file is corrupt; regenerate it with Space Ranger.");
                }

                if (keep[f] >= 0)
                {
                    idx.Add(keep[f]);
                    val.Add(data[k]);
                }
            }

            ptr[r + 1] = idx.Count;
        }

        return new SparseCounts(rows, columns, ptr, [.. idx], [.. val]);
    }

    private static IH5Group FindMatrixGroup(NativeFile file, string name)
    {
        if (file.LinkExists("matrix"))
        {
            return file.Group("matrix");
        }

        foreach (var child in file.Children())
        {
            if (child is IH5Group group && group.LinkExists("indptr") && group.LinkExists("barcodes"))
            {
                return group;
            }
        }

        throw new InputException(name, "expected a 'matrix' group with data, indices, indptr, shape, barcodes and features, found none.", "Pass Space Ranger's filtered_feature_bc_matrix.h5 (a .h5ad file is AnnData: pass it as the input itself).");
    }

    private static IH5Dataset Dataset(IH5Group group, string key, string name, string g)
    {
        if (!group.LinkExists(key))
        {
            throw new InputException($"{name}, {g}", $"expected a dataset '{key}', found none.", "The file does not look like a complete 10x feature-barcode matrix; regenerate it with Space Ranger.");
        }

        return group.Dataset(key);
    }

    private static string[] ReadStrings(IH5Group group, string key, string name, string g) =>
        Dataset(group, key, name, g).Read<string[]>().Select(s => (s ?? string.Empty).TrimEnd('\0')).ToArray();

    private static long[] ReadLongs(IH5Group group, string key, string name, string g)
    {
        var ds = Dataset(group, key, name, g);
        return (ds.Type.Class, ds.Type.Size, ds.Type.Class == H5DataTypeClass.FixedPoint && ds.Type.FixedPoint.IsSigned) switch
        {
            (H5DataTypeClass.FixedPoint, 8, true) => ds.Read<long[]>(),
            (H5DataTypeClass.FixedPoint, 8, false) => Array.ConvertAll(ds.Read<ulong[]>(), v => (long)v),
            (H5DataTypeClass.FixedPoint, 4, true) => Array.ConvertAll(ds.Read<int[]>(), v => (long)v),
            (H5DataTypeClass.FixedPoint, 4, false) => Array.ConvertAll(ds.Read<uint[]>(), v => (long)v),
            _ => throw Unexpected(ds, key, name, g, "integers"),
        };
    }

    private static int[] ReadInts(IH5Group group, string key, string name, string g)
    {
        var ds = Dataset(group, key, name, g);
        return (ds.Type.Class, ds.Type.Size, ds.Type.Class == H5DataTypeClass.FixedPoint && ds.Type.FixedPoint.IsSigned) switch
        {
            (H5DataTypeClass.FixedPoint, 4, true) => ds.Read<int[]>(),
            (H5DataTypeClass.FixedPoint, 4, false) => Array.ConvertAll(ds.Read<uint[]>(), v => (int)Math.Min(v, int.MaxValue)),
            (H5DataTypeClass.FixedPoint, 8, true) => Array.ConvertAll(ds.Read<long[]>(), v => (int)Math.Clamp(v, -1, int.MaxValue)),
            (H5DataTypeClass.FixedPoint, 8, false) => Array.ConvertAll(ds.Read<ulong[]>(), v => (int)Math.Min(v, int.MaxValue)),
            _ => throw Unexpected(ds, key, name, g, "integers"),
        };
    }

    private static float[] ReadFloats(IH5Group group, string key, string name, string g)
    {
        var ds = Dataset(group, key, name, g);
        bool signed = ds.Type.Class == H5DataTypeClass.FixedPoint && ds.Type.FixedPoint.IsSigned;
        return (ds.Type.Class, ds.Type.Size, signed) switch
        {
            (H5DataTypeClass.FloatingPoint, 4, _) => ds.Read<float[]>(),
            (H5DataTypeClass.FloatingPoint, 8, _) => Array.ConvertAll(ds.Read<double[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 4, true) => Array.ConvertAll(ds.Read<int[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 4, false) => Array.ConvertAll(ds.Read<uint[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 8, true) => Array.ConvertAll(ds.Read<long[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 8, false) => Array.ConvertAll(ds.Read<ulong[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 2, true) => Array.ConvertAll(ds.Read<short[]>(), v => (float)v),
            (H5DataTypeClass.FixedPoint, 2, false) => Array.ConvertAll(ds.Read<ushort[]>(), v => (float)v),
            _ => throw Unexpected(ds, key, name, g, "numbers"),
        };
    }

    private static InputException Unexpected(IH5Dataset ds, string key, string name, string g, string what) =>
        new($"{name}, {g}/{key}", $"expected {what}, found HDF5 type {ds.Type.Class} of {ds.Type.Size.ToString(CultureInfo.InvariantCulture)} bytes.", "The file does not look like a 10x feature-barcode matrix; regenerate it with Space Ranger.");
}
