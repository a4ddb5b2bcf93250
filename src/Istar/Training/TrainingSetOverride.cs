using Istar.Input;
using Istar.Pipeline;

namespace Istar.Training;

/// <summary>
/// Trains on other spots than the sample's own, e.g. pooled pseudo-spots for evaluation without ground truth:
/// <see cref="Build"/> gets the sample and its training set and returns the set to train on. Only the train stage uses
/// it; the spot fit (<c>spots.h5ad</c>), the outputs and hold-out validation keep the sample's own spots.
/// <see cref="Key"/> must describe the transformation completely: it is part of the train stage's cache key.
/// </summary>
internal sealed record TrainingSetOverride(string Key, Func<SpotSample, TrainingSet, IRunLog, TrainingSet> Build);
