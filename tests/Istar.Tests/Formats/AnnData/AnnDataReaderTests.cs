using Istar.Formats.AnnData;
using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Formats.AnnData;

public sealed class AnnDataReaderTests
{
    private static AnnDataFile Sample(AnnMatrix x)
    {
        var data = new AnnDataFile(["c0", "c1", "c2"], ["G1", "G2", "G3"]);
        data.Obs.Add("total", new double[] { 1.5, 2, 3 })
            .Add("n_genes", new long[] { 3, 1, 2 })
            .Add("keep", [true, false, true])
            .Add("label", ["a", "b é", ""])
            .Add(new CategoricalColumn("grade", ["low", "high"], [1, -1, 0], ordered: true));
        data.Var.Add("gene_ids", ["E1", "E2", "E3"]);
        data.X = x;
        data.Obsm["spatial"] = DenseArray.Matrix(3, 2, new double[] { 10, 20, 30.5, 40, 50, 60 });
        data.Layers["sparse"] = CsrMatrix.FromDense(3, 3, [0, 0, 4, 0, 0, 0, 5, 0, 0]);
        data.Uns["title"] = "t";
        data.Uns["pi"] = 3.25;
        data.Uns["count"] = 42;
        data.Uns["flag"] = true;
        data.Uns["ids"] = new[] { "p", "q" };
        data.Uns["grid"] = new DenseArray([2, 2], new int[] { 1, 2, 3, 4 });
        data.Uns["nested"] = new Dictionary<string, object> { ["inner"] = new Dictionary<string, object> { ["v"] = 1.5f } };
        return data;
    }

    [Fact]
    public void Our_own_dense_file_reads_back_with_every_element()
    {
        using var temp = new TempDir();
        string path = temp.File("a.h5ad");
        AnnDataWriter.Write(Sample(new DenseMatrix(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9])), path);

        var a = AnnDataReader.Read(path);
        Assert.Equal(["c0", "c1", "c2"], a.ObsNames);
        Assert.Equal(["G1", "G2", "G3"], a.VarNames);
        var x = Assert.IsType<DenseMatrix>(a.X);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], x.Values);
        Assert.Equal(["total", "n_genes", "keep", "label", "grade"], a.Obs.Columns.Select(c => c.Name));
        Assert.Equal([1.5, 2, 3], Assert.IsType<double[]>(Assert.IsType<NumericColumn>(a.Obs["total"]).Values));
        Assert.Equal([3L, 1, 2], Assert.IsType<long[]>(Assert.IsType<NumericColumn>(a.Obs["n_genes"]).Values));
        Assert.Equal([true, false, true], Assert.IsType<BoolColumn>(a.Obs["keep"]).Values);
        Assert.Equal(["a", "b é", ""], Assert.IsType<StringColumn>(a.Obs["label"]).Values);
        var grade = Assert.IsType<CategoricalColumn>(a.Obs["grade"]);
        Assert.True(grade.Ordered);
        Assert.Equal(["high", null, "low"], Enumerable.Range(0, 3).Select(i => grade[i]));
        Assert.Equal(["E1", "E2", "E3"], Assert.IsType<StringColumn>(a.Var["gene_ids"]).Values);
        Assert.Equal([3, 2], a.Obsm["spatial"].Shape);
        Assert.Equal([10, 20, 30.5, 40, 50, 60], a.Obsm["spatial"].ToDoubles());
        Assert.Equal([0, 0, 4, 0, 0, 0, 5, 0, 0], Assert.IsType<CsrMatrix>(a.Layers["sparse"]).ToDense());
        Assert.Equal("t", a.Uns["title"]);
        Assert.Equal(3.25, a.Uns["pi"]);
        Assert.Equal(42L, a.Uns["count"]);
        Assert.Equal(true, a.Uns["flag"]);
        Assert.Equal(["p", "q"], Assert.IsType<string[]>(a.Uns["ids"]));
        var grid = Assert.IsType<DenseArray>(a.Uns["grid"]);
        Assert.Equal([2, 2], grid.Shape);
        Assert.Equal([1, 2, 3, 4], Assert.IsType<int[]>(grid.Values));
        var inner = Assert.IsType<Dictionary<string, object>>(Assert.IsType<Dictionary<string, object>>(a.Uns["nested"])["inner"]);
        Assert.Equal(1.5, inner["v"]);
        Assert.Empty(a.Skipped);
    }

    [Fact]
    public void Our_own_csr_file_reads_back_as_csr()
    {
        using var temp = new TempDir();
        string path = temp.File("a.h5ad");
        AnnDataWriter.Write(Sample(CsrMatrix.FromDense(3, 3, [0, 2, 0, 0, 0, 0, 7, 0, 1])), path);

        var x = Assert.IsType<CsrMatrix>(AnnDataReader.Read(path).X);
        Assert.Equal([0, 2, 0, 0, 0, 0, 7, 0, 1], x.ToDense());
        Assert.Equal([0L, 1, 1, 3], x.RowPointers);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_row_block_matrix_is_streamed_in_many_blocks_and_reads_back_exactly(int compression)
    {
        using var temp = new TempDir();
        string path = temp.File("big.h5ad");
        const int rows = 3001, cols = 97;
        var names = Enumerable.Range(0, rows).Select(i => "cell" + i).ToArray();
        var genes = Enumerable.Range(0, cols).Select(i => "g" + i).ToArray();
        var data = new AnnDataFile(names, genes);
        int calls = 0;
        data.X = new RowBlockMatrix(rows, cols, (first, count, block) =>
        {
            calls++;
            var span = block.Span;
            for (int r = 0; r < count; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    span[(r * cols) + c] = ((first + r) * 1000) + c;
                }
            }
        });
        data.Layers["same"] = data.X;
        AnnDataWriter.Write(data, path, new AnnDataWriteOptions { CompressionLevel = compression, BlockValues = 100 * cols });

        Assert.Equal(2 * 31, calls);
        var a = AnnDataReader.Read(path);
        var x = Assert.IsType<DenseMatrix>(a.X);
        Assert.Equal(3000 * 1000 + 96, x[3000, 96]);
        Assert.Equal(1234 * 1000 + 5, x[1234, 5]);
        Assert.Equal(x.Values, Assert.IsType<DenseMatrix>(a.Layers["same"]).Values);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void A_failed_write_leaves_no_file_behind_and_keeps_the_old_one()
    {
        using var temp = new TempDir();
        string path = temp.File("a.h5ad");
        File.WriteAllText(path, "old");
        var data = new AnnDataFile(["a"], ["g"]) { X = new RowBlockMatrix(1, 1, (_, _, _) => throw new InvalidOperationException("boom")) };

        Assert.Throws<InvalidOperationException>(() => AnnDataWriter.Write(data, path));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void A_file_written_by_python_anndata_reads_with_dense_and_csr_x_categoricals_obsm_and_uns()
    {
        using var temp = new TempDir();
        Python.Run("""
            import sys, numpy as np, pandas as pd, scipy.sparse as sp, anndata
            X = np.array([[0, 1, 0], [2, 0, 3]], dtype=np.float32)
            obs = pd.DataFrame({"cluster": pd.Categorical(["b", "a"]), "n": np.array([1, 2], dtype=np.int64), "ok": [True, False], "name": ["x", "y"]},
                               index=pd.Index(["s1", "s2"], name="barcode"))
            var = pd.DataFrame({"gene_ids": ["E1", "E2", "E3"]}, index=["A", "B", "C"])
            for name, x in (("dense", X), ("csr", sp.csr_matrix(X)), ("csc", sp.csc_matrix(X)), ("gzip", sp.csr_matrix(X))):
                a = anndata.AnnData(X=x, obs=obs, var=var)
                a.obsm["spatial"] = np.array([[100, 200], [300, 400]], dtype=np.int64)
                a.uns["spatial"] = {"lib": {"scalefactors": {"spot_diameter_fullres": 89.43, "tissue_hires_scalef": 0.15}, "metadata": {"chemistry": "v1"}}}
                a.uns["colors"] = np.array(["#ff0000", "#00ff00"], dtype=object)
                a.uns["n"] = 7
                a.layers["counts"] = sp.csr_matrix(X)
                a.write_h5ad(sys.argv[1] + "/" + name + ".h5ad", compression="gzip" if name == "gzip" else None)
            """, temp.Path);

        foreach (string name in new[] { "dense", "csr", "csc", "gzip" })
        {
            var a = AnnDataReader.Read(temp.File(name + ".h5ad"));
            Assert.Equal(["s1", "s2"], a.ObsNames);
            Assert.Equal("barcode", a.Obs.IndexName);
            Assert.Equal(["A", "B", "C"], a.VarNames);
            float[] dense = a.X switch { DenseMatrix d => d.Values, CsrMatrix c => c.ToDense(), _ => [] };
            Assert.Equal([0, 1, 0, 2, 0, 3], dense);
            Assert.Equal(name == "dense" ? typeof(DenseMatrix) : typeof(CsrMatrix), a.X!.GetType());
            var cluster = Assert.IsType<CategoricalColumn>(a.Obs["cluster"]);
            Assert.Equal(["a", "b"], cluster.Categories);
            Assert.Equal(["b", "a"], new[] { cluster[0], cluster[1] });
            Assert.Equal([1L, 2], Assert.IsType<NumericColumn>(a.Obs["n"]).Values.Cast<long>());
            Assert.Equal([true, false], Assert.IsType<BoolColumn>(a.Obs["ok"]).Values);
            Assert.Equal(["x", "y"], Assert.IsType<StringColumn>(a.Obs["name"]).Values);
            Assert.Equal(["E1", "E2", "E3"], Enumerable.Range(0, 3).Select(i => a.Var["gene_ids"].Text(i)));
            Assert.Equal([100.0, 200, 300, 400], a.Obsm["spatial"].ToDoubles());
            var lib = (IDictionary<string, object>)((IDictionary<string, object>)a.Uns["spatial"])["lib"];
            Assert.Equal(89.43, ((IDictionary<string, object>)lib["scalefactors"])["spot_diameter_fullres"]);
            Assert.Equal("v1", ((IDictionary<string, object>)lib["metadata"])["chemistry"]);
            Assert.Equal(["#ff0000", "#00ff00"], Assert.IsType<string[]>(a.Uns["colors"]));
            Assert.Equal(7L, a.Uns["n"]);
            Assert.Equal([0, 1, 0, 2, 0, 3], Assert.IsType<CsrMatrix>(a.Layers["counts"]).ToDense());
        }
    }

    [Fact]
    public void A_file_in_the_anndata_0_7_layout_reads_with_its_old_categoricals_and_sparse_attributes()
    {
        using var temp = new TempDir();
        string path = temp.File("old.h5ad");
        Python.Run("""
            import sys, h5py, numpy as np
            s = h5py.special_dtype(vlen=str)
            with h5py.File(sys.argv[1], "w") as f:
                f.attrs["encoding-type"] = "anndata"; f.attrs["encoding-version"] = "0.1.0"
                x = f.create_group("X")
                x.attrs["h5sparse_format"] = "csr"; x.attrs["h5sparse_shape"] = np.array([2, 2])
                x["data"] = np.array([1.0, 2.0]); x["indices"] = np.array([1, 0], dtype=np.int32); x["indptr"] = np.array([0, 1, 2], dtype=np.int32)
                for name, index in (("obs", ["a", "b"]), ("var", ["g1", "g2"])):
                    g = f.create_group(name)
                    g.attrs["encoding-type"] = "dataframe"; g.attrs["encoding-version"] = "0.1.0"
                    g.attrs["_index"] = "index"; g.attrs["column-order"] = np.array(["kind"] if name == "obs" else [], dtype=object if name == "obs" else float)
                    g.create_dataset("index", data=np.array(index, dtype=object), dtype=s)
                obs = f["obs"]
                obs.create_group("__categories").create_dataset("kind", data=np.array([b"tumour", b"normal"]))
                obs["kind"] = np.array([1, 0], dtype=np.int8)
                obs["kind"].attrs["categories"] = obs["__categories/kind"].ref
                u = f.create_group("uns")
                u.create_dataset("note", data="hello", dtype=s)
                u["k"] = 3.0
            """, path);

        var a = AnnDataReader.Read(path);
        Assert.Equal(["a", "b"], a.ObsNames);
        Assert.Equal([0, 1, 2, 0], Assert.IsType<CsrMatrix>(a.X).ToDense());
        var kind = Assert.IsType<CategoricalColumn>(a.Obs["kind"]);
        Assert.Equal(["normal", "tumour"], new[] { kind[0], kind[1] });
        Assert.Equal("hello", a.Uns["note"]);
        Assert.Equal(3.0, a.Uns["k"]);
    }

    [Fact]
    public void Nullable_integer_and_boolean_columns_as_anndata_0_10_writes_them_read_with_missing_values_as_nan()
    {
        using var temp = new TempDir();
        string path = temp.File("nullable.h5ad");
        Python.Run("""
            import sys, numpy as np, anndata, pandas as pd
            a = anndata.AnnData(obs=pd.DataFrame(index=["a", "b", "c"]), var=pd.DataFrame(index=["g"]))
            a.write_h5ad(sys.argv[1])
            import h5py
            with h5py.File(sys.argv[1], "a") as f:
                obs = f["obs"]
                for name, values, kind in (("n", np.array([1, 0, 3]), "nullable-integer"), ("ok", np.array([True, False, False]), "nullable-boolean")):
                    g = obs.create_group(name)
                    g.attrs["encoding-type"] = kind; g.attrs["encoding-version"] = "0.1.0"
                    g["values"] = values; g["mask"] = np.array([False, True, False])
                obs.attrs["column-order"] = np.array(["n", "ok"], dtype=object)
            """, path);

        var a = AnnDataReader.Read(path);
        Assert.Null(a.X);
        Assert.Equal([1, double.NaN, 3], Assert.IsType<NumericColumn>(a.Obs["n"]).ToDoubles());
        Assert.Equal([1, double.NaN, 0], Assert.IsType<NumericColumn>(a.Obs["ok"]).ToDoubles());
    }

    [Fact]
    public void The_real_ncbi858_xenium_file_reads_with_int64_counts_and_its_columns()
    {
        string path = SharedData.Require("data", "xenium-lung-ncbi858-hest-subset", "h5ad", "NCBI858.h5ad");
        var a = AnnDataReader.Read(path);
        Assert.Equal(200, a.ObsCount);
        Assert.Equal(338, a.VarCount);
        float[] x = a.X switch { DenseMatrix d => d.Values, CsrMatrix c => c.ToDense(), _ => [] };
        Assert.Equal(45623, x.Sum(v => (double)v));
        Assert.InRange(x.Count(v => v != 0) / (double)x.Length, 0.15, 0.25);
        Assert.Equal("cell_id", a.Obs.IndexName);
        Assert.True(a.Obs.Contains("x_pixel"));
        Assert.True(a.Obs.Contains("y_pixel"));
        Assert.True(a.Var.Contains("gene_symbol"));
        Assert.True(a.Var.Contains("n_counts"));
        Assert.All(a.VarNames, n => Assert.False(string.IsNullOrEmpty(n)));
        Assert.Equal(a.VarNames, Enumerable.Range(0, a.VarCount).Select(i => a.Var["gene_name"].Text(i)));
    }

    [Fact]
    public void A_missing_file_is_an_input_error_naming_the_path()
    {
        using var temp = new TempDir();
        var e = Assert.Throws<InputException>(() => AnnDataReader.Read(temp.File("nope.h5ad")));
        Assert.Contains("nope.h5ad", e.Location, StringComparison.Ordinal);
        Assert.Contains("found nothing", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_hdf5_is_an_input_error()
    {
        using var temp = new TempDir();
        string path = temp.File("counts.h5ad");
        File.WriteAllText(path, "barcode,gene\nA,1\n");
        var e = Assert.Throws<InputException>(() => AnnDataReader.Read(path));
        Assert.Contains("HDF5 signature", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_hdf5_file_without_encoding_type_is_reported_as_very_old_or_not_anndata()
    {
        using var temp = new TempDir();
        string path = temp.File("old.h5ad");
        Python.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f["X"] = np.zeros((2, 2), dtype=np.float32)
                f["obs"] = np.zeros(2, dtype=[("index", "S4")])
            """, path);
        var e = Assert.Throws<InputException>(() => AnnDataReader.Read(path));
        Assert.Contains("no encoding-type attribute", e.Problem, StringComparison.Ordinal);
        Assert.Contains("very old anndata", e.Hint, StringComparison.Ordinal);
    }
}
