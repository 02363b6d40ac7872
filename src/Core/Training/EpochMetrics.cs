namespace SegaLearn.Training;

/// <summary>
/// One epoch's figures (0-based <see cref="Epoch"/>). <see cref="TrainLoss"/> is the mean loss over the whole
/// training set after the epoch, L2 term included, as the seed computes it (or the mean of the epoch's batch
/// losses when full-set evaluation is off); validation figures are null without validation data.
/// <see cref="LearningRate"/> is the rate the epoch trained with. <see cref="Seconds"/> is the whole epoch, its steps
/// and its end-of-epoch evaluation (<see cref="EvaluationSeconds"/> of it), so <see cref="SamplesPerSecond"/> is the rate
/// a user waits through, not that of the steps alone.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds,
    double SamplesPerSecond,
    double EvaluationSeconds = 0);
