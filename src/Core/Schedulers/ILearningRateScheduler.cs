namespace SegaLearn.Schedulers;

/// <summary>A learning-rate scheduler, stepped once per epoch after the epoch's metrics (0-based epoch).</summary>
public interface ILearningRateScheduler
{
    /// <summary>Steps the scheduler; returns the user-facing message of a change, or null.</summary>
    string? Step(int epoch, double loss);
}
