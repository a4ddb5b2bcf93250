using System.Text.Json;
using Istar.Formats.AnnData;
using Istar.Tests.Support;

namespace Istar.Tests.Formats.AnnData;

public sealed class AnnDataWriterTests
{
    // Reads the file with anndata, turning every warning into a failure, and prints a JSON summary.
    private const string Summarise = """
        import sys, json, warnings
        import numpy as np, scipy.sparse as sp
        warnings.simplefilter("error")
        import anndata
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a = anndata.read_h5ad(sys.argv[1])
        def plain(v):
            if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
            if isinstance(v, np.ndarray): return {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()}
            if isinstance(v, (np.generic,)): return {"scalar": v.item(), "dtype": str(v.dtype)}
            if isinstance(v, (str, int, float, bool)): return v
            return repr(v)
        def frame(df):
            out = {"index": list(df.index), "index_name": df.index.name, "columns": list(df.columns), "dtypes": {c: str(df[c].dtype) for c in df.columns}, "values": {}}
            for c in df.columns:
                s = df[c]
                if str(s.dtype) == "category":
                    out["values"][c] = {"categories": [str(x) for x in s.cat.categories], "ordered": bool(s.cat.ordered), "values": [None if x != x else str(x) for x in s.astype(object)]}
                else:
                    out["values"][c] = [x.item() if hasattr(x, "item") else x for x in s]
            return out
        X = a.X
        out = {
            "warnings": [str(w.message) for w in caught],
            "shape": list(a.shape),
            "x_kind": "none" if X is None else ("csr" if sp.isspmatrix_csr(X) else type(X).__name__),
            "x_dtype": None if X is None else str(X.dtype),
            "x": None if X is None else (X.toarray() if sp.issparse(X) else X).ravel().tolist(),
            "obs": frame(a.obs), "var": frame(a.var),
            "obsm": {k: plain(np.asarray(v)) for k, v in a.obsm.items()},
            "layers": {k: {"kind": "csr" if sp.issparse(v) else "dense", "dtype": str(v.dtype), "values": (v.toarray() if sp.issparse(v) else v).ravel().tolist()} for k, v in a.layers.items()},
            "uns": plain(dict(a.uns)),
        }
        print(json.dumps(out, separators=(",", ":"), ensure_ascii=False))
        """;

    private static AnnDataFile Sample(AnnMatrix x)
    {
        var data = new AnnDataFile(["c0", "c1", "c2"], ["G1", "G2", "Gé"]);
        data.Obs.Add("total", new double[] { 1.5, 2, 3 })
            .Add("n_genes", new long[] { 3, 1, 2 })
            .Add("n32", new int[] { -1, 0, 7 })
            .Add("keep", [true, false, true])
            .Add("label", ["a", "b é", ""])
            .AddCategorical("cluster", ["x", "y", "x"])
            .Add(new CategoricalColumn("grade", ["low", "high"], [1, -1, 0], ordered: true));
        data.Var.Add("gene_ids", ["ENSG1", "ENSG2", "ENSG3"]).Add("mean", new float[] { 0.5f, 0, 1 });
        data.X = x;
        data.Obsm["spatial"] = DenseArray.Matrix(3, 2, new double[] { 10, 20, 30.5, 40, 50, 60 });
        data.Layers["raw"] = new DenseMatrix(3, 3, [1, 0, 0, 0, 2, 0, 0, 0, 3]);
        data.Layers["sparse"] = CsrMatrix.FromDense(3, 3, [0, 0, 4, 0, 0, 0, 5, 0, 0]);
        data.Uns["title"] = "sample ü";
        data.Uns["pi"] = 3.25;
        data.Uns["count"] = 42L;
        data.Uns["flag"] = true;
        data.Uns["ids"] = new[] { "p", "q" };
        data.Uns["weights"] = new float[] { 1, 2.5f };
        data.Uns["grid"] = new DenseArray([2, 2], new int[] { 1, 2, 3, 4 });
        data.Uns["spatial"] = new Dictionary<string, object>
        {
            ["lib1"] = new Dictionary<string, object>
            {
                ["scalefactors"] = new Dictionary<string, object> { ["spot_diameter_fullres"] = 89.5, ["tissue_hires_scalef"] = 0.17f },
            },
        };
        return data;
    }

    private static JsonElement ReadWithPython(string path) => JsonDocument.Parse(Python.Run(Summarise, path)).RootElement;

    [Fact]
    public void Python_anndata_reads_a_dense_file_with_every_element_kind_and_no_warnings()
    {
        Python.RequireAnnData();
        using var temp = new TempDir();
        string path = temp.File("dense.h5ad");
        AnnDataWriter.Write(Sample(new DenseMatrix(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9.5f])), path);

        var r = ReadWithPython(path);
        Assert.Empty(r.GetProperty("warnings").EnumerateArray());
        Assert.Equal("[3,3]", r.GetProperty("shape").GetRawText());
        Assert.Equal("ndarray", r.GetProperty("x_kind").GetString());
        Assert.Equal("float32", r.GetProperty("x_dtype").GetString());
        Assert.Equal("[1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0,9.5]", r.GetProperty("x").GetRawText());

        var obs = r.GetProperty("obs");
        Assert.Equal("[\"c0\",\"c1\",\"c2\"]", obs.GetProperty("index").GetRawText());
        Assert.Equal("[\"total\",\"n_genes\",\"n32\",\"keep\",\"label\",\"cluster\",\"grade\"]", obs.GetProperty("columns").GetRawText());
        var dtypes = obs.GetProperty("dtypes");
        Assert.Equal("float64", dtypes.GetProperty("total").GetString());
        Assert.Equal("int64", dtypes.GetProperty("n_genes").GetString());
        Assert.Equal("int32", dtypes.GetProperty("n32").GetString());
        Assert.Equal("bool", dtypes.GetProperty("keep").GetString());
        Assert.Equal("object", dtypes.GetProperty("label").GetString());
        Assert.Equal("category", dtypes.GetProperty("cluster").GetString());
        var values = obs.GetProperty("values");
        Assert.Equal("[1.5,2.0,3.0]", values.GetProperty("total").GetRawText());
        Assert.Equal("[3,1,2]", values.GetProperty("n_genes").GetRawText());
        Assert.Equal("[-1,0,7]", values.GetProperty("n32").GetRawText());
        Assert.Equal("[true,false,true]", values.GetProperty("keep").GetRawText());
        Assert.Equal(["a", "b é", ""], values.GetProperty("label").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("[\"x\",\"y\"]", values.GetProperty("cluster").GetProperty("categories").GetRawText());
        Assert.Equal("[\"x\",\"y\",\"x\"]", values.GetProperty("cluster").GetProperty("values").GetRawText());
        Assert.False(values.GetProperty("cluster").GetProperty("ordered").GetBoolean());
        Assert.True(values.GetProperty("grade").GetProperty("ordered").GetBoolean());
        Assert.Equal("[\"high\",null,\"low\"]", values.GetProperty("grade").GetProperty("values").GetRawText());

        var var = r.GetProperty("var");
        Assert.Equal(["G1", "G2", "Gé"], var.GetProperty("index").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("[\"ENSG1\",\"ENSG2\",\"ENSG3\"]", var.GetProperty("values").GetProperty("gene_ids").GetRawText());
        Assert.Equal("float32", var.GetProperty("dtypes").GetProperty("mean").GetString());

        var spatial = r.GetProperty("obsm").GetProperty("spatial");
        Assert.Equal("float64", spatial.GetProperty("dtype").GetString());
        Assert.Equal("[3,2]", spatial.GetProperty("shape").GetRawText());
        Assert.Equal("[10.0,20.0,30.5,40.0,50.0,60.0]", spatial.GetProperty("values").GetRawText());

        var layers = r.GetProperty("layers");
        Assert.Equal("dense", layers.GetProperty("raw").GetProperty("kind").GetString());
        Assert.Equal("[1.0,0.0,0.0,0.0,2.0,0.0,0.0,0.0,3.0]", layers.GetProperty("raw").GetProperty("values").GetRawText());
        Assert.Equal("csr", layers.GetProperty("sparse").GetProperty("kind").GetString());
        Assert.Equal("[0.0,0.0,4.0,0.0,0.0,0.0,5.0,0.0,0.0]", layers.GetProperty("sparse").GetProperty("values").GetRawText());

        var uns = r.GetProperty("uns");
        Assert.Equal("sample ü", uns.GetProperty("title").GetString());
        Assert.Equal(3.25, uns.GetProperty("pi").GetProperty("scalar").GetDouble());
        Assert.Equal(42, uns.GetProperty("count").GetProperty("scalar").GetInt64());
        Assert.True(uns.GetProperty("flag").GetProperty("scalar").GetBoolean());
        Assert.Equal("[\"p\",\"q\"]", uns.GetProperty("ids").GetProperty("values").GetRawText());
        Assert.Equal("[1.0,2.5]", uns.GetProperty("weights").GetProperty("values").GetRawText());
        Assert.Equal("[2,2]", uns.GetProperty("grid").GetProperty("shape").GetRawText());
        Assert.Equal("[1,2,3,4]", uns.GetProperty("grid").GetProperty("values").GetRawText());
        var scalefactors = uns.GetProperty("spatial").GetProperty("lib1").GetProperty("scalefactors");
        Assert.Equal(89.5, scalefactors.GetProperty("spot_diameter_fullres").GetProperty("scalar").GetDouble());
    }

    [Fact]
    public void Python_anndata_reads_a_csr_x_as_a_sparse_matrix()
    {
        Python.RequireAnnData();
        using var temp = new TempDir();
        string path = temp.File("csr.h5ad");
        AnnDataWriter.Write(Sample(CsrMatrix.FromDense(3, 3, [0, 2, 0, 0, 0, 0, 7, 0, 1])), path);

        var r = ReadWithPython(path);
        Assert.Empty(r.GetProperty("warnings").EnumerateArray());
        Assert.Equal("csr", r.GetProperty("x_kind").GetString());
        Assert.Equal("float32", r.GetProperty("x_dtype").GetString());
        Assert.Equal("[0.0,2.0,0.0,0.0,0.0,0.0,7.0,0.0,1.0]", r.GetProperty("x").GetRawText());
    }

    [Fact]
    public void Python_anndata_reads_a_gzip_compressed_streamed_x_and_layer()
    {
        Python.RequireAnnData();
        using var temp = new TempDir();
        string path = temp.File("gzip.h5ad");
        var data = new AnnDataFile(["a", "b", "c", "d", "e"], ["g1", "g2"]);
        data.X = new RowBlockMatrix(5, 2, (first, count, block) =>
        {
            for (int i = 0; i < count * 2; i++)
            {
                block.Span[i] = (first * 2) + i + 0.5f;
            }
        });
        data.Layers["dense"] = new DenseMatrix(5, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        AnnDataWriter.Write(data, path, new AnnDataWriteOptions { CompressionLevel = 6, BlockValues = 4 });

        var r = ReadWithPython(path);
        Assert.Empty(r.GetProperty("warnings").EnumerateArray());
        Assert.Equal("[0.5,1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5]", r.GetProperty("x").GetRawText());
        Assert.Equal("[1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0,9.0,10.0]", r.GetProperty("layers").GetProperty("dense").GetProperty("values").GetRawText());
    }

    [Fact]
    public void Python_anndata_reads_an_object_with_no_observations()
    {
        using var temp = new TempDir();
        string path = temp.File("empty.h5ad");
        var data = new AnnDataFile([], ["G1", "G2"]) { X = new DenseMatrix(0, 2, []) };
        data.Obs.Add("total", Array.Empty<double>()).Add("label", Array.Empty<string>());
        data.Obsm["spatial"] = DenseArray.Matrix(0, 2, Array.Empty<double>());
        AnnDataWriter.Write(data, path);

        var r = ReadWithPython(path);
        Assert.Empty(r.GetProperty("warnings").EnumerateArray());
        Assert.Equal("[0,2]", r.GetProperty("shape").GetRawText());
        var back = AnnDataReader.Read(path);
        Assert.Equal(0, back.ObsCount);
        Assert.Equal(["G1", "G2"], back.VarNames);
    }

    [Fact]
    public void Names_that_cannot_be_hdf5_links_are_refused_before_anything_is_written()
    {
        using var temp = new TempDir();
        var data = new AnnDataFile(["a"], ["g"]);
        data.Uns["a/b"] = 1;
        Assert.Throws<ArgumentException>(() => AnnDataWriter.Write(data, temp.File("x.h5ad")));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
