using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Istar.Analysis;
using Istar.Features;
using Istar.Features.Hipt;
using Istar.Features.ResNet18;
using Istar.Features.Texture;
using Istar.Formats.AnnData;
using Istar.Formats.Npy;
using Istar.Imaging;
using Istar.Input;
using Istar.Masking;
using Istar.Output;
using Istar.Pipeline;
using Istar.Prediction;
using Istar.Training;

namespace Istar;

/// <summary>What a run produced.</summary>
public sealed record IstarRunResult(
    string OutputDirectory,
    string ResultPath,
    string SpotsPath,
    string ReportPath,
    int TissueBlocks,
    int GridRows,
    int GridColumns,
    IReadOnlyList<string> Genes,
    IReadOnlyList<StageTiming> Stages,
    IReadOnlyList<string> Warnings,
    double? HeldOutMeanPearson);

/// <summary>
/// The whole method, top to bottom, like the reference's run.sh: read → rescale → features → mask → gene panel →
/// train → predict → analyse → write. Each slow stage is content-keyed and cached, so a rerun with the same inputs
/// is a cache hit and a changed parameter recomputes from the first stage it affects.
/// </summary>
public static class IstarPipeline
{
    /// <summary>The feature store's file name in the features stage's cache entry.</summary>
    internal const string FeaturesFile = "features.store";

    /// <summary>Runs every stage and writes <c>result.h5ad</c>, <c>spots.h5ad</c>, maps and <c>report.html</c>.</summary>
    public static IstarRunResult Run(SampleSource source, IstarOptions options, string outputDirectory, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var run = new RunContext(options, outputDirectory, log, cancellation);
        var sample = run.Measure("read", () => SampleReader.Read(source));
        foreach (var w in sample.Warnings)
        {
            run.Warnings.Add(w.ToString());
            log.Warn(w.ToString());
        }

        return Run(sample, run);
    }

    /// <summary>Runs every stage on a sample already in memory (e.g. from the simulator).</summary>
    public static IstarRunResult Run(SpotSample sample, IstarOptions options, string outputDirectory, IRunLog log, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        return Run(sample, new RunContext(options, outputDirectory, log, cancellation));
    }

    private static IstarRunResult Run(SpotSample sample, RunContext run)
    {
        var options = run.Options;
        var log = run.Log;
        string slidePath = sample.SlidePath ?? throw new InputException(
            sample.SourcePath, "no full-resolution slide was found for this sample.", "Pass the H&E image with --image.");
        log.Info(FormattableString.Invariant(
            $"[read] {sample.SpotCount} spots x {sample.GeneCount} genes; pixel size {sample.PixelSize}; spot diameter {sample.SpotDiameterPixels:0.#} px"));

        string slideHash = run.Store.Hashes.Sha256(slidePath);
        var sampleKey = SampleKey(sample);

        // 1. Rescale the slide to the working pixel size and pad it (the reference's he.jpg).
        var rescaleKey = ContentKey.For("rescale", 1).Add("slide", slideHash).Add("raw_mpp", sample.PixelSize.MicronsPerPixel)
            .Add("target_mpp", options.TargetMicronsPerPixel).Add("method", options.Preset.ToString());
        string rescaleDir = run.Cached("rescale", rescaleKey, dir =>
        {
            using var slide = Slide.Open(slidePath, log);
            var method = options.Preset == IstarPreset.Faithful ? RescaleMethod.Faithful : RescaleMethod.Fast;
            using var image = SlideRescaler.Rescale(slide, sample.PixelSize.MicronsPerPixel, options.TargetMicronsPerPixel, method, log: log, cancellation: run.Cancellation);
            image.Save(Path.Combine(dir, "image.v"));
            File.WriteAllText(Path.Combine(dir, "image.json"), JsonSerializer.Serialize(new ScaledInfo(image.ContentWidth, image.ContentHeight, slide.Width, slide.Height)));
        }, out var rescaleEntry);
        var info = JsonSerializer.Deserialize<ScaledInfo>(File.ReadAllText(Path.Combine(rescaleDir, "image.json")))!;
        using var scaled = LoadScaled(Path.Combine(rescaleDir, "image.v"), options.TargetMicronsPerPixel, info);
        log.Info($"[rescale] {info.SlideWidth}x{info.SlideHeight} px -> {scaled.Width}x{scaled.Height} px at {options.TargetMicronsPerPixel} µm/px ({scaled.BlockRows}x{scaled.BlockColumns} blocks)");

        // 2. Features per 16-px block. The fast path computes them only near tissue.
        var extractor = CreateExtractor(options);
        using var disposeExtractor = extractor as IDisposable;
        bool[]? hint = options.Preset == IstarPreset.Faithful ? null : TissueHint(scaled, sample, options, log);
        // Faithful keeps the features bit-exact; the default stores float16 (see FeatureStore).
        var storePrecision = options.Preset == IstarPreset.Faithful ? FeatureStorePrecision.Float32 : FeatureStorePrecision.Float16;
        var featuresKey = ContentKey.For("features", 3).Add("rescale", rescaleEntry).Add("extractor", extractor.Name)
            .Add("settings", extractor.SettingsKey).Add("hint", hint is null ? "none" : HashOf(hint)).Add("store", storePrecision.ToString());
        string featuresKeyHex = featuresKey.Build().Hex;
        string featuresDir = run.Cached("features", featuresKey, dir =>
        {
            using var grid = extractor.Extract(scaled, hint, log, run.Cancellation);

            // Context regions and rgb means reach past the hint; nothing downstream reads them there, and zero
            // blocks are what the store leaves out.
            if (hint is not null)
            {
                grid.ClearOutside(hint);
            }

            grid.Provenance = grid.Provenance with { SlideHash = slideHash };
            grid.Save(Path.Combine(dir, FeaturesFile), storePrecision, featuresKeyHex);
        }, out var featuresEntry);
        using var features = FeatureGrid.Open(Path.Combine(featuresDir, FeaturesFile), featuresKeyHex);
        if (options.ExportFeaturesDirectory is { } exportDir)
        {
            ExportFeatures(features, exportDir);
            log.Info($"[features] exported {features.Channels} channels as npy to {exportDir}");
        }

        if (options.StopAfter == "features")
        {
            return Partial(run, features);
        }

        // 3. Tissue mask on the block grid.
        var maskMethod = options.MaskPath is not null ? MaskMethod.File : options.Preset == IstarPreset.Faithful ? MaskMethod.Reference : MaskMethod.Auto;
        var maskKey = ContentKey.For("mask", 2).Add("features", featuresEntry).Add("method", maskMethod.ToString())
            .Add("file", options.MaskPath is null ? "none" : run.Store.Hashes.Sha256(options.MaskPath));
        string maskDir = run.Cached("mask", maskKey, dir =>
        {
            // The fast path computes features near tissue only, so they cannot second-guess the colour mask there.
            var opinion = maskMethod == MaskMethod.Reference || hint is null ? features : null;
            var built = MaskBuilder.Build(scaled, opinion, maskMethod, options.MaskPath, log, Path.Combine(dir, "overlay.png"), run.Cancellation);
            NpyArray.WriteUInt8(Path.Combine(dir, "mask.npy"), built.Mask.Select(b => b ? (byte)1 : (byte)0).ToArray(), built.Rows, built.Columns);
            File.WriteAllText(Path.Combine(dir, "mask.txt"), built.Description);
        }, out var maskEntry);
        var mask = NpyArray.Read(Path.Combine(maskDir, "mask.npy")).Values.Select(v => v != 0).ToArray();
        string maskDescription = File.ReadAllText(Path.Combine(maskDir, "mask.txt"));
        int tissueBlocks = mask.Count(b => b);
        if (tissueBlocks == 0)
        {
            throw new InputException(slidePath, "the tissue mask is empty: no block of the slide was recognised as tissue.", "Check the slide, or give a mask with --mask FILE.");
        }

        log.Info($"[mask] {tissueBlocks} of {mask.Length} blocks are tissue ({maskDescription})");
        if (options.StopAfter == "mask")
        {
            File.Copy(Path.Combine(maskDir, "mask.npy"), Path.Combine(run.OutputDirectory, "mask.npy"), overwrite: true);
            if (File.Exists(Path.Combine(maskDir, "overlay.png")))
            {
                File.Copy(Path.Combine(maskDir, "overlay.png"), Path.Combine(run.OutputDirectory, "mask-overlay.png"), overwrite: true);
            }

            return Partial(run, features, tissueBlocks);
        }

        // 4. Gene panel and the spots' footprints on the grid.
        var panel = SelectPanel(sample, options, log);
        var rule = options.Preset == IstarPreset.Faithful ? FootprintRule.Reference : FootprintRule.Exact;
        var set = TrainingSet.FromSample(sample, panel, features.Rows, features.Columns, options.TargetMicronsPerPixel, rule, log);
        var training = TrainingOptionsOf(options);

        // 4b. Evaluation hook (PseudoSpotEvaluation): train on other spots; everything after training keeps the sample's.
        var trainOn = options.TrainOn is { } swap ? swap.Build(sample, set, log) : set;

        // 5. Train the ensemble.
        var trainKey = ContentKey.For("train", 1).Add("sample", sampleKey).Add("features", featuresEntry)
            .Add("genes", panel.Names).Add("footprints", rule.ToString()).Add("preset", training.Preset.ToString())
            .Add("epochs", training.Epochs).Add("states", training.States).Add("seed", training.Seed)
            .Add("lr", training.LearningRate).Add("min_steps", training.MinimumSteps);
        if (options.TrainOn is not null)
        {
            trainKey.Add("train_on", options.TrainOn.Key);
        }

        string trainDir = run.Cached("train", trainKey, dir =>
        {
            using var trained = ExpressionTrainer.Train(features, trainOn, training, log, run.Cancellation);
            EnsembleStore.Save(trained, Path.Combine(dir, "ensemble"));
        }, out var trainEntry);
        using var ensemble = EnsembleStore.Load(Path.Combine(trainDir, "ensemble"));
        if (options.StopAfter == "train")
        {
            EnsembleStore.Save(ensemble, Path.Combine(run.OutputDirectory, "ensemble"));
            return Partial(run, features, tissueBlocks, panel.Names);
        }

        // 6. Optional hold-out validation (its own training run on the other spots).
        ValidationReport? validation = null;
        if (options.ValidateFraction > 0)
        {
            var validateKey = ContentKey.For("validate", 1).Add("train", trainEntry).Add("fraction", options.ValidateFraction);
            string validateDir = run.Cached("validate", validateKey, dir =>
            {
                var report = HoldOutValidation.Run(features, set, options.ValidateFraction, training, log, run.Cancellation);
                File.WriteAllText(Path.Combine(dir, "validation.json"), JsonSerializer.Serialize(new StoredValidation([.. report.GeneNames], report.Pearson, report.HeldOut)));
            }, out _);
            var stored = JsonSerializer.Deserialize<StoredValidation>(File.ReadAllText(Path.Combine(validateDir, "validation.json")))!;
            validation = new ValidationReport(stored.Genes, stored.Pearson, stored.HeldOut, new SpotFit(stored.Genes, [], [], []));
            log.Info(FormattableString.Invariant($"[validate] held-out mean Pearson over genes: {validation.MeanPearson:0.###}"));
        }

        // 7. Predict every tissue block.
        var predictKey = ContentKey.For("predict", 1).Add("train", trainEntry).Add("mask", maskEntry);
        string predictDir = run.Cached("predict", predictKey, dir =>
        {
            using var c = new MaskedBlockTable(Path.Combine(dir, "counts.f32"), mask, features.Rows, features.Columns, panel.Names.Count);
            using var s = new MaskedBlockTable(Path.Combine(dir, "spread.f32"), mask, features.Rows, features.Columns, panel.Names.Count);
            ExpressionPredictor.Predict(ensemble, features, mask, new TableSink(c, s), log, run.Cancellation);
        }, out _);
        using var counts = MaskedBlockTable.Open(Path.Combine(predictDir, "counts.f32"), mask, features.Rows, features.Columns, panel.Names.Count);
        using var spread = MaskedBlockTable.Open(Path.Combine(predictDir, "spread.f32"), mask, features.Rows, features.Columns, panel.Names.Count);
        var fit = ExpressionPredictor.FitSpots(ensemble, features, set);

        // 8. Analyses and outputs.
        var frame = new BlockFrame(16, (double)info.SlideWidth / info.ContentWidth, (double)info.SlideHeight / info.ContentHeight, options.TargetMicronsPerPixel * 16);
        var content = new ResultContent { Counts = counts, Spread = spread, GeneNames = panel.Names, GeneIds = panel.Indices.Select(i => sample.GeneIds[i]).ToList(), Frame = frame };
        var outputs = new RunOutputs(run, sample, slidePath, scaled, mask, counts, panel, set, fit, ensemble, validation, maskDir, frame);
        var analysis = run.Measure("analyse", () => RunAnalysis.Run(outputs, content));
        FillUns(content, run, sample, slideHash, sampleKey, maskDescription, ensemble, validation, extractor, panel);
        string resultPath = Path.Combine(run.OutputDirectory, "result.h5ad");
        run.Measure("write", () =>
        {
            content.Istar["stages"] = run.StagesAsUns();
            ResultWriter.Write(resultPath, content);
            return 0;
        });
        string spotsPath = Path.Combine(run.OutputDirectory, "spots.h5ad");
        SpotFitWriter.Write(spotsPath, sample, set, fit, panel);
        if (options.ExportNpy)
        {
            RunAnalysis.ExportNpy(run.OutputDirectory, counts, panel.Names);
        }

        string reportPath = run.Measure("report", () => RunAnalysis.WriteReport(outputs, analysis));
        log.Info($"[done] {tissueBlocks} blocks x {panel.Names.Count} genes -> {resultPath}");
        return new IstarRunResult(run.OutputDirectory, resultPath, spotsPath, reportPath, tissueBlocks, features.Rows, features.Columns, panel.Names, run.Stages, run.Warnings, validation?.MeanPearson);
    }

    private static IstarRunResult Partial(RunContext run, FeatureGrid features, int tissueBlocks = 0, IReadOnlyList<string>? genes = null) =>
        new(run.OutputDirectory, string.Empty, string.Empty, string.Empty, tissueBlocks, features.Rows, features.Columns, genes ?? [], run.Stages, run.Warnings, null);

    /// <summary>Writes each channel group as a C × Hb × Wb float32 <c>.npy</c> (HIPT: cls, sub, rgb, as the reference's pickle).</summary>
    private static void ExportFeatures(FeatureGrid features, string directory)
    {
        Directory.CreateDirectory(directory);
        var groups = features.Provenance.Groups.Count > 0 ? features.Provenance.Groups : [new ChannelGroup("features", 0, features.Channels)];
        foreach (var group in groups)
        {
            var values = new float[(long)group.Count * features.BlockCount];
            for (int c = 0; c < group.Count; c++)
            {
                features.ChannelPlane(group.Start + c).CopyTo(values, (long)c * features.BlockCount);
            }

            string name = string.Concat(group.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_'));
            AtomicFile.Write(Path.Combine(directory, name + ".npy"), tmp => NpyArray.WriteFloat32(tmp, values, group.Count, features.Rows, features.Columns));
        }
    }

    internal static IFeatureExtractor CreateExtractor(IstarOptions options) => options.Features.ToLowerInvariant() switch
    {
        "texture" => new TextureExtractor(),
        "resnet18" => new ResNet18Extractor(new ResNet18Options { Threads = options.Threads }),
        "hipt" => HiptExtractor.Create(options.Hipt256Path, options.Hipt4kPath, new HiptOptions
        {
            Mode = options.Preset == IstarPreset.Faithful ? HiptMode.Faithful : HiptMode.Fast,
            Shift = options.Preset == IstarPreset.Faithful,
            Device = options.Device,
            Precision = HiptOptions.ParsePrecision(options.Precision),
            Threads = options.Threads,
        }),
        _ => throw new InputException("--features", $"expected hipt, texture or resnet18, found '{options.Features}'.", "Use --features texture to run without downloaded weights."),
    };

    internal static TrainingOptions TrainingOptionsOf(IstarOptions options)
    {
        var preset = TrainingOptions.For(options.Preset == IstarPreset.Faithful ? TrainingPreset.Faithful : TrainingPreset.Fast);
        return preset with
        {
            Epochs = options.Epochs ?? preset.Epochs,
            MinimumSteps = options.Epochs is null ? preset.MinimumSteps : 0,
            States = options.States,
            Seed = options.Seed,
            Threads = options.Threads > 0 ? options.Threads : null,
        };
    }

    internal static GenePanel SelectPanel(SpotSample sample, IstarOptions options, IRunLog log)
    {
        var wanted = options.Genes ?? sample.GenePanel;
        if (wanted is not null)
        {
            return GenePanelSelector.Explicit(sample.GeneNames, wanted, log);
        }

        var ranking = options.GeneSelection.ToLowerInvariant() switch
        {
            "variance" => GeneRanking.Variance,
            "seurat_v3" or "seurat-v3" => GeneRanking.SeuratV3,
            _ => throw new InputException("--gene-selection", $"expected variance or seurat_v3, found '{options.GeneSelection}'."),
        };
        return GenePanelSelector.Select(sample.Counts, sample.GeneNames, Math.Min(options.TopGenes, sample.GeneCount), ranking, options.ExtraGenes,
            faithful: options.Preset == IstarPreset.Faithful, log: log);
    }

    /// <summary>
    /// Blocks worth computing features for: the colour-based tissue mask grown by a spot radius plus a margin, and
    /// every spot's surroundings, so that no footprint sees features computed for background only by accident.
    /// </summary>
    private static bool[] TissueHint(ScaledImage scaled, SpotSample sample, IstarOptions options, IRunLog log)
    {
        var colour = MaskBuilder.Build(scaled, null, MaskMethod.Auto, null, SilentRunLog.Instance);
        int rows = colour.Rows, columns = colour.Columns;

        // A user mask may reach beyond the colour mask; its blocks are predicted, so they need real features.
        var tissue = colour.Mask;
        if (options.MaskPath is not null)
        {
            var user = MaskBuilder.Build(scaled, null, MaskMethod.File, options.MaskPath, SilentRunLog.Instance);
            tissue = [.. tissue.Zip(user.Mask, (a, b) => a || b)];
        }

        double scale = sample.PixelSize.MicronsPerPixel / options.TargetMicronsPerPixel;
        int grow = (int)Math.Ceiling(sample.SpotDiameterPixels * scale / 2 / 16) + 2;
        var hint = new bool[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                if (!tissue[(r * columns) + c])
                {
                    continue;
                }

                for (int dr = -grow; dr <= grow; dr++)
                {
                    int rr = r + dr;
                    if (rr < 0 || rr >= rows)
                    {
                        continue;
                    }

                    for (int dc = -grow; dc <= grow; dc++)
                    {
                        int cc = c + dc;
                        if (cc >= 0 && cc < columns)
                        {
                            hint[(rr * columns) + cc] = true;
                        }
                    }
                }
            }
        }

        foreach (var centre in sample.Centres)
        {
            int br = (int)(centre.Y * scale / 16), bc = (int)(centre.X * scale / 16);
            for (int rr = Math.Max(0, br - grow); rr <= Math.Min(rows - 1, br + grow); rr++)
            {
                for (int cc = Math.Max(0, bc - grow); cc <= Math.Min(columns - 1, bc + grow); cc++)
                {
                    hint[(rr * columns) + cc] = true;
                }
            }
        }

        log.Info($"[features] computing {hint.Count(h => h)} of {hint.Length} blocks (tissue and spots, grown by {grow} blocks)");
        return hint;
    }

    private static ScaledImage LoadScaled(string path, double micronsPerPixel, ScaledInfo info)
    {
        using var stored = Slide.Open(path);
        var image = ScaledImage.CreateWhite(stored.Width, stored.Height, micronsPerPixel, info.ContentWidth, info.ContentHeight);
        try
        {
            // The stored image includes the white padding; only the content rows and columns are copied back.
            int width = info.ContentWidth;
            int strip = Math.Max(1, (8 << 20) / (width * 3));
            var buffer = new byte[strip * width * 3];
            for (int y = 0; y < info.ContentHeight; y += strip)
            {
                int n = Math.Min(strip, info.ContentHeight - y);
                stored.ReadRegionRgb(0, y, width, n, buffer.AsSpan(0, n * width * 3));
                image.WriteContentRows(y, n, buffer.AsSpan(0, n * width * 3));
            }

            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>A key for the sample's content: counts, genes, spots, positions, footprint size and pixel size.</summary>
    private static ContentKey SampleKey(SpotSample sample)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample.Counts.RowPointers.AsSpan()));
        sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample.Counts.ColumnIndices.AsSpan()));
        sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sample.Counts.Values.AsSpan()));
        foreach (var c in sample.Centres)
        {
            sha.AppendData(BitConverter.GetBytes(c.X));
            sha.AppendData(BitConverter.GetBytes(c.Y));
        }

        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Join('\u001f', sample.GeneNames) + "\u001e" + string.Join('\u001f', sample.SpotIds)));
        return ContentKey.For("sample", 1).Add("content", Convert.ToHexStringLower(sha.GetHashAndReset()))
            .Add("diameter", sample.SpotDiameterPixels).Add("mpp", sample.PixelSize.MicronsPerPixel)
            .Add("in_tissue", string.Concat(sample.InTissue.Select(b => b ? '1' : '0'))).Build();
    }

    private static string HashOf(bool[] mask) => Convert.ToHexStringLower(SHA256.HashData(mask.Select(b => b ? (byte)1 : (byte)0).ToArray()))[..16];

    private static void FillUns(ResultContent content, RunContext run, SpotSample sample, string slideHash, ContentKey sampleKey, string maskDescription, ExpressionEnsemble ensemble, ValidationReport? validation, IFeatureExtractor extractor, GenePanel panel)
    {
        var o = run.Options;
        content.Istar["version"] = IstarInfo.Version;
        content.Istar["method"] = "istar";
        content.Istar["parameters"] = new Dictionary<string, object>
        {
            ["preset"] = o.Preset.ToString().ToLowerInvariant(),
            ["features"] = extractor.Name,
            ["features_settings"] = extractor.SettingsKey,
            ["target_pixel_size_um"] = o.TargetMicronsPerPixel,
            ["top_genes"] = (long)o.TopGenes,
            ["gene_selection"] = o.GeneSelection,
            ["epochs"] = (long)(o.Epochs ?? -1),
            ["states"] = (long)o.States,
            ["seed"] = (long)o.Seed,
            ["validate_fraction"] = o.ValidateFraction,
            ["mask"] = o.MaskPath ?? "auto",
            ["device"] = o.Device,
            ["precision"] = o.Precision,
        };
        content.Istar["pixel_size_um"] = sample.PixelSize.MicronsPerPixel;
        content.Istar["pixel_size_source"] = sample.PixelSize.Source.ToString();
        content.Istar["pixel_size_detail"] = sample.PixelSize.Detail;
        content.Istar["block_size_um"] = o.TargetMicronsPerPixel * 16;
        content.Istar["spot_diameter_um"] = sample.SpotDiameterMicrons;
        content.Istar["unit"] = "expected counts per block (the sum over a spot's footprint approximates the spot's count)";
        content.Istar["inputs"] = new Dictionary<string, object>
        {
            ["sample"] = sample.SourcePath,
            ["slide"] = sample.SlidePath ?? string.Empty,
            ["slide_sha256"] = slideHash,
            ["sample_key"] = sampleKey.Hex,
        };
        content.Istar["mask"] = maskDescription;
        content.Istar["final_training_loss"] = ensemble.EpochLoss.Select(l => l.Length > 0 ? (double)l[^1] : double.NaN).ToArray();
        if (validation is not null)
        {
            content.Istar["heldout_mean_pearson"] = validation.MeanPearson;
            content.VarColumns.Add(new NumericColumn("heldout_pearson", panel.Names.Select(g =>
            {
                int i = validation.GeneNames.ToList().IndexOf(g);
                return i >= 0 ? validation.Pearson[i] : double.NaN;
            }).ToArray()));
        }

        content.Istar["warnings"] = run.Warnings.ToArray();
    }

    private sealed record ScaledInfo(int ContentWidth, int ContentHeight, int SlideWidth, int SlideHeight);

    private sealed record StoredValidation(IReadOnlyList<string> Genes, double[] Pearson, int[] HeldOut);

    private sealed class TableSink(MaskedBlockTable counts, MaskedBlockTable spread) : IPredictionSink
    {
        public void Write(int firstRow, int rowCount, ReadOnlySpan<float> c, ReadOnlySpan<float> s)
        {
            counts.WriteGridRows(firstRow, rowCount, c);
            spread.WriteGridRows(firstRow, rowCount, s);
        }
    }
}
