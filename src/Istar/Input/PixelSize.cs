namespace Istar.Input;

/// <summary>Where a pixel size came from, strongest first.</summary>
public enum PixelSizeSource
{
    /// <summary>Given by the user (option or <c>pixel-size-raw.txt</c>).</summary>
    Explicit,
    /// <summary>Read from the slide's metadata (TIFF resolution tags, Aperio MPP).</summary>
    ImageMetadata,
    /// <summary>Derived from the spot diameter in pixels and the platform's spot size in µm.</summary>
    SpotDiameter,
    /// <summary>An assumed default; the user should confirm it.</summary>
    Assumed,
}

/// <summary>Microns per full-resolution pixel, with where that number came from.</summary>
public readonly record struct PixelSize(double MicronsPerPixel, PixelSizeSource Source, string Detail)
{
    /// <summary>The smallest plausible value (µm/px).</summary>
    public const double MinPlausible = 0.05;

    /// <summary>The largest plausible value (µm/px).</summary>
    public const double MaxPlausible = 20;

    /// <summary>True when the value lies in the plausible range for H&amp;E slides.</summary>
    public bool IsPlausible => double.IsFinite(MicronsPerPixel) && MicronsPerPixel >= MinPlausible && MicronsPerPixel <= MaxPlausible;

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{MicronsPerPixel:0.####} µm/px ({Source}: {Detail})");
}
