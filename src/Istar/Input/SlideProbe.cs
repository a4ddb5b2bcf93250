using Istar.Imaging;

namespace Istar.Input;

/// <summary>What the readers need to know about an image without decoding it: size and recorded pixel size.</summary>
internal sealed record SlideHeader(string Path, int Width, int Height, double? MetadataMicronsPerPixel);

/// <summary>
/// The one place where Input looks at an image (header only, through <see cref="Slide"/>), so the dependency on
/// Imaging stays in a single file.
/// </summary>
internal static class SlideProbe
{
    /// <summary>Reads the header; adds the problem to <paramref name="report"/> and returns null when it cannot.</summary>
    public static SlideHeader? TryRead(string path, InputReport report)
    {
        try
        {
            using var slide = Slide.Open(path);
            return new SlideHeader(path, slide.Width, slide.Height, slide.MetadataMicronsPerPixel());
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
}
