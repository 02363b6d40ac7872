namespace SegaLearn.Schedulers;

/// <summary>
/// Decays when the loss stops improving (the seed's <c>lr_scheduler_plateau</c>). It wraps a step or exponential
/// scheduler and uses only its <see cref="IReducibleScheduler.Reduce"/> (the inner schedule's own epochs are not
/// applied). After each epoch, with <c>best</c> starting at +∞:
/// <code>
/// if loss &lt; best - threshold: best = loss; wait = 0
/// else: wait = wait + 1; if wait &gt;= patience: inner.Reduce(); wait = 0
/// </code>
/// A reduction returns the message <c>"  --Plateau learning rate scheduler triggered, reducing learning rate"</c>.
/// The state to checkpoint is <see cref="BestLoss"/> and <see cref="Wait"/> (<see cref="CheckpointState"/>, <see cref="Restore"/>).
/// </summary>
public sealed class PlateauLRScheduler : ILearningRateScheduler
{
    /// <summary>The message returned when the plateau triggers a reduction.</summary>
    public const string TriggeredMessage = "  --Plateau learning rate scheduler triggered, reducing learning rate";

    private const string BestLossKey = "best_loss";
    private const string WaitKey = "wait";

    /// <param name="inner">The scheduler whose <see cref="IReducibleScheduler.Reduce"/> applies one decay.</param>
    /// <param name="patience">Epochs without improvement before a reduction (default 5); &gt; 0.</param>
    /// <param name="threshold">Least decrease of the loss that counts as an improvement (default 0.01); finite and &gt;= 0.</param>
    public PlateauLRScheduler(IReducibleScheduler inner, int patience = 5, double threshold = 0.01)
    {
        ArgumentNullException.ThrowIfNull(inner);
        SchedulerArguments.Positive(patience, nameof(patience));
        SchedulerArguments.NonNegative(threshold, nameof(threshold));
        Inner = inner;
        Patience = patience;
        Threshold = threshold;
    }

    public IReducibleScheduler Inner { get; }

    public int Patience { get; }

    public double Threshold { get; }

    /// <summary>The best loss seen so far (+∞ before the first epoch).</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>Epochs since the last improvement or reduction.</summary>
    public int Wait { get; private set; }

    /// <inheritdoc />
    /// <remarks>The inner scheduler's own message is not returned: the user sees the plateau message.</remarks>
    public string? Step(int epoch, double loss)
    {
        SchedulerArguments.Epoch(epoch, nameof(epoch));
        if (loss < BestLoss - Threshold)
        {
            BestLoss = loss;
            Wait = 0;
            return null;
        }

        Wait++;
        if (Wait < Patience)
        {
            return null;
        }

        Inner.Reduce();
        Wait = 0;
        return TriggeredMessage;
    }

    /// <inheritdoc />
    /// <remarks><c>best_loss</c> (<see cref="BestLoss"/>) and <c>wait</c> (<see cref="Wait"/>).</remarks>
    public IReadOnlyList<KeyValuePair<string, double>> CheckpointState => [new(BestLossKey, BestLoss), new(WaitKey, Wait)];

    /// <inheritdoc />
    public void RestoreCheckpointState(IReadOnlyList<KeyValuePair<string, double>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var best = state.FirstOrDefault(p => p.Key == BestLossKey);
        if (best.Key is null)
        {
            return;
        }

        var wait = state.FirstOrDefault(p => p.Key == WaitKey).Value;
        if (wait != Math.Floor(wait) || wait is < 0 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(state), wait, $"'{WaitKey}' must be a whole number of epochs");
        }

        Restore(best.Value, (int)wait);
    }

    /// <summary>Restores the checkpointed state.</summary>
    /// <param name="bestLoss">The best loss so far (+∞ when no epoch has run); not NaN.</param>
    /// <param name="wait">Epochs since the last improvement or reduction; in [0, patience).</param>
    public void Restore(double bestLoss, int wait)
    {
        if (double.IsNaN(bestLoss))
        {
            throw new ArgumentOutOfRangeException(nameof(bestLoss), bestLoss, "the best loss cannot be NaN");
        }

        if (wait < 0 || wait >= Patience)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, $"wait must be in [0, {Patience})");
        }

        BestLoss = bestLoss;
        Wait = wait;
    }

    public override string ToString() =>
        $"PlateauLRScheduler({Inner}, patience: {Patience}, threshold: {PythonFloat.Repr(Threshold)})";
}
