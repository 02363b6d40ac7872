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
/// <c>repr</c>, the real old and new rates). <see cref="Reduce"/> applies one <c>lr = lr · exp(-lrDecay)</c> at once.
/// The only state is the optimizer's learning rate, which the optimizer's checkpoint already holds.
/// </summary>
public sealed class ExponentialLRScheduler : IReducibleScheduler
{
    /// <param name="optimizer">The optimizer whose <see cref="Optimizer.LearningRate"/> is decayed.</param>
    /// <param name="lrDecay">Decay rate in the exponent (default 0.1); finite and &gt; 0.</param>
    /// <param name="lrDecayEpoch">Decay every this many epochs (default 10); &gt; 0.</param>
    public ExponentialLRScheduler(Optimizer optimizer, double lrDecay = 0.1, int lrDecayEpoch = 10)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        SchedulerArguments.Positive(lrDecay, nameof(lrDecay));
        SchedulerArguments.Positive(lrDecayEpoch, nameof(lrDecayEpoch));
        Optimizer = optimizer;
        LrDecay = lrDecay;
        LrDecayEpoch = lrDecayEpoch;
    }

    public Optimizer Optimizer { get; }

    public double LrDecay { get; }

    public int LrDecayEpoch { get; }

    /// <inheritdoc />
    /// <remarks>The loss is not used.</remarks>
    public string? Step(int epoch, double loss)
    {
        SchedulerArguments.Epoch(epoch, nameof(epoch));
        if (epoch == 0 || epoch % LrDecayEpoch != 0)
        {
            return null;
        }

        var (old, now) = Decay(Math.Exp(-LrDecay * epoch));
        return $"  --Decaying learning rate exponentially at epoch {epoch} from {PythonFloat.Repr(old)} to {PythonFloat.Repr(now)}";
    }

    /// <inheritdoc />
    public string Reduce()
    {
        var (old, now) = Decay(Math.Exp(-LrDecay));
        return $"  --Decaying learning rate exponentially from {PythonFloat.Repr(old)} to {PythonFloat.Repr(now)}";
    }

    public override string ToString() =>
        $"ExponentialLRScheduler({Optimizer.Name}, lrDecay: {PythonFloat.Repr(LrDecay)}, lrDecayEpoch: {LrDecayEpoch})";

    private (double Old, double New) Decay(double factor)
    {
        var old = Optimizer.LearningRate;
        Optimizer.LearningRate = SchedulerArguments.KeepPositive(old * factor);
        return (old, Optimizer.LearningRate);
    }
}
