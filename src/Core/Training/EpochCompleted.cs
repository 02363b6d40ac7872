namespace SegaLearn.Training;

/// <summary>An epoch finished and its metrics were computed.</summary>
public sealed record EpochCompleted(EpochMetrics Metrics, int Epochs) : TrainingEvent;
