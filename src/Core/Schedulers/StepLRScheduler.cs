using SegaLearn.Optimizers;

namespace SegaLearn.Schedulers;

/// <summary>
/// Step decay (the seed's <c>lr_scheduler_step</c>, like TorchSharp's <c>StepLR</c>): after every epoch e with
/// <c>e &gt; 0</c> and <c>e % lrDecayEpoch == 0</c>,
/// <code>
/// lr = lr · lrDecay
/// </code>
/// with the message <c>"  --Decaying learning rate stepped at epoch {e} from {old} to {new}"</c> (numbers as Python's
/// <c>repr</c>; unlike the original, which printed the post-decay rate as "from", the real old and new rates).
/// <see cref="PeriodicDecayScheduler.Reduce"/> applies one <c>lr = lr · lrDecay</c> at once. The only state is the
/// optimizer's learning rate, which the optimizer's checkpoint already holds.
/// </summary>
public sealed class StepLRScheduler : PeriodicDecayScheduler
{
    /// <param name="optimizer">The optimizer whose <see cref="Optimizer.LearningRate"/> is decayed.</param>
    /// <param name="lrDecay">Factor applied at each decay (default 0.1); finite and &gt; 0.</param>
    /// <param name="lrDecayEpoch">Decay every this many epochs (default 10); &gt; 0.</param>
    public StepLRScheduler(Optimizer optimizer, double lrDecay = 0.1, int lrDecayEpoch = 10)
        : base(optimizer, lrDecay, lrDecayEpoch)
    {
    }

    protected override double ReduceFactor => LrDecay;

    protected override double FactorAt(int epoch) => LrDecay;

    protected override string StepMessage(int epoch, string old, string now) =>
        $"  --Decaying learning rate stepped at epoch {epoch} from {old} to {now}";

    protected override string ReduceMessage(string old, string now) => $"  --Decaying learning rate from {old} to {now}";
}
