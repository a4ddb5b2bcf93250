using System.Globalization;
using Istar.Input.Text;

namespace Istar.Input;

/// <summary>Where the parts of a sample came from, so problems can name the file, line and field.</summary>
internal sealed record ValidationContext(
    string CountsLocation,
    Func<int, string> SpotLocation,
    string PositionsLocation,
    string? ImageLocation,
    int? ImageWidth,
    int? ImageHeight,
    ScaleFactors? ScaleFactors,
    string? SpotDiameterLocation)
{
    public static ValidationContext For(SpotSample sample, int? width, int? height)
    {
        string source = Path.GetFileName(Path.TrimEndingDirectorySeparator(sample.SourcePath));
        return new ValidationContext(source, i => $"{source}, spot {sample.SpotIds[i]}", source, sample.SlidePath is null ? null : Path.GetFileName(sample.SlidePath), width, height, null, null);
    }
}

/// <summary>
/// Checks a sample before any slow stage: empty inputs, duplicate ids, counts that are not raw counts, an implausible
/// pixel size, spots outside the image (and the common cause: a hires/lowres PNG given for the full-res slide).
/// Every problem names the file, line or field, what was expected and found, and the fix.
/// </summary>
public static class SampleValidator
{
    private const int MaxExamples = 3;

    /// <summary>Validates a sample; opens its slide (header only) to check that the spots fall inside it.</summary>
    public static InputReport Validate(SpotSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var report = new InputReport();
        var header = sample.SlidePath is null ? null : SlideProbe.TryRead(sample.SlidePath, report);
        Validate(sample, ValidationContext.For(sample, header?.Width, header?.Height), report);
        return report;
    }

    internal static void Validate(SpotSample sample, ValidationContext context, InputReport report)
    {
        if (!CheckNotEmpty(sample, context, report))
        {
            return;
        }

        CheckDuplicateSpots(sample, context, report);
        CheckDuplicateGenes(sample, context, report);
        CheckCounts(sample, context, report);
        CheckPixelSize(sample.PixelSize, report);
        CheckSpotDiameter(sample, context, report);
        CheckCentres(sample, context, report);
    }

    /// <summary>
    /// Makes names unique as scanpy's <c>var_names_make_unique</c> does: the second occurrence of "A" becomes "A-1",
    /// the third "A-2", skipping suffixes already taken. Adds one warning listing the duplicated names.
    /// </summary>
    internal static IReadOnlyList<string> MakeGeneNamesUnique(IReadOnlyList<string> names, string location, InputReport report)
    {
        var seen = new HashSet<string>(names, StringComparer.Ordinal);
        if (seen.Count == names.Count)
        {
            return names;
        }

        var result = new string[names.Count];
        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        var nextSuffix = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicated = new List<string>();
        for (int i = 0; i < names.Count; i++)
        {
            string name = names[i];
            if (firstSeen.Add(name))
            {
                result[i] = name;
                continue;
            }

            if (!nextSuffix.TryGetValue(name, out int k))
            {
                duplicated.Add(name);
                k = 1;
            }

            string candidate;
            do
            {
                candidate = string.Create(CultureInfo.InvariantCulture, $"{name}-{k}");
                k++;
            }
            while (seen.Contains(candidate));

            nextSuffix[name] = k;
            seen.Add(candidate);
            result[i] = candidate;
        }

        int repeats = names.Count - firstSeen.Count;
        report.Warn(
            location,
            $"expected unique gene names, found {TextTable.Count(repeats)} repeated name(s) of {TextTable.Count(duplicated.Count)} gene(s), e.g. {TextTable.Examples(duplicated)}.",
            $"They were made unique as scanpy does (the second {duplicated[0]} is now {duplicated[0]}-1); use the gene ids if you need the originals.");
        return result;
    }

    private static bool CheckNotEmpty(SpotSample sample, ValidationContext context, InputReport report)
    {
        bool ok = true;
        if (sample.SpotCount == 0)
        {
            report.Fail(context.CountsLocation, "expected at least one spot, found none.", "The count matrix has no spot rows that have positions; check that the counts and positions belong to the same sample.");
            ok = false;
        }
        else if (sample.InTissueCount == 0)
        {
            report.Fail(context.PositionsLocation, $"expected at least one in-tissue spot, found none of {TextTable.Count(sample.SpotCount)} spots flagged in tissue.", "Check the tissue detection (in_tissue column), or pass --all-spots to keep every spot.");
            ok = false;
        }

        if (sample.GeneCount == 0)
        {
            report.Fail(context.CountsLocation, "expected at least one gene, found none.", "The matrix has no Gene Expression features; pass the gene expression count matrix.");
            ok = false;
        }

        return ok;
    }

    private static void CheckDuplicateSpots(SpotSample sample, ValidationContext context, InputReport report)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeats = new List<int>();
        for (int i = 0; i < sample.SpotCount; i++)
        {
            if (!seen.Add(sample.SpotIds[i]))
            {
                repeats.Add(i);
            }
        }

        if (repeats.Count > 0)
        {
            report.Fail(
                context.SpotLocation(repeats[0]),
                $"expected unique spot ids, found {TextTable.Count(repeats.Count)} repeated id(s), e.g. {TextTable.Examples(repeats.Select(i => $"{sample.SpotIds[i]} ({context.SpotLocation(i)})"))}.",
                "Each spot must appear once; remove the repeated rows or give the spots distinct ids.");
        }
    }

    private static void CheckDuplicateGenes(SpotSample sample, ValidationContext context, InputReport report)
    {
        var dup = sample.GeneNames.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (dup.Count > 0)
        {
            report.Warn(context.CountsLocation, $"expected unique gene names, found {TextTable.Count(dup.Count)} repeated, e.g. {TextTable.Examples(dup)}.", "Make them unique (scanpy: var_names_make_unique) before the run, or genes will be ambiguous.");
        }
    }

    private static void CheckCounts(SpotSample sample, ValidationContext context, InputReport report)
    {
        var counts = sample.Counts;
        long nonFinite = 0, negative = 0, fractional = 0;
        (int Row, long K)? firstNonFinite = null, firstNegative = null, firstFraction = null;
        for (int r = 0; r < counts.Rows; r++)
        {
            for (long k = counts.RowPointers[r]; k < counts.RowPointers[r + 1]; k++)
            {
                float v = counts.Values[k];
                if (!float.IsFinite(v))
                {
                    nonFinite++;
                    firstNonFinite ??= (r, k);
                }
                else if (v < 0)
                {
                    negative++;
                    firstNegative ??= (r, k);
                }
                else if (v != MathF.Floor(v))
                {
                    fractional++;
                    firstFraction ??= (r, k);
                }
            }
        }

        string Example((int Row, long K) at) =>
            $"{counts.Values[at.K].ToString("G6", CultureInfo.InvariantCulture)} for gene {sample.GeneNames[counts.ColumnIndices[at.K]]} at {context.SpotLocation(at.Row)}";
        if (firstNonFinite is { } nf)
        {
            report.Fail(context.SpotLocation(nf.Row), $"expected finite counts, found {TextTable.Count(nonFinite)} NaN or infinite value(s), e.g. {Example(nf)}.", "Pass raw UMI counts; NaN usually comes from a normalisation or a failed merge.");
        }

        if (firstNegative is { } ng)
        {
            report.Fail(context.SpotLocation(ng.Row), $"expected non-negative counts, found {TextTable.Count(negative)} negative value(s), e.g. {Example(ng)}.", "Pass raw UMI counts, not scaled or centred values (scanpy's pp.scale makes negatives).");
        }

        if (firstFraction is { } fr)
        {
            long stored = counts.Values.LongLength;
            report.Warn(
                context.CountsLocation,
                string.Create(CultureInfo.InvariantCulture, $"expected raw integer counts, found {TextTable.Count(fractional)} of {TextTable.Count(stored)} non-zero values ({(double)fractional / stored:P1}) with a fraction, e.g. {Example(fr)}."),
                "iStar expects raw UMI counts; pass the raw counts (adata.raw or layers['counts']), not normalised or log values.");
        }
    }

    private static void CheckPixelSize(PixelSize pixelSize, InputReport report)
    {
        if (pixelSize.IsPlausible)
        {
            return;
        }

        string where = pixelSize.Source == PixelSizeSource.Explicit ? pixelSize.Detail : $"pixel size ({pixelSize.Source}: {pixelSize.Detail})";
        report.Fail(
            where,
            string.Create(CultureInfo.InvariantCulture, $"expected {PixelSize.MinPlausible}–{PixelSize.MaxPlausible} µm/px, found {pixelSize.MicronsPerPixel:G4}."),
            "The pixel size is µm per full-resolution pixel (H&E scans are about 0.25–1); for Visium it is 55 / spot_diameter_fullres. Pass the right value with --pixel-size.");
    }

    private static void CheckSpotDiameter(SpotSample sample, ValidationContext context, InputReport report)
    {
        double d = sample.SpotDiameterPixels;
        if (!double.IsFinite(d) || d <= 0)
        {
            report.Fail(
                context.SpotDiameterLocation ?? "spot diameter",
                $"expected a positive spot diameter in pixels, found {d.ToString("G4", CultureInfo.InvariantCulture)}.",
                "Give the spot size: radius-raw.txt holds the radius in full-res pixels; Space Ranger's scalefactors_json.json holds spot_diameter_fullres.");
        }
    }

    private static void CheckCentres(SpotSample sample, ValidationContext context, InputReport report)
    {
        var bad = Enumerable.Range(0, sample.SpotCount).Where(i => !double.IsFinite(sample.Centres[i].X) || !double.IsFinite(sample.Centres[i].Y)).ToList();
        if (bad.Count > 0)
        {
            report.Fail(context.PositionsLocation, $"expected finite spot centres, found {TextTable.Count(bad.Count)} spot(s) without, e.g. {TextTable.Examples(bad.Select(i => sample.SpotIds[i]))}.", "Every spot needs a pixel position; remove spots with missing coordinates.");
            return;
        }

        if (context.ImageWidth is not int w || context.ImageHeight is not int h)
        {
            return;
        }

        var outside = Enumerable.Range(0, sample.SpotCount)
            .Where(i => sample.Centres[i].X < 0 || sample.Centres[i].Y < 0 || sample.Centres[i].X >= w || sample.Centres[i].Y >= h)
            .ToList();
        if (outside.Count == 0)
        {
            return;
        }

        string examples = TextTable.Examples(outside.Select(i => string.Create(CultureInfo.InvariantCulture, $"{sample.SpotIds[i]} at ({sample.Centres[i].X:N0}, {sample.Centres[i].Y:N0})")));
        report.Fail(
            context.PositionsLocation,
            string.Create(CultureInfo.InvariantCulture, $"expected spot centres inside the image {context.ImageLocation} ({w:N0} × {h:N0} px), found {TextTable.Count(outside.Count)} of {TextTable.Count(sample.SpotCount)} spots outside, e.g. {examples}."),
            OutsideHint(sample, context, w, h));
    }

    private static string OutsideHint(SpotSample sample, ValidationContext context, int w, int h)
    {
        double maxX = sample.Centres.Max(c => c.X), maxY = sample.Centres.Max(c => c.Y);
        double minX = sample.Centres.Min(c => c.X), minY = sample.Centres.Min(c => c.Y);
        const string fix = "Pass the full-resolution slide the positions refer to with --image.";
        var sf = context.ScaleFactors;
        string name = context.ImageLocation ?? "the image";
        if (minX >= 0 && minY >= 0)
        {
            bool Fits(double? scale) => scale is double s && s > 0 && maxX * s <= w * 1.03 && maxY * s <= h * 1.03;
            if (Fits(sf?.TissueLowresScalef) && Math.Max(w, h) <= 650)
            {
                return $"{name} looks like Space Ranger's lowres image (tissue_lowres_image.png): the spots fit it only after scaling by tissue_lowres_scalef ({TextTable.Number(sf!.TissueLowresScalef!.Value)}). " + fix;
            }

            if (Fits(sf?.TissueHiresScalef) && Math.Max(w, h) <= 2100)
            {
                return $"{name} looks like Space Ranger's hires image (tissue_hires_image.png): the spots fit it only after scaling by tissue_hires_scalef ({TextTable.Number(sf!.TissueHiresScalef!.Value)}). " + fix;
            }

            double factor = Math.Max(maxX / w, maxY / h);
            if (factor > 1.5)
            {
                string kind = name.Contains("hires", StringComparison.OrdinalIgnoreCase) ? "Space Ranger's hires PNG"
                    : name.Contains("lowres", StringComparison.OrdinalIgnoreCase) ? "Space Ranger's lowres PNG"
                    : "a downscaled copy (Space Ranger's tissue_hires_image.png or tissue_lowres_image.png, or a thumbnail)";
                return string.Create(CultureInfo.InvariantCulture, $"The spots reach ({maxX:N0}, {maxY:N0}), about {factor:0.#}× the image size: {name} looks like {kind}, not the full-resolution slide. ") + fix;
            }

            if (maxY < w && maxX < h)
            {
                return "The spots fit the image with x and y exchanged: put the image column in x (pixel_x, pxl_col_in_fullres) and the row in y.";
            }
        }
        else
        {
            return "Some centres are negative, so the positions are not in this image's pixel frame (Giotto, for example, stores y as −row). " + fix;
        }

        return "The positions and the image do not match: the image may be cropped or belong to another section. " + fix;
    }
}
