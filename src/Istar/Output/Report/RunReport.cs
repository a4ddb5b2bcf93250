using System.Net;
using System.Text;
using Istar.Pipeline;

namespace Istar.Output.Report;

/// <summary>
/// Writes one self-contained HTML page per run: every figure is embedded as a data URI so the page can be mailed
/// or archived alone.
/// </summary>
internal static class RunReport
{
    public static void Write(string path, ReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<title>").Append(Encode(model.Title)).Append("</title>");
        html.Append("""
            <style>
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1500px;color:#222;padding:0 1em}
            h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
            th{background:#f4f4f4}figure{display:inline-block;margin:.5em;vertical-align:top}
            figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#555}
            .warn{background:#fff4e0;border-left:4px solid #f0a020;padding:.4em .8em;margin:.3em 0}
            .swatch{display:inline-block;width:1em;height:1em;border:1px solid #999;vertical-align:middle}
            </style></head><body>
            """);
        html.Append("<h1>").Append(Encode(model.Title)).Append("</h1>\n");
        foreach (string section in ReportModel.Sections)
        {
            var figures = model.Figures.Where(f => f.Section == section).ToList();
            var tables = model.Tables.Where(t => t.Section == section).ToList();
            bool facts = section == "Inputs" && (model.Facts.Count > 0 || model.Warnings.Count > 0);
            if (figures.Count == 0 && tables.Count == 0 && !facts)
            {
                continue;
            }

            html.Append("<section id=\"").Append(Encode(section.ToLowerInvariant().Replace(' ', '-'))).Append("\"><h2>")
                .Append(Encode(section)).Append("</h2>\n");
            if (facts)
            {
                html.Append("<table>");
                foreach (var (key, value) in model.Facts)
                {
                    html.Append("<tr><th>").Append(Encode(key)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>");
                }

                html.Append("</table>\n");
                foreach (string w in model.Warnings)
                {
                    html.Append("<div class=\"warn\">").Append(Encode(w)).Append("</div>\n");
                }
            }

            foreach (var t in tables)
            {
                html.Append("<p>").Append(Encode(t.Caption)).Append("</p><table><tr>");
                if (t.Swatches is not null)
                {
                    html.Append("<th></th>");
                }

                foreach (string h in t.Header)
                {
                    html.Append("<th>").Append(Encode(h)).Append("</th>");
                }

                html.Append("</tr>");
                for (int r = 0; r < t.Rows.Count; r++)
                {
                    var row = t.Rows[r];
                    html.Append("<tr>");
                    if (t.Swatches is not null)
                    {
                        html.Append("<td><span class=\"swatch\" style=\"background:").Append(Encode(t.Swatches[r])).Append("\"></span></td>");
                    }

                    foreach (string cell in row)
                    {
                        html.Append("<td>").Append(Encode(cell)).Append("</td>");
                    }

                    html.Append("</tr>");
                }

                html.Append("</table>\n");
            }

            foreach (var f in figures)
            {
                string data = Convert.ToBase64String(File.ReadAllBytes(f.PngPath));
                html.Append("<figure><img alt=\"").Append(Encode(f.Caption)).Append("\" src=\"data:image/png;base64,")
                    .Append(data).Append("\"><figcaption>").Append(Encode(f.Caption)).Append("</figcaption></figure>\n");
            }

            html.Append("</section>\n");
        }

        html.Append("<footer><p>Istar ").Append(Encode(IstarInfo.Version)).Append("</p></footer>");
        // Lets a headless browser (and a curious user) see whether every figure decoded.
        html.Append("<script>window.addEventListener('load',function(){var b=0;for(var i=0;i<document.images.length;i++){var m=document.images[i];if(!m.complete||m.naturalWidth===0){b++;}}document.body.setAttribute('data-broken-images',String(b));});</script>");
        html.Append("</body></html>\n");
        AtomicFile.Write(path, tmp => File.WriteAllText(tmp, html.ToString(), new UTF8Encoding(false)));
    }

    private static string Encode(string s) => WebUtility.HtmlEncode(s);
}
