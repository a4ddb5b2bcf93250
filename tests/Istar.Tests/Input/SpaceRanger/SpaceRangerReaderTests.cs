using Istar.Input;
using Istar.Tests.Support;

namespace Istar.Tests.Input.SpaceRanger;

public sealed class SpaceRangerReaderTests
{
    private static string MouseBrainOuts => SharedData.Require("data", "visium-v1-adult-mouse-brain", "spaceranger-subset-section1", "outs");

    private static string Formats(params string[] parts) => SharedData.Require(["data", "visium-format-fixtures", .. parts]);

    [Fact]
    public void Mouse_brain_raw_h5_keeps_the_22_in_tissue_spots_and_says_the_filtered_matrix_is_missing()
    {
        var sample = SampleReader.Read(new SampleSource(MouseBrainOuts));

        Assert.Equal(SampleFormat.SpaceRanger, sample.Format);
        Assert.Equal(SpotPlatform.Visium, sample.Platform);
        Assert.Equal(22, sample.SpotCount);
        Assert.All(sample.InTissue, Assert.True);
        Assert.Equal(49, sample.GeneCount);
        Assert.Equal("Xkr4", sample.GeneNames[0]);
        Assert.Equal("ENSMUSG00000051951", sample.GeneIds[0]);
        Assert.Equal(384, sample.Counts.RowSums().Sum());
        Assert.Equal(89.44476048022638, sample.SpotDiameterPixels, 9);
        Assert.Equal(PixelSizeSource.SpotDiameter, sample.PixelSize.Source);
        Assert.Equal(55 / 89.44476048022638, sample.PixelSize.MicronsPerPixel, 9);
        Assert.Contains(sample.Warnings, w => w.Location == "raw_feature_bc_matrix.h5" && w.Problem.Contains("filtered", StringComparison.Ordinal));

        // AAACAAGTATCTCCCA-1,1,50,102,7237,8230: x = column, y = row.
        int i = sample.SpotIds.ToList().IndexOf("AAACAAGTATCTCCCA-1");
        Assert.Equal(new FullResPoint(8230, 7237), sample.Centres[i]);
    }

    [Fact]
    public void Mouse_brain_all_spots_keeps_out_of_tissue_spots_with_their_flag()
    {
        var sample = SampleReader.Read(new SampleSource(MouseBrainOuts) { AllSpots = true });

        Assert.Equal(50, sample.SpotCount);
        Assert.Equal(22, sample.InTissueCount);
        Assert.Equal(607, sample.Counts.RowSums().Sum());
    }

    [Fact]
    public void Mouse_brain_mex_folder_reads_when_pointed_at_directly()
    {
        string mex = Path.Combine(MouseBrainOuts, "raw_feature_bc_matrix");

        var sample = SampleReader.Read(new SampleSource(mex) { AllSpots = true });

        Assert.Equal(50, sample.SpotCount);
        Assert.Equal(50, sample.GeneCount);
        Assert.Equal(338, sample.Counts.Values.Length);
        Assert.Equal("AAACAACGAATAGTTC-1", sample.SpotIds[0]);
        Assert.Equal(new FullResPoint(2312, 1252), sample.Centres[0]);
    }

    [Fact]
    public void The_folder_holding_outs_is_accepted()
    {
        string parent = Path.GetDirectoryName(MouseBrainOuts)!;

        var sample = SampleReader.Read(new SampleSource(parent));

        Assert.Equal(22, sample.SpotCount);
        Assert.Equal(MouseBrainOuts, sample.SourcePath);
    }

    [Fact]
    public void Scanpy_spaceranger_1_h5_with_float64_data_reads_its_100_spots()
    {
        var sample = SampleReader.Read(new SampleSource(Formats("scanpy-visium_data", "1.0.0")));

        Assert.Equal(100, sample.SpotCount);
        Assert.Equal(100, sample.GeneCount);
        Assert.Equal("AAACAAGTATCTCCCA-1", sample.SpotIds[0]);
        Assert.Equal(932, sample.Counts.RowSums().Sum());
        Assert.Equal(89.42751063343188, sample.SpotDiameterPixels, 9);
    }

    [Fact]
    public void Seurat_h5_with_variable_length_strings_joins_2695_spots_by_barcode()
    {
        var sample = SampleReader.Read(new SampleSource(Formats("seurat-visium", "filtered_feature_bc_matrix.h5")));

        Assert.Equal(2695, sample.SpotCount);
        Assert.Equal(100, sample.GeneCount);
        Assert.Equal("AAACAAGTATCTCCCA-1", sample.SpotIds[0]);
        Assert.Equal(new FullResPoint(8501, 7475), sample.Centres[0]);
        Assert.Equal(2f, sample.Counts.DenseColumn(sample.GeneNames.ToList().IndexOf("Mrpl15"))[0]);
        Assert.Equal(132231, sample.Counts.RowSums().Sum());
    }

    [Fact]
    public void Sfe_sample01_reads_tissue_positions_csv_with_a_header_and_mex()
    {
        var sample = SampleReader.Read(new SampleSource(Formats("sfe-sample01")));

        Assert.Equal(12, sample.SpotCount);
        Assert.Equal(["ACPP", "KLK3", "MSMB", "TGM4", "TAGLN"], sample.GeneNames);
        Assert.Equal("GTGGCGTGCACCAGAG-1", sample.SpotIds[0]);
        Assert.Equal(new FullResPoint(19828, 3932), sample.Centres[0]);
        Assert.Equal(188.56909, sample.SpotDiameterPixels, 5);
    }

    [Fact]
    public void The_hires_png_given_as_the_slide_is_named_as_the_likely_cause()
    {
        string dir = Formats("scanpy-visium_data", "1.0.0");

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir) { ImagePath = Path.Combine(dir, "spatial", "tissue_hires_image.png") }));

        var p = Assert.Single(e.Problems);
        Assert.Equal("spatial/tissue_positions_list.csv", p.Location);
        Assert.StartsWith("expected spot centres inside the image tissue_hires_image.png (2,000 × 2,000 px), found 100 of 100 spots outside, e.g. AAACAAGTATCTCCCA-1 at (9,811, 8,513)", p.Problem, StringComparison.Ordinal);
        Assert.Contains("hires image", p.Hint, StringComparison.Ordinal);
        Assert.Contains("tissue_hires_scalef", p.Hint, StringComparison.Ordinal);
        Assert.EndsWith("Pass the full-resolution slide the positions refer to with --image.", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lowres_png_given_as_the_slide_is_named_as_the_likely_cause()
    {
        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(MouseBrainOuts) { ImagePath = Path.Combine(MouseBrainOuts, "spatial", "tissue_lowres_image.png") }));

        Assert.Contains("lowres image", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_downscaled_tif_given_as_the_slide_says_how_much_too_small_it_is()
    {
        string small = SharedData.Require("data", "visium-v1-adult-mouse-brain", "images", "V1_Adult_Mouse_Brain_image_small.tif");

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(MouseBrainOuts) { ImagePath = small }));

        Assert.Contains("1,129 × 1,176 px", e.Problem, StringComparison.Ordinal);
        Assert.Contains("downscaled copy", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Barcodes_are_joined_by_id_not_by_order()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, spots: 3);
        string positions = Path.Combine(outs, "spatial", "tissue_positions_list.csv");
        var lines = File.ReadAllLines(positions);
        File.WriteAllLines(positions, lines.Reverse());

        var sample = SampleReader.Read(new SampleSource(dir.Path));

        Assert.Equal(["B0-1", "B1-1", "B2-1"], sample.SpotIds);
        Assert.Equal(new FullResPoint(2000, 1000), sample.Centres[0]);
        Assert.Equal(new FullResPoint(2200, 1400), sample.Centres[2]);
    }

    [Fact]
    public void Barcodes_without_positions_are_counted_with_examples_and_a_suffix_hint()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, spots: 3);
        string positions = Path.Combine(outs, "spatial", "tissue_positions_list.csv");
        File.WriteAllLines(positions, File.ReadAllLines(positions).Select(l => l.Replace("-1,", ",", StringComparison.Ordinal)));

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(dir.Path)));

        var p = e.Problems[0];
        Assert.Equal("filtered_feature_bc_matrix/matrix.mtx", p.Location);
        Assert.Contains("found 3 of 3 without one, e.g. B0-1 (filtered_feature_bc_matrix/barcodes.tsv, line 1)", p.Problem, StringComparison.Ordinal);
        Assert.Contains("the counts use ids like B0-1 and the positions ids like B0", p.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_gene_expression_features_are_dropped()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, spots: 2, genes: 3);
        string features = Path.Combine(outs, "filtered_feature_bc_matrix", "features.tsv");
        var lines = File.ReadAllLines(features);
        lines[1] = lines[1].Replace("Gene Expression", "Antibody Capture", StringComparison.Ordinal);
        File.WriteAllLines(features, lines);

        var sample = SampleReader.Read(new SampleSource(outs));

        Assert.Equal(["G0", "G2"], sample.GeneNames);
        Assert.Equal([1f, 3f], sample.Counts.DenseColumns([0, 1]).Take(2));
    }

    [Fact]
    public void Missing_positions_file_names_both_spellings()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir);
        File.Delete(Path.Combine(outs, "spatial", "tissue_positions_list.csv"));

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(outs)));

        Assert.Equal("outs/spatial/", e.Location);
        Assert.Contains("tissue_positions.csv", e.Problem, StringComparison.Ordinal);
        Assert.Contains("tissue_positions_list.csv", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_with_no_in_tissue_spots_is_an_error_that_suggests_all_spots()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, inTissue: _ => false, headerPositions: true);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(outs)));

        Assert.Equal("spatial/tissue_positions.csv", e.Location);
        Assert.Contains("in-tissue", e.Problem, StringComparison.Ordinal);
        Assert.Contains("--all-spots", e.Hint, StringComparison.Ordinal);
    }
    [Fact]
    public void Gzipped_mex_with_a_legacy_two_column_genes_tsv_reads()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, spots: 3, genes: 2);
        string mex = Path.Combine(outs, "filtered_feature_bc_matrix");
        File.WriteAllLines(Path.Combine(mex, "genes.tsv"), ["ENSG000\tG0", "ENSG001\tG1"]);
        File.Delete(Path.Combine(mex, "features.tsv"));
        foreach (string name in new[] { "matrix.mtx", "barcodes.tsv", "genes.tsv" })
        {
            string plain = Path.Combine(mex, name);
            using (var input = File.OpenRead(plain))
            using (var output = new System.IO.Compression.GZipStream(File.Create(plain + ".gz"), System.IO.Compression.CompressionLevel.Fastest))
            {
                input.CopyTo(output);
            }

            File.Delete(plain);
        }

        var sample = SampleReader.Read(new SampleSource(outs));

        Assert.Equal(["G0", "G1"], sample.GeneNames);
        Assert.Equal(["ENSG000", "ENSG001"], sample.GeneIds);
        Assert.Equal([1f, 2f, 2f, 3f, 3f, 4f], sample.Counts.DenseColumns([0, 1]));
    }
    [Fact]
    public void A_probe_level_matrix_is_refused_with_the_gene_level_file_to_use()
    {
        string probe = Formats("scanpy-visium_data", "2.1.0", "raw_probe_bc_matrix.h5");

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(probe)));

        Assert.Equal("raw_probe_bc_matrix.h5, matrix/features", e.Location);
        Assert.Contains("probe-level", e.Problem, StringComparison.Ordinal);
        Assert.Contains("filtered_feature_bc_matrix.h5", e.Hint, StringComparison.Ordinal);
    }
    [Fact]
    public void A_barcode_listed_twice_in_the_positions_is_an_error_at_its_line()
    {
        using var dir = new TempDir();
        string outs = SampleFiles.SpaceRangerOuts(dir, spots: 2);
        string positions = Path.Combine(outs, "spatial", "tissue_positions_list.csv");
        File.AppendAllLines(positions, ["B0-1,1,0,0,1000,2000"]);

        var e = Assert.Throws<InputException>(() => SampleReader.Read(new SampleSource(outs)));

        Assert.Equal("spatial/tissue_positions_list.csv, line 4", e.Location);
        Assert.Equal("expected unique spot ids, found 1 repeated id(s), e.g. B0-1 (spatial/tissue_positions_list.csv, line 4).", e.Problem);
    }

    [Fact]
    public void Asking_for_the_raw_matrix_where_only_the_filtered_one_exists_warns_and_uses_it()
    {
        var sample = SampleReader.Read(new SampleSource(Formats("sfe-sample01")) { RawMatrix = true });

        Assert.Equal(12, sample.SpotCount);
        Assert.Contains(sample.Warnings, w => w.Location == "filtered_feature_bc_matrix" && w.Problem.Contains("found only the filtered one", StringComparison.Ordinal));
    }
    [Fact]
    public void Slide_metadata_beats_the_spot_diameter_and_a_disagreement_names_both()
    {
        string svs = SharedData.Require("data", "cmu-1-small-region-svs", "small_HE.svs");
        var report = new InputReport();

        var sample = SampleReader.TryRead(new SampleSource(MouseBrainOuts) { ImagePath = svs }, report);

        Assert.NotNull(sample);
        Assert.Equal(PixelSizeSource.ImageMetadata, sample.PixelSize.Source);
        Assert.Equal(0.499, sample.PixelSize.MicronsPerPixel, 3);
        var w = Assert.Single(report.Warnings, p => p.Location == "pixel size");
        Assert.Contains("(ImageMetadata: metadata of small_HE.svs)", w.Problem, StringComparison.Ordinal);
        Assert.Contains("(SpotDiameter: 55 µm Visium spot / 89.44 px", w.Problem, StringComparison.Ordinal);

        // The CMU slide is not this sample's image, so the spots also fall outside it.
        Assert.Contains(report.Errors, e => e.Problem.Contains("spots outside", StringComparison.Ordinal));
    }
}
