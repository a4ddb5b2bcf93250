using System.Globalization;
using Istar.Formats.AnnData;
using Istar.Output;
using Istar.Tests.Support;

namespace Istar.Tests.Output;

public class ResultWriterTests
{
    [Fact]
    public void Block_centres_map_back_to_the_full_resolution_frame()
    {
        // Working 0.5 µm/px from a 0.25 µm/px slide: 2 full-res px per working px; block (0, 0) spans working px 0-15,
        // centre 8 working px = full-res 16 minus the half-pixel of pixel-centre coordinates.
        var frame = new BlockFrame(16, 2, 2, 8);
        Assert.Equal((15.5, 15.5), frame.CentreFullRes(0, 0));
        Assert.Equal((32 * 3 + 15.5, 32 * 1 + 15.5), frame.CentreFullRes(1, 3));
    }

    [Fact]
    public void The_result_opens_in_python_anndata_with_blocks_as_rows_and_spatial_in_the_input_frame()
    {
        using var tmp = new TempDir();
        const int rows = 4, columns = 5, genes = 3;
        var mask = new bool[rows * columns];
        foreach (int b in new[] { 1, 2, 7, 13, 19 })
        {
            mask[b] = true;
        }

        using var counts = new MaskedBlockTable(tmp.File("counts.f32"), mask, rows, columns, genes);
        using var spread = new MaskedBlockTable(tmp.File("spread.f32"), mask, rows, columns, genes);
        var chunk = new float[rows * columns * genes];
        for (int b = 0; b < rows * columns; b++)
        {
            for (int g = 0; g < genes; g++)
            {
                chunk[(b * genes) + g] = (b * 10) + g;
            }
        }

        // Pushed in two chunks of grid rows, as the predictor does.
        counts.WriteGridRows(0, 2, chunk.AsSpan(0, 2 * columns * genes));
        counts.WriteGridRows(2, 2, chunk.AsSpan(2 * columns * genes));
        spread.WriteGridRows(0, rows, chunk.Select(v => v / 100).ToArray());
        var content = new ResultContent
        {
            Counts = counts,
            Spread = spread,
            GeneNames = ["ERBB2", "CD3E", "KRT8"],
            GeneIds = ["ENSG1", "ENSG2", "ENSG3"],
            Frame = new BlockFrame(16, 1.372, 1.372, 8),
        };
        content.ObsColumns.Add(CategoricalColumn.FromValues("cluster", ["1", "2", "1", "3", "2"]));
        content.Istar["version"] = "0.1.0";
        content.Istar["pixel_size_um"] = 0.5;
        content.Istar["parameters"] = new Dictionary<string, object> { ["epochs"] = 400L, ["preset"] = "fast" };
        string path = tmp.File("result.h5ad");
        ResultWriter.Write(path, content);

        string output = Python.Run(
            """
            import sys, anndata, numpy as np
            a = anndata.read_h5ad(sys.argv[1])
            print(a.shape)
            print(list(a.obs_names))
            print(list(a.var_names), list(a.var['gene_ids']))
            print(a.X[3].tolist())
            print(a.layers['spread'][3].tolist())
            print(a.obsm['spatial'][3].tolist())
            print(a.obs['x'].tolist(), a.obs['y'].tolist())
            print(list(a.obs['cluster'].astype(str)))
            print(a.uns['istar']['parameters']['preset'], a.uns['istar']['pixel_size_um'])
            """,
            path);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("(5, 3)", lines[0]);
        Assert.Equal("['px_0_1', 'px_0_2', 'px_1_2', 'px_2_3', 'px_3_4']", lines[1]);
        Assert.Equal("['ERBB2', 'CD3E', 'KRT8'] ['ENSG1', 'ENSG2', 'ENSG3']", lines[2]);
        Assert.Equal("[130.0, 131.0, 132.0]", lines[3]);
        Assert.Equal("[1.2999999523162842, 1.309999942779541, 1.3200000524520874]", lines[4]);
        var xy = lines[5].Trim('[', ']').Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal((3 * 16 + 8) * 1.372 - 0.5, xy[0], 9);
        Assert.Equal((2 * 16 + 8) * 1.372 - 0.5, xy[1], 9);
        Assert.Equal("[1, 2, 2, 3, 4] [0, 0, 1, 2, 3]", lines[6]);
        Assert.Equal("['1', '2', '1', '3', '2']", lines[7]);
        Assert.Equal("fast 0.5", lines[8]);
    }

    [Fact]
    public void A_gene_plane_is_nan_outside_the_mask()
    {
        using var tmp = new TempDir();
        var mask = new[] { false, true, true, false };
        using var table = new MaskedBlockTable(tmp.File("t.f32"), mask, 2, 2, 2);
        table.WriteGridRows(0, 2, [0, 0, 1, 2, 3, 4, 0, 0]);
        var plane = table.GenePlane(1);
        Assert.True(float.IsNaN(plane[0]) && float.IsNaN(plane[3]));
        Assert.Equal(2, plane[1]);
        Assert.Equal(4, plane[2]);
    }
}
