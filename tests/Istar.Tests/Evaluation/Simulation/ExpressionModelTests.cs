using Istar.Evaluation.Simulation;

namespace Istar.Tests.Evaluation.Simulation;

public class ExpressionModelTests
{
    [Fact]
    public void Hypoxia_genes_rise_away_from_vessels_and_perivascular_genes_fall()
    {
        var model = new ExpressionModel(60, seed: 1);
        var near = new double[60];
        var far = new double[60];
        model.AddCell(CellType.Epithelial, 0, 1, near);
        model.AddCell(CellType.Epithelial, 400, 1, far);
        int vegfa = model.GeneNames.ToList().IndexOf("VEGFA");
        int rgs5 = model.GeneNames.ToList().IndexOf("RGS5");
        Assert.True(far[vegfa] > 3 * near[vegfa]);
        Assert.True(near[rgs5] > 3 * far[rgs5]);
    }

    [Fact]
    public void Each_cell_type_expresses_its_markers_far_above_the_other_types()
    {
        var model = new ExpressionModel(60, seed: 2);
        var types = Enum.GetValues<CellType>();
        var profiles = types.Select(t =>
        {
            var p = new double[60];
            model.AddCell(t, 50, 1, p);
            return p;
        }).ToArray();
        foreach (var t in types)
        {
            foreach (string marker in ExpressionModel.Markers[(int)t])
            {
                int g = model.GeneNames.ToList().IndexOf(marker);
                double own = profiles[(int)t][g];
                double other = types.Where(o => o != t).Max(o => profiles[(int)o][g]);
                Assert.True(own > 5 * other, $"{marker}: {own} vs {other}");
            }
        }
    }

    [Fact]
    public void The_panel_starts_with_markers_then_programs_then_background_genes()
    {
        var model = new ExpressionModel(50, seed: 0);
        Assert.Equal("EPCAM", model.GeneNames[0]);
        Assert.Equal("marker:Epithelial", model.GeneKinds[0]);
        Assert.Equal("program:hypoxia", model.GeneKinds[30]);
        Assert.Equal("program:perivascular", model.GeneKinds[38]);
        Assert.Equal("background", model.GeneKinds[43]);
        Assert.Equal(50, model.GeneNames.Distinct().Count());
        Assert.Equal(50, model.GeneIds.Distinct().Count());
    }

    [Fact]
    public void The_slide_renders_identically_for_the_same_layout()
    {
        var layout = new TissueLayout(320, 320, seed: 4);
        var a = SlideRenderer.Render(layout, 640, 640, 0.5, TestContext.Current.CancellationToken);
        var b = SlideRenderer.Render(new TissueLayout(320, 320, seed: 4), 640, 640, 0.5, TestContext.Current.CancellationToken);
        Assert.Equal(a, b);
        var c = SlideRenderer.Render(new TissueLayout(320, 320, seed: 5), 640, 640, 0.5, TestContext.Current.CancellationToken);
        Assert.NotEqual(a, c);
    }
}
