namespace SegaLearn.Schedulers;

/// <summary>
/// Changes an optimizer's learning rate between epochs. The trainer calls <see cref="Step"/> once per epoch, after
/// the epoch's batches and metrics, with the 0-based epoch index and the monitored loss (validation loss when there is
/// validation data, else training loss), so the rate it leaves is the one used during the next epoch. Core never
/// writes to the console: the returned message (or null when nothing happened) is forwarded by the trainer as a
/// progress event. Every scheduler hands its state to checkpoints the same way, so the trainer needs to know none of them.
/// </summary>
public interface ILearningRateScheduler
{
    /// <summary>Advances the schedule after epoch <paramref name="epoch"/> (0-based) whose monitored loss was <paramref name="loss"/>.</summary>
    /// <returns>The user-facing message when the learning rate changed, else null.</returns>
    string? Step(int epoch, double loss);

    /// <summary>
    /// What a checkpoint must hold to continue the schedule, by name, besides the learning rate (which the optimizer's
    /// checkpoint holds): nothing for step and exponential decay, the best loss and the wait for plateau.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, double>> CheckpointState { get; }

    /// <summary>
    /// Continues from a <see cref="CheckpointState"/> saved earlier. Names this scheduler does not keep are ignored and
    /// names it keeps but <paramref name="state"/> lacks leave it as constructed, so a checkpoint written with another
    /// scheduler (or none) restarts this one's schedule.
    /// </summary>
    void RestoreCheckpointState(IReadOnlyList<KeyValuePair<string, double>> state);
}
