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
        var sample = new SampleOptions();
        var command = new Command("inspect", "Read and check the input; print what was read, the pixel size and its source, and every problem");
        sample.AddTo(command);
        command.SetAction(parse => CliRunner.Execute(() =>
        {
            var source = sample.Source(parse);
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
