using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Istar.Formats.Npy;
using Istar.Input;
using Istar.Pipeline;
using NetVips;

namespace Istar.Evaluation.Simulation;

/// <summary>
/// Makes a Visium-like sample with known truth: a procedurally generated H&amp;E slide (epithelial nests, fibrous
/// stroma, fat, immune aggregates, vessels), per-block expression from the cells in each 8-µm block, and Poisson spot
/// counts over 55-µm spots on a 100-µm hexagonal lattice. Writes a Space Ranger-like <c>outs/</c> folder, the slide as a
/// tiled TIFF, the same sample as the reference iStar's input folder (<c>istar/</c>) and the truth as <c>.npy</c>; every
/// file is written under a temporary name and then renamed.
/// </summary>
public static class Simulator
{
    /// <summary>Visium spot diameter (µm).</summary>
    public const double SpotDiameterMicrons = 55;

    /// <summary>Visium centre-to-centre spacing (µm).</summary>
    public const double SpotPitchMicrons = 100;

    /// <summary>Simulates a sample and writes it to <see cref="SimulationOptions.OutputFolder"/>.</summary>
    public static SimulatedSample Simulate(SimulationOptions options, IRunLog? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        log ??= SilentRunLog.Instance;
        double mpp = options.MicronsPerPixel;
        int widthPx = (int)Math.Round(options.WidthMicrons / mpp);
        int heightPx = (int)Math.Round(options.HeightMicrons / mpp);
        double width = widthPx * mpp;
        double height = heightPx * mpp;
        int hb = (int)Math.Floor(height / SimulatedSample.BlockMicrons);
        int wb = (int)Math.Floor(width / SimulatedSample.BlockMicrons);

        var layout = new TissueLayout(width, height, options.Seed);
        var model = new ExpressionModel(options.Genes, options.Seed);
        int genes = model.GeneCount;
        int types = Enum.GetValues<CellType>().Length;
        log.Info(FormattableString.Invariant($"[simulate] {width / 1000:0.###} x {height / 1000:0.###} mm, {layout.Cells.Count} cells, {layout.Vessels.Count} vessels, {layout.Aggregates.Count} immune aggregates, {genes} genes"));

        // Truth: the expected counts of every cell, summed per block.
        var blockMajor = new double[(long)hb * wb * genes];
        var cellCounts = new float[(long)types * hb * wb];
        foreach (var cell in layout.Cells)
        {
            int bi = (int)Math.Floor(cell.Y / SimulatedSample.BlockMicrons);
            int bj = (int)Math.Floor(cell.X / SimulatedSample.BlockMicrons);
            if (bi >= hb || bj >= wb)
            {
                continue;
            }

            double distance = layout.NearestVessel(cell.X, cell.Y).Distance;
            model.AddCell(cell.Type, distance, options.Depth, blockMajor.AsSpan((int)((((long)bi * wb) + bj) * genes), genes));
            cellCounts[((long)(int)cell.Type * hb * wb) + ((long)bi * wb) + bj] += 1;
        }

        var truth = new float[(long)genes * hb * wb];
        for (long b = 0; b < (long)hb * wb; b++)
        {
            for (int g = 0; g < genes; g++)
            {
                truth[((long)g * hb * wb) + b] = (float)blockMajor[(b * genes) + g];
            }
        }

        blockMajor = [];
        cancellation.ThrowIfCancellationRequested();

        // Spots on the Visium lattice, wholly inside the slide.
        var spots = SpotLattice(width, height, mpp, layout);
        var inTissue = spots.Where(s => s.InTissue).ToList();
        var expected = new float[(long)inTissue.Count * genes];
        var dense = new float[(long)inTissue.Count * genes];
        double radius = SpotDiameterMicrons / 2;
        for (int s = 0; s < inTissue.Count; s++)
        {
            var spot = inTissue[s];
            double x = spot.PixelColumn * mpp;
            double y = spot.PixelRow * mpp;
            var lambda = new double[genes];
            foreach (var (bi, bj) in Footprint(x, y, radius, hb, wb))
            {
                long b = ((long)bi * wb) + bj;
                for (int g = 0; g < genes; g++)
                {
                    lambda[g] += truth[((long)g * hb * wb) + b];
                }
            }

            var rng = SimRandom.For(SimRandom.Mix((ulong)(uint)options.Seed + 99UL), (ulong)spot.ArrayRow, (ulong)spot.ArrayColumn);
            for (int g = 0; g < genes; g++)
            {
                expected[((long)s * genes) + g] = (float)lambda[g];
                dense[((long)s * genes) + g] = rng.NextPoisson(lambda[g]);
            }
        }

        var counts = SparseCounts.FromDense(inTissue.Count, genes, dense);
        Directory.CreateDirectory(options.OutputFolder);
        string outs = Path.Combine(options.OutputFolder, "outs");
        string slidePath = Path.Combine(options.OutputFolder, "slide.tif");
        WriteSpaceRanger(outs, spots, inTissue, counts, model, mpp, widthPx, heightPx);
        WriteIstarFolder(Path.Combine(options.OutputFolder, "istar"), inTissue, dense, model, mpp);
        WriteTruth(Path.Combine(options.OutputFolder, "truth"), truth, cellCounts, expected, inTissue, model, genes, types, hb, wb);

        if (options.RenderSlide)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            byte[] rgb = SlideRenderer.Render(layout, widthPx, heightPx, mpp, cancellation);
            WriteImages(rgb, widthPx, heightPx, mpp, slidePath, Path.Combine(outs, "spatial"), Path.Combine(options.OutputFolder, "istar", "he-raw.jpg"));
            log.Info(FormattableString.Invariant($"[simulate] slide {widthPx} x {heightPx} px at {mpp} µm/px rendered in {clock.Elapsed.TotalSeconds:0.0} s"));
        }

        WriteParameters(Path.Combine(options.OutputFolder, "simulation.json"), options, layout, model, widthPx, heightPx, hb, wb, spots.Count, inTissue.Count);
        var sample = new SpotSample(
            [.. inTissue.Select(s => s.Barcode)],
            counts,
            model.GeneNames,
            model.GeneIds,
            [.. inTissue.Select(s => new FullResPoint(s.PixelColumn, s.PixelRow))],
            [.. inTissue.Select(_ => true)],
            SpotDiameterMicrons / mpp,
            new PixelSize(mpp, PixelSizeSource.Explicit, "simulated slide"),
            options.RenderSlide ? slidePath : null,
            SpotPlatform.Visium,
            SampleFormat.Simulated,
            options.OutputFolder);
        log.Info($"[simulate] {inTissue.Count} of {spots.Count} spots under tissue; written to {options.OutputFolder}");
        return new SimulatedSample(options, sample, options.RenderSlide ? slidePath : string.Empty, outs, hb, wb, truth, cellCounts, expected, model.GeneKinds);
    }

    /// <summary>
    /// The spot footprint on the 8-µm block grid by iStar's rule (spec §10.1): the centre block is
    /// (round(y / 8 µm), round(x / 8 µm)) with half-even rounding, and the footprint is every offset (di, dj) with
    /// di² + dj² ≤ r², r = <paramref name="radius"/> / 8 µm (27.5 µm → 3.4375 blocks → 37 blocks), clipped to the grid.
    /// </summary>
    internal static IEnumerable<(int Row, int Column)> Footprint(double x, double y, double radius, int hb, int wb)
    {
        double block = SimulatedSample.BlockMicrons;
        double r = radius / block;
        int reach = (int)Math.Ceiling(r);
        int ci = (int)Math.Round(y / block, MidpointRounding.ToEven);
        int cj = (int)Math.Round(x / block, MidpointRounding.ToEven);
        for (int di = -reach; di <= reach; di++)
        {
            for (int dj = -reach; dj <= reach; dj++)
            {
                int i = ci + di;
                int j = cj + dj;
                if ((di * di) + (dj * dj) <= r * r && (uint)i < (uint)hb && (uint)j < (uint)wb)
                {
                    yield return (i, j);
                }
            }
        }
    }

    /// <summary>One spot of the lattice.</summary>
    internal sealed record Spot(string Barcode, bool InTissue, int ArrayRow, int ArrayColumn, int PixelRow, int PixelColumn);

    /// <summary>
    /// The Visium lattice: rows 100·√3/2 µm apart, spots 100 µm apart within a row, odd rows offset by 50 µm;
    /// array_col = 2k + (row mod 2) as in Space Ranger. Spots whose disk leaves the slide are dropped.
    /// </summary>
    internal static List<Spot> SpotLattice(double width, double height, double mpp, TissueLayout layout)
    {
        double rowPitch = SpotPitchMicrons * Math.Sqrt(3) / 2;
        // Keep the whole 9 × 9-block footprint window inside the truth grid (iStar needs it inside the feature grid).
        double margin = (SpotDiameterMicrons / 2) + (1.5 * SimulatedSample.BlockMicrons);
        var spots = new List<Spot>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int row = 0; margin + (row * rowPitch) + margin <= height; row++)
        {
            double y = margin + (row * rowPitch);
            for (int col = row % 2; margin + (col * SpotPitchMicrons / 2) + margin <= width; col += 2)
            {
                double x = margin + (col * SpotPitchMicrons / 2);
                int pxlRow = (int)Math.Round(y / mpp);
                int pxlCol = (int)Math.Round(x / mpp);
                string barcode = Barcode(row, col);
                if (!seen.Add(barcode))
                {
                    throw new InvalidOperationException($"barcode collision at ({row}, {col})");
                }

                spots.Add(new Spot(barcode, layout.InTissue(pxlCol * mpp, pxlRow * mpp), row, col, pxlRow, pxlCol));
            }
        }

        return spots;
    }

    private static string Barcode(int row, int col)
    {
        ulong h = SimRandom.Mix((((ulong)(uint)row << 32) | (uint)col) + 0x5DEECE66DUL);
        var sb = new StringBuilder(18);
        for (int i = 0; i < 16; i++)
        {
            sb.Append("ACGT"[(int)((h >> (2 * i)) & 3)]);
        }

        return sb.Append("-1").ToString();
    }

    private static void WriteSpaceRanger(string outs, List<Spot> spots, List<Spot> inTissue, SparseCounts counts, ExpressionModel model, double mpp, int widthPx, int heightPx)
    {
        string matrix = Path.Combine(outs, "filtered_feature_bc_matrix");
        string spatial = Path.Combine(outs, "spatial");
        Directory.CreateDirectory(matrix);
        Directory.CreateDirectory(spatial);
        AtomicFile.WriteText(Path.Combine(matrix, "barcodes.tsv.gz"), w =>
        {
            foreach (var s in inTissue)
            {
                w.Write(s.Barcode + "\n");
            }
        }, gzip: true);
        AtomicFile.WriteText(Path.Combine(matrix, "features.tsv.gz"), w =>
        {
            for (int g = 0; g < model.GeneCount; g++)
            {
                w.Write($"{model.GeneIds[g]}\t{model.GeneNames[g]}\tGene Expression\n");
            }
        }, gzip: true);
        AtomicFile.WriteText(Path.Combine(matrix, "matrix.mtx.gz"), w =>
        {
            w.Write("%%MatrixMarket matrix coordinate integer general\n");
            w.Write("%metadata_json: {\"software_version\": \"istar-simulate-" + IstarInfo.Version + "\", \"format_version\": 2}\n");
            w.Write(FormattableString.Invariant($"{counts.Columns} {counts.Rows} {counts.Values.Length}\n"));
            for (int s = 0; s < counts.Rows; s++)
            {
                for (long k = counts.RowPointers[s]; k < counts.RowPointers[s + 1]; k++)
                {
                    w.Write(FormattableString.Invariant($"{counts.ColumnIndices[k] + 1} {s + 1} {(long)counts.Values[k]}\n"));
                }
            }
        }, gzip: true);
        AtomicFile.WriteText(Path.Combine(spatial, "tissue_positions.csv"), w =>
        {
            w.Write("barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\n");
            foreach (var s in spots)
            {
                w.Write(FormattableString.Invariant($"{s.Barcode},{(s.InTissue ? 1 : 0)},{s.ArrayRow},{s.ArrayColumn},{s.PixelRow},{s.PixelColumn}\n"));
            }
        });
        double spotPx = SpotDiameterMicrons / mpp;
        var (hiresScale, lowresScale) = PreviewScales(widthPx, heightPx);
        var scalefactors = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["spot_diameter_fullres"] = spotPx,
            ["fiducial_diameter_fullres"] = spotPx * 65.0 / 55.0 * 1.374,
            ["tissue_hires_scalef"] = hiresScale,
            ["tissue_lowres_scalef"] = lowresScale,
            ["regist_target_img_scalef"] = hiresScale,
        };
        AtomicFile.WriteText(Path.Combine(spatial, "scalefactors_json.json"), w => w.Write(JsonSerializer.Serialize(scalefactors, IndentedJson)));
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Space Ranger's preview sizes: hires at most 2000 px, lowres at most 600 px on the long side.</summary>
    internal static (double Hires, double Lowres) PreviewScales(int widthPx, int heightPx) =>
        (Math.Min(1, 2000.0 / Math.Max(widthPx, heightPx)), Math.Min(1, 600.0 / Math.Max(widthPx, heightPx)));

    private static void WriteTruth(string folder, float[] truth, float[] cellCounts, float[] expected, List<Spot> inTissue, ExpressionModel model, int genes, int types, int hb, int wb)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.Write(Path.Combine(folder, "expression.npy"), p => NpyArray.WriteFloat32(p, truth, genes, hb, wb));
        AtomicFile.Write(Path.Combine(folder, "cell_counts.npy"), p => NpyArray.WriteFloat32(p, cellCounts, types, hb, wb));
        var composition = new float[cellCounts.Length];
        long plane = (long)hb * wb;
        for (long b = 0; b < plane; b++)
        {
            float total = 0;
            for (int t = 0; t < types; t++)
            {
                total += cellCounts[(t * plane) + b];
            }

            for (int t = 0; t < types; t++)
            {
                composition[(t * plane) + b] = total > 0 ? cellCounts[(t * plane) + b] / total : 0;
            }
        }

        AtomicFile.Write(Path.Combine(folder, "composition.npy"), p => NpyArray.WriteFloat32(p, composition, types, hb, wb));
        AtomicFile.Write(Path.Combine(folder, "spot_expected.npy"), p => NpyArray.WriteFloat32(p, expected, inTissue.Count, genes));
        AtomicFile.WriteText(Path.Combine(folder, "genes.tsv"), w =>
        {
            w.Write("index\tgene_id\tgene_name\tkind\n");
            for (int g = 0; g < genes; g++)
            {
                w.Write(FormattableString.Invariant($"{g}\t{model.GeneIds[g]}\t{model.GeneNames[g]}\t{model.GeneKinds[g]}\n"));
            }
        });
        AtomicFile.WriteText(Path.Combine(folder, "cell_types.tsv"), w =>
        {
            w.Write("index\tcell_type\trna_content\tmarkers\n");
            for (int t = 0; t < types; t++)
            {
                w.Write(FormattableString.Invariant($"{t}\t{(CellType)t}\t{ExpressionModel.RnaContent[t]}\t{string.Join(',', ExpressionModel.Markers[t])}\n"));
            }
        });
        AtomicFile.WriteText(Path.Combine(folder, "spots.tsv"), w =>
        {
            w.Write("barcode\tarray_row\tarray_col\tpxl_row_in_fullres\tpxl_col_in_fullres\n");
            foreach (var s in inTissue)
            {
                w.Write(FormattableString.Invariant($"{s.Barcode}\t{s.ArrayRow}\t{s.ArrayColumn}\t{s.PixelRow}\t{s.PixelColumn}\n"));
            }
        });
    }

    /// <summary>The reference iStar's input folder: cnts.tsv, locs-raw.tsv, pixel-size-raw.txt, radius-raw.txt, pixel-size.txt (+ he-raw.jpg).</summary>
    private static void WriteIstarFolder(string folder, List<Spot> inTissue, float[] dense, ExpressionModel model, double mpp)
    {
        Directory.CreateDirectory(folder);
        int genes = model.GeneCount;
        AtomicFile.WriteText(Path.Combine(folder, "cnts.tsv"), w =>
        {
            w.Write("spot\t" + string.Join('\t', model.GeneNames) + "\n");
            var line = new StringBuilder();
            for (int s = 0; s < inTissue.Count; s++)
            {
                line.Clear().Append(inTissue[s].Barcode);
                for (int g = 0; g < genes; g++)
                {
                    line.Append('\t').Append(((long)dense[((long)s * genes) + g]).ToString(CultureInfo.InvariantCulture));
                }

                w.Write(line.Append('\n').ToString());
            }
        });
        AtomicFile.WriteText(Path.Combine(folder, "locs-raw.tsv"), w =>
        {
            w.Write("spot\tx\ty\n");
            foreach (var s in inTissue)
            {
                w.Write(FormattableString.Invariant($"{s.Barcode}\t{s.PixelColumn}\t{s.PixelRow}\n"));
            }
        });
        AtomicFile.WriteText(Path.Combine(folder, "pixel-size-raw.txt"), w => w.Write(mpp.ToString("R", CultureInfo.InvariantCulture) + "\n"));
        AtomicFile.WriteText(Path.Combine(folder, "radius-raw.txt"), w => w.Write((SpotDiameterMicrons / mpp * 0.5).ToString("R", CultureInfo.InvariantCulture) + "\n"));
        AtomicFile.WriteText(Path.Combine(folder, "pixel-size.txt"), w => w.Write("0.5\n"));
    }

    private static void WriteImages(byte[] rgb, int width, int height, double mpp, string slidePath, string spatial, string istarJpeg)
    {
        using var image = Image.NewFromMemory(rgb, width, height, 3, Enums.BandFormat.Uchar);
        double pixelsPerMm = 1000.0 / mpp;
        AtomicFile.Write(slidePath, p => image.Tiffsave(
            p,
            compression: Enums.ForeignTiffCompression.Jpeg,
            q: 90,
            tile: true,
            tileWidth: 256,
            tileHeight: 256,
            resunit: Enums.ForeignTiffResunit.Cm,
            xres: pixelsPerMm,
            yres: pixelsPerMm,
            bigtiff: (long)width * height * 3 > 3_000_000_000L));
        AtomicFile.Write(istarJpeg, p => image.Jpegsave(p, q: 90));
        var (hires, lowres) = PreviewScales(width, height);
        using (var hi = image.Resize(hires))
        {
            AtomicFile.Write(Path.Combine(spatial, "tissue_hires_image.png"), p => hi.Pngsave(p));
        }

        using (var lo = image.Resize(lowres))
        {
            AtomicFile.Write(Path.Combine(spatial, "tissue_lowres_image.png"), p => lo.Pngsave(p));
        }
    }

    private static void WriteParameters(string path, SimulationOptions options, TissueLayout layout, ExpressionModel model, int widthPx, int heightPx, int hb, int wb, int spots, int spotsInTissue)
    {
        var types = Enum.GetValues<CellType>();
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["generator"] = "istar simulate " + IstarInfo.Version,
            ["seed"] = options.Seed,
            ["width_um"] = widthPx * options.MicronsPerPixel,
            ["height_um"] = heightPx * options.MicronsPerPixel,
            ["microns_per_pixel"] = options.MicronsPerPixel,
            ["slide"] = new Dictionary<string, object> { ["file"] = options.RenderSlide ? "slide.tif" : string.Empty, ["width_px"] = widthPx, ["height_px"] = heightPx },
            ["space_ranger"] = "outs/ (filtered_feature_bc_matrix MEX gz, spatial/tissue_positions.csv, scalefactors_json.json, tissue_hires/lowres_image.png)",
            ["istar_folder"] = "istar/ (cnts.tsv, locs-raw.tsv, pixel-size-raw.txt, radius-raw.txt, pixel-size.txt, he-raw.jpg)",
            ["genes"] = model.GeneCount,
            ["depth"] = options.Depth,
            ["counts_per_cell_at_depth_1"] = ExpressionModel.CountsPerCell,
            ["spot"] = new Dictionary<string, object>
            {
                ["diameter_um"] = SpotDiameterMicrons,
                ["pitch_um"] = SpotPitchMicrons,
                ["diameter_px"] = SpotDiameterMicrons / options.MicronsPerPixel,
                ["spots"] = spots,
                ["spots_in_tissue"] = spotsInTissue,
                ["footprint"] = "iStar's disk: centre block (round(y/8 µm), round(x/8 µm)) half-even, offsets di^2 + dj^2 <= 3.4375^2 (37 blocks)",
                ["counts"] = "Poisson(sum of truth over the footprint)",
            },
            ["truth"] = new Dictionary<string, object>
            {
                ["block_um"] = SimulatedSample.BlockMicrons,
                ["block_rows"] = hb,
                ["block_columns"] = wb,
                ["origin"] = "block (0, 0) covers µm [0, 8) x [0, 8) at the top-left corner of the slide",
                ["expression"] = "truth/expression.npy float32 (genes, block_rows, block_columns): expected counts per block, depth included",
                ["cell_counts"] = "truth/cell_counts.npy float32 (cell_types, block_rows, block_columns): nuclei centred in each block",
                ["composition"] = "truth/composition.npy float32 (cell_types, block_rows, block_columns): cell_counts / cells in block",
                ["spot_expected"] = "truth/spot_expected.npy float32 (spots_in_tissue, genes): Poisson means in barcodes.tsv order",
            },
            ["cell_types"] = types.Select(t => new Dictionary<string, object>
            {
                ["name"] = t.ToString(),
                ["rna_content"] = ExpressionModel.RnaContent[(int)t],
                ["hypoxia_strength"] = ExpressionModel.HypoxiaStrength[(int)t],
                ["markers"] = ExpressionModel.Markers[(int)t],
                ["cells"] = layout.Cells.Count(c => c.Type == t),
            }).ToList(),
            ["programs"] = new Dictionary<string, object>
            {
                ["hypoxia"] = new Dictionary<string, object> { ["genes"] = ExpressionModel.HypoxiaGenes, ["level"] = FormattableString.Invariant($"1 - exp(-d / {ExpressionModel.HypoxiaLength} µm), d = distance to the nearest vessel wall") },
                ["perivascular"] = new Dictionary<string, object> { ["genes"] = ExpressionModel.PerivascularGenes, ["strength"] = ExpressionModel.PerivascularStrength, ["level"] = FormattableString.Invariant($"exp(-d / {ExpressionModel.PerivascularLength} µm)") },
            },
            ["structures"] = new Dictionary<string, object>
            {
                ["vessels"] = layout.Vessels.Count,
                ["immune_aggregates"] = layout.Aggregates.Count,
            },
        };
        AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(parameters, IndentedJson)));
    }
}

/// <summary>Writes a file under a temporary name in the same folder, then renames it over the target.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<string> write)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = Path.Combine(directory, "." + Path.GetFileNameWithoutExtension(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..8] + Path.GetExtension(path));
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static void WriteText(string path, Action<TextWriter> write, bool gzip = false) => Write(path, temp =>
    {
        using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Optimal) : file;
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16);
        write(writer);
    });
}
