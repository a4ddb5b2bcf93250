using System.CommandLine;
using System.Globalization;
using Istar.Cli.Terminal;
using Istar.Input;

namespace Istar.Cli.Commands;

/// <summary><c>istar inspect</c>: reads and validates the input, prints what was read and every problem.</summary>
internal sealed class InspectCommand : ICliCommand
{
    public Command Build()
    {
        var input = new Argument<string>("input")
        {
            Description = "Space Ranger outs/ (or its parent, or a matrix .h5 / MEX folder in it), an iStar data folder, a legacy ST counts .tsv(.gz), or a spot .h5ad",
        };
        var image = new Option<string?>("--image") { Description = "Full-resolution H&E slide (TIFF/SVS/JPEG/PNG) the spot positions refer to" };
        var pixelSize = new Option<double?>("--pixel-size") { Description = "µm per full-resolution pixel; overrides metadata and the spot-size estimate" };
        var allSpots = new Option<bool>("--all-spots") { Description = "Keep every spot, not only the in-tissue ones" };
        var rawMatrix = new Option<bool>("--raw-matrix") { Description = "Space Ranger: read raw_feature_bc_matrix instead of filtered_feature_bc_matrix" };
        var selection = new Option<string?>("--selection") { Description = "Legacy ST: the <section>_selection.tsv spot table, if not beside the counts" };
        var platform = new Option<string?>("--platform") { Description = "visium | legacy-st | other: the spot size, for inputs that do not say (iStar folders)" };
        platform.AcceptOnlyFromAmong("visium", "legacy-st", "other");
        var format = new Option<string?>("--format") { Description = "Force the reader: spaceranger | istar | legacy-st | h5ad" };
        format.AcceptOnlyFromAmong("spaceranger", "istar", "legacy-st", "h5ad");

        var command = new Command("inspect", "Read and check the input; print what was read, the pixel size and its source, and every problem");
        command.Arguments.Add(input);
        command.Options.Add(image);
        command.Options.Add(pixelSize);
        command.Options.Add(allSpots);
        command.Options.Add(rawMatrix);
        command.Options.Add(selection);
        command.Options.Add(platform);
        command.Options.Add(format);
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var source = new SampleSource(parse.GetValue(input)!)
            {
                ImagePath = parse.GetValue(image),
                MicronsPerPixel = parse.GetValue(pixelSize),
                AllSpots = parse.GetValue(allSpots),
                RawMatrix = parse.GetValue(rawMatrix),
                SelectionPath = parse.GetValue(selection),
                Platform = parse.GetValue(platform) switch
                {
                    "visium" => SpotPlatform.Visium,
                    "legacy-st" => SpotPlatform.LegacySt,
                    "other" => SpotPlatform.Other,
                    _ => null,
                },
                Format = parse.GetValue(format) switch
                {
                    "spaceranger" => SampleFormat.SpaceRanger,
                    "istar" => SampleFormat.IstarFolder,
                    "legacy-st" => SampleFormat.LegacySt,
                    "h5ad" => SampleFormat.SpotAnnData,
                    _ => null,
                },
            };
            return Run(source, Console.Out);
        }));
        return command;
    }

    /// <summary>Prints the summary and warnings to <paramref name="output"/>; throws <see cref="InputException"/> with every error.</summary>
    internal static int Run(SampleSource source, TextWriter output)
    {
        var report = new InputReport();
        var sample = SampleReader.TryRead(source, report);
        if (sample is not null)
        {
            Print(SampleSummary.Of(sample), output);
        }

        var warnings = report.Warnings.ToList();
        if (warnings.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(Invariant($"{warnings.Count} warning(s):"));
            foreach (var w in warnings)
            {
                output.WriteLine("  warning: " + w);
            }
        }

        report.ThrowIfErrors();
        output.WriteLine();
        output.WriteLine("ok: the input can be used.");
        return 0;
    }

    private static void Print(SampleSummary s, TextWriter o)
    {
        o.WriteLine(Invariant($"format:          {s.Format} ({s.Platform})"));
        o.WriteLine(Invariant($"source:          {s.SourcePath}"));
        o.WriteLine(Invariant($"spots:           {s.Spots:N0} ({s.InTissueSpots:N0} in tissue)"));
        o.WriteLine(Invariant($"genes:           {s.Genes:N0}"));
        o.WriteLine(s.SlidePath is null
            ? "image:           none given"
            : s.ImageWidth is int w && s.ImageHeight is int h
                ? Invariant($"image:           {s.SlidePath} ({w:N0} × {h:N0} px)")
                : Invariant($"image:           {s.SlidePath} (unreadable)"));
        o.WriteLine(Invariant($"pixel size:      {s.PixelSize.MicronsPerPixel:0.####} µm/px, from {s.PixelSize.Source} ({s.PixelSize.Detail})"));
        o.WriteLine(Invariant($"spot diameter:   {s.SpotDiameterPixels:0.##} px = {s.SpotDiameterMicrons:0.#} µm"));
        o.WriteLine(Invariant($"counts:          total {s.TotalCounts:N0}, median {s.MedianCountsPerSpot:N0} per spot, {s.NonIntegerFraction:P1} of stored values non-integer"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
