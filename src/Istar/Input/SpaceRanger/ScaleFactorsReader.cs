using System.Text.Json;

namespace Istar.Input.SpaceRanger;

/// <summary>Reads <c>spatial/scalefactors_json.json</c>.</summary>
internal static class ScaleFactorsReader
{
    public static ScaleFactors Read(string path)
    {
        const string name = "spatial/scalefactors_json.json";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InputException(name, "expected a JSON object, found " + doc.RootElement.ValueKind + ".", "Copy the file again from Space Ranger's outs/spatial/.");
            }

            double? Get(string key) =>
                doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

            return new ScaleFactors(name, Get("spot_diameter_fullres"), Get("tissue_hires_scalef"), Get("tissue_lowres_scalef"), Get("fiducial_diameter_fullres"));
        }
        catch (JsonException e)
        {
            throw new InputException(name, $"expected JSON, found a syntax error ({e.Message}).", "Copy the file again from Space Ranger's outs/spatial/.");
        }
    }
}
