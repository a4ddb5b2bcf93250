using System.CommandLine;
using Istar.Input;

namespace Istar.Cli.Terminal;

/// <summary>The input argument and options shared by every verb that reads a sample.</summary>
internal sealed class SampleOptions
{
    public Argument<string> Input { get; } = new("input")
    {
        Description = "Space Ranger outs/ (or its parent, or a matrix .h5 / MEX folder in it), an iStar data folder, a legacy ST counts .tsv(.gz), or a spot .h5ad",
    };

    public Option<string?> Image { get; } = new("--image") { Description = "Full-resolution H&E slide (TIFF/SVS/JPEG/PNG) the spot positions refer to" };

    public Option<double?> PixelSize { get; } = new("--pixel-size") { Description = "µm per full-resolution pixel; overrides metadata and the spot-size estimate" };

    public Option<bool> AllSpots { get; } = new("--all-spots") { Description = "Keep every spot, not only the in-tissue ones" };

    public Option<bool> RawMatrix { get; } = new("--raw-matrix") { Description = "Space Ranger: read raw_feature_bc_matrix instead of filtered_feature_bc_matrix" };

    public Option<string?> Selection { get; } = new("--selection") { Description = "Legacy ST: the <section>_selection.tsv spot table, if not beside the counts" };

    public Option<string?> Platform { get; } = new("--platform") { Description = "visium | legacy-st | other: the spot size, for inputs that do not say (iStar folders)" };

    public Option<string?> Format { get; } = new("--format") { Description = "Force the reader: spaceranger | istar | legacy-st | h5ad" };

    public SampleOptions()
    {
        Platform.AcceptOnlyFromAmong("visium", "legacy-st", "other");
        Format.AcceptOnlyFromAmong("spaceranger", "istar", "legacy-st", "h5ad");
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Input);
        AddOptionsTo(command);
    }

    /// <summary>Adds the options only, for verbs that take the input some other way.</summary>
    public void AddOptionsTo(Command command)
    {
        command.Options.Add(Image);
        command.Options.Add(PixelSize);
        command.Options.Add(AllSpots);
        command.Options.Add(RawMatrix);
        command.Options.Add(Selection);
        command.Options.Add(Platform);
        command.Options.Add(Format);
    }

    public SampleSource Source(ParseResult parse) => Source(parse, parse.GetValue(Input)!);

    /// <summary>The source for an input path given some other way, with the options of <paramref name="parse"/>.</summary>
    public SampleSource Source(ParseResult parse, string input) => new(input)
    {
        ImagePath = parse.GetValue(Image),
        MicronsPerPixel = parse.GetValue(PixelSize),
        AllSpots = parse.GetValue(AllSpots),
        RawMatrix = parse.GetValue(RawMatrix),
        SelectionPath = parse.GetValue(Selection),
        Platform = parse.GetValue(Platform) switch
        {
            "visium" => SpotPlatform.Visium,
            "legacy-st" => SpotPlatform.LegacySt,
            "other" => SpotPlatform.Other,
            _ => null,
        },
        Format = parse.GetValue(Format) switch
        {
            "spaceranger" => SampleFormat.SpaceRanger,
            "istar" => SampleFormat.IstarFolder,
            "legacy-st" => SampleFormat.LegacySt,
            "h5ad" => SampleFormat.SpotAnnData,
            _ => null,
        },
    };
}
