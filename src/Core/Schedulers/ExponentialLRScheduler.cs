using SegaLearn.Optimizers;

namespace SegaLearn.Schedulers;

/// <summary>
/// Exponential decay (the seed's <c>lr_scheduler_exp</c>): after every epoch e with <c>e &gt; 0</c> and
/// <c>e % lrDecayEpoch == 0</c>,
/// <code>
/// lr = lr · exp(-lrDecay · e)
/// </code>
/// (the factor grows with the epoch, as in the seed), with the message
/// <c>"  --Decaying learning rate exponentially at epoch {e} from {old} to {new}"</c> (numbers as Python's
/// <c>repr</c>, the real old and new rates). <see cref="PeriodicDecayScheduler.Reduce"/> applies one <c>lr = lr · exp(-lrDecay)</c> at once.
/// The only state is the optimizer's learning rate, which the optimizer's checkpoint already holds.
/// </summary>
public sealed class ExponentialLRScheduler : PeriodicDecayScheduler
{
    /// <param name="optimizer">The optimizer whose <see cref="Optimizer.LearningRate"/> is decayed.</param>
    /// <param name="lrDecay">Decay rate in the exponent (default 0.1); finite and &gt; 0.</param>
    /// <param name="lrDecayEpoch">Decay every this many epochs (default 10); &gt; 0.</param>
    public ExponentialLRScheduler(Optimizer optimizer, double lrDecay = 0.1, int lrDecayEpoch = 10)
        : base(optimizer, lrDecay, lrDecayEpoch)
    {
    }

    protected override double ReduceFactor => Math.Exp(-LrDecay);

    protected override double FactorAt(int epoch) => Math.Exp(-LrDecay * epoch);

    protected override string StepMessage(int epoch, string old, string now) =>
        $"  --Decaying learning rate exponentially at epoch {epoch} from {old} to {now}";

    protected override string ReduceMessage(string old, string now) => $"  --Decaying learning rate exponentially from {old} to {now}";
}
