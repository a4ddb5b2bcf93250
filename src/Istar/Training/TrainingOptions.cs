namespace Istar.Training;

/// <summary>Named settings bundles for <see cref="ExpressionTrainer"/>.</summary>
public enum TrainingPreset
{
    /// <summary>
    /// The reference recipe (spec §10.3): raw features, Adam 1e-4, batch min(128, n/16), 400 epochs, 5 independent
    /// states (run side by side as one batched model, which gives the same trajectories as one by one).
    /// </summary>
    Faithful,

    /// <summary>
    /// Our default: standardized features, larger batches, a higher peak learning rate with warm-up and cosine decay,
    /// and far fewer epochs (with a floor on optimizer steps for small data sets); 5 members side by side.
    /// </summary>
    Fast,
}

/// <summary>Learning-rate schedule over the whole run.</summary>
internal enum LearningRateSchedule
{
    /// <summary>Constant (the reference).</summary>
    Constant,

    /// <summary>Linear warm-up over the first 5 % of steps to the peak, then cosine decay to 1 % of it.</summary>
    WarmupCosine,
}

/// <summary>How <see cref="ExpressionTrainer"/> trains the ensemble. Start from <see cref="Faithful"/> or <see cref="Fast"/>.</summary>
internal sealed record TrainingOptions
{
    /// <summary>The preset these options came from (recorded in provenance).</summary>
    public TrainingPreset Preset { get; init; } = TrainingPreset.Fast;

    /// <summary>Passes over the spots.</summary>
    public int Epochs { get; init; } = 400;

    /// <summary>Ensemble members ("states").</summary>
    public int States { get; init; } = 5;

    /// <summary>Adam learning rate (the peak under a schedule).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>Spots per batch; null = the reference's min(128, n/16), at least 1.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Run at least this many optimizer steps, adding epochs when the data set is small (0 = exactly <see cref="Epochs"/>).</summary>
    public int MinimumSteps { get; init; }

    /// <summary>Learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Standardize each feature channel (mean 0, sd 1 over the training blocks) before the MLP.</summary>
    public bool StandardizeFeatures { get; init; }

    /// <summary>
    /// Train all members at once as one batched model. Each member still has its own initialization and its own
    /// shuffled batches, so this only changes speed (and summation order), not the result.
    /// </summary>
    public bool TrainMembersTogether { get; init; }

    /// <summary>Seed of initialization and shuffling: the same seed gives the same ensemble.</summary>
    public long Seed { get; init; }

    /// <summary>Torch intra-op threads; null leaves the process setting alone.</summary>
    public int? Threads { get; init; }

    /// <summary>Golden replay: initial reference-named weights per state (overrides seeded initialization).</summary>
    internal IReadOnlyList<IReadOnlyDictionary<string, float[]>>? InitialWeights { get; init; }

    /// <summary>Golden replay: the spot order of (state, epoch) instead of a seeded shuffle.</summary>
    internal Func<int, int, int[]>? SampleOrder { get; init; }

    /// <summary>Observes the loss of every optimizer step: (state or -1 for all members together, step, loss).</summary>
    internal Action<int, int, float>? StepObserver { get; init; }

    /// <summary>The reference recipe.</summary>
    public static TrainingOptions Faithful { get; } = new()
    {
        Preset = TrainingPreset.Faithful,
        Epochs = 400,
        States = 5,
        LearningRate = 1e-4,
        Schedule = LearningRateSchedule.Constant,
        StandardizeFeatures = false,
        TrainMembersTogether = true,
    };

    /// <summary>The fast default (see <see cref="TrainingPreset.Fast"/>).</summary>
    public static TrainingOptions Fast { get; } = new()
    {
        Preset = TrainingPreset.Fast,
        Epochs = 60,
        MinimumSteps = 800,
        States = 5,
        LearningRate = 2e-3,
        BatchSize = 256,
        Schedule = LearningRateSchedule.WarmupCosine,
        StandardizeFeatures = true,
        TrainMembersTogether = true,
    };

    /// <summary>The options for a preset.</summary>
    public static TrainingOptions For(TrainingPreset preset) => preset == TrainingPreset.Faithful ? Faithful : Fast;

    /// <summary>
    /// The batch size for <paramref name="spots"/> spots. Faithful: the explicit one, else min(128, n/16); fast: the
    /// explicit one as a cap on n/8 (so small data sets still get several steps per epoch), at least 16. Always 1 … n.
    /// </summary>
    public int BatchSizeFor(int spots)
    {
        int size = Preset == TrainingPreset.Fast
            ? Math.Min(BatchSize ?? 256, Math.Max(16, spots / 8))
            : BatchSize ?? Math.Min(128, spots / 16);
        return Math.Clamp(size, 1, Math.Max(1, spots));
    }

    /// <summary>Epochs actually run for <paramref name="spots"/> spots (raised to reach <see cref="MinimumSteps"/>).</summary>
    public int EpochsFor(int spots)
    {
        int steps = (spots + BatchSizeFor(spots) - 1) / BatchSizeFor(spots);
        return MinimumSteps <= 0 || steps == 0 ? Epochs : Math.Max(Epochs, (MinimumSteps + steps - 1) / steps);
    }
}
