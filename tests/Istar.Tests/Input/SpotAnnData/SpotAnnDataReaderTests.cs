using Istar.Formats.AnnData;
using Istar.Input;
using Istar.Input.SpotAnnData;
using Istar.Tests.Support;

namespace Istar.Tests.Input.SpotAnnData;

public sealed class SpotAnnDataReaderTests
{
    private static AnnDataFile Spots(bool withSpatial = true, bool withDiameter = true)
    {
        var data = new AnnDataFile(["AAAC-1", "AAAG-1", "AAAT-1"], ["Gapdh", "Actb"])
        {
            X = new DenseMatrix(3, 2, [1, 0, 0, 5, 2, 2]),
        };
        if (withSpatial)
        {
            data.Obsm["spatial"] = DenseArray.Matrix(3, 2, new double[] { 100, 200, 300.5, 400, 500, 600 });
        }

        data.Obsm["X_pca"] = DenseArray.Matrix(3, 1, new float[] { 1, 2, 3 });
        if (withDiameter)
        {
            data.Uns["spatial"] = new Dictionary<string, object>
            {
                ["lib"] = new Dictionary<string, object> { ["scalefactors"] = new Dictionary<string, object> { ["spot_diameter_fullres"] = 110.0 } },
            };
        }

        return data;
    }

    private static string Write(TempDir temp, AnnDataFile data)
    {
        string path = temp.File("spots.h5ad");
        AnnDataWriter.Write(data, path);
        return path;
    }

    [Fact]
    public void A_visium_h5ad_written_by_python_anndata_becomes_a_spot_sample()
    {
        using var temp = new TempDir();
        string path = temp.File("visium.h5ad");
        Python.Run("""
            import sys, numpy as np, pandas as pd, scipy.sparse as sp, anndata
            X = sp.csr_matrix(np.array([[0, 3, 1], [4, 0, 0], [0, 0, 0]], dtype=np.float32))
            obs = pd.DataFrame({"in_tissue": np.array([1, 0, 1], dtype=np.int64), "array_row": [0, 1, 2]}, index=["b1", "b2", "b3"])
            var = pd.DataFrame({"gene_ids": ["ENSG1", "ENSG2", "ENSG3"], "feature_types": pd.Categorical(["Gene Expression"] * 3)}, index=["A", "B", "A"])
            a = anndata.AnnData(X=X, obs=obs, var=var)
            a.obsm["spatial"] = np.array([[1000, 2000], [1100, 2100], [1200, 2200]], dtype=np.int64)
            a.uns["spatial"] = {"V1_lib": {"scalefactors": {"spot_diameter_fullres": 89.43, "tissue_hires_scalef": 0.15}}}
            a.uns["histo"] = {"wsi_path": "slide.tif"}
            a.write_h5ad(sys.argv[1])
            """, path);

        var s = SpotAnnDataReader.Read(path, imagePath: null);
        Assert.Equal(["b1", "b2", "b3"], s.SpotIds);
        Assert.Equal(["A", "B", "A-1"], s.GeneNames);
        Assert.Equal(["ENSG1", "ENSG2", "ENSG3"], s.GeneIds);
        Assert.Equal([0, 3, 1, 4, 0, 0, 0, 0, 0], s.Counts.DenseColumns([0, 1, 2]));
        Assert.Equal(new FullResPoint(1100, 2100), s.Centres[1]);
        Assert.Equal([true, false, true], s.InTissue);
        Assert.Equal(89.43, s.SpotDiameterPixels);
        Assert.Equal(55 / 89.43, s.PixelSize.MicronsPerPixel, 12);
        Assert.Equal(PixelSizeSource.SpotDiameter, s.PixelSize.Source);
        Assert.Contains("uns/spatial/V1_lib/scalefactors/spot_diameter_fullres", s.PixelSize.Detail, StringComparison.Ordinal);
        Assert.Equal(55, s.SpotDiameterMicrons, 9);
        Assert.Equal(Path.Combine(temp.Path, "slide.tif"), s.SlidePath);
        Assert.Equal(SpotPlatform.Visium, s.Platform);
        Assert.Equal(SampleFormat.SpotAnnData, s.Format);
        Assert.Equal(Path.GetFullPath(path), s.SourcePath);
    }

    [Fact]
    public void A_dense_file_without_gene_ids_or_in_tissue_uses_the_names_and_marks_every_spot_in_tissue()
    {
        using var temp = new TempDir();
        var s = SpotAnnDataReader.Read(Write(temp, Spots()), "/slides/he.svs");
        Assert.Equal(["Gapdh", "Actb"], s.GeneIds);
        Assert.Equal([true, true, true], s.InTissue);
        Assert.Equal([1, 0, 0, 5, 2, 2], s.Counts.DenseColumns([0, 1]));
        Assert.Equal(new FullResPoint(300.5, 400), s.Centres[1]);
        Assert.Equal(0.5, s.PixelSize.MicronsPerPixel, 12);
        Assert.Equal("/slides/he.svs", s.SlidePath);
    }

    [Fact]
    public void A_missing_spot_diameter_is_an_error_unless_the_caller_gives_one()
    {
        using var temp = new TempDir();
        string path = Write(temp, Spots(withDiameter: false));
        var e = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(path, null));
        Assert.Contains("uns/spatial", e.Location, StringComparison.Ordinal);
        Assert.Contains("spot_diameter_fullres", e.Problem, StringComparison.Ordinal);
        Assert.Contains("spot diameter in pixels explicitly", e.Hint, StringComparison.Ordinal);

        var s = SpotAnnDataReader.Read(path, null, spotDiameterPixels: 220);
        Assert.Equal(0.25, s.PixelSize.MicronsPerPixel, 12);
        Assert.Contains("given", s.PixelSize.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_obsm_spatial_is_an_error_naming_the_keys_present()
    {
        using var temp = new TempDir();
        string path = Write(temp, Spots(withSpatial: false));
        var e = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(path, null));
        Assert.EndsWith("obsm/spatial", e.Location, StringComparison.Ordinal);
        Assert.Contains("obsm has 'X_pca'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Spatial_coordinates_of_the_wrong_shape_are_an_error_stating_both_shapes()
    {
        using var temp = new TempDir();
        var data = Spots();
        data.Obsm["spatial"] = DenseArray.Matrix(3, 3, new double[9]);
        var e = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(Write(temp, data), null));
        Assert.Contains("expected shape (3, 2)", e.Problem, StringComparison.Ordinal);
        Assert.Contains("found (3, 3)", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_counts_are_an_error_asking_for_raw_counts()
    {
        using var temp = new TempDir();
        var data = Spots();
        data.X = new DenseMatrix(3, 2, [1, -0.5f, 0, 5, 2, 2]);
        var e = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(Write(temp, data), null));
        Assert.Contains("raw counts", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_and_a_non_hdf5_file_are_input_errors()
    {
        using var temp = new TempDir();
        var missing = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(temp.File("none.h5ad"), null));
        Assert.Contains("found nothing at this path", missing.Problem, StringComparison.Ordinal);

        string text = temp.File("spots.h5ad");
        File.WriteAllText(text, "not hdf5 at all");
        var notHdf5 = Assert.Throws<InputException>(() => SpotAnnDataReader.Read(text, null));
        Assert.Contains("HDF5", notHdf5.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_gene_names_are_made_unique_as_anndata_does()
    {
        Assert.Equal(["A", "B", "A-1", "A-2", "B-1"], SpotAnnDataReader.MakeUnique(["A", "B", "A", "A", "B"]));
        Assert.Equal(["A", "A-1", "A-2"], SpotAnnDataReader.MakeUnique(["A", "A-1", "A"]));
        Assert.Equal(["A", "A-2", "A-1"], SpotAnnDataReader.MakeUnique(["A", "A", "A-1"]));
    }
}
