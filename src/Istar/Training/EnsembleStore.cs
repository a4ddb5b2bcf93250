using System.Text.Json;
using Istar.Formats.Npy;

namespace Istar.Training;

/// <summary>
/// Saves and loads a trained ensemble as a folder: <c>ensemble.json</c> (genes, count min/max, nominal footprint size,
/// feature standardization, preset, per-state epoch losses) and <c>states/NN/&lt;name&gt;.npy</c> with each member's
/// parameters under the reference's state-dict names and layout (weights out × in), so a state folder can be loaded
/// into the reference's <c>ForwardSumModel</c> and back.
/// </summary>
internal static class EnsembleStore
{
    private const string Manifest = "ensemble.json";

    public static void Save(ExpressionEnsemble ensemble, string folder)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        Directory.CreateDirectory(folder);
        int state = 0;
        foreach (var head in ensemble.Heads)
        {
            for (int m = 0; m < head.Members; m++, state++)
            {
                string dir = Path.Combine(folder, "states", state.ToString("00", System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                var parameters = head.ExportMember(m);
                foreach (string name in ExpressionHead.ReferenceNames())
                {
                    var values = parameters[name];
                    int[] shape = name.EndsWith(".weight", StringComparison.Ordinal)
                        ? [values.Length / InputsOf(head, name), InputsOf(head, name)]
                        : [values.Length];
                    NpyArray.WriteFloat32(Path.Combine(dir, name + ".npy"), values, shape);
                }
            }
        }

        var manifest = new StoredEnsemble(
            ensemble.Members,
            ensemble.Channels,
            [.. ensemble.GeneNames],
            ensemble.CountMin,
            ensemble.CountMax,
            ensemble.NominalFootprintSize,
            ensemble.FeatureMean,
            ensemble.FeatureStd,
            ensemble.Options.Preset.ToString(),
            ensemble.Options.Seed,
            [.. ensemble.EpochLoss]);
        File.WriteAllText(Path.Combine(folder, Manifest), JsonSerializer.Serialize(manifest));
    }

    public static ExpressionEnsemble Load(string folder)
    {
        string path = Path.Combine(folder, Manifest);
        var stored = JsonSerializer.Deserialize<StoredEnsemble>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path}: empty manifest");
        var head = new ExpressionHead(stored.Members, stored.Channels, stored.GeneNames.Length);
        for (int m = 0; m < stored.Members; m++)
        {
            string dir = Path.Combine(folder, "states", m.ToString("00", System.Globalization.CultureInfo.InvariantCulture));
            var state = ExpressionHead.ReferenceNames().ToDictionary(n => n, n => NpyArray.Read(Path.Combine(dir, n + ".npy")).ToFloat32(), StringComparer.Ordinal);
            head.LoadMember(m, state);
        }

        var preset = Enum.Parse<TrainingPreset>(stored.Preset);
        var options = TrainingOptions.For(preset) with { States = stored.Members, Seed = stored.Seed };
        return new ExpressionEnsemble([head], stored.FeatureMean, stored.FeatureStd, stored.GeneNames, stored.CountMin, stored.CountMax, stored.NominalFootprintSize, stored.EpochLoss, options);
    }

    private static int InputsOf(ExpressionHead head, string name) =>
        name.StartsWith("net_lat.0.", StringComparison.Ordinal) ? head.Inputs : ExpressionHead.Hidden;

    private sealed record StoredEnsemble(
        int Members,
        int Channels,
        string[] GeneNames,
        float[] CountMin,
        float[] CountMax,
        double NominalFootprintSize,
        float[]? FeatureMean,
        float[]? FeatureStd,
        string Preset,
        long Seed,
        float[][] EpochLoss);
}
