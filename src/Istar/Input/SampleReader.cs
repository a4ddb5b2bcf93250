using Istar.Input.IstarFolder;
using Istar.Input.LegacySt;
using Istar.Input.SpaceRanger;

namespace Istar.Input;

/// <summary>
/// The one entry point for reading spot-level input: detects the format (Space Ranger outs, iStar data folder,
/// legacy ST counts + selection, spot AnnData), reads it, joins counts and positions by spot id, resolves the pixel
/// size and validates the result.
/// </summary>
public static class SampleReader
{
    /// <summary>
    /// Reads and validates a sample. Throws <see cref="InputException"/> listing every error; warnings are on
    /// <see cref="SpotSample.Warnings"/>.
    /// </summary>
    public static SpotSample Read(SampleSource source)
    {
        var report = new InputReport();
        var sample = TryRead(source, report);
        report.ThrowIfErrors();
        return sample!;
    }

    /// <summary>
    /// Reads and validates a sample, collecting every problem into <paramref name="report"/> instead of throwing for
    /// bad input. Returns null when the errors leave no sample to show; a sample may be returned alongside errors.
    /// </summary>
    public static SpotSample? TryRead(SampleSource source, InputReport report)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(report);
        try
        {
            var format = source.Format ?? Detect(source.Path);
            if (format == SampleFormat.SpotAnnData)
            {
                return ReadSpotAnnData(source, report);
            }

            var parts = format switch
            {
                SampleFormat.SpaceRanger => SpaceRangerReader.Read(source),
                SampleFormat.IstarFolder => IstarFolderReader.Read(source),
                SampleFormat.LegacySt => LegacyStReader.Read(source),
                _ => throw new InputException(source.Path, $"expected an input format to read, found {format}.", "Simulated samples are made in memory, not read."),
            };
            return SampleAssembler.Assemble(parts, source, report);
        }
        catch (InputException e)
        {
            foreach (var p in e.Problems)
            {
                report.Add(p);
            }

            return null;
        }
    }

    /// <summary>
    /// Says which reader fits the path. Throws <see cref="InputException"/> naming the accepted layouts when none does.
    /// </summary>
    public static SampleFormat Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new InputException(path, "expected an input file or folder, found nothing at this path.", "Check the path; pass a Space Ranger outs/ folder, an iStar data folder, a legacy ST counts .tsv(.gz) or a spot .h5ad.");
        }

        if (File.Exists(path) && path.EndsWith(".h5ad", StringComparison.OrdinalIgnoreCase))
        {
            return SampleFormat.SpotAnnData;
        }

        if (IstarFolderReader.Looks(path))
        {
            return SampleFormat.IstarFolder;
        }

        if (SpaceRangerReader.Looks(path))
        {
            return SampleFormat.SpaceRanger;
        }

        if (LegacyStReader.Looks(path))
        {
            return SampleFormat.LegacySt;
        }

        throw new InputException(
            path,
            "expected a known input layout, found none.",
            "Accepted: a Space Ranger outs/ folder (or the folder holding it, or its filtered_feature_bc_matrix.h5 / MEX folder); an iStar folder with cnts.tsv and locs-raw.tsv; a legacy ST counts .tsv(.gz) with <x>x<y> spot ids; a spot-level .h5ad.");
    }

    private static SpotSample ReadSpotAnnData(SampleSource source, InputReport report)
    {
        var sample = ReadSpotAnnDataFile(source.Path, source.ImagePath);
        var validation = SampleValidator.Validate(sample);
        foreach (var p in validation.Problems)
        {
            report.Add(p);
        }

        sample.Warnings = [.. sample.Warnings, .. validation.Warnings];
        return sample;
    }

    private static SpotSample ReadSpotAnnDataFile(string h5adPath, string? imagePath) =>
        Istar.Input.SpotAnnData.SpotAnnDataReader.Read(h5adPath, imagePath);
}
