using System.Globalization;
using Istar.Input.Text;

namespace Istar.Input;

/// <summary>
/// Turns what a reader found into a <see cref="SpotSample"/>: joins counts and positions by spot id (never by
/// order), keeps in-tissue spots unless asked for all, makes gene names unique, resolves the pixel size and the
/// spot diameter, and validates the result. Every problem goes into the report.
/// </summary>
internal static class SampleAssembler
{
    public static SpotSample? Assemble(SampleParts parts, SampleSource source, InputReport report)
    {
        foreach (var p in parts.Problems)
        {
            report.Add(p);
        }

        var counts = parts.Counts;
        var positions = parts.Positions;
        if (positions.Duplicates.Count > 0)
        {
            report.Fail(
                positions.Duplicates[0].Location,
                $"expected unique spot ids, found {TextTable.Count(positions.Duplicates.Count)} repeated id(s), e.g. {TextTable.Examples(positions.Duplicates.Select(d => $"{d.Id} ({d.Location})"))}.",
                "Each spot must appear once in the positions; remove the repeated rows.");
        }

        // Join by id.
        var joined = new List<int>();
        var missing = new List<int>();
        var countIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < counts.SpotIds.Count; i++)
        {
            countIds.Add(counts.SpotIds[i]);
            (positions.TryGet(counts.SpotIds[i], out _) ? joined : missing).Add(i);
        }

        if (missing.Count > 0)
        {
            report.Fail(
                counts.Location,
                $"expected every spot to have a position in {positions.Location}, found {TextTable.Count(missing.Count)} of {TextTable.Count(counts.SpotIds.Count)} without one, e.g. {TextTable.Examples(missing.Select(i => $"{counts.SpotIds[i]} ({counts.SpotLocation(i)})"))}.",
                JoinHint(counts, positions, joined.Count));
        }

        if (!parts.ExtraPositionsExpected)
        {
            var extra = positions.Ids.Where(id => !countIds.Contains(id)).ToList();
            if (extra.Count > 0)
            {
                report.Warn(
                    positions.Location,
                    $"expected every position to have counts in {counts.Location}, found {TextTable.Count(extra.Count)} without, e.g. {TextTable.Examples(extra)}.",
                    "Those positions are ignored.");
            }
        }

        if (parts.OrderMatters && missing.Count == 0 && !positions.Ids.Where(countIds.Contains).SequenceEqual(counts.SpotIds.Distinct(StringComparer.Ordinal)))
        {
            report.Warn(
                positions.Location,
                $"expected the rows in the same order as {counts.Location}, found another order.",
                "Joined by spot id here; the original iStar pairs the rows by order and would mix the spots up, so sort both files the same way before using them there.");
        }

        // In-tissue filter.
        var rows = joined;
        if (!source.AllSpots && parts.HasInTissueFlag)
        {
            rows = joined.Where(i => positions.TryGet(counts.SpotIds[i], out var p) && p.InTissue).ToList();
            if (joined.Count > 0 && rows.Count == 0)
            {
                report.Fail(
                    positions.Location,
                    $"expected at least one in-tissue spot, found none of the {TextTable.Count(joined.Count)} spots with counts flagged in tissue.",
                    "Check the tissue detection of this sample, or pass --all-spots to keep every spot.");
                return null;
            }
        }

        var geneNames = SampleValidator.MakeGeneNamesUnique(counts.GeneNames, counts.Location, report);
        CheckGenePanel(parts, geneNames, report);

        // Image header and pixel size.
        SlideHeader? slide = null;
        if (parts.ImagePath is null)
        {
            report.Warn(
                "image",
                "expected the full-resolution H&E slide, found none given.",
                "Spots were not checked against the image and its metadata could not give the pixel size; pass the slide with --image.");
        }
        else
        {
            slide = SlideProbe.TryRead(parts.ImagePath, report);
        }

        var candidates = new List<PixelSize>();
        if (source.MicronsPerPixel is double given)
        {
            candidates.Add(new PixelSize(given, PixelSizeSource.Explicit, "--pixel-size"));
        }

        candidates.AddRange(parts.PixelSizes);
        if (slide?.MetadataMicronsPerPixel is double meta)
        {
            candidates.Add(new PixelSize(meta, PixelSizeSource.ImageMetadata, $"metadata of {Path.GetFileName(slide.Path)}"));
        }

        if (parts.SpotDiameterPixels is double diameter && PixelSizeResolver.FromSpotDiameter(parts.Platform, diameter, parts.SpotDiameterLocation ?? "the input") is { } fromSpot)
        {
            candidates.Add(fromSpot);
        }

        var pixelSize = PixelSizeResolver.Resolve(candidates, report);
        if (pixelSize is null)
        {
            report.Fail(
                "pixel size",
                $"expected a pixel size (µm per full-resolution pixel), found none: no --pixel-size, no pixel-size file, no image metadata, and no spot size for platform {parts.Platform}.",
                "Pass --pixel-size (Visium: 55 / spot_diameter_fullres), or --platform visium|legacy-st so the spot diameter gives it.");
            return null;
        }

        double spotDiameter = parts.SpotDiameterPixels
            ?? (PixelSizeResolver.SpotDiameterMicrons(parts.Platform) is double microns ? microns / pixelSize.Value.MicronsPerPixel : double.NaN);
        string? spotDiameterLocation = parts.SpotDiameterLocation
            ?? (double.IsFinite(spotDiameter) ? null : "spot diameter");

        if (parts.MaskPath is not null && slide is not null && SlideProbe.TryRead(parts.MaskPath, report) is { } mask
            && (mask.Width != slide.Width || mask.Height != slide.Height))
        {
            report.Fail(
                Path.GetFileName(parts.MaskPath),
                string.Create(CultureInfo.InvariantCulture, $"expected the mask to be the size of {Path.GetFileName(slide.Path)} ({slide.Width:N0} × {slide.Height:N0} px), found {mask.Width:N0} × {mask.Height:N0} px."),
                "mask-raw.png must be drawn on the full-resolution image (>0 = tissue); resize it to the image or remove it.");
        }

        var spotIds = rows.Select(i => counts.SpotIds[i]).ToArray();
        var centres = new FullResPoint[rows.Count];
        var inTissue = new bool[rows.Count];
        var positionLocations = new string[rows.Count];
        for (int k = 0; k < rows.Count; k++)
        {
            positions.TryGet(spotIds[k], out var p);
            centres[k] = p.Centre;
            inTissue[k] = p.InTissue;
            positionLocations[k] = p.Location;
        }

        var sample = new SpotSample(
            spotIds,
            counts.Counts.SelectRows(rows),
            geneNames,
            counts.GeneIds,
            centres,
            inTissue,
            spotDiameter,
            pixelSize.Value,
            parts.ImagePath is null ? null : Path.GetFullPath(parts.ImagePath),
            parts.Platform,
            parts.Format,
            parts.SourcePath)
        {
            GenePanel = parts.GenePanel?.Where(g => g.Length > 0).ToList(),
            MaskPath = parts.MaskPath,
        };

        var rowsArray = rows.ToArray();
        var context = new ValidationContext(
            counts.Location,
            k => counts.SpotLocation(rowsArray[k]),
            positions.Location,
            slide is null ? null : Path.GetFileName(slide.Path),
            slide?.Width,
            slide?.Height,
            parts.ScaleFactors,
            spotDiameterLocation);
        SampleValidator.Validate(sample, context, report);
        sample.Warnings = [.. report.Warnings];
        return sample;
    }

    private static string JoinHint(CountTable counts, PositionTable positions, int joined)
    {
        const string same = "Counts and positions are matched by spot id, exactly (case and suffixes such as -1 matter); check that both files come from the same sample.";
        if (joined > 0 || counts.SpotIds.Count == 0 || positions.Count == 0)
        {
            return same;
        }

        string c = counts.SpotIds[0];
        string p = positions.Ids[0];
        return $"No id matched at all: the counts use ids like {c} and the positions ids like {p}. " + same;
    }

    private static void CheckGenePanel(SampleParts parts, IReadOnlyList<string> geneNames, InputReport report)
    {
        if (parts.GenePanel is null)
        {
            return;
        }

        var known = new HashSet<string>(geneNames, StringComparer.Ordinal);
        var unknown = parts.GenePanel
            .Select((g, i) => (Gene: g, Line: i + 1))
            .Where(x => x.Gene.Length > 0 && !known.Contains(x.Gene))
            .ToList();
        if (unknown.Count > 0)
        {
            report.Fail(
                $"{parts.GenePanelLocation}, line {unknown[0].Line.ToString(CultureInfo.InvariantCulture)}",
                $"expected genes of {parts.Counts.Location}, found {TextTable.Count(unknown.Count)} unknown: {string.Join(", ", unknown.Take(10).Select(u => $"{u.Gene} (line {u.Line.ToString(CultureInfo.InvariantCulture)})"))}{(unknown.Count > 10 ? ", …" : string.Empty)}.",
                "Gene names must match the counts' column names exactly (case matters); fix or remove those lines.");
        }
    }
}
