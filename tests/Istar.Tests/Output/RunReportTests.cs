using Istar.Output.Maps;
using Istar.Output.Report;
using Istar.Tests.Support;
using NetVips;

namespace Istar.Tests.Output;

public class RunReportTests
{
    [Fact]
    public void The_report_renders_in_a_real_browser_with_every_image_decoded()
    {
        using var tmp = new TempDir();
        var values = Enumerable.Range(0, 40 * 60).Select(i => (float)(i % 60)).ToArray();
        GeneMapPlot.Write(tmp.File("map.png"), new BlockMap("ERBB2", values, 40, 60, 8));
        TrainingCurvePlot.Write(tmp.File("loss.png"), [[1.0, 0.5, 0.25], [1.2, 0.6, 0.2]]);
        var model = new ReportModel { Title = "Istar run: test <sample>" };
        model.Facts.Add(new("pixel size", "0.5 µm/px (Explicit)"));
        model.Warnings.Add("12 spots had non-integer counts");
        model.Figures.Add(new ReportFigure("Gene maps", "ERBB2", tmp.File("map.png")));
        model.Figures.Add(new ReportFigure("Training", "loss", tmp.File("loss.png")));
        model.Tables.Add(new ReportTable("Validation", "held-out Pearson", ["gene", "r"], [["ERBB2", "0.71"]]));
        model.Tables.Add(new ReportTable("Clusters", "Cluster key", ["cluster", "blocks"], [["0", "10"], ["1", "5"]], ["#1f77b4", "#ff7f0e"]));
        string html = tmp.File("report.html");
        RunReport.Write(html, model);

        string text = File.ReadAllText(html);
        Assert.Contains("Istar run: test &lt;sample&gt;", text);
        Assert.DoesNotContain("src=\"map.png\"", text);

        string dom = HeadlessChromium.ScreenshotAndDom(html, tmp.File("shot.png"));
        Assert.Contains("data-broken-images=\"0\"", dom);
        Assert.Contains("<h2>Gene maps</h2>", dom);
        Assert.Contains("<td><span class=\"swatch\" style=\"background:#ff7f0e\"></span></td><td>1</td>", dom);
        using var shot = Image.NewFromFile(tmp.File("shot.png"));
        Assert.Equal(1400, shot.Width);
        Assert.True(shot.Deviate() > 1, "the screenshot should not be a blank page");
    }

    [Fact]
    public void A_missing_figure_file_fails_instead_of_writing_a_broken_page()
    {
        using var tmp = new TempDir();
        var model = new ReportModel { Title = "t" };
        model.Figures.Add(new ReportFigure("Gene maps", "gone", tmp.File("missing.png")));
        Assert.Throws<FileNotFoundException>(() => RunReport.Write(tmp.File("r.html"), model));
        Assert.False(File.Exists(tmp.File("r.html")));
    }
}
