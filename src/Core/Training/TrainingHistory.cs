namespace SegaLearn.Training;

/// <summary>What <see cref="Trainer.Train"/> returns: per-epoch metrics, and where early stopping ended.</summary>
public sealed record TrainingHistory(IReadOnlyList<EpochMetrics> Epochs, int BestEpoch, bool StoppedEarly);
