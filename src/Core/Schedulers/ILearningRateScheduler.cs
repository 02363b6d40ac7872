namespace SegaLearn.Schedulers;

/// <summary>
/// Changes an optimizer's learning rate between epochs. The trainer calls <see cref="Step"/> once per epoch, after
/// the epoch's batches and metrics, with the 0-based epoch index, so the rate it leaves is the one used during the
/// next epoch. Core never writes to the console: the returned message (or null when nothing happened) is forwarded by
/// the trainer as a progress event.
/// </summary>
public interface ILearningRateScheduler
{
    /// <summary>Advances the schedule after epoch <paramref name="epoch"/> (0-based) whose loss was <paramref name="loss"/>.</summary>
    /// <returns>The user-facing message when the learning rate changed, else null.</returns>
    string? Step(int epoch, double loss);
}
