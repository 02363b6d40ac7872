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
}
