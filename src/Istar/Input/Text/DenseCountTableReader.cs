using System.Globalization;

namespace Istar.Input.Text;

/// <summary>
/// Reads a dense spots × genes table (iStar's <c>cnts.tsv</c>, legacy ST's <c>&lt;id&gt;.tsv.gz</c>): a header of
/// gene names after one index cell, then one row per spot whose first field is the spot id.
/// </summary>
internal static class DenseCountTableReader
{
    public static CountTable Read(string path, string? fix = null)
    {
        string name = Path.GetFileName(path);
        using var reader = TextTable.Open(path);
        string? header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            throw new InputException($"{name}, line 1", "expected a header row of gene names, found an empty file.", fix ?? "Write the counts with spots as rows and genes as columns, the first column being the spot id.");
        }

        char sep = TextTable.GuessSeparator(header);
        var genes = TextTable.Split(header, sep).Skip(1).ToArray();
        if (genes.Length == 0)
        {
            throw new InputException($"{name}, line 1", $"expected a header of gene names after the spot-id column, found {TextTable.Quote(header)}.", "Separate the columns with tabs, spots as rows and genes as columns.");
        }

        var ids = new List<string>();
        var lines = new List<int>();
        var ptr = new List<long> { 0 };
        var idx = new List<int>();
        var val = new List<float>();
        int lineNo = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            var rest = line.AsSpan().TrimEnd('\r');
            if (rest.IsWhiteSpace())
            {
                continue;
            }

            int cut = rest.IndexOf(sep);
            string id = TextTable.Unquote((cut < 0 ? rest : rest[..cut]).ToString());
            rest = cut < 0 ? [] : rest[(cut + 1)..];
            int column = 0;
            while (true)
            {
                int next = rest.IndexOf(sep);
                var field = next < 0 ? rest : rest[..next];
                if (column >= genes.Length)
                {
                    throw FieldCount(name, lineNo, id, genes.Length, CountFields(line, sep) - 1);
                }

                float value = Parse(field, name, lineNo, id, genes[column]);
                if (value != 0)
                {
                    idx.Add(column);
                    val.Add(value);
                }

                column++;
                if (next < 0)
                {
                    break;
                }

                rest = rest[(next + 1)..];
            }

            if (column != genes.Length)
            {
                throw FieldCount(name, lineNo, id, genes.Length, column);
            }

            ids.Add(id);
            lines.Add(lineNo);
            ptr.Add(idx.Count);
        }

        var counts = new SparseCounts(ids.Count, genes.Length, [.. ptr], [.. idx], [.. val]);
        var lineOf = lines.ToArray();
        return new CountTable(name, ids, counts, genes, genes, i => $"{name}, line {lineOf[i].ToString(CultureInfo.InvariantCulture)}");
    }

    private static InputException FieldCount(string name, int lineNo, string id, int expected, int found) =>
        new(
            $"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)} (spot {id})",
            $"expected {TextTable.Count(expected)} counts (one per gene in the header), found {TextTable.Count(found)}.",
            "Every row needs the spot id and then one value per header gene; check for a truncated file or a stray separator.");

    private static int CountFields(string line, char sep) => line.Count(c => c == sep) + 1;

    private static float Parse(ReadOnlySpan<char> field, string name, int lineNo, string id, string gene)
    {
        var f = field.Trim().Trim('"');
        if (int.TryParse(f, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i))
        {
            return i;
        }

        if (double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return (float)d;
        }

        // pandas writes these spellings; keep them so validation can report them as non-finite counts.
        switch (f.ToString().ToUpperInvariant())
        {
            case "NAN":
                return float.NaN;
            case "INF":
            case "+INF":
            case "INFINITY":
                return float.PositiveInfinity;
            case "-INF":
            case "-INFINITY":
                return float.NegativeInfinity;
        }

        throw new InputException(
            $"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}, gene {gene} (spot {id})",
            $"expected a count (a number), found {TextTable.Quote(f.ToString())}.",
            "The table must hold only numbers after the spot-id column; remove text columns such as annotations.");
    }
}
