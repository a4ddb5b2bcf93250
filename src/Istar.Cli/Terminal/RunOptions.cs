using System.CommandLine;
using Istar.Training;

namespace Istar.Cli.Terminal;

/// <summary>The options of <c>istar run</c> (and <c>demo</c>) that map onto <see cref="IstarOptions"/>.</summary>
internal sealed class RunOptions
{
    public Option<string> Output { get; } = new("--out") { Description = "Output folder (result.h5ad, spots.h5ad, figures/, report.html, .istar-cache/)", DefaultValueFactory = _ => "istar-out" };

    public Option<string> Preset { get; } = new("--preset") { Description = "fast (default: our fixes, far less work) | faithful (the reference's numerics)", DefaultValueFactory = _ => "fast" };

    public Option<string> Features { get; } = new("--features") { Description = "hipt | texture (no weights needed) | resnet18 (ImageNet weights shipped by NuGet)", DefaultValueFactory = _ => "hipt" };

    public Option<string?> Hipt256 { get; } = new("--hipt256") { Description = "HIPT ViT-256 checkpoint (vit256_small_dino.pth); default $ISTAR_WEIGHTS or ~/.cache/istar/weights" };

    public Option<string?> Hipt4k { get; } = new("--hipt4k") { Description = "HIPT ViT-4K checkpoint (vit4k_xs_dino.pth)" };

    public Option<double> TargetPixelSize { get; } = new("--target-pixel-size") { Description = "Working pixel size in µm/px (16-px blocks; 0.5 → 8 µm)", DefaultValueFactory = _ => 0.5 };

    public Option<int> TopGenes { get; } = new("--n-genes") { Description = "Number of genes to predict when --genes is not given", DefaultValueFactory = _ => 1000 };

    public Option<string> GeneSelection { get; } = new("--gene-selection") { Description = "variance (reference: raw-count variance) | seurat_v3 (scanpy's highly_variable_genes flavor=\"seurat_v3\" on raw counts, same genes)", DefaultValueFactory = _ => "variance" };

    public Option<string?> Genes { get; } = new("--genes") { Description = "Genes to predict: a comma-separated list or a file with one gene per line" };

    public Option<string?> ExtraGenes { get; } = new("--extra-genes") { Description = "Genes added to the selected panel (list or file)" };

    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Training epochs (default: the preset's; faithful 400)" };

    public Option<int> States { get; } = new("--states") { Description = "Ensemble size", DefaultValueFactory = _ => 5 };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of every random choice; same inputs and seed give the same output", DefaultValueFactory = _ => 0 };

    public Option<string?> Mask { get; } = new("--mask") { Description = "A tissue mask image (PNG/TIFF, any resolution; white = tissue)" };

    public Option<double> Validate { get; } = new("--validate") { Description = "Hold out this fraction of spots and report per-gene Pearson on them (e.g. 0.2)", DefaultValueFactory = _ => 0 };

    public Option<string> Device { get; } = new("--device") { Description = "cpu | cuda (CUDA only where present)", DefaultValueFactory = _ => "cpu" };

    public Option<string> Precision { get; } = new("--precision") { Description = "fp32 | bf16 for feature extraction", DefaultValueFactory = _ => "fp32" };

    public Option<int> Threads { get; } = new("--threads") { Description = "Torch threads (0 = all cores)", DefaultValueFactory = _ => 0 };

    public Option<int> Clusters { get; } = new("--clusters") { Description = "Clusters of the super-resolved output (0 = none)", DefaultValueFactory = _ => 10 };

    public Option<string?> Markers { get; } = new("--markers") { Description = "Marker table (TSV with columns gene, label) for annotation" };

    public Option<bool> ExportNpy { get; } = new("--export-npy") { Description = "Also write per-gene .npy grids in the reference's cnts-super/ layout" };

    public Option<string?> Cache { get; } = new("--cache") { Description = "Cache folder (default <out>/.istar-cache)" };

    public RunOptions()
    {
        Preset.AcceptOnlyFromAmong("fast", "faithful");
        Features.AcceptOnlyFromAmong("hipt", "texture", "resnet18");
        GeneSelection.AcceptOnlyFromAmong("variance", "seurat_v3");
        Device.AcceptOnlyFromAmong("cpu", "cuda", "auto");
        Precision.AcceptOnlyFromAmong("fp32", "bf16");
    }

    public void AddTo(Command command, bool withExportNpy = true, bool withOutput = true)
    {
        if (withOutput)
        {
            command.Options.Add(Output);
        }

        foreach (var option in new Option[] { Preset, Features, Hipt256, Hipt4k, TargetPixelSize, TopGenes, GeneSelection, Genes, ExtraGenes, Epochs, States, Seed, Mask, Validate, Device, Precision, Threads, Clusters, Markers, Cache })
        {
            command.Options.Add(option);
        }

        if (withExportNpy)
        {
            command.Options.Add(ExportNpy);
        }
    }

    public IstarOptions Options(ParseResult parse) => new()
    {
        Preset = parse.GetValue(Preset) == "faithful" ? IstarPreset.Faithful : IstarPreset.Fast,
        Features = parse.GetValue(Features)!,
        Hipt256Path = parse.GetValue(Hipt256),
        Hipt4kPath = parse.GetValue(Hipt4k),
        TargetMicronsPerPixel = parse.GetValue(TargetPixelSize),
        TopGenes = parse.GetValue(TopGenes),
        GeneSelection = parse.GetValue(GeneSelection)!,
        Genes = parse.GetValue(Genes) is { } g ? GenePanelSelector.ParseList(g) : null,
        ExtraGenes = parse.GetValue(ExtraGenes) is { } e ? GenePanelSelector.ParseList(e) : null,
        Epochs = parse.GetValue(Epochs),
        States = parse.GetValue(States),
        Seed = parse.GetValue(Seed),
        MaskPath = parse.GetValue(Mask),
        ValidateFraction = parse.GetValue(Validate),
        Device = parse.GetValue(Device)!,
        Precision = parse.GetValue(Precision)!,
        Threads = parse.GetValue(Threads),
        Clusters = parse.GetValue(Clusters),
        MarkersPath = parse.GetValue(Markers),
        ExportNpy = parse.GetResult(ExportNpy) is not null && parse.GetValue(ExportNpy),
        CacheDirectory = parse.GetValue(Cache),
    };

    /// <summary>The closing summary every run prints.</summary>
    public static void PrintSummary(IstarRunResult result, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"result:  {result.ResultPath}  ({result.TissueBlocks} tissue blocks x {result.Genes.Count} genes; grid {result.GridRows} x {result.GridColumns})");
        output.WriteLine($"spots:   {result.SpotsPath}");
        output.WriteLine($"report:  {result.ReportPath}");
        if (result.HeldOutMeanPearson is { } r)
        {
            output.WriteLine(FormattableString.Invariant($"held-out mean Pearson: {r:0.###}"));
        }

        output.WriteLine("stages:  " + string.Join(", ", result.Stages.Select(s => FormattableString.Invariant($"{s.Stage} {(s.CacheHit ? "cached" : $"{s.Seconds:0.0}s")}"))));
        if (result.Warnings.Count > 0)
        {
            output.WriteLine($"{result.Warnings.Count} warning(s); see the report.");
        }
    }
}
