namespace SegaLearn.Training;

/// <summary>
/// Where a step's gradient is computed: in this thread, on local worker actors or on a cluster. Every engine
/// returns the same bits: the per-microbatch gradient sums (microbatches of <see cref="TrainingJob.MicrobatchSize"/>
/// cut from the batch in order) added in the fixed tree of <see cref="GradientTree"/>. The trainer then divides
/// by the sample count, adds L2 and steps the optimizer, so the model trains identically whatever the engine.
/// </summary>
public interface ITrainingEngine : IDisposable
{
    /// <summary>One line for logs.</summary>
    string Describe();

    /// <summary>Prepares for a run; called once before the first step.</summary>
    void Start(TrainingJob job);

    /// <summary>
    /// Writes the tree-reduced gradient sum of the step into <paramref name="gradientSum"/> (overwritten), computed at
    /// <paramref name="parameters"/>, which the caller does not change until the call returns.
    /// </summary>
    StepResult ComputeGradient(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum);

    /// <summary>
    /// Runs the trainer's update that makes parameter version <paramref name="version"/> (between two steps), once:
    /// with a mirror to fill with the new parameters too, where the engine's workers read them, so the next step
    /// starts without a copy; or with an empty span, as here, when the engine has no such place.
    /// </summary>
    void Update(long version, ParameterUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        update(default);
    }

    /// <summary>
    /// One whole step: the gradient sum as <see cref="ComputeGradient"/> writes it, then the update to version
    /// <paramref name="parameterVersion"/> + 1, run once: either whole through <see cref="Update"/> (<paramref name="update"/>,
    /// as here), or in ranges (<paramref name="rangeUpdate"/>, each parameter exactly once) as soon as the gradient sum of a
    /// range is known, by an engine that sends each updated range on to its workers while later ranges are still arriving.
    /// </summary>
    StepResult Step(StepWork work, float[] parameters, long parameterVersion, float[] gradientSum, ParameterUpdate update, ParameterRangeUpdate rangeUpdate)
    {
        ArgumentNullException.ThrowIfNull(update);
        var result = ComputeGradient(work, parameters, parameterVersion, gradientSum);
        Update(parameterVersion + 1, update);
        return result;
    }
}
