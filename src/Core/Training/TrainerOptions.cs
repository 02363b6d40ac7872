using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;

namespace SegaLearn.Training;

/// <summary>
/// How a <see cref="Trainer"/> trains. Every property has the seed's default (<c>train(..., epochs=100,
/// batch_size=32, early_stopping_threshold=10)</c>, Adam, no scheduler) or the single-process behaviour; values are
/// checked when they are set, and a bad one raises <see cref="ArgumentOutOfRangeException"/> naming the property.
/// </summary>
public sealed record TrainerOptions
{
    private readonly int _epochs = 100;
    private readonly int _batchSize = 32;
    private readonly int _microbatchSize = 32;
    private readonly int _earlyStoppingPatience = 10;

    /// <summary>Passes over the training set (default 100); &gt;= 1.</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = AtLeast(value, 1, nameof(Epochs));
    }

    /// <summary>Rows per optimizer step (default 32); &gt;= 1. A batch larger than the training set is the whole set.</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = AtLeast(value, 1, nameof(BatchSize));
    }

    /// <summary>
    /// Rows per microbatch (default 32); &gt;= 1. A batch is cut into microbatches whose gradients are added in a fixed
    /// tree, so the trained bits depend on this size but not on the engine or its number of workers.
    /// </summary>
    public int MicrobatchSize
    {
        get => _microbatchSize;
        init => _microbatchSize = AtLeast(value, 1, nameof(MicrobatchSize));
    }

    /// <summary>
    /// Epochs without a new best monitored loss (validation loss with validation data, else training loss) before
    /// training stops (default 10, the seed's <c>early_stopping_threshold</c>); 0 turns early stopping off. The best
    /// epoch's weights are restored at the end either way.
    /// </summary>
    public int EarlyStoppingPatience
    {
        get => _earlyStoppingPatience;
        init => _earlyStoppingPatience = AtLeast(value, 0, nameof(EarlyStoppingPatience));
    }

    /// <summary>
    /// The precision of the parameters and gradients that workers exchange (default <see cref="WireFormat.Float32"/>).
    /// It is part of the numbers, not only of the transport: one process computes the same way, so a run gives the same
    /// bits in one process and on any number of workers. See <see cref="WireFormat.BFloat16"/>.
    /// </summary>
    public WireFormat Wire { get; init; }

    /// <summary>The optimizer; null (the default) means a new <see cref="AdamOptimizer"/> with its defaults.</summary>
    public Optimizer? Optimizer { get; init; }

    /// <summary>Steps after every epoch with the monitored loss; null (the default) keeps the learning rate.</summary>
    public ILearningRateScheduler? Scheduler { get; init; }

    /// <summary>Validation features, measured after every epoch; give <see cref="ValidationLabels"/> with them.</summary>
    public Features? ValidationFeatures { get; init; }

    /// <summary>The labels of <see cref="ValidationFeatures"/>: an <c>int[]</c> of classes, or a <c>float[]</c> of values for regression.</summary>
    public Targets? ValidationLabels { get; init; }

    /// <summary>Receives steps, epochs and messages (scheduler decays, early stopping, resuming) as they happen.</summary>
    public Action<TrainingEvent>? Progress { get; init; }

    /// <summary>Where gradients are computed; null (the default) means a <see cref="LocalTrainingEngine"/> owned by the run.</summary>
    public ITrainingEngine? Engine { get; init; }

    /// <summary>
    /// Whether every epoch ends with the loss and accuracy over the whole training set (default true, as the seed);
    /// false reports the mean of the epoch's batch losses instead and saves that pass.
    /// </summary>
    public bool EvaluateTrainingSet { get; init; } = true;

    /// <summary>Periodic checkpoints and resuming; null (the default) writes none.</summary>
    public CheckpointOptions? Checkpoints { get; init; }

    /// <summary>Checked between steps: cancelling stops training with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    private static int AtLeast(int value, int minimum, string name) =>
        value >= minimum ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {minimum}, got {value}");
}
