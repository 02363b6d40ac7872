using SegaLearn.Optimizers;

namespace SegaLearn.Schedulers;

/// <summary>
/// What the step and exponential schedulers share: after every epoch e with <c>e &gt; 0</c> and
/// <c>e % lrDecayEpoch == 0</c> the learning rate is multiplied by <see cref="FactorAt"/>(e), and
/// <see cref="Reduce"/> multiplies it by <see cref="ReduceFactor"/> at once; each returns the subclass's message with
/// the real old and new rates (as Python's <c>repr</c>). The only state is the optimizer's learning rate, which the
/// optimizer's checkpoint already holds.
/// </summary>
public abstract class PeriodicDecayScheduler : IReducibleScheduler
{
    /// <param name="optimizer">The optimizer whose <see cref="Optimizer.LearningRate"/> is decayed.</param>
    /// <param name="lrDecay">The decay parameter; finite and &gt; 0.</param>
    /// <param name="lrDecayEpoch">Decay every this many epochs; &gt; 0.</param>
    protected PeriodicDecayScheduler(Optimizer optimizer, double lrDecay, int lrDecayEpoch)
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
    /// <remarks>Empty: the learning rate is all the state, and the optimizer's checkpoint holds it.</remarks>
    public IReadOnlyList<KeyValuePair<string, double>> CheckpointState => [];

    /// <summary>The factor of one <see cref="Reduce"/>.</summary>
    protected abstract double ReduceFactor { get; }

    /// <inheritdoc />
    /// <remarks>The loss is not used.</remarks>
    public string? Step(int epoch, double loss)
    {
        SchedulerArguments.Epoch(epoch, nameof(epoch));
        if (epoch == 0 || epoch % LrDecayEpoch != 0)
        {
            return null;
        }

        var (old, now) = Decay(FactorAt(epoch));
        return StepMessage(epoch, PythonFloat.Repr(old), PythonFloat.Repr(now));
    }

    /// <inheritdoc />
    public string Reduce()
    {
        var (old, now) = Decay(ReduceFactor);
        return ReduceMessage(PythonFloat.Repr(old), PythonFloat.Repr(now));
    }

    /// <inheritdoc />
    public void RestoreCheckpointState(IReadOnlyList<KeyValuePair<string, double>> state) => ArgumentNullException.ThrowIfNull(state);

    public override string ToString() =>
        $"{GetType().Name}({Optimizer.Name}, lrDecay: {PythonFloat.Repr(LrDecay)}, lrDecayEpoch: {LrDecayEpoch})";

    /// <summary>The factor applied after epoch <paramref name="epoch"/>.</summary>
    protected abstract double FactorAt(int epoch);

    protected abstract string StepMessage(int epoch, string old, string now);

    protected abstract string ReduceMessage(string old, string now);

    private (double Old, double New) Decay(double factor)
    {
        var old = Optimizer.LearningRate;
        Optimizer.LearningRate = SchedulerArguments.KeepPositive(old * factor);
        return (old, Optimizer.LearningRate);
    }
}
