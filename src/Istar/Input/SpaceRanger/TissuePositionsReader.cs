using System.Globalization;
using Istar.Input.Text;

namespace Istar.Input.SpaceRanger;

/// <summary>
/// Reads <c>spatial/tissue_positions.csv</c> (Space Ranger 2+, with a header) or <c>tissue_positions_list.csv</c>
/// (1.x, no header): barcode, in_tissue, array_row, array_col, pxl_row_in_fullres, pxl_col_in_fullres.
/// Columns are taken by name when there is a header.
/// </summary>
internal static class TissuePositionsReader
{
    private static readonly string[] Columns = ["barcode", "in_tissue", "array_row", "array_col", "pxl_row_in_fullres", "pxl_col_in_fullres"];

    public static PositionTable Read(string path)
    {
        string name = "spatial/" + Path.GetFileName(path);
        var table = new PositionTable(name);
        using var reader = TextTable.Open(path);
        string? line = reader.ReadLine();
        int lineNo = 1;
        if (line is null)
        {
            throw new InputException(name, "expected one line per spot, found an empty file.", "Copy spatial/ again from Space Ranger's outs/.");
        }

        char sep = TextTable.GuessSeparator(line);
        int[] at = [0, 1, 2, 3, 4, 5];
        var first = TextTable.Split(line, sep);
        bool hasHeader = first[0].Trim().Equals("barcode", StringComparison.OrdinalIgnoreCase)
            || !double.TryParse(first.Length > 1 ? first[1] : string.Empty, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (hasHeader)
        {
            var header = first.Select(f => f.Trim()).ToList();
            for (int c = 0; c < Columns.Length; c++)
            {
                at[c] = header.FindIndex(h => h.Equals(Columns[c], StringComparison.OrdinalIgnoreCase));
                if (at[c] < 0)
                {
                    throw new InputException($"{name}, line 1", $"expected a column '{Columns[c]}', found the columns {string.Join(", ", header)}.", "Space Ranger's header is barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres.");
                }
            }

            line = reader.ReadLine();
            lineNo++;
        }

        int need = at.Max() + 1;
        for (; line is not null; line = reader.ReadLine(), lineNo++)
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var f = TextTable.Split(line, sep);
            string where = $"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}";
            if (f.Length < need)
            {
                throw new InputException(where, $"expected {need} comma-separated fields (barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres), found {f.Length}.", "The file is truncated or not a Space Ranger positions file.");
            }

            double row = Number(f[at[4]], where, "pxl_row_in_fullres");
            double col = Number(f[at[5]], where, "pxl_col_in_fullres");
            bool inTissue = Number(f[at[1]], where, "in_tissue") != 0;
            table.Add(f[at[0]].Trim(), new SpotPosition(new FullResPoint(col, row), inTissue, lineNo, where));
        }

        return table;
    }

    private static double Number(string field, string where, string column)
    {
        if (double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return v;
        }

        throw new InputException($"{where}, {column}", $"expected a number, found {TextTable.Quote(field)}.", "The file is corrupt or not a Space Ranger positions file.");
    }
}
