using Istar.Formats.AnnData;
using Istar.Input;
using Istar.Prediction;
using Istar.Training;

namespace Istar.Output;

/// <summary>
/// The spot-level companion of the result: for every training spot, its measured counts of the panel genes
/// (<c>X</c>), the fitted values (the predictions summed over its footprint, layer <c>fitted</c>) and the residuals
/// (layer <c>residual</c>), with <c>obsm['spatial']</c> in full-res pixels.
/// </summary>
internal static class SpotFitWriter
{
    public static void Write(string path, SpotSample sample, TrainingSet set, SpotFit fit, GenePanel panel)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(set);
        int n = fit.SourceSpots.Length, g = fit.GeneNames.Count;
        var ids = fit.SourceSpots.Select(s => sample.SpotIds[s]).ToArray();
        var obs = new AnnDataFrame(ids);
        var totals = sample.Counts.RowSums();
        obs.Add("total_counts", fit.SourceSpots.Select(s => totals[s]).ToArray());
        var var = new AnnDataFrame([.. fit.GeneNames]);
        var.Add("gene_ids", panel.Indices.Select(i => sample.GeneIds[i]).ToArray());
        var spatial = new double[n * 2];
        for (int i = 0; i < n; i++)
        {
            spatial[2 * i] = sample.Centres[fit.SourceSpots[i]].X;
            spatial[(2 * i) + 1] = sample.Centres[fit.SourceSpots[i]].Y;
        }

        var file = new AnnDataFile(obs, var) { X = new DenseMatrix(n, g, fit.Measured) };
        file.Layers["fitted"] = new DenseMatrix(n, g, fit.Fitted);
        file.Layers["residual"] = new DenseMatrix(n, g, fit.Residuals);
        file.Obsm["spatial"] = DenseArray.Matrix(n, 2, spatial);
        file.Uns["istar"] = new Dictionary<string, object>
        {
            ["description"] = "measured counts (X), predictions summed over each spot's footprint (fitted) and measured - fitted (residual)",
            ["footprint_blocks_nominal"] = set.NominalFootprintSize,
        };
        AnnDataWriter.Write(file, path);
    }
}
