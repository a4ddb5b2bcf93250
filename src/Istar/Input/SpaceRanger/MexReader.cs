using System.Globalization;
using Istar.Input.Text;

namespace Istar.Input.SpaceRanger;

/// <summary>
/// Reads a 10x MEX folder: <c>matrix.mtx</c> (Matrix Market coordinate, features × barcodes, 1-based),
/// <c>barcodes.tsv</c> and <c>features.tsv</c> (or the legacy two-column <c>genes.tsv</c>), each optionally gzipped.
/// </summary>
internal static class MexReader
{
    /// <summary>True when the folder holds a MEX matrix.</summary>
    public static bool IsMex(string folder) => Find(folder, "matrix.mtx") is not null;

    public static CountTable Read(string folder)
    {
        string dir = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        string matrixPath = Find(folder, "matrix.mtx") ?? throw Missing(dir, "matrix.mtx");
        string barcodesPath = Find(folder, "barcodes.tsv") ?? throw Missing(dir, "barcodes.tsv");
        string featuresPath = Find(folder, "features.tsv") ?? Find(folder, "genes.tsv") ?? throw Missing(dir, "features.tsv");

        var barcodes = new List<string>();
        string barcodesName = $"{dir}/{Path.GetFileName(barcodesPath)}";
        using (var reader = TextTable.Open(barcodesPath))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (line.Trim().Length > 0)
                {
                    barcodes.Add(TextTable.Split(line, '\t')[0].Trim());
                }
            }
        }

        var ids = new List<string>();
        var names = new List<string>();
        var types = new List<string?>();
        string featuresName = $"{dir}/{Path.GetFileName(featuresPath)}";
        using (var reader = TextTable.Open(featuresPath))
        {
            string? line;
            int lineNo = 0;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (line.Trim().Length == 0)
                {
                    continue;
                }

                var f = TextTable.Split(line, '\t');
                ids.Add(f[0]);
                names.Add(f.Length > 1 ? f[1] : f[0]);
                types.Add(f.Length > 2 ? f[2] : null);
            }
        }

        string matrixName = $"{dir}/{Path.GetFileName(matrixPath)}";
        var (rows, cols, entries) = ReadCoordinates(matrixPath, matrixName);
        if (rows != ids.Count || cols != barcodes.Count)
        {
            throw new InputException(
                $"{matrixName}, size line",
                string.Create(CultureInfo.InvariantCulture, $"expected {ids.Count} features × {barcodes.Count} barcodes (the lines of {Path.GetFileName(featuresPath)} and {Path.GetFileName(barcodesPath)}), found {rows} × {cols}."),
                "The three MEX files must come from the same Space Ranger run; do not mix filtered and raw files.");
        }

        // Keep Gene Expression features, renumbered.
        var keep = new int[ids.Count];
        var keptIds = new List<string>();
        var keptNames = new List<string>();
        for (int f = 0; f < ids.Count; f++)
        {
            bool isGene = types[f] is null || types[f] == TenXH5Reader.GeneExpression;
            keep[f] = isGene ? keptIds.Count : -1;
            if (isGene)
            {
                keptIds.Add(ids[f]);
                keptNames.Add(names[f]);
            }
        }

        // Coordinates → CSR by barcode (counting sort on the barcode column).
        var rowCounts = new long[cols + 1];
        foreach (var (feature, barcode, _) in entries)
        {
            if (keep[feature] >= 0)
            {
                rowCounts[barcode + 1]++;
            }
        }

        for (int b = 0; b < cols; b++)
        {
            rowCounts[b + 1] += rowCounts[b];
        }

        var ptr = (long[])rowCounts.Clone();
        var next = (long[])rowCounts.Clone();
        var idx = new int[ptr[^1]];
        var val = new float[ptr[^1]];
        foreach (var (feature, barcode, value) in entries)
        {
            if (keep[feature] >= 0)
            {
                long at = next[barcode]++;
                idx[at] = keep[feature];
                val[at] = value;
            }
        }

        var counts = new SparseCounts(cols, keptIds.Count, ptr, idx, val);
        return new CountTable(matrixName, barcodes, counts, keptNames, keptIds, i => $"{barcodesName}, line {(i + 1).ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>The file <paramref name="stem"/> or <paramref name="stem"/>.gz in the folder, or null.</summary>
    public static string? Find(string folder, string stem)
    {
        string plain = Path.Combine(folder, stem);
        if (File.Exists(plain))
        {
            return plain;
        }

        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static InputException Missing(string dir, string file) =>
        new($"{dir}/", $"expected {file} (or {file}.gz) in the MEX folder, found none.", "A MEX folder holds matrix.mtx, barcodes.tsv and features.tsv (or genes.tsv), each optionally gzipped; copy the whole folder from Space Ranger's outs/.");

    private static (int Rows, int Cols, List<(int Feature, int Barcode, float Value)> Entries) ReadCoordinates(string path, string name)
    {
        using var reader = TextTable.Open(path);
        string? line = reader.ReadLine();
        int lineNo = 1;
        if (line is null || !line.StartsWith("%%MatrixMarket", StringComparison.OrdinalIgnoreCase) || !line.Contains("coordinate", StringComparison.OrdinalIgnoreCase))
        {
            throw new InputException($"{name}, line 1", $"expected a '%%MatrixMarket matrix coordinate …' banner, found {TextTable.Quote(line ?? string.Empty)}.", "Pass the matrix.mtx that Space Ranger wrote (sparse coordinate format).");
        }

        while ((line = reader.ReadLine()) is not null && (line.StartsWith('%') || line.Trim().Length == 0))
        {
            lineNo++;
        }

        lineNo++;
        var size = (line ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (size.Length != 3 || !int.TryParse(size[0], CultureInfo.InvariantCulture, out int rows) || !int.TryParse(size[1], CultureInfo.InvariantCulture, out int cols) || !long.TryParse(size[2], CultureInfo.InvariantCulture, out long nnz))
        {
            throw new InputException($"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}", $"expected the size line 'features barcodes entries', found {TextTable.Quote(line ?? string.Empty)}.", "The file is truncated or not a Matrix Market file; copy it again from Space Ranger's outs/.");
        }

        var entries = new List<(int, int, float)>((int)Math.Min(nnz, int.MaxValue));
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            var span = line.AsSpan().Trim();
            if (span.IsEmpty || span[0] == '%')
            {
                continue;
            }

            var parts = new Range[4];
            int n = span.SplitAny(parts, " \t", StringSplitOptions.RemoveEmptyEntries);
            if (n < 3
                || !int.TryParse(span[parts[0]], CultureInfo.InvariantCulture, out int r)
                || !int.TryParse(span[parts[1]], CultureInfo.InvariantCulture, out int c)
                || !double.TryParse(span[parts[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            {
                throw new InputException($"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}", $"expected 'feature barcode value', found {TextTable.Quote(line)}.", "The file is corrupt; copy it again from Space Ranger's outs/.");
            }

            if (r < 1 || r > rows || c < 1 || c > cols)
            {
                throw new InputException($"{name}, line {lineNo.ToString(CultureInfo.InvariantCulture)}", string.Create(CultureInfo.InvariantCulture, $"expected a feature in 1–{rows} and a barcode in 1–{cols}, found {r} and {c}."), "The file is corrupt or belongs to other barcodes/features files.");
            }

            entries.Add((r - 1, c - 1, (float)v));
        }

        return (rows, cols, entries);
    }
}
