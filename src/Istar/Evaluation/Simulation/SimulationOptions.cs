using Istar.Input;

namespace Istar.Evaluation.Simulation;

/// <summary>What to simulate: the slide size, pixel size, gene panel, sequencing depth and random seed.</summary>
public sealed record SimulationOptions
{
    /// <summary>Folder the Space Ranger-like output, the slide and the truth are written to (created if missing).</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Slide width in µm (default 2.4 mm: about 500 Visium spots over the tissue).</summary>
    public double WidthMicrons { get; init; } = 2400;

    /// <summary>Slide height in µm.</summary>
    public double HeightMicrons { get; init; } = 2400;

    /// <summary>Pixel size of the full-resolution slide in µm (default 0.5, the working resolution, so no rescaling).</summary>
    public double MicronsPerPixel { get; init; } = 0.5;

    /// <summary>Number of genes (30 cell-type markers first, then 13 structure-program genes, then background genes).</summary>
    public int Genes { get; init; } = 100;

    /// <summary>Seed; the same seed gives byte-identical output.</summary>
    public int Seed { get; init; }

    /// <summary>Sequencing depth factor: expected counts scale with it (1 ≈ 100 counts per cell over the panel).</summary>
    public double Depth { get; init; } = 1.0;

    /// <summary>Whether to render and write the slide image (tests of the counts alone may skip it).</summary>
    internal bool RenderSlide { get; init; } = true;

    /// <summary>Throws an <see cref="InputException"/> listing every out-of-range option.</summary>
    public void Validate()
    {
        var report = new InputReport();
        if (string.IsNullOrWhiteSpace(OutputFolder))
        {
            report.Fail("--out", "no output folder given.", "Pass the folder to write the simulated sample to.");
        }

        if (!(WidthMicrons >= 300 && WidthMicrons <= 20000))
        {
            report.Fail("--width-um", $"{WidthMicrons} µm is outside 300–20000 µm.");
        }

        if (!(HeightMicrons >= 300 && HeightMicrons <= 20000))
        {
            report.Fail("--height-um", $"{HeightMicrons} µm is outside 300–20000 µm.");
        }

        if (!(MicronsPerPixel >= 0.1 && MicronsPerPixel <= 2))
        {
            report.Fail("--pixel-size", $"{MicronsPerPixel} µm/px is outside 0.1–2 µm/px.");
        }
        else if ((double)Math.Round(WidthMicrons / MicronsPerPixel) * Math.Round(HeightMicrons / MicronsPerPixel) * 3 > int.MaxValue)
        {
            report.Fail("--width-um", "the slide would exceed 2 GB of RGB pixels.", "Use a smaller area or a larger --pixel-size.");
        }

        if (Genes < 1 || Genes > 20000)
        {
            report.Fail("--genes", $"{Genes} is outside 1–20000.");
        }

        if (!(Depth > 0 && Depth <= 1000))
        {
            report.Fail("--depth", $"{Depth} is outside (0, 1000].");
        }

        report.ThrowIfErrors();
    }
}
